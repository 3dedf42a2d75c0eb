//! The engine's wire types (`skillmark-schema`, the same Rust types the
//! engine serializes: the app cannot drift from them), plus what the app
//! derives from them.

use std::collections::BTreeMap;

#[cfg(test)]
pub use skillmark_schema::SkillMatch;
#[cfg(target_arch = "wasm32")]
pub use skillmark_schema::{Attribution, Defaults, FromWorker};
pub use skillmark_schema::{Category, DocumentSkill, HighlightSpan};
#[cfg(target_arch = "wasm32")]
pub use skillmark_schema::{CompareOptions, TextRange};
pub use skillmark_schema::{Comparison, Degree, JobSkill, MatchKind, Requirement, SkillRef};

/// The CSS class of a span's colour: its linked skill's category, or `none`.
pub fn category_class(span: &HighlightSpan) -> &'static str {
    span.skill().map_or("none", |l| l.category.name())
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
pub fn categories() -> impl Iterator<Item = (&'static str, &'static str)> {
    Category::ALL.iter().map(|c| (c.name(), c.title()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark_schema::{SkillLink, SpanKind};

    fn skill(uri: &str, count: usize, score: f32) -> DocumentSkill {
        DocumentSkill {
            uri: uri.into(),
            label: uri.into(),
            description: String::new(),
            category: Category::Soft,
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

    #[test]
    fn categories_are_shown_in_schema_order_with_their_titles() {
        let all: Vec<_> = categories().collect();
        assert_eq!(all[0], ("technology", "Technology"));
        assert_eq!(all[3], ("soft", "Soft skills"));
    }

    #[test]
    fn a_span_is_coloured_by_its_linked_skill() {
        let mut span = HighlightSpan {
            start: 0,
            end: 3,
            start_char: 0,
            end_char: 3,
            start_utf16: 0,
            end_utf16: 3,
            text: "SQL".into(),
            kind: SpanKind::Knowledge,
            confidence: 0.9,
            label_match: true,
            links: vec![],
        };
        assert_eq!(category_class(&span), "none");
        span.links.push(SkillLink {
            uri: "u".into(),
            label: "SQL".into(),
            score: 0.8,
            category: Category::Technology,
        });
        assert_eq!(category_class(&span), "technology");
    }
}
