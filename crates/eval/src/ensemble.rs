//! Combining and calibrating span taggers (the trainer's ensemble and
//! O-offset sweeps): each word's probabilities under one or several
//! taggers, their mean, and decoding with an offset on each layer's O.

use skillmark::bio::Bio;
use skillmark::tagger::Tagger;
use skillmark::tags::{best_bio_sequence_with, word_probabilities, BioTransitions};
use skillmark::tokens::align_document;
use skillmark::Error;
use skillmark_model::{Encoder, TextTokenizer};

/// Each word's six probabilities ([`word_probabilities`]) for word
/// sequences read as one document (with the tagger's own context), one
/// sequence at a time: for measuring and combining taggers.
pub fn sentence_word_probabilities(
    tagger: &Tagger,
    encoder: &Encoder,
    tok: &TextTokenizer,
    sentences: &[Vec<&str>],
) -> Result<Vec<Vec<[f32; 6]>>, Error> {
    align_document(tok, sentences, tagger.context)?
        .into_iter()
        .map(|a| {
            let mut s = encoder.embed_tokens(&[a.ids.as_slice()])?;
            encoder.run_layers(&mut s, 0..tagger.branch_layer);
            Ok(word_probabilities(
                &tagger.probabilities(s, &a.case),
                &a.first_token,
            ))
        })
        .collect()
}

/// The mean of several taggers' word probabilities (same sentences, same
/// words; see [`sentence_word_probabilities`]).
pub fn mean_word_probabilities(each: &[Vec<Vec<[f32; 6]>>]) -> Vec<Vec<[f32; 6]>> {
    let Some(first) = each.first() else {
        return Vec::new();
    };
    let n = each.len() as f32;
    first
        .iter()
        .enumerate()
        .map(|(i, words)| {
            (0..words.len())
                .map(|w| {
                    let mut m = [0f32; 6];
                    for p in each {
                        m.iter_mut().zip(&p[i][w]).for_each(|(a, b)| *a += b / n);
                    }
                    m
                })
                .collect()
        })
        .collect()
}

/// Both BIO layers (skill, knowledge) of one sentence from its words'
/// probabilities, with `o_offsets` added to each layer's O logit.
pub fn decode_words(
    words: &[[f32; 6]],
    o_offsets: [f32; 2],
    t: &[BioTransitions; 2],
) -> (Vec<Bio>, Vec<Bio>) {
    let layer = |l: usize| {
        let d = o_offsets[l].exp();
        let p: Vec<[f32; 3]> = words
            .iter()
            .map(|p| [p[3 * l], p[3 * l + 1], p[3 * l + 2] * d])
            .collect();
        best_bio_sequence_with(&p, &t[l])
    };
    (layer(0), layer(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark::tags::best_bio_sequence;

    #[test]
    fn averaged_word_probabilities_decode_per_layer_with_the_o_offsets() {
        let a = vec![vec![
            [0.6, 0.1, 0.3, 0.1, 0.1, 0.8],
            [0.1, 0.7, 0.2, 0.2, 0.1, 0.7],
        ]];
        let b = vec![vec![
            [0.2, 0.1, 0.7, 0.5, 0.1, 0.4],
            [0.1, 0.5, 0.4, 0.2, 0.5, 0.3],
        ]];
        let m = mean_word_probabilities(&[a, b]);
        let expected = [
            [0.4, 0.1, 0.5, 0.3, 0.1, 0.6],
            [0.1, 0.6, 0.3, 0.2, 0.3, 0.5],
        ];
        for (got, want) in m[0].iter().flatten().zip(expected.iter().flatten()) {
            assert!((got - want).abs() < 1e-6, "{m:?}");
        }
        assert!(mean_word_probabilities(&[]).is_empty());
        let wf = [BioTransitions::well_formed(), BioTransitions::well_formed()];
        let layer = |l: usize| -> Vec<[f32; 3]> {
            m[0].iter()
                .map(|w| [w[3 * l], w[3 * l + 1], w[3 * l + 2]])
                .collect()
        };
        assert_eq!(
            decode_words(&m[0], [0.0, 0.0], &wf),
            (best_bio_sequence(&layer(0)), best_bio_sequence(&layer(1)))
        );
        // The skill layer's O (0.5 then 0.3) wins once its logit gains 1.
        let (skill, knowledge) = decode_words(&m[0], [1.0, 0.0], &wf);
        assert_eq!(skill, [Bio::O, Bio::O]);
        assert_eq!(knowledge, best_bio_sequence(&layer(1)));
    }
}
