//! WordPiece tokenization with character offsets (Hugging Face `tokenizers`).

use crate::ModelError;

/// The longest input the encoder sees, in tokens, as sentence-transformers uses for MiniLM.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// One tokenized text: ids with `[CLS]`/`[SEP]`, and byte offsets of each token in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoding {
    pub ids: Vec<u32>,
    /// Byte range of each token in the input (`(0, 0)` for special tokens).
    pub offsets: Vec<(usize, usize)>,
}

/// One tokenized word sequence: ids with `[CLS]`/`[SEP]`, and for each token
/// the word it came from with its byte range in that word (`None` for the
/// special tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordEncoding {
    pub ids: Vec<u32>,
    pub pieces: Vec<Option<(usize, (usize, usize))>>,
}

pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
}

impl TextTokenizer {
    /// Loads a `tokenizer.json`. Its own padding is switched off (we never pad)
    /// and truncation set to `max_tokens` including the special tokens.
    pub fn from_bytes(bytes: &[u8], max_tokens: usize) -> Result<Self, ModelError> {
        let mut inner = tokenizers::Tokenizer::from_bytes(bytes)
            .map_err(|e| ModelError::Format(format!("tokenizer.json: {e}")))?;
        inner.with_padding(None);
        inner
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens.max(2),
                ..Default::default()
            }))
            .map_err(|e| ModelError::Format(format!("tokenizer.json: {e}")))?;
        Ok(TextTokenizer { inner })
    }

    pub fn encode(&self, text: &str) -> Result<Encoding, ModelError> {
        let enc = self
            .inner
            .encode(text, true)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        Ok(Encoding {
            ids: enc.get_ids().to_vec(),
            offsets: enc.get_offsets().to_vec(),
        })
    }

    /// Tokenizes words as they are (pre-tokenized input: nothing is joined
    /// and split again). Each word is normalised and split into pieces on its
    /// own, which for a BERT tokenizer gives the pieces of the words joined
    /// by spaces.
    pub fn encode_words(&self, words: &[&str]) -> Result<WordEncoding, ModelError> {
        let enc = self
            .inner
            .encode(words, true)
            .map_err(|e| ModelError::Tokenize(e.to_string()))?;
        let pieces = enc
            .get_word_ids()
            .iter()
            .zip(enc.get_offsets())
            .map(|(w, &o)| w.map(|w| (w as usize, o)))
            .collect();
        Ok(WordEncoding {
            ids: enc.get_ids().to_vec(),
            pieces,
        })
    }

    /// The most tokens an encoding has (truncation, special tokens included).
    pub fn max_tokens(&self) -> usize {
        self.inner
            .get_truncation()
            .map_or(usize::MAX, |t| t.max_length)
    }

    pub fn encode_batch(&self, texts: &[&str]) -> Result<Vec<Encoding>, ModelError> {
        texts.iter().map(|t| self.encode(t)).collect()
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}
