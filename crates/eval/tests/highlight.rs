//! Threshold sweeps on the shipped `assets/`: [`skills_at`] lists what a
//! highlighter run with those thresholds would.

use std::path::Path;
use std::sync::OnceLock;

use skillmark::{HighlightOptions, Highlighter, Precision};
use skillmark_eval::highlight::skills_at;

fn highlighter() -> &'static Highlighter {
    static H: OnceLock<Highlighter> = OnceLock::new();
    H.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        Highlighter::load_dir(&dir, Precision::Int8).expect("shipped assets load")
    })
}

#[test]
fn skills_at_equals_a_run_with_those_thresholds() {
    let hl = highlighter();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/job-post.txt"),
    )
    .unwrap();
    let low = HighlightOptions {
        min_score: f32::NEG_INFINITY,
        implicit_min_score: f32::NEG_INFINITY,
        ..Default::default()
    };
    let all = hl.highlight(&text, &low).unwrap();
    for (t, ti) in [(0.3, 0.4), (0.5, 0.6), (0.6, 0.65), (0.7, f32::INFINITY)] {
        let opts = HighlightOptions {
            min_score: t,
            implicit_min_score: ti,
            ..Default::default()
        };
        let direct: std::collections::BTreeSet<String> = hl
            .highlight(&text, &opts)
            .unwrap()
            .skills
            .into_iter()
            .map(|s| s.uri)
            .collect();
        assert!(!direct.is_empty() || t >= 0.7);
        assert_eq!(skills_at(hl, &all, t, ti), direct, "thresholds {t} / {ti}");
    }
}
