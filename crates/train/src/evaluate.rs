//! Ranking evaluation of an encoder on gold sets (TECH/HOUSE validation,
//! Skill-XL validation, SkillSkape dev): RP@5, RP@10 and MRR over all ESCO skills.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use skillmark::{build_index, SkillIndex, SkillText};
use skillmark_eval::{rank_metrics, RankMetrics};
use skillmark_model::{Precision, SentenceEncoder};

use crate::load_taxonomy;

/// The sets `skillmark-train` reports by default (model selection only: never trained on).
pub const DEFAULT_SETS: [&str; 4] = [
    "../shared/data/benchmark/tech_validation_annotations.csv",
    "../shared/data/benchmark/house_validation_annotations.csv",
    "../shared/data/skillxl/validation.csv",
    "../shared/data/skillskape/dev.csv",
];

/// The sets model selection reads: TECH, HOUSE and Skill-XL validation (real
/// job ads; SkillSkape dev shares its distribution with SkillSkape train).
pub const SELECTION_SETS: [&str; 3] = ["TECH", "HOUSE", "SKILLXL-validation"];

pub struct EvalSet {
    pub name: String,
    pub sentences: Vec<String>,
    pub gold: Vec<Vec<usize>>,
}

/// A short name for a gold file: `tech_validation_annotations.csv` → `TECH`,
/// `skillskape/dev.csv` → `SKILLSKAPE-dev`.
pub fn set_name(path: &Path) -> String {
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(head) = stem.strip_suffix("_validation_annotations.csv") {
        return head.to_uppercase();
    }
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().to_uppercase())
        .unwrap_or_default();
    let stem = stem.trim_end_matches(".csv");
    if parent.is_empty() {
        stem.to_string()
    } else {
        format!("{parent}-{stem}")
    }
}

pub fn load_sets(paths: &[PathBuf], taxonomy: &esco::Taxonomy) -> Result<Vec<EvalSet>> {
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            let set = skillmark_eval::gold::parse_gold(&bytes, &p.display().to_string(), taxonomy)?;
            Ok(EvalSet {
                name: set_name(p),
                sentences: set.sentences.iter().map(|s| s.text.clone()).collect(),
                gold: set.sentences.into_iter().map(|s| s.skills).collect(),
            })
        })
        .collect()
}

/// Scores every set against `index`.
pub fn evaluate_with_index(
    encoder: &SentenceEncoder,
    index: &SkillIndex,
    sets: &[EvalSet],
) -> Result<Vec<(String, RankMetrics)>> {
    sets.iter()
        .map(|set| {
            let texts: Vec<&str> = set.sentences.iter().map(String::as_str).collect();
            let vectors = encoder.embed(&texts)?;
            let scores = index.score_all(&vectors);
            Ok((set.name.clone(), rank_metrics(&scores, &set.gold)))
        })
        .collect()
}

/// Builds a fresh index with `skill_text` and scores every set.
pub fn evaluate(
    encoder: &SentenceEncoder,
    taxonomy: &esco::Taxonomy,
    skill_text: SkillText,
    sets: &[EvalSet],
) -> Result<Vec<(String, RankMetrics)>> {
    let index = build_index(encoder, taxonomy, skill_text, b"in-training", |_, _| {})?;
    evaluate_with_index(encoder, &index, sets)
}

/// Mean RP@5 over the [`SELECTION_SETS`] present (the early-stopping
/// score): each set counts once, so Skill-XL's 1,000 sentences steady the
/// choice without drowning TECH and HOUSE, where one sentence is 1.3–1.6 points.
pub fn selection_score(results: &[(String, RankMetrics)]) -> f64 {
    let picked: Vec<f64> = results
        .iter()
        .filter(|(n, _)| SELECTION_SETS.contains(&n.as_str()))
        .map(|(_, m)| m.rp5)
        .collect();
    if picked.is_empty() {
        results.iter().map(|(_, m)| m.rp5).sum::<f64>() / results.len().max(1) as f64
    } else {
        picked.iter().sum::<f64>() / picked.len() as f64
    }
}

/// `skillmark-train eval`: RP@5 / RP@10 / MRR of `model` on `gold` (default:
/// [`DEFAULT_SETS`]), a table or (`json`) JSON on stdout. A bundle is searched
/// with its own `skills.index`; a model folder with an index of `skill_text`
/// built over `taxonomy`.
pub fn run(
    model: &Path,
    gold: Vec<PathBuf>,
    skill_text: SkillText,
    taxonomy: &Path,
    f32: bool,
    json: bool,
) -> Result<()> {
    let precision = if f32 { Precision::F32 } else { Precision::Int8 };
    let gold = if gold.is_empty() {
        DEFAULT_SETS.iter().map(PathBuf::from).collect()
    } else {
        gold
    };
    let (results, what) = if model.join(skillmark::assets::INDEX).exists() {
        let ranker = skillmark::Ranker::load_dir(model, precision)?;
        let sets = load_sets(&gold, &ranker.taxonomy)?;
        let r = evaluate_with_index(&ranker.encoder, &ranker.index, &sets)?;
        (r, format!("{} (its own skills.index)", model.display()))
    } else {
        let taxonomy = load_taxonomy(taxonomy)?;
        let encoder = SentenceEncoder::load_dir(model, precision)?;
        let sets = load_sets(&gold, &taxonomy)?;
        let r = evaluate(&encoder, &taxonomy, skill_text, &sets)?;
        (r, format!("{} (index: {skill_text})", model.display()))
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print_table(&what, &results);
    }
    Ok(())
}

pub fn print_table(title: &str, results: &[(String, RankMetrics)]) {
    println!("{title}");
    println!("| set | sentences | RP@5 | RP@10 | MRR |");
    println!("|---|---|---|---|---|");
    for (name, m) in results {
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} |",
            m.sentences, m.rp5, m.rp10, m.mrr
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_names_are_short() {
        assert_eq!(
            set_name(Path::new(
                "../shared/data/benchmark/tech_validation_annotations.csv"
            )),
            "TECH"
        );
        assert_eq!(
            set_name(Path::new("../shared/data/skillskape/dev.csv")),
            "SKILLSKAPE-dev"
        );
        let m = |rp5| RankMetrics {
            rp5,
            ..Default::default()
        };
        let r = vec![
            ("TECH".to_string(), m(40.0)),
            ("HOUSE".to_string(), m(60.0)),
            ("SKILLSKAPE-dev".to_string(), m(0.0)),
        ];
        assert_eq!(selection_score(&r), 50.0);
        let mut r = r;
        r.push(("SKILLXL-validation".to_string(), m(80.0)));
        assert_eq!(selection_score(&r), 60.0);
        assert_eq!(
            set_name(Path::new("../shared/data/skillxl/validation.csv")),
            "SKILLXL-validation"
        );
    }
}
