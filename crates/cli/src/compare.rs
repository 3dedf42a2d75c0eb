//! `skillmark compare` and `skillmark eval compare`: a job post against a
//! résumé (JSON, text or HTML out), and the comparison's accuracy on RJDB
//! (matched résumés above unmatched ones, the removed skills found missing).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use skillmark::html::escape;
use skillmark::schema::{
    CompareOptions, Comparison, Highlights, MatchKind, Requirement, ScoreParts, TextRange,
};

use crate::ModelArgs;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
    Html,
}

/// Options of `skillmark compare` besides the files.
pub struct CompareArgs {
    pub format: Format,
    pub similar_min: f32,
    pub no_occupations: bool,
}

pub fn compare(job: &Path, resume: &Path, args: &CompareArgs, model: &ModelArgs) -> Result<()> {
    let job_text = crate::input::read_document(job)?;
    let resume_text = crate::input::read_document(resume)?;
    let engine = model.engine()?;
    let opts = CompareOptions {
        similar_min: args.similar_min,
        occupations: !args.no_occupations && engine.has_occupations(),
        current_year: Some(current_year()),
        ..Default::default()
    };
    let c = engine.compare(&job_text, &resume_text, &opts)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &serde_json::to_value(&c)?)?;
            writeln!(out)?;
        }
        Format::Text => write_text(&mut out, &c)?,
        Format::Html => write_html(&mut out, &job_text, &resume_text, &c)?,
    }
    out.flush()?;
    Ok(())
}

/// This year by the system clock (for "2019 – present").
fn current_year() -> u16 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (1970 + secs / 31_556_952) as u16
}

fn pct(x: Option<f32>) -> String {
    x.map_or("—".into(), |v| format!("{:.0} %", v * 100.0))
}

fn kind_name(k: MatchKind) -> &'static str {
    match k {
        MatchKind::Same => "same skill",
        MatchKind::Narrower => "narrower skill",
        MatchKind::Broader => "broader skill",
        MatchKind::Similar => "similar skill",
    }
}

fn requirement_note(r: Requirement) -> &'static str {
    match r {
        Requirement::Essential => " [essential]",
        Requirement::Optional => " [optional]",
        Requirement::Unlisted => "",
    }
}

/// The texts of the spans `idx` of `h`, quoted and joined.
fn quotes(h: &Highlights, idx: &[usize]) -> String {
    let mut seen = Vec::new();
    for &i in idx {
        if let Some(s) = h.spans.get(i) {
            let t = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let t: String = t.chars().take(60).collect();
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
    }
    seen.iter()
        .take(2)
        .map(|t| format!("“{t}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parts_line(p: &ScoreParts) -> String {
    format!(
        "skills {}, experience {}, title {}, education {}",
        pct(p.skills),
        pct(p.experience),
        pct(p.title),
        pct(p.education)
    )
}

fn write_text(out: &mut impl Write, c: &Comparison) -> Result<()> {
    writeln!(
        out,
        "Match: {:.0} %  ({})",
        c.score * 100.0,
        parts_line(&c.parts)
    )?;
    if let Some(o) = c.occupations.first() {
        writeln!(
            out,
            "The post's likely ESCO occupation: {} (ISCO {})",
            o.label, o.isco_group
        )?;
    }
    let (matched, missing): (Vec<_>, Vec<_>) = c.skills.iter().partition(|s| s.matched.is_some());
    writeln!(out, "\nMatched ({} of {}):", matched.len(), c.skills.len())?;
    for s in &matched {
        let m = s.matched.as_ref().unwrap();
        let how = if m.kind == MatchKind::Same {
            kind_name(m.kind).to_string()
        } else {
            format!(
                "{} “{}”, {:.2}",
                kind_name(m.kind),
                m.skill.label,
                m.closeness
            )
        };
        writeln!(
            out,
            "  + {}{}{} — {how}; post {} · résumé {}",
            s.skill.label,
            requirement_note(s.requirement),
            if s.implicit { " (implied)" } else { "" },
            quotes(&c.job, &s.job_spans),
            quotes(&c.resume, &m.resume_spans),
        )?;
    }
    writeln!(out, "\nMissing ({}):", missing.len())?;
    for s in &missing {
        writeln!(
            out,
            "  - {}{}{} — post {}",
            s.skill.label,
            requirement_note(s.requirement),
            if s.implicit { " (implied)" } else { "" },
            quotes(&c.job, &s.job_spans)
        )?;
    }
    let extra: Vec<&str> = c.extra.iter().map(|e| e.skill.label.as_str()).collect();
    writeln!(
        out,
        "\nAlso in the résumé ({}): {}",
        extra.len(),
        extra.join(", ")
    )?;
    writeln!(out)?;
    for r in &c.experience.required {
        writeln!(
            out,
            "Experience: the post asks {} years (“{}”); the résumé shows {} ({})",
            r.years,
            r.job.text.trim(),
            r.resume_years,
            r.resume
                .as_ref()
                .map_or("all roles".into(), |t| format!("“{}”", t.text.trim()))
        )?;
    }
    if c.experience.required.is_empty() {
        writeln!(
            out,
            "Experience: the post names no years; the résumé's dated roles cover {} years",
            c.experience.resume_years
        )?;
    }
    if let (Some(j), Some(r)) = (&c.title.job, &c.title.resume) {
        writeln!(
            out,
            "Title: “{}” ↔ “{}” (cosine {:.2})",
            j.text, r.text, c.title.similarity
        )?;
    }
    if let Some(d) = c.education.required {
        writeln!(
            out,
            "Education: the post asks {:?}; the résumé shows {}",
            d,
            c.education
                .resume_degree
                .map_or("none".into(), |d| format!("{d:?}"))
        )?;
    }
    Ok(())
}

/// Marks of one text: (range, class, tooltip), non-overlapping, in order.
type Marks = Vec<(usize, usize, &'static str, String)>;

fn marked(text: &str, mut marks: Marks) -> String {
    marks.sort_by_key(|m| (m.0, std::cmp::Reverse(m.1)));
    let mut html = String::new();
    let mut pos = 0;
    for (s, e, class, title) in marks {
        if s < pos || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        html.push_str(&escape(&text[pos..s]));
        html.push_str(&format!(
            "<mark class=\"{class}\" title=\"{}\">{}</mark>",
            escape(&title),
            escape(&text[s..e])
        ));
        pos = e;
    }
    html.push_str(&escape(&text[pos..]));
    html
}

fn range_mark(
    r: &TextRange,
    class: &'static str,
    title: String,
) -> (usize, usize, &'static str, String) {
    (r.start, r.end, class, title)
}

fn write_html(out: &mut impl Write, job: &str, resume: &str, c: &Comparison) -> Result<()> {
    let span = |h: &Highlights, i: usize| h.spans.get(i).map(|s| (s.start, s.end));
    let mut job_marks: Marks = Vec::new();
    let mut res_marks: Marks = Vec::new();
    for s in &c.skills {
        let (class, note) = match &s.matched {
            Some(m) => (
                "matched",
                format!("{} — {}", s.skill.label, kind_name(m.kind)),
            ),
            None => (
                "missing",
                format!("{} — missing from the résumé", s.skill.label),
            ),
        };
        for &i in &s.job_spans {
            if let Some((a, b)) = span(&c.job, i) {
                job_marks.push((a, b, class, note.clone()));
            }
        }
        if let Some(m) = &s.matched {
            for &i in &m.resume_spans {
                if let Some((a, b)) = span(&c.resume, i) {
                    res_marks.push((
                        a,
                        b,
                        "matched",
                        format!("{} (for “{}”)", m.skill.label, s.skill.label),
                    ));
                }
            }
        }
    }
    for e in &c.extra {
        for &i in &e.resume_spans {
            if let Some((a, b)) = span(&c.resume, i) {
                res_marks.push((a, b, "extra", format!("{} — not asked for", e.skill.label)));
            }
        }
    }
    for r in &c.experience.required {
        job_marks.push(range_mark(
            &r.job,
            "fact",
            format!("asks {} years", r.years),
        ));
    }
    // Implicit spans are whole sentences: keep the skill marks inside them.
    let drop_overlaps = |marks: &mut Marks| {
        marks.sort_by_key(|m| (m.0, m.1));
        let mut kept: Marks = Vec::new();
        for m in marks.drain(..) {
            if kept.last().is_some_and(|k| m.0 < k.1) {
                let k = kept.last().unwrap();
                if m.1 - m.0 < k.1 - k.0 {
                    kept.pop();
                    kept.push(m);
                }
                continue;
            }
            kept.push(m);
        }
        *marks = kept;
    };
    drop_overlaps(&mut job_marks);
    drop_overlaps(&mut res_marks);

    writeln!(
        out,
        "<!doctype html>\n<meta charset=\"utf-8\">\n<title>skillmark compare</title>"
    )?;
    writeln!(out, "<style>body{{font-family:sans-serif;margin:1em}}.cols{{display:flex;gap:1em}}.doc{{flex:1;white-space:pre-wrap;border:1px solid #ccc;padding:.5em}}mark.matched{{background:#b7ebc0}}mark.missing{{background:#ffc2c2}}mark.extra{{background:#e4e4e4}}mark.fact{{background:#fff0b3}}li small{{color:#555}}</style>")?;
    writeln!(
        out,
        "<h1>Match: {:.0} %</h1>\n<p>{}</p>",
        c.score * 100.0,
        escape(&parts_line(&c.parts))
    )?;
    if !c.occupations.is_empty() {
        let names: Vec<String> = c
            .occupations
            .iter()
            .map(|o| format!("<a href=\"{}\">{}</a>", escape(&o.uri), escape(&o.label)))
            .collect();
        writeln!(out, "<p>Likely ESCO occupations: {}</p>", names.join(", "))?;
    }
    let item = |label: &str, uri: &str, note: &str| {
        format!(
            "<li><a href=\"{}\">{}</a> <small>{}</small></li>",
            escape(uri),
            escape(label),
            escape(note)
        )
    };
    writeln!(out, "<h2>Matched</h2><ul>")?;
    for s in c.skills.iter().filter(|s| s.matched.is_some()) {
        let m = s.matched.as_ref().unwrap();
        let note = format!(
            "{}{} ({})",
            kind_name(m.kind),
            requirement_note(s.requirement),
            m.skill.label
        );
        writeln!(out, "{}", item(&s.skill.label, &s.skill.uri, &note))?;
    }
    writeln!(out, "</ul><h2>Missing</h2><ul>")?;
    for s in c.skills.iter().filter(|s| s.matched.is_none()) {
        writeln!(
            out,
            "{}",
            item(
                &s.skill.label,
                &s.skill.uri,
                requirement_note(s.requirement)
            )
        )?;
    }
    writeln!(out, "</ul><h2>Also in the résumé</h2><ul>")?;
    for e in &c.extra {
        writeln!(out, "{}", item(&e.skill.label, &e.skill.uri, ""))?;
    }
    writeln!(out, "</ul><div class=\"cols\">")?;
    writeln!(
        out,
        "<div class=\"doc\"><h3>Job post</h3>{}</div>",
        marked(job, job_marks)
    )?;
    writeln!(
        out,
        "<div class=\"doc\"><h3>Résumé</h3>{}</div>",
        marked(resume, res_marks)
    )?;
    writeln!(out, "</div>")?;
    Ok(())
}

/// RJDB accuracy (percentages), overall and per score part.
#[derive(Debug, Default, serde::Serialize)]
pub struct CompareMetrics {
    pub triples: usize,
    pub pairwise_accuracy: f64,
    pub auc: f64,
    pub gap_recall: f64,
    /// Skills the removal named (the denominator of gap recall).
    pub removed_skills: usize,
    /// Removed skills found among the post's skills at all, missing or not
    /// (the ceiling of gap recall).
    pub removed_in_post: f64,
    /// Pairwise accuracy of each part alone (ties count half).
    pub pairwise_by_part: std::collections::BTreeMap<String, f64>,
    pub mean_score_matched: f64,
    pub mean_score_unmatched: f64,
}

struct Triple {
    job: String,
    matched: String,
    unmatched: String,
    removed: Vec<String>,
}

fn read_rjdb(path: &Path) -> Result<Vec<Triple>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}: line {}: not JSON", path.display(), n + 1))?;
        let field = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .with_context(|| format!("{}: line {}: no text field {k:?}", path.display(), n + 1))
        };
        let removed = v
            .get("Filtered-information")
            .and_then(|f| f.get("Skills"))
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        out.push(Triple {
            job: field("Job-Description")?,
            matched: field("Resume-matched")?,
            unmatched: field("Resume-unmatched")?,
            removed,
        });
    }
    Ok(out)
}

/// Share of (positive, negative) pairs ordered right, ties half.
fn pairwise(pos: &[f32], neg: &[f32]) -> f64 {
    let n = pos.len().min(neg.len());
    if n == 0 {
        return 0.0;
    }
    pos.iter()
        .zip(neg)
        .map(|(p, q)| {
            if p > q {
                1.0
            } else if p == q {
                0.5
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / n as f64
}

/// ROC AUC of positives against negatives (Mann–Whitney, ties half).
fn auc(pos: &[f32], neg: &[f32]) -> f64 {
    if pos.is_empty() || neg.is_empty() {
        return 0.0;
    }
    let mut wins = 0.0;
    for p in pos {
        for q in neg {
            wins += if p > q {
                1.0
            } else if p == q {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

/// Whether a skill removed from the résumé (`phrase`) is among the skills
/// the comparison reports missing: a missing skill's evidence in the post
/// overlaps where the post names the phrase, or the phrase's own best
/// ESCO skills (`phrase_skills`) include a missing skill.
fn gap_found(
    c: &Comparison,
    job: &str,
    phrase: &str,
    phrase_skills: &[String],
    only_missing: bool,
) -> bool {
    let lower = job.to_lowercase();
    let needle = phrase.to_lowercase();
    // Byte offsets of `lower` equal `job`'s only for ASCII; fall back to the phrase's skills otherwise.
    let places: Vec<(usize, usize)> = if lower.len() == job.len() && !needle.is_empty() {
        lower
            .match_indices(&needle)
            .map(|(i, m)| (i, i + m.len()))
            .collect()
    } else {
        Vec::new()
    };
    c.skills
        .iter()
        .filter(|s| !only_missing || s.matched.is_none())
        .any(|s| {
            phrase_skills.contains(&s.skill.uri)
                || s.job_spans
                    .iter()
                    .filter_map(|&i| c.job.spans.get(i))
                    .any(|sp| places.iter().any(|&(a, b)| sp.start < b && a < sp.end))
        })
}

pub fn eval_compare(rjdb: &Path, json: bool, dump: Option<&Path>, model: &ModelArgs) -> Result<()> {
    let triples = read_rjdb(rjdb)?;
    let engine = model.engine()?;
    let opts = CompareOptions {
        occupations: engine.has_occupations(),
        ..Default::default()
    };
    let bar = ProgressBar::new(triples.len() as u64).with_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} {elapsed}<{eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("comparing");
    let mut pos = Vec::new();
    let mut neg = Vec::new();
    let mut parts: Vec<(ScoreParts, ScoreParts)> = Vec::new();
    let (mut found, mut removed, mut in_post) = (0usize, 0usize, 0usize);
    for t in &triples {
        let m = engine.compare(&t.job, &t.matched, &opts)?;
        let u = engine.compare(&t.job, &t.unmatched, &opts)?;
        pos.push(m.score);
        neg.push(u.score);
        let phrases: Vec<&str> = t.removed.iter().map(String::as_str).collect();
        let ranked = if phrases.is_empty() {
            Vec::new()
        } else {
            engine.rank(&phrases, 3)?
        };
        for (p, r) in phrases.iter().zip(&ranked) {
            let uris: Vec<String> = r.iter().map(|s| s.uri.clone()).collect();
            removed += 1;
            found += gap_found(&u, &t.job, p, &uris, true) as usize;
            in_post += gap_found(&u, &t.job, p, &uris, false) as usize;
        }
        parts.push((m.parts, u.parts));
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some(path) = dump {
        let mut out = String::new();
        for ((p, n), (mp, up)) in pos.iter().zip(&neg).zip(&parts) {
            let line = serde_json::json!({"matched": p, "unmatched": n, "matchedParts": mp, "unmatchedParts": up});
            out.push_str(&line.to_string());
            out.push('\n');
        }
        std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut by_part = std::collections::BTreeMap::new();
    type Pick = fn(&ScoreParts) -> Option<f32>;
    let picks: [(&str, Pick); 4] = [
        ("skills", |p| p.skills),
        ("experience", |p| p.experience),
        ("title", |p| p.title),
        ("education", |p| p.education),
    ];
    for (name, pick) in picks {
        let a: Vec<f32> = parts.iter().map(|(m, _)| pick(m).unwrap_or(0.0)).collect();
        let b: Vec<f32> = parts.iter().map(|(_, u)| pick(u).unwrap_or(0.0)).collect();
        by_part.insert(name.to_string(), 100.0 * pairwise(&a, &b));
    }
    let mean = |v: &[f32]| v.iter().map(|&x| x as f64).sum::<f64>() / v.len().max(1) as f64;
    let metrics = CompareMetrics {
        triples: triples.len(),
        pairwise_accuracy: 100.0 * pairwise(&pos, &neg),
        auc: 100.0 * auc(&pos, &neg),
        gap_recall: 100.0 * found as f64 / removed.max(1) as f64,
        removed_skills: removed,
        removed_in_post: 100.0 * in_post as f64 / removed.max(1) as f64,
        pairwise_by_part: by_part,
        mean_score_matched: 100.0 * mean(&pos),
        mean_score_unmatched: 100.0 * mean(&neg),
    };
    if json {
        println!("{}", serde_json::to_string(&metrics)?);
        return Ok(());
    }
    println!("RJDB {} ({} triples)", rjdb.display(), metrics.triples);
    println!("  pairwise accuracy  {:6.2}", metrics.pairwise_accuracy);
    println!("  ROC AUC            {:6.2}", metrics.auc);
    println!(
        "  gap recall         {:6.2}  ({} removed skills)",
        metrics.gap_recall, metrics.removed_skills
    );
    println!(
        "  removed skills the post's skill list has at all {:6.2}",
        metrics.removed_in_post
    );
    println!(
        "  mean score         {:6.2} matched, {:6.2} unmatched",
        metrics.mean_score_matched, metrics.mean_score_unmatched
    );
    for (k, v) in &metrics.pairwise_by_part {
        println!("  pairwise, {k:<10} alone {v:6.2}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_and_auc_count_ties_half() {
        assert_eq!(pairwise(&[0.9, 0.5, 0.4], &[0.1, 0.5, 0.6]), 0.5);
        assert_eq!(auc(&[0.9, 0.5], &[0.1, 0.5]), 3.5 / 4.0);
    }
}
