//! Messages the inference worker posts to the page (`web/app/worker/worker.js`):
//! the web app and the extension read the same stream.

use serde::{Deserialize, Serialize};

use crate::{Comparison, DocumentSkill, HighlightSpan};

/// Credit for the data or model a bundle is built from (its manifest's `attribution`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Attribution {
    pub credit: String,
    pub license: String,
    pub what: String,
}

/// The engine's default thresholds (from the bundle's manifest).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    pub min_score: f32,
    #[serde(default)]
    pub implicit_min_score: Option<f32>,
}

/// One message from the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FromWorker {
    /// Model files downloading (bytes so far of all files).
    Loading {
        loaded: f64,
        total: f64,
        #[serde(default)]
        file: String,
    },
    /// The engine is loaded.
    Ready {
        version: String,
        #[serde(default)]
        attribution: Vec<Attribution>,
        ms: f64,
        defaults: Option<Defaults>,
        /// The engine's matrix kernel (`relaxed-simd` or `simd128`).
        #[serde(default)]
        kernel: String,
    },
    /// One batch of a request's results.
    Result {
        id: u32,
        /// Byte offset up to which the text is done; `None` for the last batch.
        upto: Option<usize>,
        spans: Vec<HighlightSpan>,
        skills: Vec<DocumentSkill>,
        segments: usize,
        total: usize,
    },
    /// A request is finished.
    Done {
        id: u32,
        ms: f64,
        segments: usize,
        /// Workers that ran it: 2 when the span tagger ran beside the encoder.
        #[serde(default)]
        workers: u32,
    },
    /// A compare request's result (`{type: "compare", id, job, resume, options}`).
    Compared {
        id: u32,
        comparison: Box<Comparison>,
        ms: f64,
    },
    /// The text of a file (`{type: "extract", id, bytes, name}`): `format` is
    /// `text`, `html`, `pdf` or `docx`.
    Extracted {
        id: u32,
        text: String,
        format: String,
        #[serde(default)]
        warnings: Vec<String>,
    },
    /// A request (with its id) or the loading (without) failed.
    Error {
        #[serde(default)]
        id: Option<u32>,
        message: String,
    },
}
