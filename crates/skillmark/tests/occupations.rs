//! Occupations on the shipped bundle: titles and documents rank the
//! occupation they name, with the skills behind it.

use std::path::Path;
use std::sync::OnceLock;

use skillmark::schema::OccupationOptions;
use skillmark::Engine;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
            .expect("shipped assets load")
    })
}

#[test]
fn a_title_finds_its_occupation_with_the_skills_behind_it() {
    let opts = OccupationOptions {
        title: true,
        top_k: 5,
        ..Default::default()
    };
    let found = engine()
        .occupations(&["Registered Nurse", "Truck driver (m/w/d)"], &opts)
        .unwrap();
    assert_eq!(found.len(), 2);
    for (suggestions, want) in found.iter().zip(["nurse", "driver"]) {
        assert_eq!(suggestions.len(), 5);
        assert!(
            suggestions[..3].iter().any(|o| o.label.contains(want)),
            "{want}: {:?}",
            suggestions.iter().map(|o| &o.label).collect::<Vec<_>>()
        );
        // Best first, in [0, 1].
        assert!(suggestions.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(suggestions.iter().all(|o| (0.0..=1.0).contains(&o.score)));
        let top = &suggestions[0];
        assert!(!top.supporting.is_empty() && top.supporting.len() <= opts.max_skills);
        // What is missing is essential and not among what supports it.
        assert!(top.missing_essential.iter().all(|m| m.essential));
        assert!(top
            .missing_essential
            .iter()
            .all(|m| top.supporting.iter().all(|s| s.uri != m.uri)));
        assert!(top
            .uri
            .starts_with("http://data.europa.eu/esco/occupation/"));
        assert_eq!(top.isco_group.len(), 4, "{top:?}");
    }
}

#[test]
fn a_job_post_finds_its_occupation_through_its_skills() {
    let post = "We are hiring a nurse for our intensive care unit. You will plan and \
                implement nursing care, administer medication, monitor patients' \
                vital signs and work with doctors and nursing staff.";
    let found = engine()
        .occupations(&[post], &OccupationOptions::default())
        .unwrap();
    let labels: Vec<&str> = found[0].iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels.len(), 10);
    assert!(
        labels[..5].iter().any(|l| l.contains("nurse")),
        "{labels:?}"
    );
    assert!(!found[0][0].supporting.is_empty());
}

#[test]
fn whole_rankings_agree_with_the_suggestions() {
    let e = engine();
    let scores = e.occupation_scores(&["software developer"], true).unwrap();
    let opts = OccupationOptions {
        title: true,
        top_k: 1,
        ..Default::default()
    };
    let best = &e.occupations(&["software developer"], &opts).unwrap()[0][0];
    let (i, top) = scores[0]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    assert_eq!(e.occupation(i).unwrap().0, best.uri);
    assert!((top - best.score).abs() < 1e-6);
    assert_eq!(best.label, "software developer");
    assert!(e.occupation(scores[0].len()).is_none());
    // Empty input, empty output.
    assert!(e.occupations(&[], &opts).unwrap().is_empty());
}

#[test]
fn stored_occupation_vectors_rank_as_embedding_them_does() {
    // The shipped bundle without occupations.index embeds the labels itself.
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let dir = tempfile::tempdir().unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["files"]["occupations.index"].is_object(),
        "the shipped bundle stores its occupation vectors"
    );
    manifest["files"]
        .as_object_mut()
        .unwrap()
        .remove("occupations.index");
    for name in manifest["files"].as_object().unwrap().keys() {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
    let embedded = Engine::load_dir(dir.path()).unwrap();

    let titles = [
        "Registered Nurse",
        "Java developer",
        "truck driver",
        "chef de partie",
    ];
    let post = "We are hiring a nurse to administer medication, monitor patients' vital signs and keep care records.";
    for title in [true, false] {
        let opts = OccupationOptions {
            title,
            top_k: 3,
            ..Default::default()
        };
        let texts: Vec<&str> = if title { titles.to_vec() } else { vec![post] };
        let a = engine().occupations(&texts, &opts).unwrap();
        let b = embedded.occupations(&texts, &opts).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x[0].uri, y[0].uri, "best occupation differs");
            assert!(
                (x[0].score - y[0].score).abs() < 0.02,
                "{} vs {}",
                x[0].score,
                y[0].score
            );
        }
    }
}

#[test]
fn the_web_bundle_adds_its_occupations_when_asked() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/web");
    let manifest = std::fs::read(web.join("manifest.json")).unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let read = |n: &str| std::fs::read(web.join(n)).unwrap();
    let occupation_files = ["occupations.bin", "occupations.index"];
    // Loaded as the page loads it: without the occupation files.
    let mut files = std::collections::BTreeMap::new();
    for name in listed["files"].as_object().unwrap().keys() {
        if !occupation_files.contains(&name.as_str()) {
            files.insert(name.clone(), read(name));
        }
    }
    let mut engine = Engine::from_bytes(&manifest, files, skillmark::Precision::Int8All).unwrap();
    assert!(!engine.has_occupations() && engine.occupations_pending());
    assert_eq!(engine.occupation_files(), occupation_files);
    let opts = OccupationOptions {
        title: true,
        top_k: 1,
        ..Default::default()
    };
    assert!(engine.occupations(&["nurse"], &opts).is_err());

    // A file that does not match the manifest is refused by name, and
    // nothing changes.
    let mut bad = std::collections::BTreeMap::new();
    let mut bytes = read("occupations.bin");
    bytes[100] ^= 1;
    bad.insert("occupations.bin".to_string(), bytes);
    let e = engine.add_occupations(bad).unwrap_err().to_string();
    assert!(e.contains("occupations.bin") && e.contains("sha256"), "{e}");
    let mut other = std::collections::BTreeMap::new();
    other.insert("esco.bin".to_string(), read("esco.bin"));
    assert!(engine.add_occupations(other).is_err());
    assert!(engine.occupations_pending());

    let mut add = std::collections::BTreeMap::new();
    for name in occupation_files {
        add.insert(name.to_string(), read(name));
    }
    engine.add_occupations(add).unwrap();
    assert!(engine.has_occupations() && !engine.occupations_pending());
    let found = engine.occupations(&["Registered Nurse"], &opts).unwrap();
    assert!(found[0][0].label.contains("nurse"), "{}", found[0][0].label);
    // The same as the web bundle read whole from its folder.
    let whole = Engine::load_dir_with(&web, skillmark::Precision::Int8All).unwrap();
    assert!(whole.has_occupations());
    let again = whole.occupations(&["Registered Nurse"], &opts).unwrap();
    assert_eq!(found[0][0].uri, again[0][0].uri);
    assert!((found[0][0].score - again[0][0].score).abs() < 1e-6);
}

#[test]
fn a_documents_known_skills_rank_its_occupations_as_reading_it_does() {
    let e = engine();
    let post = "We are hiring a nurse to administer medication, monitor patients' vital signs and keep care records.";
    let opts = OccupationOptions {
        top_k: 5,
        ..Default::default()
    };
    let read = e.occupations(&[post], &opts).unwrap().remove(0);
    let h = e.highlight(post, &e.default_options()).unwrap();
    let skills: Vec<(&str, f32)> = h
        .skills
        .iter()
        .map(|s| (s.uri.as_str(), s.best_score))
        .collect();
    let known = e.occupations_for_skills(post, &skills, &opts).unwrap();
    assert_eq!(read, known);
    // Unknown URIs are left out, not an error.
    let none = e
        .occupations_for_skills(post, &[("not a uri", 0.9)], &opts)
        .unwrap();
    assert_eq!(none.len(), 5);
}
