//! Pipeline stage 6: spans → ESCO skills. Each span is ranked against the
//! skill index as its text, its tokens in context, or a mix ([`LinkMode`]),
//! plus the lexical bonus for labels it names; each window without spans may
//! get implicit skills (the window itself ranked, above a higher threshold).

use skillmark_model::engine::{l2_normalize, mean_pool};
use skillmark_schema::{HighlightOptions, LinkMode, SpanKind};

use crate::encoder_pass::Pass;
use crate::index::top_k;
use crate::ranker::Ranker;
use crate::segments::Window;
use crate::spans::RawSpan;
use crate::Error;

/// A span with its scored skills (skill number, score), best first.
pub type LinkedSpan = (RawSpan, Vec<(u32, f32)>);

/// Links every span of every window (`found`, per window) and adds the
/// implicit skills of each window that has no span.
pub fn link(
    ranker: &Ranker,
    text: &str,
    windows: &[Window],
    passes: &[Pass],
    found: Vec<Vec<RawSpan>>,
    opts: &HighlightOptions,
) -> Result<Vec<LinkedSpan>, Error> {
    let h = ranker.encoder.dim();
    let span_texts: Vec<&str> = found
        .iter()
        .flatten()
        .map(|s| &text[s.start..s.end])
        .collect();
    let text_vecs = if opts.link != LinkMode::Context && !span_texts.is_empty() {
        ranker.encoder.embed(&span_texts)?
    } else {
        Vec::new()
    };
    let mut queries: Vec<Vec<f32>> = Vec::new();
    for (spans, pass) in found.iter().zip(passes) {
        for s in spans {
            let tv = text_vecs.get(queries.len());
            queries.push(span_vector(pass, h, s.a, s.b, tv, opts));
        }
    }
    let mut query_texts = span_texts;
    if opts.implicit {
        for (p, w) in passes.iter().zip(windows) {
            queries.push(mean_pool(&p.states, h));
            query_texts.push(&text[w[0].0..w[w.len() - 1].1]);
        }
    }
    let mut scores = if queries.is_empty() {
        Vec::new()
    } else {
        ranker.index.score_all(&queries)
    };
    let bonus = opts.lexical_bonus.unwrap_or(ranker.lexical_bonus);
    ranker.add_lexical_bonus(&query_texts, &mut scores, bonus);
    let mut out = Vec::new();
    let mut q = 0;
    let mut window_named: Vec<Vec<u32>> = Vec::with_capacity(windows.len());
    // Highlights never overlap: a segment with explicit spans gets no
    // sentence-wide implicit span on top of them.
    let has_spans: Vec<bool> = found.iter().map(|s| !s.is_empty()).collect();
    for spans in found {
        let mut named = Vec::new();
        for s in spans {
            let sc = &scores[q];
            q += 1;
            let mut links: Vec<(u32, f32)> = Vec::new();
            if let Some(n) = s.named {
                links.push((n, sc[n as usize]));
            }
            for h in top_k(sc, opts.top_k + 1) {
                if links.len() >= opts.top_k {
                    break;
                }
                if h.score >= opts.min_score && !links.iter().any(|l| l.0 == h.skill) {
                    links.push((h.skill, h.score));
                }
            }
            links.truncate(opts.top_k);
            if let Some(l) = links.first() {
                named.push(l.0);
            }
            out.push((s, links));
        }
        window_named.push(named);
    }
    if opts.implicit {
        for ((w, named), explicit) in windows.iter().zip(&window_named).zip(&has_spans) {
            let sc = &scores[q];
            q += 1;
            if *explicit {
                continue;
            }
            let links: Vec<(u32, f32)> = top_k(sc, opts.top_k)
                .into_iter()
                .filter(|h| h.score >= opts.implicit_min_score && !named.contains(&h.skill))
                .map(|h| (h.skill, h.score))
                .collect();
            if let Some(&(_, best)) = links.first() {
                let span = RawSpan {
                    a: 0,
                    b: w.len(),
                    start: w[0].0,
                    end: w[w.len() - 1].1,
                    kind: SpanKind::Implicit,
                    confidence: best,
                    named: None,
                };
                out.push((span, links));
            }
        }
    }
    Ok(out)
}

/// The vector a span is ranked with, per `opts.link`. `text_vec` is the
/// span text's embedding.
fn span_vector(
    pass: &Pass,
    h: usize,
    a: usize,
    b: usize,
    text_vec: Option<&Vec<f32>>,
    opts: &HighlightOptions,
) -> Vec<f32> {
    let ctx = || context_vector(pass, h, a, b);
    match (opts.link, text_vec) {
        (LinkMode::Text, Some(t)) => t.clone(),
        (LinkMode::Both, Some(t)) => match ctx() {
            Some(c) => mix(t, &c, opts.text_weight),
            None => t.clone(),
        },
        (_, t) => ctx().or_else(|| t.cloned()).unwrap_or_else(|| vec![0.0; h]),
    }
}

/// Mean of the last-layer states of words `a..b` of a pass (from the first
/// piece of word `a` to the first piece of word `b`, or to `[SEP]`), L2-normalised.
pub fn context_vector(pass: &Pass, h: usize, a: usize, b: usize) -> Option<Vec<f32>> {
    let first = pass.first_token[a..b].iter().flatten().next().copied()?;
    let end = pass.first_token[b..]
        .iter()
        .flatten()
        .next()
        .copied()
        .unwrap_or(pass.tokens.saturating_sub(1));
    (end > first).then(|| mean_pool(&pass.states[first * h..end * h], h))
}

/// `w · text + (1 − w) · context`, L2-normalised (both inputs normalised).
pub fn mix(text: &[f32], context: &[f32], w: f32) -> Vec<f32> {
    let mut v: Vec<f32> = text
        .iter()
        .zip(context)
        .map(|(t, c)| w * t + (1.0 - w) * c)
        .collect();
    l2_normalize(&mut v);
    v
}
