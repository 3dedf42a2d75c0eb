//! The skillmark runtime: text in, ESCO skills out.
//!
//! Pure Rust; builds for native targets and `wasm32-unknown-unknown`. It
//! reads only the shipped bundle ([`assets`]): the quantized encoder, the
//! tokenizer, the span tagger, the skill index and the compact ESCO taxonomy.
//! It never reads CSVs and never touches the network.
//!
//! Surfaces use [`Engine`] and the wire types of [`schema`]. The pipeline's
//! modules are public only with the feature `internals` (the trainer, the
//! evaluation crate and the CLI's `eval` commands); a highlight request
//! passes them in this order (docs/ARCHITECTURE.md): [`Engine`] →
//! `highlight` (the driver) → `segments` → `tokens` → `encoder_pass` →
//! `tags` → `spans` → `links` → `assembly`.

mod engine;

pub mod assets;
pub mod bio;
pub mod html;

/// Modules public to the workspace's own crates (feature `internals`) and
/// private otherwise; unused parts of them are then dead code by design.
macro_rules! internal_modules {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[cfg(feature = "internals")]
        pub mod $name;
        $(#[$meta])*
        #[cfg(not(feature = "internals"))]
        #[allow(dead_code)]
        mod $name;
    )*};
}

internal_modules! {
    /// The driver: one request through the stages below, in order.
    highlight;
    /// Stage 1: text → segments → words → word windows.
    segments;
    /// Stage 2: words → word pieces with offsets, tokenised once.
    tokens;
    /// Stage 3: the encoder pass the tagger and the ranker share.
    encoder_pass;
    /// Stage 4: token probabilities → word tags (Viterbi).
    tags;
    /// Stage 5: word tags (or label matches) → spans.
    spans;
    /// Stage 6: spans → ranked ESCO skills, implicit skills.
    links;
    /// Stage 7: linked spans → the result with every offset form.
    assembly;
    /// The tagger worker's half of the two-worker split.
    span_tagger;
    /// The span tagger's file format and weights.
    tagger;
    /// The skill index: vectors of every ESCO skill, scoring.
    index;
    /// Exact ESCO label matches (spans without a tagger, the lexical bonus).
    lexical;
    /// Ranking texts against the skill index (`rank`, span linking).
    ranker;
    /// The nine display categories of ESCO skills.
    category;
    /// Word-sequence input (CoNLL): word tags, span vectors.
    word_sequences;
    /// ESCO occupations of a text: the skill–occupation graph and vectors.
    occupations;
    /// A job post against a résumé: skills matched and missing, the score.
    compare;
    /// Years, dated roles, degrees and titles the texts state.
    facts;
}

pub use engine::Engine;
pub use skillmark_model::{Kernel, Precision};
pub use skillmark_schema as schema;
pub use skillmark_schema::{
    Category, CompareOptions, Comparison, DocumentSkill, HighlightOptions, HighlightSpan,
    Highlights, LinkMode, OccupationOptions, OccupationSuggestion, RankedSkill, RankedText,
    Segment, SkillLink, SpanKind, TaggedText,
};

pub use assets::{AssetBytes, Manifest};
pub use highlight::EncodedSegments;
pub use span_tagger::SpanTagger;
pub use tags::WordTags;

#[cfg(feature = "internals")]
pub use highlight::Highlighter;
#[cfg(feature = "internals")]
pub use index::{Hit, SkillIndex, SkillText};
#[cfg(feature = "internals")]
pub use occupations::build_occupation_vectors;
#[cfg(feature = "internals")]
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
