//! Span linking on the shipped `assets/`: the three link modes, the lexical
//! bonus in the highlighter, and thresholds. Expected skills were
//! checked by hand against ESCO.

use std::path::Path;
use std::sync::OnceLock;

use skillmark::index::top_k;
use skillmark::links::mix;
use skillmark::{HighlightOptions, Highlighter, LinkMode};
use skillmark_model::Precision;

fn highlighter() -> &'static Highlighter {
    static H: OnceLock<Highlighter> = OnceLock::new();
    H.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        Highlighter::load_dir(&dir, Precision::Int8).expect("shipped assets load")
    })
}

fn span(sentence: &str, span: &str) -> (usize, usize) {
    let s = sentence.find(span).expect("span in sentence");
    (s, s + span.len())
}

/// Preferred labels of the 3 best skills for a query vector, and the scores of every skill.
fn best(q: &[f32]) -> (Vec<String>, Vec<f32>) {
    let hl = highlighter();
    let sc = hl.ranker.index.score_all(&[q.to_vec()]).remove(0);
    let labels = top_k(&sc, 3)
        .iter()
        .map(|h| {
            hl.ranker.taxonomy.skills[h.skill as usize]
                .preferred_label
                .clone()
        })
        .collect();
    (labels, sc)
}

fn skill(label: &str) -> usize {
    highlighter()
        .ranker
        .taxonomy
        .skill_by_label(label)
        .unwrap_or_else(|| panic!("{label} is an ESCO label"))
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
}

#[test]
fn text_mode_embeds_the_span_alone() {
    let hl = highlighter();
    let dev = "Experience with Java development is required.";
    let coffee = "We serve Java coffee to guests every morning.";
    let a = &hl.span_vectors(dev, &[span(dev, "Java")]).unwrap()[0];
    let b = &hl.span_vectors(coffee, &[span(coffee, "Java")]).unwrap()[0];
    // The sentence does not matter: the same text gives the same vector, the
    // encoder's embedding of "Java".
    assert_eq!(a.text, b.text);
    assert_eq!(a.text, hl.ranker.encoder.embed(&["Java"]).unwrap()[0]);
    assert_eq!(best(&a.text).0[0], "Java (computer programming)");
}

#[test]
fn context_mode_reads_the_sentence() {
    let hl = highlighter();
    // A span cut short (as a tagger may cut it): its text alone says
    // "manage a", the sentence says what is managed.
    let s = "You will manage a budget of 2 million.";
    let v = &hl.span_vectors(s, &[span(s, "manage a")]).unwrap()[0];
    let ctx = v.context.as_ref().expect("the span has tokens");
    assert_eq!(best(ctx).0[0], "manage budgets");
    assert_ne!(
        best(&v.text).0[0],
        "manage budgets",
        "text alone cannot know"
    );
    // The same word scores its skill lower where the sentence is about coffee.
    let dev = "Experience with Java development is required.";
    let coffee = "We serve Java coffee to guests every morning.";
    let java = skill("Java (computer programming)");
    let in_dev = best(
        hl.span_vectors(dev, &[span(dev, "Java")]).unwrap()[0]
            .context
            .as_ref()
            .unwrap(),
    )
    .1[java];
    let in_coffee = best(
        hl.span_vectors(coffee, &[span(coffee, "Java")]).unwrap()[0]
            .context
            .as_ref()
            .unwrap(),
    )
    .1[java];
    assert!(in_dev > in_coffee + 0.1, "{in_dev} vs {in_coffee}");
}

#[test]
fn both_mode_mixes_text_and_context() {
    let hl = highlighter();
    let s = "You will manage a budget of 2 million.";
    let v = &hl.span_vectors(s, &[span(s, "manage a")]).unwrap()[0];
    let ctx = v.context.as_ref().unwrap();
    // Weights 1 and 0 give back the two vectors; 0.5 is their normalised sum.
    assert!(close(&mix(&v.text, ctx, 1.0), &v.text));
    assert!(close(&mix(&v.text, ctx, 0.0), ctx));
    let mut sum: Vec<f32> = v.text.iter().zip(ctx).map(|(a, b)| a + b).collect();
    skillmark_model::engine::l2_normalize(&mut sum);
    let both = mix(&v.text, ctx, 0.5);
    assert!(close(&both, &sum));
    // The mix keeps what the context knows here.
    assert_eq!(best(&both).0[0], "manage budgets");
}

#[test]
fn the_highlighter_links_with_the_measured_vectors() {
    // What `skillmark eval links` measures is what `highlight` does, per mode.
    let hl = highlighter();
    let text = "Strong experience with Python and SQL.";
    for mode in [LinkMode::Text, LinkMode::Context, LinkMode::Both] {
        let opts = HighlightOptions {
            link: mode,
            lexical_bonus: Some(0.0),
            min_score: f32::NEG_INFINITY,
            ..Default::default()
        };
        let h = hl.highlight(text, &opts).unwrap();
        let py = h
            .spans
            .iter()
            .find(|s| s.text == "Python")
            .expect("the tagger finds Python");
        let v = &hl.span_vectors(text, &[(py.start, py.end)]).unwrap()[0];
        let ctx = v.context.as_ref().unwrap();
        let q = match mode {
            LinkMode::Text => v.text.clone(),
            LinkMode::Context => ctx.clone(),
            LinkMode::Both => mix(&v.text, ctx, opts.text_weight),
        };
        let (labels, sc) = best(&q);
        assert_eq!(py.links[0].label, labels[0], "{mode:?}");
        assert_eq!(py.links[0].label, "Python (computer programming)");
        let want = sc[skill("Python (computer programming)")];
        assert!((py.links[0].score - want).abs() < 1e-5, "{mode:?}");
    }
}

#[test]
fn lexical_bonus_lifts_the_skills_a_span_names() {
    let hl = highlighter();
    let text = "Strong experience with Python and SQL.";
    let links = |b: f32| {
        let h = hl
            .highlight(
                text,
                &HighlightOptions {
                    lexical_bonus: Some(b),
                    min_score: f32::NEG_INFINITY,
                    ..Default::default()
                },
            )
            .unwrap();
        h.spans
            .into_iter()
            .find(|s| s.text == "Python")
            .expect("Python is tagged")
            .links
    };
    let (off, on) = (links(0.0), links(0.2));
    // "Python" is an ESCO alt label of Python (computer programming): its
    // score closes 0.2 of its distance to 1.
    assert_eq!(on[0].label, "Python (computer programming)");
    let want = off[0].score + 0.2 * (1.0 - off[0].score);
    assert!(
        (on[0].score - want).abs() < 1e-5,
        "{} {}",
        on[0].score,
        want
    );
    assert!(on.iter().all(|l| (0.0..=1.0).contains(&l.score)));
    // Skills the span does not name keep their scores.
    let other = |l: &[skillmark::SkillLink]| {
        l.iter()
            .find(|x| x.label == "computer programming")
            .map(|x| x.score)
    };
    assert_eq!(other(&off), other(&on));
}

#[test]
fn lexical_bonus_reaches_implicit_skills() {
    // Without label spans the tagger finds no span here; the segment names
    // "customer service", which the bonus lifts.
    let hl = highlighter();
    let text = "We offer a full-time position in customer service.";
    let implicit = |b: f32| {
        let h = hl
            .highlight(
                text,
                &HighlightOptions {
                    lexical_bonus: Some(b),
                    lexical_spans: false,
                    implicit_min_score: f32::NEG_INFINITY,
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(h
            .spans
            .iter()
            .all(|s| s.kind == skillmark::SpanKind::Implicit));
        h.skills
            .into_iter()
            .find(|s| s.label == "customer service")
            .map(|s| s.best_score)
    };
    let (off, on) = (implicit(0.0).unwrap_or(0.0), implicit(0.2).unwrap());
    assert!(
        (on - (off + 0.2 * (1.0 - off))).abs() < 1e-5,
        "{off} → {on}"
    );
}

#[test]
fn label_spans_mark_the_names_the_tagger_missed() {
    let hl = highlighter();
    let text = "You will build data pipelines in Python and SQL and mentor junior engineers.";
    let spans = |lexical_spans: bool| {
        hl.highlight(
            text,
            &HighlightOptions {
                lexical_spans,
                ..Default::default()
            },
        )
        .unwrap()
        .spans
    };
    let on = spans(true);
    for (name, skill) in [("Python", "Python (computer programming)"), ("SQL", "SQL")] {
        let s = on.iter().find(|s| s.text == name).expect(name);
        assert!(s.label_match, "{s:?}");
        assert_eq!(s.links[0].label, skill);
        assert!((0.0..=1.0).contains(&s.links[0].score));
    }
    // The shipped tagger alone marks neither; its own spans are kept.
    let off = spans(false);
    assert!(!off.iter().any(|s| s.text == "Python" || s.text == "SQL"));
    assert!(!off.iter().any(|s| s.label_match));
    for s in &off {
        assert!(on.iter().any(|o| o.start == s.start && o.end == s.end));
    }
    // A tagger span that spells a label names that skill.
    let h = hl
        .highlight("javascript reactjs java", &HighlightOptions::default())
        .unwrap();
    let java = h.spans.iter().find(|s| s.text == "java").expect("java");
    assert_eq!(java.links[0].label, "Java (computer programming)");
}

#[test]
fn defaults_are_the_measured_ones() {
    // docs/BENCHMARKS.md, "Span linking and thresholds".
    let d = HighlightOptions::default();
    assert_eq!(d.link, LinkMode::Context);
    assert_eq!(
        (d.text_weight, d.min_score, d.implicit_min_score),
        (0.5, 0.55, 0.8)
    );
    assert_eq!(d.lexical_bonus, None);
    assert!(d.lexical_spans);
    // The shipped manifest does not override them.
    assert_eq!(highlighter().default_options(), d);
}
