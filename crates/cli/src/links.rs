//! `skillmark eval links`: how well gold spans are linked to ESCO, per link mode.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use skillmark::links::mix;
use skillmark::{Highlights, LinkMode};
use skillmark_eval::gold::{parse_gold_spans, parse_skill_lists};
use skillmark_eval::highlight::skills_at;
use skillmark_eval::{rank_metrics, RankMetrics};

use crate::ModelArgs;

/// Span vectors and gold skills of one gold file, in a fixed span order.
struct LinkSet {
    name: String,
    texts: Vec<String>,
    text_vecs: Vec<Vec<f32>>,
    /// The in-context vector; the text vector where the span has no tokens.
    ctx_vecs: Vec<Vec<f32>>,
    skills: Vec<Vec<usize>>,
}

fn link_set(hl: &skillmark::Highlighter, path: &std::path::Path) -> Result<LinkSet> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let gold = parse_gold_spans(&bytes, &path.display().to_string(), &hl.ranker.taxonomy)?;
    for (label, n) in &gold.unknown_labels {
        eprintln!(
            "skillmark: warning: {}: label {label:?} ({n}×) is not an ESCO preferred label",
            path.display()
        );
    }
    let mut set = LinkSet {
        name: path.display().to_string(),
        texts: Vec::new(),
        text_vecs: Vec::new(),
        ctx_vecs: Vec::new(),
        skills: Vec::new(),
    };
    let mut missing = 0;
    for (si, sent) in gold.sentences.iter().enumerate() {
        let spans: Vec<_> = gold.spans.iter().filter(|g| g.sentence == si).collect();
        if spans.is_empty() {
            continue;
        }
        let ranges: Vec<(usize, usize)> = spans.iter().map(|g| (g.start, g.end)).collect();
        for (v, g) in hl
            .span_vectors(&sent.text, &ranges)?
            .into_iter()
            .zip(&spans)
        {
            set.texts.push(sent.text[g.start..g.end].to_string());
            set.ctx_vecs.push(v.context.unwrap_or_else(|| {
                missing += 1;
                v.text.clone()
            }));
            set.text_vecs.push(v.text);
            set.skills.push(g.skills.clone());
        }
    }
    if missing > 0 {
        eprintln!(
            "skillmark: {}: {missing} spans have no tokens in context; they link by their text",
            path.display()
        );
    }
    Ok(set)
}

/// RP@K / MRR of linking each gold span (TECH/HOUSE style CSV) to ESCO, per
/// link mode, text weight and lexical bonus. Rows: each file, then all
/// spans of all files together.
pub fn eval_links(
    gold_files: &[PathBuf],
    modes: &[String],
    weights: &[f32],
    score_mix: bool,
    bonuses: Option<Vec<f32>>,
    json: bool,
    model: &ModelArgs,
) -> Result<()> {
    let hl = crate::spans::highlighter(model)?;
    let modes: Vec<LinkMode> = modes
        .iter()
        .map(|m| {
            m.parse::<LinkMode>()
                .ok()
                .with_context(|| format!("unknown --mode {m} (text, context, both)"))
        })
        .collect::<Result<_>>()?;
    let weights = if weights.is_empty() {
        vec![hl.default_options().text_weight]
    } else {
        weights.to_vec()
    };
    let bonuses = bonuses.unwrap_or_else(|| vec![0.0, hl.ranker.lexical_bonus]);
    let ranker = &hl.ranker;
    let sets: Vec<LinkSet> = gold_files
        .iter()
        .map(|p| link_set(&hl, p))
        .collect::<Result<_>>()?;
    // (mode name, per set: scores of every span)
    let mut variants: Vec<(String, Vec<Vec<Vec<f32>>>)> = Vec::new();
    for mode in &modes {
        match mode {
            LinkMode::Text => variants.push((
                "text".into(),
                sets.iter()
                    .map(|s| ranker.index.score_all(&s.text_vecs))
                    .collect(),
            )),
            LinkMode::Context => variants.push((
                "context".into(),
                sets.iter()
                    .map(|s| ranker.index.score_all(&s.ctx_vecs))
                    .collect(),
            )),
            LinkMode::Both => {
                for &w in &weights {
                    let scores = sets
                        .iter()
                        .map(|s| {
                            if score_mix {
                                let t = ranker.index.score_all(&s.text_vecs);
                                let c = ranker.index.score_all(&s.ctx_vecs);
                                t.iter()
                                    .zip(&c)
                                    .map(|(t, c)| {
                                        t.iter()
                                            .zip(c)
                                            .map(|(a, b)| w * a + (1.0 - w) * b)
                                            .collect()
                                    })
                                    .collect()
                            } else {
                                let mixed: Vec<Vec<f32>> = s
                                    .text_vecs
                                    .iter()
                                    .zip(&s.ctx_vecs)
                                    .map(|(t, c)| mix(t, c, w))
                                    .collect();
                                ranker.index.score_all(&mixed)
                            }
                        })
                        .collect();
                    let kind = if score_mix { "score mix" } else { "vector mix" };
                    variants.push((format!("both, text weight {w} ({kind})"), scores));
                }
            }
        }
    }
    let mut rows: Vec<(String, String, f32, RankMetrics)> = Vec::new();
    for (name, per_set) in &variants {
        for &b in &bonuses {
            let mut all_scores = Vec::new();
            let mut all_skills = Vec::new();
            for (set, scores) in sets.iter().zip(per_set) {
                let mut s = scores.clone();
                let texts: Vec<&str> = set.texts.iter().map(|t| t.as_str()).collect();
                ranker.add_lexical_bonus(&texts, &mut s, b);
                rows.push((
                    set.name.clone(),
                    name.clone(),
                    b,
                    rank_metrics(&s, &set.skills),
                ));
                all_scores.extend(s);
                all_skills.extend(set.skills.iter().cloned());
            }
            if sets.len() > 1 {
                rows.push((
                    "all".into(),
                    name.clone(),
                    b,
                    rank_metrics(&all_scores, &all_skills),
                ));
            }
        }
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(f, m, b, r)| serde_json::json!({ "gold": f, "mode": m, "lexical_bonus": b, "metrics": r }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("| gold | mode | lexical bonus | spans | RP@5 | RP@10 | MRR |");
    println!("|---|---|---|---|---|---|---|");
    for (f, m, b, r) in &rows {
        println!(
            "| {f} | {m} | {b} | {} | {:.2} | {:.2} | {:.2} |",
            r.sentences, r.rp5, r.rp10, r.mrr
        );
    }
    Ok(())
}

/// Link thresholds swept by `eval highlight`.
const LINK_GRID: [f32; 13] = [
    0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
];
/// Implicit-skill thresholds swept (∞ = no implicit skills).
const IMPLICIT_GRID: [f32; 14] = [
    0.4,
    0.45,
    0.5,
    0.55,
    0.6,
    0.65,
    0.7,
    0.75,
    0.8,
    0.85,
    0.9,
    0.95,
    1.0,
    f32::INFINITY,
];

#[derive(Clone, Copy, Default, serde::Serialize)]
struct Prf {
    predicted: usize,
    gold: usize,
    correct: usize,
    /// Sentences without gold skills, and how many of them list a skill.
    skill_free: usize,
    skill_free_listing: usize,
    precision: f64,
    recall: f64,
    f1: f64,
}

impl Prf {
    fn add(&mut self, pred: &BTreeSet<String>, gold: &BTreeSet<String>) {
        self.predicted += pred.len();
        self.gold += gold.len();
        self.correct += pred.intersection(gold).count();
        if gold.is_empty() {
            self.skill_free += 1;
            self.skill_free_listing += usize::from(!pred.is_empty());
        }
    }
    fn finish(mut self) -> Self {
        let div = |a: usize, b: usize| {
            if b == 0 {
                0.0
            } else {
                100.0 * a as f64 / b as f64
            }
        };
        self.precision = div(self.correct, self.predicted);
        self.recall = div(self.correct, self.gold);
        self.f1 = if self.precision + self.recall > 0.0 {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        } else {
            0.0
        };
        self
    }
}

/// A sentence's highlights (at the lowest thresholds) and its gold skill URIs.
type Judged = (Highlights, BTreeSet<String>);

/// Sentence-level skill P/R/F1 of the whole highlighter (spans, links,
/// implicit skills) against the gold labels of each sentence, over a grid
/// of link and implicit thresholds.
pub fn eval_highlight(
    gold_files: &[PathBuf],
    link: Option<&str>,
    text_weight: Option<f32>,
    lexical_bonus: Option<f32>,
    lexical_spans: bool,
    json: bool,
    model: &ModelArgs,
) -> Result<()> {
    let hl = crate::spans::highlighter(model)?;
    let mut opts = hl.default_options();
    opts.lexical_spans = lexical_spans;
    if let Some(link) = link {
        opts.link = link
            .parse::<LinkMode>()
            .ok()
            .with_context(|| format!("unknown --link {link} (text, context, both)"))?;
    }
    let link = opts.link.name();
    if let Some(w) = text_weight {
        opts.text_weight = w;
    }
    if lexical_bonus.is_some() {
        opts.lexical_bonus = lexical_bonus;
    }
    let shipped = (opts.min_score, opts.implicit_min_score);
    opts.min_score = f32::NEG_INFINITY;
    opts.implicit_min_score = f32::NEG_INFINITY;
    opts.implicit = true;
    // Per gold file: per sentence, (highlights at the lowest thresholds, gold URIs).
    let mut docs: Vec<(String, Vec<Judged>)> = Vec::new();
    for path in gold_files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let gold = parse_skill_lists(&bytes, &path.display().to_string(), &hl.ranker.taxonomy)?;
        for (label, n) in &gold.unknown_labels {
            eprintln!(
                "skillmark: warning: {}: label {label:?} ({n}×) is not an ESCO preferred label",
                path.display()
            );
        }
        let bar = crate::progress(gold.sentences.len() as u64, "highlighting");
        let mut v = Vec::new();
        for s in &gold.sentences {
            let uris = s
                .skills
                .iter()
                .map(|&i| hl.ranker.taxonomy.skills[i].uri.clone())
                .collect();
            v.push((hl.highlight(&s.text, &opts)?, uris));
            bar.inc(1);
        }
        bar.finish_and_clear();
        docs.push((path.display().to_string(), v));
    }
    let score = |set: &[Judged], t: f32, ti: f32| {
        let mut p = Prf::default();
        for (h, g) in set {
            p.add(&skills_at(&hl, h, t, ti), g);
        }
        p.finish()
    };
    let all: Vec<Judged> = docs.iter().flat_map(|(_, v)| v.iter().cloned()).collect();
    // Thresholds are chosen on the mean of the files' F1: each set counts
    // once, so Skill-XL's 2,000 sentences do not drown TECH and HOUSE.
    let mean_f1 = |t: f32, ti: f32| {
        docs.iter().map(|(_, v)| score(v, t, ti).f1).sum::<f64>() / docs.len().max(1) as f64
    };
    let mut grid = Vec::new();
    for &t in &LINK_GRID {
        for &ti in &IMPLICIT_GRID {
            grid.push((t, ti, score(&all, t, ti), mean_f1(t, ti)));
        }
    }
    let &(bt, bti, best, best_mean) = grid
        .iter()
        .max_by(|a, b| a.3.total_cmp(&b.3))
        .expect("grid");
    let per_file_at = |t: f32, ti: f32| -> Vec<(String, Prf)> {
        docs.iter()
            .map(|(f, v)| (f.clone(), score(v, t, ti)))
            .chain(std::iter::once(("all".to_string(), score(&all, t, ti))))
            .collect()
    };
    let per_file = per_file_at(bt, bti);
    let at_shipped = per_file_at(shipped.0, shipped.1);
    let files_json = |rows: &[(String, Prf)]| {
        rows.iter()
            .map(|(f, p)| serde_json::json!({"gold": f, "scores": p}))
            .collect::<Vec<_>>()
    };
    let shown = |x: f32| {
        if x.is_finite() {
            format!("{x}")
        } else {
            "off".into()
        }
    };
    if json {
        let v = serde_json::json!({
            "link": link, "text_weight": opts.text_weight, "lexical_spans": lexical_spans, "lexical_bonus": opts.lexical_bonus.unwrap_or(hl.ranker.lexical_bonus),
            "shipped": { "min_score": shipped.0, "implicit_min_score": shown(shipped.1), "mean_f1": mean_f1(shipped.0, shipped.1), "files": files_json(&at_shipped) },
            "best": { "min_score": bt, "implicit_min_score": shown(bti), "mean_f1": best_mean, "all": best, "files": files_json(&per_file) },
            "grid": grid.iter().map(|(t, ti, p, m)| serde_json::json!({"min_score": t, "implicit_min_score": shown(*ti), "mean_f1": m, "scores": p})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let n_all = all.len();
    let table = |title: String, rows: &[(String, Prf)]| {
        println!("{title}");
        println!("| gold | sentences | predicted | gold skills | P | R | F1 | skill-free sentences listing a skill |");
        println!("|---|---|---|---|---|---|---|---|");
        for (f, p) in rows {
            let n = docs.iter().find(|d| &d.0 == f).map_or(n_all, |d| d.1.len());
            println!(
                "| {f} | {n} | {} | {} | {:.2} | {:.2} | {:.2} | {} of {} |",
                p.predicted,
                p.gold,
                p.precision,
                p.recall,
                p.f1,
                p.skill_free_listing,
                p.skill_free
            );
        }
    };
    let setting = format!(
        "link {link}, text weight {}, lexical bonus {}, label spans {}",
        opts.text_weight,
        opts.lexical_bonus.unwrap_or(hl.ranker.lexical_bonus),
        if lexical_spans { "on" } else { "off" }
    );
    table(
        format!(
            "at the bundle's thresholds: min_score {}, implicit_min_score {} ({setting}); mean F1 of the files {:.2}",
            shipped.0,
            shown(shipped.1),
            mean_f1(shipped.0, shipped.1)
        ),
        &at_shipped,
    );
    table(
        format!(
            "\nbest mean F1 of the files ({best_mean:.2}): min_score {bt}, implicit_min_score {} ({setting})",
            shown(bti)
        ),
        &per_file,
    );
    println!("\nMean F1 of the files, rows min_score, columns implicit_min_score:\n");
    print!("| min_score |");
    for &ti in &IMPLICIT_GRID {
        print!(" {} |", shown(ti));
    }
    println!();
    println!("|---|{}", "---|".repeat(IMPLICIT_GRID.len()));
    for &t in &LINK_GRID {
        print!("| {t} |");
        for &ti in &IMPLICIT_GRID {
            let m = grid.iter().find(|g| g.0 == t && g.1 == ti).expect("grid").3;
            print!(" {m:.1} |");
        }
        println!();
    }
    Ok(())
}
