//! Threshold sweeps over the highlighter's output.

use std::collections::BTreeSet;

use skillmark::{Highlighter, Highlights, SpanKind};

/// The skills (URIs) a document lists when its links are cut at
/// `min_score` and `implicit_min_score`, computed from highlights `h` that
/// `hl` made with lower thresholds and otherwise the same options — what
/// [`Highlighter::highlight`] with these thresholds would list, without
/// running the encoder again (for threshold sweeps).
pub fn skills_at(
    hl: &Highlighter,
    h: &Highlights,
    min_score: f32,
    implicit_min_score: f32,
) -> BTreeSet<String> {
    // A span that spells a label is linked to the skill it names whatever
    // its score (every span, without a tagger).
    let named = hl.tagger.is_none();
    let mut out = BTreeSet::new();
    for s in &h.spans {
        if s.kind == SpanKind::Implicit {
            out.extend(
                s.links
                    .iter()
                    .filter(|l| l.score >= implicit_min_score)
                    .map(|l| l.uri.clone()),
            );
        } else if let Some(l) = s.links.first() {
            if named || s.label_match || l.score >= min_score {
                out.insert(l.uri.clone());
            }
        }
    }
    out
}
