//! Pipeline stage 5: a window's tags → its spans. The tagger's BIO tags are
//! decoded into Skill and Knowledge spans (overlaps resolved); a bundle
//! without a tagger marks exact ESCO label matches instead.

use skillmark_schema::SpanKind;

use crate::bio::decode;
use crate::encoder_pass::Pass;
use crate::ranker::Ranker;

/// A span found in a window before linking: words `a..b` of the window, byte
/// range, kind, confidence, and the skill a lexical match names.
pub struct RawSpan {
    pub a: usize,
    pub b: usize,
    pub start: usize,
    pub end: usize,
    pub kind: SpanKind,
    pub confidence: f32,
    pub named: Option<u32>,
}

impl RawSpan {
    /// Words `a..b` of window `w` (its words' byte ranges).
    fn in_window(
        w: &[(usize, usize)],
        (a, b): (usize, usize),
        kind: SpanKind,
        confidence: f32,
        named: Option<u32>,
    ) -> Self {
        RawSpan {
            a,
            b,
            start: w[a].0,
            end: w[b - 1].1,
            kind,
            confidence,
            named,
        }
    }
}

/// Spans of one window (`w`: its words' byte ranges in `text`): from the
/// pass's tags, or exact ESCO label matches when the pass has none. With
/// `label_spans`, words that spell a label where the tagger marked nothing
/// are spans too — the tagger misses names it rarely saw in training
/// ("Python and SQL"), which a verbatim label settles — and a tagger span
/// that spells a label names its skill.
pub fn find_spans(
    ranker: &Ranker,
    text: &str,
    w: &[(usize, usize)],
    pass: &Pass,
    label_spans: bool,
) -> Vec<RawSpan> {
    if let Some(tags) = &pass.tags {
        let mut out = Vec::new();
        for (kind, bio, prob) in [
            (SpanKind::Skill, &tags.skill, &tags.skill_prob),
            (SpanKind::Knowledge, &tags.knowledge, &tags.knowledge_prob),
        ] {
            for (a, b) in decode(bio) {
                let conf = prob[a..b].iter().sum::<f32>() / (b - a) as f32;
                out.push(RawSpan::in_window(w, (a, b), kind, conf, None));
            }
        }
        let mut out = without_overlaps(out);
        if label_spans {
            // A tagger span that spells a label ("java", "NoSQL") names that
            // skill: the in-context vector of a lone name can sit nearer a
            // neighbour ("java" after "javascript" → JavaScript).
            for t in &mut out {
                if let [(0, n, skill)] = ranker.lexical().find_spans(text, &w[t.a..t.b])[..] {
                    if n == t.b - t.a {
                        t.named = Some(skill);
                    }
                }
            }
            let labels = label_matches(ranker, text, w);
            let tagged = std::mem::take(&mut out);
            let free = |l: &RawSpan| tagged.iter().all(|t| l.b <= t.a || t.b <= l.a);
            out = labels.into_iter().filter(free).collect();
            out.extend(tagged);
            out.sort_by_key(|s| s.a);
        }
        return out;
    }
    label_matches(ranker, text, w)
}

/// Runs of words that spell an ESCO label, each named by its skill.
fn label_matches(ranker: &Ranker, text: &str, w: &[(usize, usize)]) -> Vec<RawSpan> {
    ranker
        .lexical()
        .find_spans(text, w)
        .into_iter()
        .map(|(a, b, skill)| {
            RawSpan::in_window(w, (a, b), kind_of(ranker, skill), 1.0, Some(skill))
        })
        .collect()
}

/// The span kind of an ESCO skill: Knowledge for knowledge concepts.
pub fn kind_of(ranker: &Ranker, skill: u32) -> SpanKind {
    if ranker.taxonomy.skills[skill as usize].skill_type == esco::SkillType::Knowledge {
        SpanKind::Knowledge
    } else {
        SpanKind::Skill
    }
}

/// Skill and Knowledge are separate BIO layers, so the tagger can nest or
/// cross their spans (a Knowledge "SQL" inside a Skill "write SQL queries").
/// A highlight is one mark in the text, so overlaps are resolved: the more
/// confident span wins (the longer one on a tie), the others are dropped.
/// CoNLL tagging (`tag_words`) keeps both layers as they are.
fn without_overlaps(mut spans: Vec<RawSpan>) -> Vec<RawSpan> {
    spans.sort_by(|x, y| {
        y.confidence
            .total_cmp(&x.confidence)
            .then((y.b - y.a).cmp(&(x.b - x.a)))
            .then(x.a.cmp(&y.a))
    });
    let mut kept: Vec<RawSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        if kept.iter().all(|k| s.b <= k.a || k.b <= s.a) {
            kept.push(s);
        }
    }
    kept.sort_by_key(|s| s.a);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(a: usize, b: usize, kind: SpanKind, confidence: f32) -> RawSpan {
        RawSpan {
            a,
            b,
            start: a * 10,
            end: b * 10,
            kind,
            confidence,
            named: None,
        }
    }

    #[test]
    fn overlapping_tagger_spans_resolve_to_the_more_confident() {
        let got = without_overlaps(vec![
            span(0, 4, SpanKind::Skill, 0.7),     // "write SQL queries daily"
            span(1, 2, SpanKind::Knowledge, 0.9), // "SQL" inside it: wins
            span(3, 6, SpanKind::Skill, 0.8),     // crosses the first: kept
            span(6, 8, SpanKind::Knowledge, 0.5), // touches, no overlap: kept
            span(6, 7, SpanKind::Skill, 0.5),     // same confidence, shorter: dropped
        ]);
        let got: Vec<(usize, usize, SpanKind)> = got.iter().map(|s| (s.a, s.b, s.kind)).collect();
        assert_eq!(
            got,
            vec![
                (1, 2, SpanKind::Knowledge),
                (3, 6, SpanKind::Skill),
                (6, 8, SpanKind::Knowledge)
            ]
        );
        assert!(without_overlaps(Vec::new()).is_empty());
    }
}
