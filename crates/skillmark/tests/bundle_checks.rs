//! A bundle whose parts belong to different encoders is refused, with a
//! message naming the part and what to run: the skill index and the span
//! tagger each record the sha256 of the encoder they were made with.

use std::path::{Path, PathBuf};

use skillmark::{Engine, Precision};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A copy of the bundle in `from` with `swap` (name → file) put in and the
/// manifest's entries updated to match; `drop` files are left out; `edit`
/// changes the rest of the manifest.
fn mixed_bundle(
    from: &Path,
    swap: &[(&str, PathBuf)],
    drop: &[&str],
    edit: impl FnOnce(&mut serde_json::Value),
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from.join("manifest.json")).unwrap()).unwrap();
    let names: Vec<String> = manifest["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for name in names {
        if drop.contains(&name.as_str()) {
            manifest["files"].as_object_mut().unwrap().remove(&name);
            continue;
        }
        let src = swap
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| from.join(&name), |(_, p)| p.clone());
        let bytes = std::fs::read(src).unwrap();
        manifest["files"][&name]["sha256"] = sha256_hex(&bytes).into();
        manifest["files"][&name]["bytes"] = bytes.len().into();
        std::fs::write(dir.path().join(&name), bytes).unwrap();
    }
    edit(&mut manifest);
    std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
    dir
}

fn load_error(dir: &Path) -> String {
    match Engine::load_dir_with(dir, Precision::Int8) {
        Ok(_) => panic!("a mixed bundle loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn parts_of_another_encoder_are_refused() {
    // The index of the full encoder beside the web bundle's encoder.
    let other_encoder = assets().join("web/encoder.gguf");
    let dir = mixed_bundle(
        &assets(),
        &[("encoder.gguf", other_encoder)],
        &["tagger.gguf"],
        |_| {},
    );
    let e = load_error(dir.path());
    assert!(e.contains("skills.index was built with encoder"), "{e}");
    assert!(e.contains("skillmark index build"), "{e}");

    // The web tagger names the full encoder it was trained on; without the
    // manifest's record that the web encoder derives from it, it is refused.
    let web = assets().join("web");
    let dir = mixed_bundle(&web, &[], &[], |m| {
        m.as_object_mut().unwrap().remove("web");
    });
    let e = load_error(dir.path());
    assert!(e.contains("tagger.gguf was trained on encoder"), "{e}");

    // Both bundles as shipped load.
    Engine::load_dir_with(&assets(), Precision::Int8).unwrap();
    Engine::load_dir_with(&web, Precision::Int8All).unwrap();
}
