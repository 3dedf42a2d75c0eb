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
fn a_bundle_without_occupations_says_so() {
    let web = Engine::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/web"))
        .expect("web bundle loads");
    let err = web
        .occupations(&["nurse"], &OccupationOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no occupations"), "{err}");
}
