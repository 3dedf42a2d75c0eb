//! Shared helpers for the model's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub struct Fixture {
    pub sentences: Vec<String>,
    pub vectors: Vec<Vec<f32>>,
    pub token_ids: Vec<Vec<u32>>,
}

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixture() -> Fixture {
    let p = workspace().join("tests/fixtures/reference_vectors.json");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&p).expect("reference fixture")).unwrap();
    let list = |k: &str| v[k].as_array().unwrap().clone();
    Fixture {
        sentences: list("sentences")
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect(),
        vectors: list("vectors")
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect()
            })
            .collect(),
        token_ids: list("token_ids")
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect()
            })
            .collect(),
    }
}

/// The unpacked all-MiniLM-L6-v2 (`scripts/fetch-base-model`). Missing is a
/// loud failure: the test command fetches it first.
pub fn base_model_dir() -> PathBuf {
    if let Ok(p) = std::env::var("SKILLMARK_BASE_MODEL") {
        return PathBuf::from(p);
    }
    let cache = std::env::var("SKILLMARK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/skillmark"));
    let dir = cache.join("base/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "base model missing at {}: run scripts/fetch-base-model",
        dir.display()
    );
    dir
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// Lowest cosine between `got` and the fixture's vectors.
pub fn min_cosine(got: &[Vec<f32>], want: &[Vec<f32>]) -> f32 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(g, w)| cosine(g, w))
        .fold(1.0, f32::min)
}
