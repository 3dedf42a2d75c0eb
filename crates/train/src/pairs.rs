//! Training pairs `(text, skill)` and their builders.
//!
//! Every pair says where it came from (`source`), so a training run can mix
//! sources by name and the manifest can record the mix. Pairs are stored as
//! JSONL, one object a line, optionally gzip-compressed (`.jsonl.gz`).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::{load_taxonomy, read};

/// One training pair: an anchor text that expresses the skill `skill_uri`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub text: String,
    pub skill_uri: String,
    /// The preferred label, for humans reading the file.
    #[serde(default)]
    pub skill_label: String,
    /// `esco:alt`, `esco:description`, `esco:description-sentence`,
    /// `skillskape`, `synth:<model>`, …
    pub source: String,
}

/// `skillmark-train data esco`: [`esco_pairs`] of the taxonomy at
/// `taxonomy` (esco.bin or the ESCO CSV export) written to `out`.
pub fn write_esco(taxonomy: &Path, out: &Path) -> Result<()> {
    write_and_report(out, &esco_pairs(&load_taxonomy(taxonomy)?))
}

/// `skillmark-train data skillskape`: [`skillskape_pairs`] of `csv`
/// written to `out`; labels not in ESCO are reported and skipped.
pub fn write_skillskape(csv: &Path, taxonomy: &Path, out: &Path) -> Result<()> {
    let (pairs, unknown) = skillskape_pairs(&read(csv)?, &load_taxonomy(taxonomy)?)?;
    if !unknown.is_empty() {
        eprintln!("{} labels not in ESCO, skipped: {unknown:?}", unknown.len());
    }
    write_and_report(out, &pairs)
}

/// Writes `pairs` to `out` and reports their count per source.
fn write_and_report(out: &Path, pairs: &[Pair]) -> Result<()> {
    write_jsonl(out, pairs)?;
    let mut by_source = std::collections::BTreeMap::<&str, usize>::new();
    for p in pairs {
        *by_source.entry(p.source.as_str()).or_default() += 1;
    }
    eprintln!(
        "wrote {} pairs to {}: {by_source:?}",
        pairs.len(),
        out.display()
    );
    Ok(())
}

/// ESCO itself: alt label → skill, description → skill and each sentence of a
/// multi-sentence description → skill. The preferred label is the positive
/// side of every pair (it is what the skill index embeds), so it never
/// appears as an anchor.
pub fn esco_pairs(taxonomy: &esco::Taxonomy) -> Vec<Pair> {
    let mut out = Vec::new();
    for skill in &taxonomy.skills {
        let label = skill.preferred_label.trim();
        let mut seen = HashSet::new();
        seen.insert(label.to_lowercase());
        let mut push = |text: &str, source: &str, out: &mut Vec<Pair>| {
            let text = text.trim();
            if text.is_empty() || !seen.insert(text.to_lowercase()) {
                return;
            }
            out.push(Pair {
                text: text.to_string(),
                skill_uri: skill.uri.clone(),
                skill_label: label.to_string(),
                source: source.to_string(),
            });
        };
        for alt in &skill.alt_labels {
            push(alt, "esco:alt", &mut out);
        }
        let description = skill.description.trim();
        push(description, "esco:description", &mut out);
        let sentences = split_sentences(description);
        if sentences.len() > 1 {
            for s in sentences {
                if s.split_whitespace().count() >= 4 {
                    push(s, "esco:description-sentence", &mut out);
                }
            }
        }
    }
    out
}

/// Splits prose at `.`, `!` or `?` followed by whitespace and an uppercase
/// letter or digit; good enough for ESCO descriptions and job-ad paragraphs.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for w in 0..chars.len() {
        let (i, c) = chars[w];
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next_ws = chars.get(w + 1).is_some_and(|(_, n)| n.is_whitespace());
        let after = chars[w + 1..]
            .iter()
            .find(|(_, n)| !n.is_whitespace())
            .map(|&(_, n)| n);
        if next_ws && after.is_some_and(|n| n.is_uppercase() || n.is_ascii_digit()) {
            let s = text[start..i + 1].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Labels not found in the taxonomy, with their counts.
pub type UnknownLabels = Vec<(String, usize)>;

/// SkillSkape (`sentence,skills` with a Python-style list of ESCO preferred
/// labels): one pair per (sentence, skill). Returns the pairs and the labels
/// that are not in the taxonomy (with counts).
pub fn skillskape_pairs(
    csv_bytes: &[u8],
    taxonomy: &esco::Taxonomy,
) -> Result<(Vec<Pair>, UnknownLabels)> {
    let set = skillmark_eval::gold::parse_gold(csv_bytes, "skillskape", taxonomy)?;
    let mut out = Vec::new();
    for s in set.sentences {
        for &k in &s.skills {
            let skill = &taxonomy.skills[k];
            out.push(Pair {
                text: s.text.clone(),
                skill_uri: skill.uri.clone(),
                skill_label: skill.preferred_label.clone(),
                source: "skillskape".into(),
            });
        }
    }
    Ok((out, set.unknown_labels))
}

pub fn write_jsonl(path: &Path, pairs: &[Pair]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w: Box<dyn Write> = if is_gz(path) {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::best(),
        ))
    } else {
        Box::new(std::io::BufWriter::new(file))
    };
    for p in pairs {
        serde_json::to_writer(&mut w, p)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// Reads pairs from JSONL (or `.jsonl.gz`). Lines that are empty are skipped;
/// a malformed line is an error naming its line number, except a truncated
/// last line (an interrupted writer), which is skipped with a warning.
pub fn read_jsonl(path: &Path) -> Result<Vec<Pair>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let r: Box<dyn Read> = if is_gz(path) {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let lines: Vec<String> = BufReader::new(r)
        .lines()
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    let last = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() || serde_json::from_str::<JournalMark>(line).is_ok() {
            continue;
        }
        match serde_json::from_str::<StoredPair>(line) {
            Ok(p) => out.extend(p.into_pairs().with_context(|| {
                format!(
                    "{}, line {}: no `source` and no `model`, or no skill",
                    path.display(),
                    i + 1
                )
            })?),
            Err(_) if i + 1 == last => {
                eprintln!(
                    "warning: {}: skipping truncated last line {}",
                    path.display(),
                    i + 1
                )
            }
            Err(e) => bail!("{}, line {}: {e}", path.display(), i + 1),
        }
    }
    Ok(out)
}

/// The synth journal's record of a finished skill (`{"done": uri, ...}`),
/// which resumption reads; not a pair.
#[derive(serde::Deserialize)]
struct JournalMark {
    #[allow(dead_code)]
    done: String,
}

/// A pair as stored: builders write `source`; the synth journals
/// (`data/synth/*.jsonl.gz`) write `model` instead, so their files train as
/// they are committed, with source `synth:<model>`. A multi-skill sentence
/// (`skill_uris`, the combo journal) is one pair per skill it carries; a
/// whole document (`kind`: post, résumé) is not a pair.
#[derive(Deserialize)]
struct StoredPair {
    text: String,
    #[serde(default)]
    skill_uri: Option<String>,
    #[serde(default)]
    skill_label: String,
    #[serde(default)]
    skill_uris: Vec<String>,
    #[serde(default)]
    skill_labels: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

impl StoredPair {
    /// The pairs of one line; `None` when it names no source or no skill.
    fn into_pairs(self) -> Option<Vec<Pair>> {
        let source = match (self.source, self.model) {
            (Some(s), _) => s,
            (None, Some(m)) => format!("synth:{m}"),
            (None, None) => return None,
        };
        if self.kind.is_some() {
            return Some(Vec::new());
        }
        let mut skills: Vec<(String, String)> = self
            .skill_uri
            .map(|u| (u, self.skill_label))
            .into_iter()
            .collect();
        let labels = self
            .skill_labels
            .into_iter()
            .chain(std::iter::repeat(String::new()));
        skills.extend(self.skill_uris.into_iter().zip(labels));
        if skills.is_empty() {
            return None;
        }
        Some(
            skills
                .into_iter()
                .map(|(skill_uri, skill_label)| Pair {
                    text: self.text.clone(),
                    skill_uri,
                    skill_label,
                    source: source.clone(),
                })
                .collect(),
        )
    }
}

fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_boundaries_only() {
        let s = "Use Python 3.11 for data work. Apply e.g. pandas! Is it 2 cores? 4 of them.";
        assert_eq!(
            split_sentences(s),
            vec![
                "Use Python 3.11 for data work.",
                "Apply e.g. pandas!",
                "Is it 2 cores?",
                "4 of them."
            ]
        );
        assert!(split_sentences("   ").is_empty());
        assert_eq!(split_sentences("no end"), vec!["no end"]);
    }

    #[test]
    fn esco_pairs_cover_alts_descriptions_and_skip_the_label() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/esco.bin"
        ))
        .expect("shipped assets/esco.bin");
        let tax = esco::Taxonomy::from_bytes(&bytes).unwrap();
        let pairs = esco_pairs(&tax);
        let k = tax
            .skill_by_label("Python (computer programming)")
            .expect("Python is an ESCO skill");
        let uri = &tax.skills[k].uri;
        let mine: Vec<&Pair> = pairs.iter().filter(|p| &p.skill_uri == uri).collect();
        assert!(mine.iter().any(|p| p.source == "esco:description"));
        assert!(mine
            .iter()
            .all(|p| p.text.to_lowercase() != "python (computer programming)"));
        for alt in &tax.skills[k].alt_labels {
            if alt.to_lowercase() != "python (computer programming)" {
                let alt = alt.trim().to_lowercase();
                assert!(mine.iter().any(|p| p.text.to_lowercase() == alt));
            }
        }
        // Every skill with a description contributes that pair, unless the
        // description only repeats one of its labels (deduplicated).
        let described = tax
            .skills
            .iter()
            .filter(|s| !s.description.trim().is_empty())
            .count();
        let desc_pairs = pairs
            .iter()
            .filter(|p| p.source == "esco:description")
            .count();
        assert!(
            desc_pairs <= described && described - desc_pairs < 10,
            "{desc_pairs} of {described}"
        );
    }

    #[test]
    fn jsonl_round_trips_plain_and_gzip_and_tolerates_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let pairs = vec![
            Pair {
                text: "Write \"SQL\" queries".into(),
                skill_uri: "u1".into(),
                skill_label: "SQL".into(),
                source: "test".into(),
            },
            Pair {
                text: "Lead a team".into(),
                skill_uri: "u2".into(),
                skill_label: "lead a team".into(),
                source: "test".into(),
            },
        ];
        for name in ["p.jsonl", "p.jsonl.gz"] {
            let path = dir.path().join(name);
            write_jsonl(&path, &pairs).unwrap();
            assert_eq!(read_jsonl(&path).unwrap(), pairs);
        }
        let path = dir.path().join("torn.jsonl");
        write_jsonl(&path, &pairs).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"text\": \"half").unwrap();
        assert_eq!(read_jsonl(&path).unwrap(), pairs);
        std::fs::write(
            &path,
            "{bad}\n{\"text\":\"a\",\"skill_uri\":\"u\",\"source\":\"s\"}\n",
        )
        .unwrap();
        let err = read_jsonl(&path).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn synth_journal_lines_train_as_synth_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("synth.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"text":"Build APIs in Go.","skill_uri":"u","skill_label":"Go","model":"qwen","cosine":0.7}"#,
                "\n",
                r#"{"done":"u","generated":5,"kept":1,"model":"qwen"}"#,
                "\n",
                r#"{"text":"x","skill_uri":"u"}"#,
                "\n",
                r#"{"text":"y","skill_uri":"u","source":"esco:alt"}"#,
                "\n"
            ),
        )
        .unwrap();
        let err = read_jsonl(&path).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("source"), "{err}");
        let lines: Vec<String> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, l)| l.to_string())
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let pairs = read_jsonl(&path).unwrap();
        assert_eq!(pairs[0].source, "synth:qwen");
        assert_eq!(pairs[0].skill_label, "Go");
        assert_eq!(pairs[1].source, "esco:alt");
        // The committed journal, "done" lines and all, trains as it is.
        let committed = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/synth/qwen2.5-coder-0.5b-v2.jsonl.gz"
        ));
        let synth = read_jsonl(committed).unwrap();
        assert!(synth.len() >= 90, "{}", synth.len());
        assert!(synth.iter().all(|p| p.source.starts_with("synth:")));
    }

    #[test]
    fn multi_skill_sentences_are_a_pair_per_skill_and_documents_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("combo.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"text":"Write SQL and mentor juniors.","skill_uris":["a","b"],"skill_labels":["SQL","mentor"],"asked_uris":["a","b","c"],"model":"qwen"}"#,
                "\n",
                r#"{"text":"A whole post.","kind":"post","asked_uris":["a"],"model":"qwen"}"#,
                "\n",
            ),
        )
        .unwrap();
        let pairs = read_jsonl(&path).unwrap();
        let got: Vec<(&str, &str, &str)> = pairs
            .iter()
            .map(|p| {
                (
                    p.text.as_str(),
                    p.skill_uri.as_str(),
                    p.skill_label.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("Write SQL and mentor juniors.", "a", "SQL"),
                ("Write SQL and mentor juniors.", "b", "mentor")
            ]
        );
        // A line that carries no skill and is no document is an error.
        std::fs::write(&path, r#"{"text":"x","model":"qwen"}"#.to_string() + "\n").unwrap();
        assert!(read_jsonl(&path).is_err());
        for journal in ["combo", "post"] {
            let committed = format!(
                "{}/../../data/synth/qwen2.5-coder-0.5b-{journal}-v1.jsonl.gz",
                env!("CARGO_MANIFEST_DIR")
            );
            let pairs = read_jsonl(Path::new(&committed)).unwrap();
            assert_eq!(pairs.is_empty(), journal == "post", "{journal}");
        }
    }
}
