//! Pipeline stage 4: token probabilities → word tags. Each word reads its
//! first piece's six probabilities (Skill B/I/O, Knowledge B/I/O) and each
//! layer takes its best well-formed BIO path (Viterbi, with the tagger's
//! transition priors).

use crate::bio::Bio;

/// Tags of one word sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct WordTags {
    pub skill: Vec<Bio>,
    pub knowledge: Vec<Bio>,
    /// Per word: probability of its skill tag and of its knowledge tag.
    pub skill_prob: Vec<f32>,
    pub knowledge_prob: Vec<f32>,
}

/// Word tags from token probabilities: each word reads its first piece's
/// probabilities, and each layer takes the most probable *well-formed* BIO
/// sequence (an `I` only after a `B` or an `I`), found by Viterbi. Per-word
/// argmax would let a stray `I` open or split spans; exact-match scoring
/// punishes every such boundary.
pub fn word_tags(probs: &[[f32; 6]], first_token: &[Option<usize>]) -> WordTags {
    let well_formed = [BioTransitions::well_formed(), BioTransitions::well_formed()];
    word_tags_with(probs, first_token, &well_formed)
}

/// [`word_tags`] with each layer's path also scored by `transitions`
/// (skill, knowledge).
pub fn word_tags_with(
    probs: &[[f32; 6]],
    first_token: &[Option<usize>],
    transitions: &[BioTransitions; 2],
) -> WordTags {
    let word_probs = word_probabilities(probs, first_token);
    let layer = |offset: usize| {
        let p: Vec<[f32; 3]> = word_probs
            .iter()
            .map(|w| [w[offset], w[offset + 1], w[offset + 2]])
            .collect();
        let tags = best_bio_sequence_with(&p, &transitions[offset / 3]);
        let tag_probs = tags.iter().zip(&p).map(|(t, w)| w[t.index()]).collect();
        (tags, tag_probs)
    };
    let (skill, skill_prob) = layer(0);
    let (knowledge, knowledge_prob) = layer(3);
    WordTags {
        skill,
        knowledge,
        skill_prob,
        knowledge_prob,
    }
}

/// Each word's probabilities: its first piece's (a word without pieces is O).
pub fn word_probabilities(probs: &[[f32; 6]], first_token: &[Option<usize>]) -> Vec<[f32; 6]> {
    first_token
        .iter()
        .map(|f| {
            f.and_then(|i| probs.get(i))
                .copied()
                .unwrap_or([0.0, 0.0, 1.0, 0.0, 0.0, 1.0])
        })
        .collect()
}

/// Log-scores added to a BIO path: `start[t]` for the first word's tag,
/// `next[a][b]` between consecutive tags (`[B, I, O]` order). Forbidden
/// steps are `f64::NEG_INFINITY`.
#[derive(Clone, Debug, PartialEq)]
pub struct BioTransitions {
    pub start: [f64; 3],
    pub next: [[f64; 3]; 3],
}

impl BioTransitions {
    /// Only well-formedness: no `I` first or after an `O`.
    pub fn well_formed() -> Self {
        let no = f64::NEG_INFINITY;
        BioTransitions {
            start: [0.0, no, 0.0],
            next: [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, no, 0.0]],
        }
    }
}

/// A layer's transition log-priors (estimated on training tags, scaled by a
/// weight chosen on dev), stored in a tagger file under [`KEY_TRANSITIONS`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitionPrior {
    pub start: [f64; 3],
    pub next: [[f64; 3]; 3],
}

impl TransitionPrior {
    /// Log relative frequencies of the first tag and of each tag after each
    /// tag in `sequences` (add-one smoothed), times `weight`.
    pub fn estimate<'a>(sequences: impl IntoIterator<Item = &'a [Bio]>, weight: f64) -> Self {
        let mut start = [1.0f64; 3];
        let mut next = [[1.0f64; 3]; 3];
        for tags in sequences {
            if let Some(f) = tags.first() {
                start[f.index()] += 1.0;
            }
            for w in tags.windows(2) {
                next[w[0].index()][w[1].index()] += 1.0;
            }
        }
        let log_share = |r: [f64; 3]| {
            let sum: f64 = r.iter().sum();
            r.map(|v| weight * (v / sum).ln())
        };
        TransitionPrior {
            start: log_share(start),
            next: next.map(log_share),
        }
    }

    pub fn is_finite(&self) -> bool {
        self.start
            .iter()
            .chain(self.next.iter().flatten())
            .all(|v| v.is_finite())
    }

    /// The prior on top of well-formedness.
    pub fn decoding(&self) -> BioTransitions {
        let mut t = BioTransitions::well_formed();
        for a in 0..3 {
            t.start[a] += self.start[a];
            for b in 0..3 {
                t.next[a][b] += self.next[a][b];
            }
        }
        t
    }
}

/// What [`KEY_TRANSITIONS`] holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitionPriors {
    pub skill: TransitionPrior,
    pub knowledge: TransitionPrior,
}

/// The path maximising the sum of log probabilities plus `t`'s scores.
pub fn best_bio_sequence_with(probs: &[[f32; 3]], t: &BioTransitions) -> Vec<Bio> {
    let log = |p: f32| (p.max(1e-12) as f64).ln();
    let Some(first) = probs.first() else {
        return Vec::new();
    };
    let mut score: [f64; 3] = std::array::from_fn(|c| t.start[c] + log(first[c]));
    let mut back: Vec<[usize; 3]> = vec![[2; 3]; probs.len()];
    for (w, p) in probs.iter().enumerate().skip(1) {
        let mut next = [f64::NEG_INFINITY; 3];
        for cur in 0..3 {
            let (arg, best) = (0..3)
                .map(|prev| (prev, score[prev] + t.next[prev][cur]))
                .fold((2, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            back[w][cur] = arg;
            next[cur] = best + log(p[cur]);
        }
        score = next;
    }
    let mut c = (0..3).fold(2, |a, c| if score[c] > score[a] { c } else { a });
    let mut out = vec![Bio::O; probs.len()];
    for w in (0..probs.len()).rev() {
        out[w] = Bio::from_index(c);
        c = back[w][c];
    }
    out
}

/// The BIO sequence with the highest product of per-word probabilities
/// (`[B, I, O]` each) among those where every `I` follows a `B` or an `I`.
pub fn best_bio_sequence(probs: &[[f32; 3]]) -> Vec<Bio> {
    best_bio_sequence_with(probs, &BioTransitions::well_formed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_priors_decode_like_viterbi_and_keep_spans_whole() {
        // The decoder finds the best-scoring path: checked against every one
        // of the 3^5 paths, with and without a prior.
        let path_score = |probs: &[[f32; 3]], t: &BioTransitions, path: &[Bio]| {
            let log = |p: f32| (p.max(1e-12) as f64).ln();
            path.iter().enumerate().fold(0.0, |acc, (w, tag)| {
                let step = match w {
                    0 => t.start[tag.index()],
                    _ => t.next[path[w - 1].index()][tag.index()],
                };
                acc + step + log(probs[w][tag.index()])
            })
        };
        let some_prior = TransitionPrior::estimate(
            [[Bio::B, Bio::I, Bio::I, Bio::O, Bio::B, Bio::O].as_slice()],
            0.4,
        )
        .decoding();
        let mut x = 12345u64;
        for round in 0..300 {
            let probs: Vec<[f32; 3]> = (0..5)
                .map(|_| {
                    let mut r = || {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((x >> 33) % 1000) as f32 / 1000.0 + 1e-3
                    };
                    [r(), r(), r()]
                })
                .collect();
            let t = if round % 2 == 0 {
                BioTransitions::well_formed()
            } else {
                some_prior.clone()
            };
            let best = (0..3usize.pow(5))
                .map(|code| {
                    let path: Vec<Bio> = (0..5)
                        .map(|w| Bio::from_index(code / 3usize.pow(w) % 3))
                        .collect();
                    path_score(&probs, &t, &path)
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let found = best_bio_sequence_with(&probs, &t);
            assert!(
                (path_score(&probs, &t, &found) - best).abs() < 1e-9,
                "{found:?}"
            );
        }
        // "Apache Kafka": the second word leans B (a new span), but in the
        // training tags a B rarely follows a B, so the prior keeps one span.
        let probs = [[0.8, 0.0, 0.2], [0.5, 0.45, 0.05]];
        assert_eq!(best_bio_sequence(&probs), vec![Bio::B, Bio::B]);
        let train: Vec<Vec<Bio>> = (0..50)
            .map(|_| vec![Bio::B, Bio::I, Bio::O, Bio::O])
            .collect();
        let prior = TransitionPrior::estimate(train.iter().map(|t| t.as_slice()), 0.25);
        assert!(prior.next[0][1] > prior.next[0][0]);
        assert_eq!(
            best_bio_sequence_with(&probs, &prior.decoding()),
            vec![Bio::B, Bio::I]
        );
        // Still well-formed: an I never follows an O or starts a sentence.
        let probs = [[0.1, 0.8, 0.1], [0.0, 0.9, 0.1]];
        assert_eq!(best_bio_sequence_with(&probs, &prior.decoding())[0], Bio::B);
        let o_then_i = [[0.0, 0.0, 1.0], [0.1, 0.8, 0.1]];
        assert_ne!(
            best_bio_sequence_with(&o_then_i, &prior.decoding())[1],
            Bio::I
        );
    }

    #[test]
    fn first_piece_carries_the_word() {
        let p = [
            [0.1, 0.1, 0.8, 0.0, 0.0, 1.0],
            [0.7, 0.2, 0.1, 0.0, 0.6, 0.4],
            [0.0, 0.9, 0.1, 0.0, 0.0, 1.0],
        ];
        let t = word_tags(&p, &[Some(1), None, Some(2), Some(0)]);
        // Word 2's argmax (I) follows an O and its B has probability 0: O.
        assert_eq!(t.skill, vec![Bio::B, Bio::O, Bio::O, Bio::O]);
        // Word 0's argmax is I, which cannot open a sentence: O (0.4) beats B (0.0).
        assert_eq!(t.knowledge, vec![Bio::O, Bio::O, Bio::O, Bio::O]);
        assert!((t.skill_prob[0] - 0.7).abs() < 1e-6);
    }

    #[test]
    fn decoding_keeps_bio_well_formed() {
        let p = |b: f32, i: f32, o: f32| [b, i, o];
        // Argmax: O I I O. The I run after O must become B I (0.3·0.6 > O O).
        let t = best_bio_sequence(&[
            p(0.1, 0.1, 0.8),
            p(0.4, 0.5, 0.1),
            p(0.1, 0.6, 0.3),
            p(0.1, 0.1, 0.8),
        ]);
        assert_eq!(t, vec![Bio::O, Bio::B, Bio::I, Bio::O]);
        // A weak I after O is dropped rather than opened as a span.
        let t = best_bio_sequence(&[p(0.1, 0.1, 0.8), p(0.05, 0.5, 0.45)]);
        assert_eq!(t, vec![Bio::O, Bio::O]);
        // The first word can never be I.
        assert_eq!(best_bio_sequence(&[p(0.2, 0.7, 0.1)]), vec![Bio::B]);
        // Well-formed argmax sequences are kept as they are.
        let t = best_bio_sequence(&[p(0.7, 0.2, 0.1), p(0.2, 0.7, 0.1), p(0.6, 0.3, 0.1)]);
        assert_eq!(t, vec![Bio::B, Bio::I, Bio::B]);
        assert!(best_bio_sequence(&[]).is_empty());
        // No word gets a tag the constraint forbids, whatever the input.
        let mut x = 7u64;
        for _ in 0..200 {
            let probs: Vec<[f32; 3]> = (0..9)
                .map(|_| {
                    let mut r = || {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x % 1000) as f32 / 1000.0
                    };
                    [r(), r(), r()]
                })
                .collect();
            let t = best_bio_sequence(&probs);
            assert_eq!(t.len(), 9);
            for w in 0..9 {
                if t[w] == Bio::I {
                    assert!(w > 0 && t[w - 1] != Bio::O, "{t:?}");
                }
            }
        }
    }
}
