//! The highlighter on text that is already split into words (CoNLL files,
//! evaluation): word tags without spans or links, and the vectors a span can
//! be linked with.

use skillmark_schema::SpanKind;

use crate::bio::Bio;
use crate::encoder_pass::run_aligned;
use crate::highlight::Highlighter;
use crate::links::context_vector;
use crate::segments::words;
use crate::spans::kind_of;
use crate::tokens::align_document;
use crate::Error;

/// Skill and knowledge tags of one word sequence.
pub type WordBio = (Vec<Bio>, Vec<Bio>);

impl Highlighter {
    /// Skill and knowledge tags of word sequences (CoNLL tokens): the
    /// tagger's, or exact ESCO label matches when the bundle has none.
    pub fn tag_words(&self, sentences: &[Vec<&str>]) -> Result<Vec<WordBio>, Error> {
        self.tag_words_with_progress(sentences, |_| {})
    }

    /// As [`Self::tag_words`] (the sequences are one document, in order),
    /// calling `progress` with the number of sequences done after each chunk.
    pub fn tag_words_with_progress(
        &self,
        sentences: &[Vec<&str>],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<WordBio>, Error> {
        const CHUNK: usize = 256;
        let mut out = Vec::with_capacity(sentences.len());
        let enc = &self.ranker.encoder;
        if let Some(t) = &self.tagger {
            // Aligned as one document (a tagger may read the neighbours).
            let aligned = align_document(&enc.tokenizer, sentences, t.context)?;
            for chunk in aligned.chunks(CHUNK) {
                for p in run_aligned(&enc.encoder, chunk, Some(t), false)? {
                    let w = p.tags.expect("the tagger ran");
                    out.push((w.skill, w.knowledge));
                }
                progress(chunk.len());
            }
            return Ok(out);
        }
        for chunk in sentences.chunks(CHUNK) {
            for words in chunk {
                let mut text = String::new();
                let mut ranges = Vec::new();
                for w in words {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    ranges.push((text.len(), text.len() + w.len()));
                    text.push_str(w);
                }
                let mut tags = (vec![Bio::O; words.len()], vec![Bio::O; words.len()]);
                for (a, b, skill) in self.ranker.lexical().find_spans(&text, &ranges) {
                    let layer = match kind_of(&self.ranker, skill) {
                        SpanKind::Knowledge => &mut tags.1,
                        _ => &mut tags.0,
                    };
                    layer[a] = Bio::B;
                    layer[a + 1..b].iter_mut().for_each(|t| *t = Bio::I);
                }
                out.push(tags);
            }
            progress(chunk.len());
        }
        Ok(out)
    }

    /// The two vectors each span (a byte range of `sentence`) can be linked
    /// with: its text embedded alone, and the mean of its token states in
    /// the sentence's own encoder pass (as the highlighter computes them).
    pub fn span_vectors(
        &self,
        sentence: &str,
        spans: &[(usize, usize)],
    ) -> Result<Vec<SpanVectors>, Error> {
        let w = words(sentence, 0, sentence.len());
        let passes = self.passes(sentence, std::slice::from_ref(&w), true)?;
        let h = self.ranker.encoder.dim();
        let texts: Vec<&str> = spans.iter().map(|&(s, e)| &sentence[s..e]).collect();
        let text_vecs = if texts.is_empty() {
            Vec::new()
        } else {
            self.ranker.encoder.embed(&texts)?
        };
        Ok(spans
            .iter()
            .zip(text_vecs)
            .map(|(&(s, e), text)| {
                let a = w.iter().position(|&(_, we)| we > s).unwrap_or(w.len());
                let b = w
                    .iter()
                    .rposition(|&(ws, _)| ws < e)
                    .map_or(a, |i| i + 1)
                    .max(a);
                let context = if a < b {
                    context_vector(&passes[0], h, a, b)
                } else {
                    None
                };
                SpanVectors { text, context }
            })
            .collect())
    }
}

/// The vectors a span can be linked with (see [`Highlighter::span_vectors`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SpanVectors {
    /// The span's text embedded on its own (L2-normalised).
    pub text: Vec<f32>,
    /// Mean of the span's token states in its sentence (L2-normalised);
    /// `None` when the span has no tokens (e.g. past truncation).
    pub context: Option<Vec<f32>>,
}
