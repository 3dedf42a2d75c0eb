//! SkillSpan's exact-match span precision / recall / F1 (micro-averaged;
//! Skill, Knowledge, combined) of BIO-tagged sentences.

use serde::Serialize;
use skillmark::bio::{decode, Bio};

/// Precision, recall and F1 in percent, with the counts behind them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub gold: usize,
    pub predicted: usize,
    pub correct: usize,
}

impl Prf {
    pub fn from_counts(gold: usize, predicted: usize, correct: usize) -> Self {
        let p = if predicted > 0 {
            correct as f64 / predicted as f64
        } else {
            0.0
        };
        let r = if gold > 0 {
            correct as f64 / gold as f64
        } else {
            0.0
        };
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        Prf {
            precision: 100.0 * p,
            recall: 100.0 * r,
            f1: 100.0 * f,
            gold,
            predicted,
            correct,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SpanScores {
    pub skill: Prf,
    pub knowledge: Prf,
    pub combined: Prf,
    pub sentences: usize,
}

/// One sentence's tags: gold skill, gold knowledge, predicted skill,
/// predicted knowledge (all the same length).
pub type TagQuad<'a> = (&'a [Bio], &'a [Bio], &'a [Bio], &'a [Bio]);

/// Skill and knowledge tags of one sentence.
pub type SentenceTags = (Vec<Bio>, Vec<Bio>);

/// [`span_scores`] of gold and predicted sentences given side by side.
pub fn score_sentences<'a>(
    gold: impl IntoIterator<Item = &'a SentenceTags>,
    pred: &[SentenceTags],
) -> SpanScores {
    let quads: Vec<TagQuad> = gold
        .into_iter()
        .zip(pred)
        .map(|(g, p)| (&g.0[..], &g.1[..], &p.0[..], &p.1[..]))
        .collect();
    span_scores(&quads)
}

/// Exact match of (sentence, start, end, type), micro-averaged.
pub fn span_scores(pairs: &[TagQuad<'_>]) -> SpanScores {
    let mut c = [[0usize; 3]; 2]; // [layer][gold, predicted, correct]
    for (gs, gk, ps, pk) in pairs {
        for (layer, (g, p)) in [(gs, ps), (gk, pk)].into_iter().enumerate() {
            let gold = decode(g);
            let pred = decode(p);
            c[layer][0] += gold.len();
            c[layer][1] += pred.len();
            c[layer][2] += pred.iter().filter(|s| gold.contains(s)).count();
        }
    }
    SpanScores {
        skill: Prf::from_counts(c[0][0], c[0][1], c[0][2]),
        knowledge: Prf::from_counts(c[1][0], c[1][1], c[1][2]),
        combined: Prf::from_counts(c[0][0] + c[1][0], c[0][1] + c[1][1], c[0][2] + c[1][2]),
        sentences: pairs.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark::bio::Bio::{B, I, O};

    #[test]
    fn hand_computed_scores() {
        // Sentence 1: gold skills (0,2),(3,4); predicted (0,2),(3,5) -> 1 correct of 2/2.
        // Sentence 2: gold knowledge (1,2); predicted knowledge (1,2) and (3,4); no skills.
        let s1 = ([B, I, O, B, O], [O; 5], [B, I, O, B, I], [O; 5]);
        let s2 = ([O; 4], [O, B, O, O], [O; 4], [O, B, O, B]);
        let sc = span_scores(&[(&s1.0, &s1.1, &s1.2, &s1.3), (&s2.0, &s2.1, &s2.2, &s2.3)]);
        assert_eq!(
            (sc.skill.gold, sc.skill.predicted, sc.skill.correct),
            (2, 2, 1)
        );
        assert!((sc.skill.f1 - 50.0).abs() < 1e-9);
        assert_eq!(
            (
                sc.knowledge.gold,
                sc.knowledge.predicted,
                sc.knowledge.correct
            ),
            (1, 2, 1)
        );
        assert!((sc.knowledge.precision - 50.0).abs() < 1e-9);
        assert!((sc.knowledge.recall - 100.0).abs() < 1e-9);
        // Combined: gold 3, predicted 4, correct 2 -> P 50, R 66.67, F1 57.14.
        assert!((sc.combined.f1 - 400.0 / 7.0).abs() < 1e-9);
        assert_eq!(span_scores(&[]).combined.f1, 0.0);
    }
}
