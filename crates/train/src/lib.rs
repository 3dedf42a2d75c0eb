//! `skillmark-train` as a library: training data, the bi-encoder's
//! contrastive training, evaluation of model folders, the export of the
//! shipped bundle and of the web bundle, the span tagger's trainer and the
//! synthetic-data generator. `src/main.rs` is its command line (clap
//! definitions and dispatch); the examples measure with it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub mod batching;
pub mod contrastive;
pub mod evaluate;
pub mod export;
pub mod gptq;
pub mod optim;
pub mod pairs;
pub mod silver;
pub mod spans;
pub mod synth;
pub mod web_bundle;

/// `~/…` with the home folder spelled out (other paths as they are).
pub fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    }
}

/// The taxonomy from a compact `esco.bin`, or from the ESCO CSV export (a folder).
pub fn load_taxonomy(path: &Path) -> Result<esco::Taxonomy> {
    if path.is_dir() {
        return Ok(esco::Taxonomy::from_esco_csv(path)?);
    }
    Ok(esco::Taxonomy::from_bytes(&read(path)?)?)
}

/// The file's bytes; an error names it.
pub fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
}
