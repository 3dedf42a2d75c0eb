//! The shipped asset bundle: `manifest.json` plus the files it lists, each
//! checked against its sha256 before use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use skillmark_model::weights::ByteSource;

use crate::Error;

pub const MANIFEST: &str = "manifest.json";
pub const ENCODER: &str = "encoder.gguf";
pub const TOKENIZER: &str = "tokenizer.json";
pub const INDEX: &str = "skills.index";
pub const TAXONOMY: &str = "esco.bin";
pub const TAGGER: &str = "tagger.gguf";
/// The occupations' label vectors (skill-index format, one row per
/// occupation); without it they are embedded on first use.
pub const OCCUPATIONS: &str = "occupations.index";
/// The taxonomy's occupations and their skill edges, apart from `esco.bin`
/// (the web bundle's form: fetched only when occupations are asked for).
pub const OCCUPATION_TAXONOMY: &str = "occupations.bin";
/// The files a bundle must have.
pub const REQUIRED: [&str; 4] = [ENCODER, TOKENIZER, INDEX, TAXONOMY];
/// Files a bundle may have; when the manifest lists one, it is read and verified.
pub const OPTIONAL: [&str; 3] = [TAGGER, OCCUPATIONS, OCCUPATION_TAXONOMY];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub sha256: String,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
}

/// `manifest.json`: the file list is typed; everything else (provenance,
/// metrics, attribution) is kept as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Bumped whenever any file changes; caches key on it.
    pub version: String,
    pub files: BTreeMap<String, FileEntry>,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Asset {
            file: MANIFEST.into(),
            message: e.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serializes") + "\n"
    }

    /// Checks `bytes` against the manifest's entry for `name`.
    pub fn verify(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.verify_source(name, bytes)
    }

    /// As [`Self::verify`], hashing `src` a chunk at a time (a file held
    /// outside this memory is never copied whole).
    pub fn verify_source<S: ByteSource + ?Sized>(&self, name: &str, src: &S) -> Result<(), Error> {
        let bad = |message: String| Error::Asset {
            file: name.into(),
            message,
        };
        let entry = self
            .files
            .get(name)
            .ok_or_else(|| bad("not listed in manifest.json".into()))?;
        let size = src.size();
        if size != entry.bytes {
            return Err(bad(format!(
                "is {size} bytes, manifest says {} (truncated or replaced?)",
                entry.bytes
            )));
        }
        let mut hasher = Sha256::new();
        let mut chunk = vec![0u8; (1 << 20).min(size as usize)];
        let mut at = 0u64;
        while at < size {
            let n = chunk.len().min((size - at) as usize);
            src.read_at(at, &mut chunk[..n])
                .map_err(|e| bad(format!("unreadable: {e}")))?;
            hasher.update(&chunk[..n]);
            at += n as u64;
        }
        let got = hex::encode(hasher.finalize());
        if got != entry.sha256 {
            return Err(bad(format!(
                "sha256 {got} does not match the manifest's {} (corrupted?)",
                entry.sha256
            )));
        }
        Ok(())
    }

    /// Records `bytes` as the content of `name`.
    pub fn set_file(&mut self, name: &str, bytes: &[u8], role: &str) {
        self.files.insert(
            name.into(),
            FileEntry {
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
                role: role.into(),
            },
        );
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The bytes of a bundle, verified.
pub struct AssetBytes {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl AssetBytes {
    /// Verifies every required file against the manifest.
    pub fn new(manifest_json: &[u8], files: BTreeMap<String, Vec<u8>>) -> Result<Self, Error> {
        let manifest = Manifest::from_json(manifest_json)?;
        for name in REQUIRED {
            let bytes = files.get(name).ok_or_else(|| Error::Asset {
                file: name.into(),
                message: "missing".into(),
            })?;
            manifest.verify(name, bytes)?;
        }
        for name in OPTIONAL {
            if let Some(bytes) = files.get(name) {
                manifest.verify(name, bytes)?;
            }
        }
        Ok(AssetBytes { manifest, files })
    }

    /// Some files of a bundle (what one component needs, e.g. the span
    /// tagger's worker), each verified against the manifest; a file the
    /// manifest does not list is an error.
    pub fn partial(manifest_json: &[u8], files: BTreeMap<String, Vec<u8>>) -> Result<Self, Error> {
        let manifest = Manifest::from_json(manifest_json)?;
        for (name, bytes) in &files {
            manifest.verify(name, bytes)?;
        }
        Ok(AssetBytes { manifest, files })
    }

    /// Reads and verifies a bundle directory.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir(dir: &std::path::Path) -> Result<Self, Error> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read(&p).map_err(|e| Error::Asset {
                file: p.display().to_string(),
                message: e.to_string(),
            })
        };
        let manifest = read(MANIFEST)?;
        let mut files = BTreeMap::new();
        for name in REQUIRED {
            files.insert(name.to_string(), read(name)?);
        }
        let listed = Manifest::from_json(&manifest)?;
        for name in OPTIONAL {
            if listed.files.contains_key(name) {
                files.insert(name.to_string(), read(name)?);
            }
        }
        Self::new(&manifest, files)
    }

    /// The bytes of an optional file, if the bundle has it.
    pub fn optional(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(|v| v.as_slice())
    }

    pub fn get(&self, name: &str) -> &[u8] {
        self.files.get(name).map(|v| v.as_slice()).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> (Vec<u8>, BTreeMap<String, Vec<u8>>) {
        let mut m = Manifest {
            version: "1".into(),
            files: BTreeMap::new(),
            rest: Default::default(),
        };
        let mut files = BTreeMap::new();
        for name in REQUIRED {
            let bytes = format!("content of {name}").into_bytes();
            m.set_file(name, &bytes, "test");
            files.insert(name.to_string(), bytes);
        }
        (m.to_json().into_bytes(), files)
    }

    #[test]
    fn verifies_checksums_and_sizes() {
        let (m, files) = bundle();
        assert!(AssetBytes::new(&m, files.clone()).is_ok());

        let mut corrupt = files.clone();
        corrupt.get_mut(ENCODER).unwrap()[0] ^= 1;
        let e = AssetBytes::new(&m, corrupt).err().unwrap().to_string();
        assert!(e.contains("encoder.gguf") && e.contains("sha256"), "{e}");

        let mut truncated = files.clone();
        truncated.get_mut(INDEX).unwrap().pop();
        let e = AssetBytes::new(&m, truncated).err().unwrap().to_string();
        assert!(e.contains("skills.index") && e.contains("truncated"), "{e}");

        let mut missing = files;
        missing.remove(TAXONOMY);
        let e = AssetBytes::new(&m, missing).err().unwrap().to_string();
        assert!(e.contains("esco.bin") && e.contains("missing"), "{e}");

        assert!(AssetBytes::new(b"{not json", BTreeMap::new()).is_err());
    }

    #[test]
    fn keeps_unknown_manifest_fields() {
        let j = br#"{"version":"3","files":{},"metrics":{"tech":{"rp5":50.0}}}"#;
        let m = Manifest::from_json(j).unwrap();
        assert_eq!(m.rest["metrics"]["tech"]["rp5"], 50.0);
        assert!(m.to_json().contains("\"metrics\""));
    }
}
