//! `skillmark occupations` and `skillmark eval occupations`: ESCO
//! occupations for documents or job titles, and their accuracy on titles
//! with a gold occupation (JobBERT's title normalisation benchmark).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use skillmark::schema::{OccupationOptions, OccupationsOfText};

use crate::ModelArgs;

/// Titles per engine call in `--title` mode.
const TITLE_CHUNK: usize = 512;

/// One JSON line per document (the whole input), or with `title` per
/// non-empty line.
pub fn occupations(
    file: Option<PathBuf>,
    top_k: usize,
    title: bool,
    model: &ModelArgs,
) -> Result<()> {
    let engine = model.engine()?;
    let raw = crate::input::read_text(file.as_deref())?;
    let texts: Vec<&str> = if title {
        raw.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    } else if raw.trim().is_empty() {
        Vec::new()
    } else {
        vec![raw.as_str()]
    };
    let opts = OccupationOptions {
        top_k,
        title,
        ..Default::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for chunk in texts.chunks(TITLE_CHUNK) {
        for (text, occupations) in chunk.iter().zip(engine.occupations(chunk, &opts)?) {
            let line = OccupationsOfText {
                text: text.to_string(),
                occupations,
            };
            serde_json::to_writer(&mut out, &serde_json::to_value(&line)?)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    Ok(())
}

/// MRR and R@1/5/10 (percentages) of the gold occupation among all.
#[derive(Debug, Default, serde::Serialize)]
pub struct OccupationMetrics {
    pub titles: usize,
    pub mrr: f64,
    pub r1: f64,
    pub r5: f64,
    pub r10: f64,
}

/// Reads `vacancyTitle,conceptUri` rows (other columns ignored); rows whose
/// occupation is not in the taxonomy are skipped and counted.
fn read_titles(path: &Path) -> Result<Vec<(String, String)>> {
    let mut rdr =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .with_context(|| format!("{}: no `{name}` column", path.display()))
    };
    let (t, u) = (col("vacancyTitle")?, col("conceptUri")?);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("reading {}", path.display()))?;
        let title = rec.get(t).unwrap_or("").trim();
        if !title.is_empty() {
            out.push((
                title.to_string(),
                rec.get(u).unwrap_or("").trim().to_string(),
            ));
        }
    }
    Ok(out)
}

/// `skillmark eval occupations --titles FILE.csv`.
pub fn eval_occupations(titles: &Path, json: bool, model: &ModelArgs) -> Result<()> {
    let engine = model.engine()?;
    let rows = read_titles(titles)?;
    if rows.is_empty() {
        bail!("{}: no titles", titles.display());
    }
    let by_uri: std::collections::HashMap<&str, usize> = (0..)
        .map_while(|i| engine.occupation(i))
        .enumerate()
        .map(|(i, (uri, _))| (uri, i))
        .collect();
    let bar = crate::progress(rows.len() as u64, "ranking occupations");
    let mut m = OccupationMetrics::default();
    let mut unknown = 0;
    for chunk in rows.chunks(TITLE_CHUNK) {
        let texts: Vec<&str> = chunk.iter().map(|r| r.0.as_str()).collect();
        for ((_, gold), scores) in chunk.iter().zip(engine.occupation_scores(&texts, true)?) {
            let Some(&g) = by_uri.get(gold.as_str()) else {
                unknown += 1;
                continue;
            };
            // Rank: occupations scoring above the gold one (ties count for it).
            let r = scores.iter().filter(|&&s| s > scores[g]).count();
            m.mrr += 1.0 / (r + 1) as f64;
            m.r1 += f64::from(u8::from(r < 1));
            m.r5 += f64::from(u8::from(r < 5));
            m.r10 += f64::from(u8::from(r < 10));
            m.titles += 1;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if unknown > 0 {
        eprintln!("skillmark: {unknown} titles name an occupation not in the taxonomy; skipped");
    }
    let n = m.titles.max(1) as f64;
    for x in [&mut m.mrr, &mut m.r1, &mut m.r5, &mut m.r10] {
        *x *= 100.0 / n;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        println!("| titles | MRR | R@1 | R@5 | R@10 |");
        println!("|---|---|---|---|---|");
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            m.titles, m.mrr, m.r1, m.r5, m.r10
        );
    }
    Ok(())
}
