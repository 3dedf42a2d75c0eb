//! The engine's result types as the worker posts them (camelCase JSON of
//! `skillmark::highlight`), plus what the app derives from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SkillLink {
    pub uri: String,
    pub label: String,
    pub score: f32,
    pub category: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HighlightSpan {
    pub start: usize,
    pub end: usize,
    pub start_char: usize,
    pub end_char: usize,
    pub text: String,
    pub kind: String,
    pub confidence: f32,
    #[serde(default)]
    pub links: Vec<SkillLink>,
}

impl HighlightSpan {
    /// The linked ESCO skill (best link), if any.
    pub fn skill(&self) -> Option<&SkillLink> {
        self.links.first()
    }

    /// Category used for colouring: the linked skill's, else the span type.
    pub fn category(&self) -> &str {
        self.skill().map(|l| l.category.as_str()).unwrap_or("none")
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSkill {
    pub uri: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    #[serde(default)]
    pub skill_type: String,
    pub count: usize,
    pub best_score: f32,
    #[serde(default)]
    pub implicit: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Attribution {
    #[serde(default)]
    pub credit: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub what: String,
}

/// The engine's default options (from the bundle's manifest).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    pub min_score: f32,
    #[serde(default)]
    pub implicit_min_score: Option<f32>,
}

/// Messages from the worker (`web/app/worker/worker.js`).
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FromWorker {
    Loading {
        loaded: f64,
        total: f64,
        #[serde(default)]
        file: String,
    },
    Ready {
        version: String,
        #[serde(default)]
        attribution: Vec<Attribution>,
        ms: f64,
        defaults: Option<Defaults>,
        /// The engine's matrix kernel (`relaxed-simd` or `simd128`).
        #[serde(default)]
        kernel: String,
    },
    Result {
        id: u32,
        /// Byte offset up to which the text is done; `None` for the last batch.
        upto: Option<usize>,
        spans: Vec<HighlightSpan>,
        skills: Vec<DocumentSkill>,
        segments: usize,
        total: usize,
    },
    Done {
        id: u32,
        ms: f64,
        segments: usize,
        /// Workers that ran it: 2 when the span tagger ran beside the encoder.
        #[serde(default)]
        workers: u32,
    },
    Error {
        #[serde(default)]
        id: Option<u32>,
        message: String,
    },
}

/// One streamed piece of the document: the text from the previous piece's
/// end to `end`, with the spans inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub spans: Vec<HighlightSpan>,
}

/// Adds `more` into `into`, keyed by URI (counts add up, best score wins).
pub fn merge_skills(into: &mut Vec<DocumentSkill>, more: Vec<DocumentSkill>) {
    let mut at: BTreeMap<String, usize> = into
        .iter()
        .enumerate()
        .map(|(i, s)| (s.uri.clone(), i))
        .collect();
    for s in more {
        match at.get(&s.uri) {
            Some(&i) => {
                let t = &mut into[i];
                t.count += s.count;
                t.best_score = t.best_score.max(s.best_score);
                t.implicit &= s.implicit;
            }
            None => {
                at.insert(s.uri.clone(), into.len());
                into.push(s);
            }
        }
    }
}

/// Display order and names of the categories.
pub const CATEGORIES: [(&str, &str); 4] = [
    ("technology", "Technology"),
    ("technical", "Technical"),
    ("business", "Business"),
    ("soft", "Soft skills"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(uri: &str, count: usize, score: f32) -> DocumentSkill {
        DocumentSkill {
            uri: uri.into(),
            label: uri.into(),
            description: String::new(),
            category: "soft".into(),
            skill_type: String::new(),
            count,
            best_score: score,
            implicit: false,
        }
    }

    #[test]
    fn merging_adds_counts_and_keeps_best_score() {
        let mut all = vec![skill("a", 1, 0.5)];
        merge_skills(&mut all, vec![skill("a", 2, 0.7), skill("b", 1, 0.6)]);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].count, 3);
        assert_eq!(all[0].best_score, 0.7);
        assert_eq!(all[1].uri, "b");
    }
}
