//! The committed web bundle (`assets/web/`, what the site serves) belongs to
//! the committed full bundle (`assets/`): it names the full bundle's version
//! and encoder, every file matches its manifest, and it highlights. Building
//! the site copies it instead of running the trainer; after a change to
//! `assets/`, `scripts/export-web-bundle` derives it again (and
//! `scripts/export-web-bundle --check` proves it byte-identical).

use std::path::{Path, PathBuf};

use skillmark::{Engine, Precision};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn the_web_bundle_is_derived_from_the_current_full_bundle() {
    let full = manifest(&assets());
    let web = manifest(&assets().join("web"));
    let stale = "assets/web/ is stale: run scripts/export-web-bundle and commit assets/web/";
    assert_eq!(web["web"]["derived_from"], full["version"], "{stale}");
    assert_eq!(
        web["web"]["full_encoder_sha256"], full["files"]["encoder.gguf"]["sha256"],
        "{stale}"
    );
    let command = web["web"]["command"].as_str().unwrap();
    assert!(
        command.contains("--calibration 1024 ")
            && command.contains("--spans-data ../shared/data/skillspan "),
        "assets/web/ must be exported with export-web's defaults, not {command}"
    );
}

#[test]
fn the_web_bundle_loads_and_highlights_as_the_browser_runs_it() {
    // Every file is checked against the web manifest's sha256 while loading.
    let engine = Engine::load_dir_with(&assets().join("web"), Precision::Int8All).unwrap();
    let text = "You will build data pipelines in Python and SQL.";
    let h = engine.highlight(text, &engine.default_options()).unwrap();
    let linked: Vec<&str> = h
        .spans
        .iter()
        .filter(|s| !s.links.is_empty())
        .map(|s| s.text.as_str())
        .collect();
    assert!(linked.contains(&"Python"), "{linked:?}");
    assert!(!h.skills.is_empty());
}
