//! The highlight pipeline on the shipped `assets/`.

use std::path::Path;
use std::sync::OnceLock;

use skillmark::{HighlightOptions, Highlighter, SpanKind};
use skillmark_model::Precision;

fn highlighter() -> &'static Highlighter {
    static H: OnceLock<Highlighter> = OnceLock::new();
    H.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        Highlighter::load_dir(&dir, Precision::Int8).expect("shipped assets load")
    })
}

/// Every span's offsets point at its text, in bytes, chars and UTF-16 units.
fn assert_offsets(text: &str, h: &skillmark::Highlights) {
    for s in &h.spans {
        assert_eq!(&text[s.start..s.end], s.text);
        assert_eq!(text[..s.start].chars().count(), s.start_char);
        assert_eq!(text[..s.end].chars().count(), s.end_char);
        assert_eq!(text[..s.start].encode_utf16().count(), s.start_utf16);
        assert_eq!(text[..s.end].encode_utf16().count(), s.end_utf16);
        assert!(!s.text.trim().is_empty());
        assert_eq!(s.text, s.text.trim());
    }
}

#[test]
fn finds_and_links_skills_with_exact_offsets() {
    let text = "Über uns 😀\n\n  •\u{a0}Strong experience with Python and SQL.\n- You will manage a team of nurses; first aid is a plus!";
    let h = highlighter()
        .highlight(text, &HighlightOptions::default())
        .unwrap();
    assert_eq!(h.segments, 4);
    assert_offsets(text, &h);
    let python = h
        .spans
        .iter()
        .find(|s| s.text == "Python")
        .expect("Python is highlighted");
    assert_ne!(python.kind, SpanKind::Implicit);
    assert!(
        python.links[0].label.starts_with("Python"),
        "{:?}",
        python.links
    );
    assert!(!h.skills.is_empty());
    let json = serde_json::to_value(&h).unwrap();
    assert!(json["spans"][0].get("startUtf16").is_some());
    assert!(json["skills"][0].get("bestScore").is_some());
}

#[test]
fn empty_and_whitespace_inputs_give_nothing() {
    for t in ["", "   \n\t\u{a0}\n", "• • •"] {
        let h = highlighter()
            .highlight(t, &HighlightOptions::default())
            .unwrap();
        assert!(h.spans.is_empty() && h.skills.is_empty(), "{t:?}");
    }
}

#[test]
fn segments_stream_to_the_same_result() {
    let text = "We need Java developers.\nKnowledge of Docker and Kubernetes. Teamwork matters.";
    let hl = highlighter();
    let opts = HighlightOptions::default();
    let whole = hl.highlight(text, &opts).unwrap();
    let mut spans = Vec::new();
    for seg in hl.segments(text) {
        spans.extend(hl.highlight_segments(text, &[seg], &opts).unwrap().spans);
    }
    assert_eq!(whole.spans, spans);
    // Out-of-range or split-char segments are ignored, not a panic.
    let bad = [
        skillmark::Segment {
            start: 3,
            end: 10_000,
        },
        skillmark::Segment { start: 0, end: 0 },
    ];
    assert!(hl
        .highlight_segments(text, &bad, &opts)
        .unwrap()
        .spans
        .is_empty());
}

#[test]
fn huge_and_hostile_input_does_not_panic() {
    let mut text = String::new();
    for i in 0..400 {
        text.push_str(&format!(
            "Line {i}: <b>Python</b> &amp; SQL\u{0}\u{200B} ąčę 😀 {}\n",
            "x".repeat(i % 50)
        ));
    }
    text.push_str(&"a".repeat(5000));
    let h = highlighter()
        .highlight(
            &text,
            &HighlightOptions {
                implicit: false,
                ..Default::default()
            },
        )
        .unwrap();
    assert_offsets(&text, &h);
    assert!(!h.spans.is_empty());
}

#[test]
fn hover_card_lookup() {
    let hl = highlighter();
    let tax = &hl.ranker.taxonomy;
    let uri = &tax.skills[tax.skill_by_label("Python (computer programming)").unwrap()].uri;
    let s = hl.skill(uri).unwrap();
    assert_eq!(s.category, skillmark::Category::Technology);
    assert_eq!(s.skill_type, "knowledge");
    assert!(hl.skill("nope").is_none());
}

#[test]
fn categories_follow_the_documented_mapping() {
    use skillmark::Category::*;
    let hl = highlighter();
    let tax = &hl.ranker.taxonomy;
    for (label, want) in [
        ("Python (computer programming)", Technology),
        ("SQL", Technology),
        ("use spreadsheets software", Technology),
        ("work in teams", Soft),
        ("English", Soft),
        ("show initiative", Soft),
        ("manage staff", Business),
        ("accounting", Business),
        ("operate forklift", Technical),
        ("welding techniques", Technical),
        ("install plumbing systems", Technical),
    ] {
        let i = tax
            .skill_by_label(label)
            .unwrap_or_else(|| panic!("{label} is an ESCO label"));
        let paths: Vec<Vec<&str>> = tax
            .ancestry(i)
            .into_iter()
            .map(|p| p.into_iter().filter_map(|n| tax.node_label(n)).collect())
            .collect();
        assert_eq!(hl.category(i), want, "{label}: {paths:?}");
    }
}

#[test]
fn highlights_never_overlap() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/job-post.txt"),
    )
    .unwrap();
    let h = highlighter()
        .highlight(&text, &HighlightOptions::default())
        .unwrap();
    assert!(!h.spans.is_empty());
    let mut spans: Vec<(usize, usize)> = h.spans.iter().map(|s| (s.start, s.end)).collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlapping highlights {w:?}");
    }
}

/// The browser runs the span tagger in a second worker: its tags, handed to
/// the highlighter, give exactly the highlights of the one-worker path.
#[test]
fn tags_from_a_separate_span_tagger_give_the_same_highlights() {
    use skillmark::{AssetBytes, SpanTagger};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let files: std::collections::BTreeMap<String, Vec<u8>> =
        ["tokenizer.json", "encoder.gguf", "tagger.gguf"]
            .iter()
            .map(|n| (n.to_string(), read(n)))
            .collect();
    let assets = AssetBytes::partial(&read("manifest.json"), files).expect("subset verifies");
    let tagger = SpanTagger::from_assets(assets, Precision::Int8).expect("span tagger loads");
    let h = highlighter();
    let text = "We use Python, SQL and Kubernetes daily.\n\nYou will lead a small team and \
                mentor junior engineers. Experience with financial reporting is a plus. \
                Knowledge of German is required.";
    let opts = HighlightOptions::default();
    let segments = h.segments(text);
    // Streamed in two parts, as the worker does.
    for part in [&segments[..1], &segments[1..]] {
        let tags = tagger.tag_segments(text, part).unwrap();
        assert!(!tags.is_empty());
        let split = h
            .highlight_segments_with_tags(text, part, &tags, &opts)
            .unwrap();
        assert_eq!(split, h.highlight_segments(text, part, &opts).unwrap());
    }
    assert!(!h.highlight(text, &opts).unwrap().spans.is_empty());
    // Tags of another text are refused, not misapplied.
    let other = tagger
        .tag_segments("Python.", &h.segments("Python."))
        .unwrap();
    assert!(h
        .highlight_segments_with_tags(text, &segments, &other, &opts)
        .is_err());
}

#[test]
fn a_partial_bundle_is_verified_file_by_file() {
    use skillmark::{AssetBytes, SpanTagger};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    let mut enc = std::fs::read(dir.join("encoder.gguf")).unwrap();
    enc.truncate(enc.len() / 2);
    let files = [("encoder.gguf".to_string(), enc)].into_iter().collect();
    let err = AssetBytes::partial(&manifest, files)
        .err()
        .expect("truncated file");
    assert!(err.to_string().contains("encoder.gguf"), "{err}");
    let files = [("stray.bin".to_string(), vec![1u8])].into_iter().collect();
    assert!(AssetBytes::partial(&manifest, files).is_err());
    // Without the tagger file there is nothing to run.
    let files = std::collections::BTreeMap::new();
    let assets = AssetBytes::partial(&manifest, files).unwrap();
    let err = SpanTagger::from_assets(assets, Precision::Int8)
        .err()
        .expect("no files");
    assert!(err.to_string().contains("missing"), "{err}");
}

/// The browser's loader (each file dropped once read) builds the same engine.
#[test]
fn loading_from_owned_files_gives_the_same_highlights() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let assets = skillmark::AssetBytes::read_dir(&dir).unwrap();
    let owned = Highlighter::from_asset_files(assets, Precision::Int8).unwrap();
    let text = "Experience with Kubernetes and Terraform. You will coach junior developers.";
    let opts = HighlightOptions::default();
    let want = highlighter().highlight(text, &opts).unwrap();
    assert!(!want.spans.is_empty());
    assert_eq!(owned.highlight(text, &opts).unwrap(), want);
    assert_eq!(owned.default_options(), highlighter().default_options());
}

/// Bytes that record the largest single read made from them.
struct Recording {
    bytes: Vec<u8>,
    largest_read: std::cell::Cell<usize>,
}

impl skillmark_model::weights::ByteSource for Recording {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.largest_read
            .set(self.largest_read.get().max(buf.len()));
        self.bytes.as_slice().read_at(offset, buf)
    }
}

/// The tagger's worker reads its weight files a tensor at a time from the JS
/// buffers (`SpanTagger::from_sources`): same tags as from whole files, no
/// read of a whole file, and a corrupted file is refused by name.
#[test]
fn a_span_tagger_read_by_position_matches_and_never_reads_a_file_whole() {
    use skillmark::{AssetBytes, SpanTagger};
    use skillmark_model::weights::ByteSource;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let source = |n: &str| Recording {
        bytes: read(n),
        largest_read: Default::default(),
    };
    let manifest_json = read("manifest.json");
    let manifest = skillmark::Manifest::from_json(&manifest_json).unwrap();
    let (encoder, tagger) = (source("encoder.gguf"), source("tagger.gguf"));
    let by_position = SpanTagger::from_sources(
        &manifest,
        &read("tokenizer.json"),
        &encoder,
        &tagger,
        Precision::Int8,
    )
    .expect("loads by position");
    // The largest tensor, the encoder's word-embedding table, is about half
    // of its file; the tagger file has only layers.
    for (s, most) in [(&encoder, 0.55), (&tagger, 0.2)] {
        let largest = s.largest_read.get();
        assert!(
            largest > 0 && (largest as f64) < most * s.bytes.len() as f64,
            "read {largest} of {} bytes at once",
            s.bytes.len()
        );
    }
    let files = ["tokenizer.json", "encoder.gguf", "tagger.gguf"]
        .iter()
        .map(|n| (n.to_string(), read(n)))
        .collect();
    let whole = SpanTagger::from_assets(
        AssetBytes::partial(&manifest_json, files).unwrap(),
        Precision::Int8,
    )
    .unwrap();
    let text = "Strong SQL and Python skills. You will mentor junior engineers and \
                manage stakeholder expectations.";
    let segments = highlighter().segments(text);
    assert_eq!(
        by_position.tag_segments(text, &segments).unwrap(),
        whole.tag_segments(text, &segments).unwrap()
    );
    let mut bad = source("tagger.gguf");
    let last = bad.bytes.len() - 1;
    bad.bytes[last] ^= 1;
    let err = SpanTagger::from_sources(
        &manifest,
        &read("tokenizer.json"),
        &encoder,
        &bad,
        Precision::Int8,
    )
    .err()
    .expect("corrupted tagger");
    assert!(err.to_string().contains("tagger.gguf"), "{err}");
    assert!(bad.size() > 0);
}
