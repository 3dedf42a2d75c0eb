//! The skillmark runtime: text in, ESCO skills out.
//!
//! Pure Rust; builds for native targets and `wasm32-unknown-unknown`. It
//! reads only the shipped bundle ([`assets`]): the quantized encoder, the
//! tokenizer, the skill index ([`index`]) and the compact ESCO taxonomy.
//! It never reads CSVs and never touches the network.

mod engine;

pub mod assets;
pub mod bio;
pub mod category;
pub mod highlight;
pub mod html;
pub mod index;
pub mod lexical;
pub mod ranker;
pub mod tagger;
pub mod text;

pub use engine::Engine;
pub use skillmark_model::{Kernel, Precision};
pub use skillmark_schema as schema;
pub use skillmark_schema::{
    Category, DocumentSkill, HighlightOptions, HighlightSpan, Highlights, LinkMode, RankedSkill,
    RankedText, Segment, SkillLink, SpanKind, TaggedText,
};

pub use assets::{AssetBytes, Manifest};
pub use highlight::{EncodedSegments, Highlighter, SpanTagger, WordTags};
pub use index::{Hit, SkillIndex, SkillText};
pub use ranker::{build_index, Ranker};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("asset {file}: {message}")]
    Asset { file: String, message: String },
    #[error(transparent)]
    Model(#[from] skillmark_model::ModelError),
    #[error(transparent)]
    Taxonomy(#[from] esco::EscoError),
    #[error("{0}")]
    Mismatch(String),
}
