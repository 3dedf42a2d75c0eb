//! Measuring skillmark, not running it: the gold files of the benchmarks
//! ([`gold`]: sentence- and span-level CSVs), SkillSpan's CoNLL files
//! ([`conll`]), the papers' ranking metrics ([`metrics`]: RP@K, MRR), span
//! precision / recall / F1 ([`spans`]), tagger ensembles and calibration
//! ([`ensemble`]) and threshold sweeps over the
//! highlighter's output ([`highlight`]).
//!
//! Used by the `skillmark` CLI's `eval` commands and by `skillmark-train`.
//! The runtime crate (`skillmark`) and the wasm build never include it: it
//! depends on `skillmark`, never the other way round, so the gold CSV reader
//! and the scoring stay out of every runtime and browser build.

pub mod conll;
pub mod ensemble;
pub mod gold;
pub mod highlight;
pub mod metrics;
pub mod spans;

pub use metrics::{rank_metrics, RankMetrics};
