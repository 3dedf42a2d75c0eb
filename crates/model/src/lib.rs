//! The sentence encoder of skillmark (MiniLM / BERT family).
//!
//! Two implementations of one network:
//!
//! * `candle_bert::CandleBert` (feature `candle`), a Candle model: trainable,
//!   runs on CPU or CUDA (feature `cuda`), loads f32/f16 safetensors. The
//!   trainer uses it.
//! * [`engine::Encoder`], the runtime: a forward pass over plain buffers with
//!   our own int8 kernels ([`kernels`]) and no padding, several times faster
//!   than Candle's CPU path for short sentences, native and wasm32.
//!
//! Both load the same weights ([`weights`]: safetensors or GGUF q8_0/f16/f32)
//! and produce the same sentence vectors: attention-masked mean pooling of the
//! last layer, L2-normalised, as sentence-transformers does.
//!
//! Candle is only compiled with the feature `candle` (the trainer's): the
//! runtime reads GGUF with [`gguf`], our own reader.

#[cfg(feature = "candle")]
pub mod candle_bert;
pub mod config;
pub mod engine;
pub mod gguf;
pub mod kernels;
pub mod sentence;
pub mod tokenizer;
pub mod weights;

pub use config::BertConfig;
pub use engine::{Encoder, Precision};
pub use kernels::Kernel;
pub use sentence::SentenceEncoder;
pub use tokenizer::{Encoding, TextTokenizer, WordEncoding};
pub use weights::{ExportType, TensorStore};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model format: {0}")]
    Format(String),
    #[error("bad input: {0}")]
    Input(String),
    #[error("tokenizer: {0}")]
    Tokenize(String),
    #[cfg(feature = "candle")]
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}
