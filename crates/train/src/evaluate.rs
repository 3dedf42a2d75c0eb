//! Ranking evaluation of an encoder on gold sets (TECH/HOUSE validation,
//! SkillSkape dev): RP@5, RP@10 and MRR over all ESCO skills.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use skillmark::{build_index, rank_metrics, RankMetrics, SkillIndex, SkillText};
use skillmark_model::SentenceEncoder;

/// The sets `skillmark-train` reports by default (model selection only: never trained on).
pub const DEFAULT_SETS: [&str; 3] = [
    "../shared/data/benchmark/tech_validation_annotations.csv",
    "../shared/data/benchmark/house_validation_annotations.csv",
    "../shared/data/skillskape/dev.csv",
];

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
            let set = skillmark::gold::parse_gold(&bytes, &p.display().to_string(), taxonomy)?;
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

/// Mean RP@5 over the sets whose name is TECH or HOUSE (the early-stopping score).
pub fn selection_score(results: &[(String, RankMetrics)]) -> f64 {
    let picked: Vec<f64> = results
        .iter()
        .filter(|(n, _)| n == "TECH" || n == "HOUSE")
        .map(|(_, m)| m.rp5)
        .collect();
    if picked.is_empty() {
        results.iter().map(|(_, m)| m.rp5).sum::<f64>() / results.len().max(1) as f64
    } else {
        picked.iter().sum::<f64>() / picked.len() as f64
    }
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
    }
}
