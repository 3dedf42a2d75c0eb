//! Text in, sentence vectors out: the tokenizer and the runtime encoder together.

use crate::engine::{Encoder, Precision, TokenStates};
use crate::tokenizer::{Encoding, TextTokenizer, DEFAULT_MAX_TOKENS};
use crate::weights::{ByteSource, TensorStore};
use crate::{BertConfig, ModelError};

/// The encoder weights file of a model directory, in order of preference.
pub const WEIGHT_FILES: [&str; 3] = ["encoder.gguf", "model.gguf", "model.safetensors"];

/// How many tokens one forward pass takes at most; batches are cut there.
const TOKENS_PER_PASS: usize = 2048;

pub struct SentenceEncoder {
    pub tokenizer: TextTokenizer,
    pub encoder: Encoder,
}

/// Weights as bytes: what the browser and tests hand over.
pub enum WeightBytes<'a> {
    Gguf(&'a [u8]),
    Safetensors {
        weights: &'a [u8],
        config_json: &'a [u8],
    },
}

impl SentenceEncoder {
    pub fn from_bytes(
        tokenizer_json: &[u8],
        weights: WeightBytes<'_>,
        precision: Precision,
    ) -> Result<Self, ModelError> {
        let (store, cfg) = match weights {
            WeightBytes::Gguf(b) => {
                let store = TensorStore::from_gguf(b)?;
                let cfg = store
                    .config
                    .clone()
                    .ok_or_else(|| ModelError::Format("gguf file carries no BERT config".into()))?;
                (store, cfg)
            }
            WeightBytes::Safetensors {
                weights,
                config_json,
            } => (
                TensorStore::from_safetensors(weights)?,
                BertConfig::from_json(config_json)?,
            ),
        };
        Self::from_store(tokenizer_json, store, cfg, precision)
    }

    /// As [`Self::from_bytes`] for a GGUF encoder, keeping only its first
    /// `layers` transformer layers: what a span tagger that branches after
    /// them runs, in less memory (the other layers are never read).
    /// The file is read a tensor at a time ([`ByteSource`]).
    pub fn from_gguf_first_layers<S: ByteSource + ?Sized>(
        tokenizer_json: &[u8],
        gguf: &S,
        precision: Precision,
        layers: usize,
    ) -> Result<Self, ModelError> {
        let store = TensorStore::from_gguf_source(gguf, |name| {
            name.strip_prefix("encoder.layer.")
                .and_then(|rest| rest.split('.').next())
                .and_then(|l| l.parse::<usize>().ok())
                .is_none_or(|l| l < layers)
        })?;
        let mut cfg = store
            .config
            .clone()
            .ok_or_else(|| ModelError::Format("gguf file carries no BERT config".into()))?;
        cfg.num_hidden_layers = cfg.num_hidden_layers.min(layers);
        Self::from_store(tokenizer_json, store, cfg, precision)
    }

    fn from_store(
        tokenizer_json: &[u8],
        store: TensorStore,
        cfg: BertConfig,
        precision: Precision,
    ) -> Result<Self, ModelError> {
        let max_tokens = DEFAULT_MAX_TOKENS.min(cfg.max_position_embeddings);
        let tokenizer = TextTokenizer::from_bytes(tokenizer_json, max_tokens)?;
        if tokenizer.vocab_size() > cfg.vocab_size {
            return Err(ModelError::Format(format!(
                "tokenizer has {} tokens but the model only {}",
                tokenizer.vocab_size(),
                cfg.vocab_size
            )));
        }
        Ok(SentenceEncoder {
            tokenizer,
            encoder: Encoder::new(cfg, store, precision)?,
        })
    }

    /// Loads `tokenizer.json` and the first of [`WEIGHT_FILES`] found in `dir`
    /// (`model.safetensors` needs `config.json` beside it).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path, precision: Precision) -> Result<Self, ModelError> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read(&p).map_err(|e| ModelError::Io {
                path: p.display().to_string(),
                source: e,
            })
        };
        let tok = read("tokenizer.json")?;
        let file = WEIGHT_FILES
            .iter()
            .find(|f| dir.join(f).is_file())
            .ok_or_else(|| {
                ModelError::Format(format!(
                    "{}: no encoder weights (looked for {})",
                    dir.display(),
                    WEIGHT_FILES.join(", ")
                ))
            })?;
        let weights = read(file)?;
        if file.ends_with(".gguf") {
            Self::from_bytes(&tok, WeightBytes::Gguf(&weights), precision)
        } else {
            let cfg = read("config.json")?;
            Self::from_bytes(
                &tok,
                WeightBytes::Safetensors {
                    weights: &weights,
                    config_json: &cfg,
                },
                precision,
            )
        }
    }

    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoding>, ModelError> {
        self.tokenizer.encode_batch(texts)
    }

    /// Sentence vectors for `texts`, in input order. Texts are grouped by
    /// length into passes of at most [`TOKENS_PER_PASS`] tokens.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        self.embed_with_progress(texts, |_| {})
    }

    /// As [`Self::embed`], calling `progress(n)` after each pass with the texts done so far.
    pub fn embed_with_progress(
        &self,
        texts: &[&str],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let encodings = self.tokenize(texts)?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.ids.as_slice()).collect();
        let mut out = vec![Vec::new(); texts.len()];
        let mut done = 0;
        for pass in length_sorted_passes(&ids, TOKENS_PER_PASS) {
            let batch: Vec<&[u32]> = pass.iter().map(|&i| ids[i]).collect();
            for (i, v) in pass.iter().zip(self.encoder.embed(&batch)?) {
                out[*i] = v;
            }
            done += pass.len();
            progress(done);
        }
        Ok(out)
    }

    /// Token states for already tokenized texts (one pass; callers batch).
    pub fn token_states(&self, encodings: &[Encoding]) -> Result<TokenStates, ModelError> {
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.ids.as_slice()).collect();
        self.encoder.token_states(&ids)
    }

    pub fn dim(&self) -> usize {
        self.encoder.hidden_size()
    }
}

/// Indices grouped into passes of similar length, each at most `budget` tokens
/// (a longer single sequence gets a pass of its own).
pub fn length_sorted_passes(ids: &[&[u32]], budget: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i].len());
    let mut passes = Vec::new();
    let mut cur = Vec::new();
    let mut tokens = 0;
    for i in order {
        if !cur.is_empty() && tokens + ids[i].len() > budget {
            passes.push(std::mem::take(&mut cur));
            tokens = 0;
        }
        tokens += ids[i].len();
        cur.push(i);
    }
    if !cur.is_empty() {
        passes.push(cur);
    }
    passes
}
