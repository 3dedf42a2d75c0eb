//! TEMPORARY stand-in for `skillmark::highlight` (owned by the spans issue),
//! with the same types and signatures, built on the sentence-level `Ranker`:
//! each sentence whose best skill clears the threshold becomes one
//! "implicit" span. Removed when the real module lands in main.

use std::collections::BTreeMap;

use serde::Serialize;
use skillmark::{AssetBytes, Ranker, SkillmarkError};
use skillmark_model::Precision;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HighlightOptions {
    pub min_score: f32,
    pub top_k: usize,
    pub implicit: bool,
    pub implicit_min_score: f32,
}

impl Default for HighlightOptions {
    fn default() -> Self {
        HighlightOptions {
            min_score: 0.5,
            top_k: 5,
            implicit: true,
            implicit_min_score: 0.5,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Highlights {
    pub spans: Vec<HighlightSpan>,
    pub skills: Vec<DocumentSkill>,
    pub segments: usize,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // the shim makes implicit spans only
pub enum SpanKind {
    Skill,
    Knowledge,
    Implicit,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // the shim's rough rule never says "business"
pub enum Category {
    Technology,
    Technical,
    Business,
    Soft,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HighlightSpan {
    pub start: usize,
    pub end: usize,
    pub start_char: usize,
    pub end_char: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub text: String,
    pub kind: SpanKind,
    pub confidence: f32,
    pub links: Vec<SkillLink>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillLink {
    pub uri: String,
    pub label: String,
    pub score: f32,
    pub category: Category,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSkill {
    pub uri: String,
    pub label: String,
    pub description: String,
    pub category: Category,
    pub skill_type: String,
    pub count: usize,
    pub best_score: f32,
    pub implicit: bool,
}

pub struct Highlighter {
    ranker: Ranker,
}

impl Highlighter {
    pub fn from_assets(assets: &AssetBytes, precision: Precision) -> Result<Self, SkillmarkError> {
        Ok(Highlighter {
            ranker: Ranker::from_assets(assets, precision)?,
        })
    }

    pub fn default_options(&self) -> HighlightOptions {
        HighlightOptions::default()
    }

    pub fn segments(&self, text: &str) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = text.as_bytes();
        for (i, c) in text.char_indices() {
            let end = i + c.len_utf8();
            let boundary = c == '\n'
                || (matches!(c, '.' | '!' | '?' | ';')
                    && bytes.get(end).is_none_or(|b| b.is_ascii_whitespace()));
            if boundary {
                push_trimmed(text, start, end, &mut out);
                start = end;
            }
        }
        push_trimmed(text, start, text.len(), &mut out);
        out
    }

    pub fn highlight(&self, text: &str, opts: &HighlightOptions) -> Highlights {
        let segments = self.segments(text);
        self.highlight_segments(text, &segments, opts)
    }

    pub fn highlight_segments(
        &self,
        text: &str,
        segments: &[Segment],
        opts: &HighlightOptions,
    ) -> Highlights {
        let valid: Vec<Segment> = segments
            .iter()
            .copied()
            .filter(|s| {
                s.start < s.end && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
            })
            .collect();
        let strs: Vec<&str> = valid.iter().map(|s| &text[s.start..s.end]).collect();
        let ranked = if strs.is_empty() || !opts.implicit {
            Vec::new()
        } else {
            self.ranker
                .rank(&strs, opts.top_k.max(1))
                .unwrap_or_default()
        };
        let mut spans = Vec::new();
        let mut skills: BTreeMap<String, DocumentSkill> = BTreeMap::new();
        for (seg, list) in valid.iter().zip(&ranked) {
            let Some(best) = list.first() else { continue };
            if best.score < opts.min_score {
                continue;
            }
            let links = list
                .iter()
                .map(|r| SkillLink {
                    uri: r.uri.clone(),
                    label: r.label.clone(),
                    score: r.score,
                    category: self.category(r.skill as usize),
                })
                .collect();
            let (start_char, start_utf16) = counts(&text[..seg.start]);
            let (len_char, len_utf16) = counts(&text[seg.start..seg.end]);
            spans.push(HighlightSpan {
                start: seg.start,
                end: seg.end,
                start_char,
                end_char: start_char + len_char,
                start_utf16,
                end_utf16: start_utf16 + len_utf16,
                text: text[seg.start..seg.end].to_string(),
                kind: SpanKind::Implicit,
                confidence: best.score,
                links,
            });
            let entry = skills
                .entry(best.uri.clone())
                .or_insert_with(|| self.document_skill(best.skill as usize));
            entry.count += 1;
            entry.best_score = entry.best_score.max(best.score);
        }
        let mut skills: Vec<DocumentSkill> = skills.into_values().collect();
        skills.sort_by(|a, b| b.best_score.total_cmp(&a.best_score));
        Highlights {
            spans,
            skills,
            segments: valid.len(),
        }
    }

    pub fn skill(&self, uri: &str) -> Option<DocumentSkill> {
        let i = self.ranker.taxonomy.skill_by_uri(uri)?;
        Some(self.document_skill(i))
    }

    fn document_skill(&self, i: usize) -> DocumentSkill {
        let s = &self.ranker.taxonomy.skills[i];
        DocumentSkill {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            description: s.description.clone(),
            category: self.category(i),
            skill_type: s.skill_type.as_esco_str().to_string(),
            count: 0,
            best_score: 0.0,
            implicit: true,
        }
    }

    fn category(&self, i: usize) -> Category {
        let s = &self.ranker.taxonomy.skills[i];
        match (s.reuse_level, s.skill_type) {
            (esco::ReuseLevel::Transversal, _) => Category::Soft,
            (_, esco::SkillType::Knowledge) => Category::Technology,
            _ => Category::Technical,
        }
    }
}

fn counts(s: &str) -> (usize, usize) {
    (s.chars().count(), s.encode_utf16().count())
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Segment>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        out.push(Segment {
            start: start + lead,
            end: start + lead + trimmed.len(),
        });
    }
}
