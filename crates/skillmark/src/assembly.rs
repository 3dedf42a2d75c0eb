//! Pipeline stage 7: linked spans → the result — spans in text order with
//! every offset form (bytes, Unicode scalars, UTF-16), and the document's
//! skill list.

use std::collections::HashMap;

use skillmark_schema::{
    Category, DocumentSkill, HighlightSpan, Highlights, SkillLink, SpanKind, TextRange,
};

use crate::links::LinkedSpan;
use crate::ranker::shown_score;

/// What the result says about each skill: its taxonomy entry and category.
#[derive(Clone, Copy)]
pub struct Catalog<'a> {
    pub taxonomy: &'a esco::Taxonomy,
    /// Category of every skill ([`crate::category::all_categories`]).
    pub categories: &'a [Category],
}

impl Catalog<'_> {
    pub fn category(&self, skill: usize) -> Category {
        self.categories
            .get(skill)
            .copied()
            .unwrap_or(Category::Technical)
    }

    /// Label, description and category of skill `i`, counted nowhere yet.
    pub fn document_skill(&self, i: usize) -> DocumentSkill {
        let s = &self.taxonomy.skills[i];
        DocumentSkill {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            description: s.description.clone(),
            category: self.category(i),
            skill_type: s.skill_type.to_string(),
            count: 0,
            best_score: 0.0,
            implicit: false,
        }
    }

    fn link(&self, skill: u32, score: f32) -> SkillLink {
        let s = &self.taxonomy.skills[skill as usize];
        SkillLink {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            score: shown_score(score),
            category: self.category(skill as usize),
        }
    }
}

/// Sorted spans with their links → highlights with every offset form, and
/// the document's skill list (explicit before implicit, then by count and score).
pub fn assemble(
    catalog: Catalog,
    text: &str,
    segments: usize,
    mut spans: Vec<LinkedSpan>,
) -> Highlights {
    let mut out = Highlights {
        segments,
        ..Default::default()
    };
    let mut doc: HashMap<u32, DocumentSkill> = HashMap::new();
    let mut order: Vec<u32> = Vec::new();
    spans.sort_by_key(|(s, _)| (s.start, s.end));
    let mut cursor = OffsetCursor::new(text);
    for (raw, links) in spans {
        let (start_char, start_utf16) = cursor.at(raw.start);
        let (nc, nu) = lengths(&text[raw.start..raw.end]);
        // A span counts for the skill it links to; an implicit span for each of its skills.
        let counted = if raw.kind == SpanKind::Implicit {
            links.len()
        } else {
            1
        };
        for &(skill, score) in links.iter().take(counted) {
            let entry = doc.entry(skill).or_insert_with(|| {
                order.push(skill);
                let mut d = catalog.document_skill(skill as usize);
                d.implicit = true;
                d
            });
            entry.count += 1;
            entry.best_score = entry.best_score.max(shown_score(score));
            entry.implicit &= raw.kind == SpanKind::Implicit;
        }
        out.spans.push(HighlightSpan {
            start: raw.start,
            end: raw.end,
            start_char,
            end_char: start_char + nc,
            start_utf16,
            end_utf16: start_utf16 + nu,
            text: text[raw.start..raw.end].to_string(),
            kind: raw.kind,
            confidence: raw.confidence,
            label_match: raw.named.is_some(),
            links: links.iter().map(|&(s, sc)| catalog.link(s, sc)).collect(),
        });
    }
    out.skills = order.into_iter().filter_map(|s| doc.remove(&s)).collect();
    sort_skills(&mut out.skills);
    out
}

/// The document's skill order: explicit before implicit, then by count and score.
pub fn sort_skills(skills: &mut [DocumentSkill]) {
    skills.sort_by(|a, b| {
        a.implicit
            .cmp(&b.implicit)
            .then(b.count.cmp(&a.count))
            .then(b.best_score.total_cmp(&a.best_score))
    });
}

/// Converts byte offsets of one text to Unicode-scalar and UTF-16 offsets.
/// Offsets asked in increasing order cost one pass over the text in total;
/// going backwards restarts from the beginning.
struct OffsetCursor<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
    utf16: usize,
}

impl<'a> OffsetCursor<'a> {
    fn new(text: &'a str) -> Self {
        OffsetCursor {
            text,
            byte: 0,
            chars: 0,
            utf16: 0,
        }
    }

    /// (char offset, UTF-16 offset) of byte offset `b` (a char boundary of the text).
    fn at(&mut self, b: usize) -> (usize, usize) {
        let b = b.min(self.text.len());
        if b < self.byte {
            *self = OffsetCursor::new(self.text);
        }
        for c in self.text[self.byte..b].chars() {
            self.chars += 1;
            self.utf16 += c.len_utf16();
        }
        self.byte = b;
        (self.chars, self.utf16)
    }
}

/// `text[start..end]` with every offset form (both clamped to the text and
/// moved back to char boundaries).
pub fn text_range(text: &str, start: usize, end: usize) -> TextRange {
    let floor = |mut b: usize| {
        b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    let (start, end) = (floor(start), floor(end.max(start)));
    let (start_char, start_utf16) = lengths(&text[..start]);
    let (nc, nu) = lengths(&text[start..end]);
    TextRange {
        start,
        end,
        start_char,
        end_char: start_char + nc,
        start_utf16,
        end_utf16: start_utf16 + nu,
        text: text[start..end].to_string(),
    }
}

/// (chars, UTF-16 units) of a piece of text.
fn lengths(s: &str) -> (usize, usize) {
    s.chars()
        .fold((0, 0), |(c, u), ch| (c + 1, u + ch.len_utf16()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_in_chars_and_utf16() {
        let t = "a😀é b";
        let mut m = OffsetCursor::new(t);
        assert_eq!(m.at(0), (0, 0));
        assert_eq!(m.at(1), (1, 1));
        assert_eq!(m.at(5), (2, 3));
        assert_eq!(m.at(7), (3, 4));
        assert_eq!(m.at(t.len()), (5, 6));
        assert_eq!(m.at(1), (1, 1));
        assert_eq!(lengths("😀é"), (2, 3));
    }
}
