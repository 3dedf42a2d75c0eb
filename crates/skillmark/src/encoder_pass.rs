//! Pipeline stage 3: the encoder pass that the tagger and the ranker share.
//! The encoder runs its layers `0..K` once (K = the tagger's branch layer);
//! the tagger continues from those token states with its own layers and
//! classifier (then [`crate::tags`] decodes word tags), while the ranker
//! continues with the encoder's layers `K..` (the states spans are linked with).

use skillmark_model::engine::TokenStates;
use skillmark_model::sentence::length_sorted_passes;
use skillmark_model::{Encoder, TextTokenizer};

use crate::segments::{window_batches, window_words, Segment, Window};
use crate::tagger::Tagger;
use crate::tags::{word_tags_with, WordTags};
use crate::tokens::{align_document, with_context, AlignedWords};
use crate::Error;

/// Tokens per tagger pass.
const TOKENS_PER_PASS: usize = 4096;

/// One word sequence after the encoder pass: word tags (when a tagger ran), the first
/// piece of each word, and the last-layer token states (when asked for).
#[derive(Clone, Debug)]
pub struct Pass {
    pub tags: Option<WordTags>,
    pub first_token: Vec<Option<usize>>,
    pub tokens: usize,
    pub states: Vec<f32>,
}

/// Encoder passes over word sequences: layers `0..K`, the tagger's branch
/// (if any), then the encoder's remaining layers (if `ranker_states`).
pub fn run_passes(
    encoder: &Encoder,
    tok: &TextTokenizer,
    sentences: &[Vec<&str>],
    tagger: Option<&Tagger>,
    ranker_states: bool,
) -> Result<Vec<Pass>, Error> {
    let plain = align_document(tok, sentences, 0)?;
    let Some(t) = tagger.filter(|t| t.context > 0) else {
        return run_aligned(encoder, &plain, tagger, ranker_states);
    };
    // The tagger reads each sentence among its neighbours, the ranker
    // alone: two passes, and the tags go with the sentence's own pieces.
    let read = with_context(plain.clone(), t.context, tok.max_tokens());
    let tagged = run_aligned(encoder, &read, tagger, false)?;
    if ranker_states {
        let mut ranked = run_aligned(encoder, &plain, None, true)?;
        for (r, t) in ranked.iter_mut().zip(tagged) {
            r.tags = t.tags;
        }
        return Ok(ranked);
    }
    Ok(tagged
        .into_iter()
        .zip(plain)
        .map(|(t, a)| Pass {
            tokens: a.ids.len(),
            first_token: a.first_token,
            ..t
        })
        .collect())
}

/// Encoder passes over aligned sequences ([`align_document`]), see [`run_passes`].
pub fn run_aligned(
    encoder: &Encoder,
    aligned: &[AlignedWords],
    tagger: Option<&Tagger>,
    ranker_states: bool,
) -> Result<Vec<Pass>, Error> {
    let ids: Vec<&[u32]> = aligned.iter().map(|a| a.ids.as_slice()).collect();
    let h = encoder.hidden_size();
    let n = encoder.num_layers();
    let k = tagger.map_or(n, |t| t.branch_layer.min(n));
    let mut out: Vec<Option<Pass>> = vec![None; aligned.len()];
    for pass in length_sorted_passes(&ids, TOKENS_PER_PASS) {
        let batch: Vec<&[u32]> = pass.iter().map(|&i| ids[i]).collect();
        let mut states = encoder.embed_tokens(&batch)?;
        encoder.run_layers(&mut states, 0..k);
        let ranges = states.ranges.clone();
        let mut case = Vec::new();
        if tagger.is_some_and(Tagger::reads_case) {
            for (&i, r) in pass.iter().zip(&ranges) {
                let c = &aligned[i].case;
                case.extend((0..r.len()).map(|t| c.get(t).copied().unwrap_or(0)));
            }
        }
        let probs = match (tagger, ranker_states) {
            (Some(t), true) => Some(t.probabilities(states.clone(), &case)),
            (Some(t), false) => Some(t.probabilities(
                std::mem::replace(
                    &mut states,
                    TokenStates {
                        hidden: h,
                        states: Vec::new(),
                        ranges: Vec::new(),
                    },
                ),
                &case,
            )),
            (None, _) => None,
        };
        if ranker_states {
            encoder.run_layers(&mut states, k..n);
        }
        for (&i, r) in pass.iter().zip(&ranges) {
            let a = &aligned[i];
            out[i] = Some(Pass {
                tags: probs
                    .as_ref()
                    .zip(tagger)
                    .map(|(p, t)| word_tags_with(&p[r.clone()], &a.first_token, t.transitions())),
                first_token: a.first_token.clone(),
                tokens: r.end - r.start,
                states: if ranker_states {
                    states.states[r.start * h..r.end * h].to_vec()
                } else {
                    Vec::new()
                },
            });
        }
    }
    Ok(out
        .into_iter()
        .map(|t| t.expect("every sentence ran"))
        .collect())
}

/// The tagger's tags of every word window of `valid` segments, in order:
/// one document, so a tagger that reads context sees each window's
/// neighbours across batches. The one-worker highlighter and the tagger
/// worker both tag through here.
pub fn tag_windows(
    encoder: &Encoder,
    tok: &TextTokenizer,
    tagger: &Tagger,
    text: &str,
    valid: &[Segment],
) -> Result<Vec<WordTags>, Error> {
    let windows: Vec<Window> = window_batches(text, valid).flatten().collect();
    Ok(
        run_passes(encoder, tok, &window_words(text, &windows), Some(tagger), false)?
            .into_iter()
            .map(|p| p.tags.expect("the tagger ran"))
            .collect(),
    )
}
