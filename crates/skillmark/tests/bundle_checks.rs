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

#[test]
fn occupation_vectors_of_another_encoder_or_taxonomy_are_refused() {
    let web_occupations = assets().join("web/occupations.index");
    let dir = mixed_bundle(
        &assets(),
        &[("occupations.index", web_occupations)],
        &[],
        |_| {},
    );
    let e = load_error(dir.path());
    assert!(e.contains("occupations.index: built with encoder"), "{e}");
    assert!(e.contains("skillmark index occupations"), "{e}");

    // The skill index has the right encoder but a row per skill.
    let dir = mixed_bundle(
        &assets(),
        &[("occupations.index", assets().join("skills.index"))],
        &[],
        |_| {},
    );
    let e = load_error(dir.path());
    assert!(e.contains("occupations.index: 27792 rows"), "{e}");

    // Cut short, with a manifest that agrees: refused by name, not a panic.
    let cut = tempfile::NamedTempFile::new().unwrap();
    let bytes = std::fs::read(assets().join("occupations.index")).unwrap();
    std::fs::write(cut.path(), &bytes[..bytes.len() / 2]).unwrap();
    let dir = mixed_bundle(
        &assets(),
        &[("occupations.index", cut.path().to_path_buf())],
        &[],
        |_| {},
    );
    let e = load_error(dir.path());
    assert!(e.contains("asset occupations.index: corrupt"), "{e}");
}

#[test]
fn a_bundle_without_occupations_says_so() {
    let full =
        esco::Taxonomy::from_bytes(&std::fs::read(assets().join("esco.bin")).unwrap()).unwrap();
    let skills_only = esco::Taxonomy::new(
        full.version.clone(),
        full.skills.clone(),
        full.groups.clone(),
        Vec::new(),
        Vec::new(),
    );
    let tax = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tax.path(), skills_only.to_bytes().unwrap()).unwrap();
    let dir = mixed_bundle(
        &assets(),
        &[("esco.bin", tax.path().to_path_buf())],
        &["occupations.index"],
        |_| {},
    );
    let engine = Engine::load_dir(dir.path()).unwrap();
    assert!(!engine.has_occupations());
    let err = engine
        .occupations(&["nurse"], &skillmark::schema::OccupationOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no occupations"), "{err}");
    // Comparing still works; no skill is essential or optional then.
    let c = engine
        .compare("We need Python.", "I know Python.", &Default::default())
        .unwrap();
    assert!(c.occupations.is_empty());
}
