//! Text in, highlights out: skill and knowledge spans with exact offsets,
//! each linked to ESCO skills, plus the document's skill list.
//!
//! Pipeline per batch of segments: words → spans (the tagger of the bundle,
//! or exact ESCO label matches when the bundle has none) → links (the span
//! ranked against the skill index as its text, its tokens in context, or a
//! mix: [`LinkMode`]; plus the lexical bonus for labels the span names) →
//! implicit skills (the segment itself ranked, with the bonus for labels it
//! names; skills above a higher threshold, in segments without spans).

use std::collections::HashMap;

use skillmark_model::engine::{l2_normalize, mean_pool};
use skillmark_model::weights::ByteSource;
use skillmark_model::{Encoder, Precision, TextTokenizer};
pub use skillmark_schema::{
    DocumentSkill, HighlightOptions, HighlightSpan, Highlights, LinkMode, SkillLink, SpanKind,
};

use crate::assets::{AssetBytes, TAGGER};
use crate::bio::{decode, Bio};
use crate::category::{all_categories, Category};
use crate::index::top_k;
pub use crate::tagger::WordTags;
use crate::tagger::{align_document, run_aligned, run_passes, Tagged, Tagger};
use crate::text::{lengths, words, OffsetCursor};
use crate::{Error, Ranker};
pub use skillmark_schema::Segment;

/// Segments embedded together (bounds memory on huge inputs).
const SEGMENTS_PER_BATCH: usize = 64;
/// Words per tagger window; longer segments are cut into windows.
pub const WINDOW_WORDS: usize = 120;

/// A span found in a window before linking: words `a..b` of the window, byte
/// range, kind, confidence, and the skill a lexical match names.
struct RawSpan {
    a: usize,
    b: usize,
    start: usize,
    end: usize,
    kind: SpanKind,
    confidence: f32,
    named: Option<u32>,
}

/// A span with its scored skills (skill number, score), best first.
type LinkedSpan = (RawSpan, Vec<(u32, f32)>);
/// Skill and knowledge tags of one word sequence.
type WordBio = (Vec<Bio>, Vec<Bio>);

pub struct Highlighter {
    pub ranker: Ranker,
    pub tagger: Option<Tagger>,
    categories: Vec<Category>,
    defaults: HighlightOptions,
}

impl Highlighter {
    pub fn from_assets(assets: &AssetBytes, precision: Precision) -> Result<Self, Error> {
        let h = Self::parse(assets, precision)?;
        h.warm_up();
        Ok(h)
    }

    /// As [`Self::from_assets`], consuming the files: they are freed before
    /// the ESCO label automaton is built (the biggest allocation of loading),
    /// which lowers the peak memory of a load by the size of the bundle — in
    /// wasm, linear memory never shrinks, so the peak is what the worker keeps.
    pub fn from_asset_files(mut assets: AssetBytes, precision: Precision) -> Result<Self, Error> {
        // Each file is dropped as soon as it is read (the tagger first: it
        // reads the encoder's bytes as its base).
        let tagger = load_tagger(&assets, precision)?;
        assets.files.remove(TAGGER);
        let ranker = Ranker::from_asset_files(assets, precision)?;
        let h = Self::with_parts(ranker, tagger);
        h.warm_up();
        Ok(h)
    }

    /// The ESCO label automaton serves the lexical bonus and, without a
    /// tagger, the spans: build it while loading, not on the first text.
    fn warm_up(&self) {
        if self.tagger.is_none() || self.ranker.lexical_bonus != 0.0 {
            self.ranker.lexical();
        }
    }

    fn parse(assets: &AssetBytes, precision: Precision) -> Result<Self, Error> {
        let ranker = Ranker::from_assets(assets, precision)?;
        let tagger = load_tagger(assets, precision)?;
        Ok(Self::with_parts(ranker, tagger))
    }

    fn with_parts(ranker: Ranker, tagger: Option<Tagger>) -> Self {
        let categories = all_categories(&ranker.taxonomy);
        let mut defaults = HighlightOptions::default();
        if let Some(h) = ranker.manifest.rest.get("highlight") {
            if let Some(v) = h.get("min_score").and_then(|v| v.as_f64()) {
                defaults.min_score = v as f32;
            }
            if let Some(v) = h.get("implicit_min_score").and_then(|v| v.as_f64()) {
                defaults.implicit_min_score = v as f32;
            }
        }
        Highlighter {
            ranker,
            tagger,
            categories,
            defaults,
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path, precision: Precision) -> Result<Self, Error> {
        Self::from_assets(&AssetBytes::read_dir(dir)?, precision)
    }

    /// The bundle's default options (thresholds recorded in its manifest).
    pub fn default_options(&self) -> HighlightOptions {
        self.defaults.clone()
    }

    pub fn segments(&self, text: &str) -> Vec<Segment> {
        crate::text::segments(text)
    }

    pub fn highlight(&self, text: &str, opts: &HighlightOptions) -> Result<Highlights, Error> {
        self.highlight_segments(text, &self.segments(text), opts)
    }

    /// Highlights of the given segments of `text` (offsets relative to all of `text`).
    /// Segments outside the text or not on char boundaries are skipped.
    pub fn highlight_segments(
        &self,
        text: &str,
        segments: &[Segment],
        opts: &HighlightOptions,
    ) -> Result<Highlights, Error> {
        let valid = valid_segments(text, segments);
        if let Some(t) = self.tagger.as_ref().filter(|t| t.context > 0) {
            // The tagger reads each window among its neighbours, across
            // batches: tag the whole text first, then encode and link.
            let enc = &self.ranker.encoder;
            let tags = tag_windows(&enc.encoder, &enc.tokenizer, t, text, &valid)?;
            return self.highlight_encoded(self.encode_segments(text, &valid)?, &tags, opts);
        }
        let mut spans = Vec::new();
        for windows in window_batches(text, &valid) {
            let passes = self.passes(text, &windows, true)?;
            spans.extend(self.spans_and_links(text, &windows, &passes, opts)?);
        }
        Ok(self.assemble(text, valid.len(), spans))
    }

    /// As [`Self::highlight_segments`], with the span tags a [`SpanTagger`]
    /// computed for the same text and segments (in another thread or Web
    /// Worker): the same result, without running the tagger's layers here.
    /// `tags` must be [`SpanTagger::tag_segments`]'s output for these
    /// segments; anything else is an error.
    pub fn highlight_segments_with_tags(
        &self,
        text: &str,
        segments: &[Segment],
        tags: &[WordTags],
        opts: &HighlightOptions,
    ) -> Result<Highlights, Error> {
        self.highlight_encoded(self.encode_segments(text, segments)?, tags, opts)
    }

    /// The first half of [`Self::highlight_segments_with_tags`]: the ranker's
    /// encoder passes over the segments, which need no tags, so they can run
    /// while a [`SpanTagger`] tags the same segments elsewhere.
    pub fn encode_segments(
        &self,
        text: &str,
        segments: &[Segment],
    ) -> Result<EncodedSegments, Error> {
        let valid = valid_segments(text, segments);
        let batches = window_batches(text, &valid)
            .map(|windows| {
                let passes = self.passes(text, &windows, false)?;
                Ok((windows, passes))
            })
            .collect::<Result<_, Error>>()?;
        Ok(EncodedSegments {
            text: text.to_string(),
            segments: valid.len(),
            batches,
        })
    }

    /// The second half: spans from `tags`, links, the document's skills.
    pub fn highlight_encoded(
        &self,
        encoded: EncodedSegments,
        tags: &[WordTags],
        opts: &HighlightOptions,
    ) -> Result<Highlights, Error> {
        let lengths = encoded
            .batches
            .iter()
            .flat_map(|(w, _)| w.iter().map(Vec::len));
        let fits = lengths.clone().count() == tags.len()
            && lengths.zip(tags).all(|(n, t)| {
                t.skill.len() == n
                    && t.knowledge.len() == n
                    && t.skill_prob.len() == n
                    && t.knowledge_prob.len() == n
            });
        if !fits {
            return Err(Error::Mismatch(
                "span tags do not fit the segments (tagged from another text?)".into(),
            ));
        }
        let EncodedSegments {
            text,
            segments,
            batches,
        } = encoded;
        let mut spans = Vec::new();
        let mut rest = tags;
        for (windows, passes) in batches {
            let (now, later) = rest.split_at(windows.len());
            rest = later;
            let mut passes = passes;
            for (p, t) in passes.iter_mut().zip(now) {
                p.tags = Some(t.clone());
            }
            spans.extend(self.spans_and_links(&text, &windows, &passes, opts)?);
        }
        Ok(self.assemble(&text, segments, spans))
    }

    /// Sorted spans with their links → highlights with every offset form,
    /// and the document's skill list.
    fn assemble(&self, text: &str, segments: usize, mut spans: Vec<LinkedSpan>) -> Highlights {
        let mut out = Highlights {
            segments,
            ..Default::default()
        };
        let mut doc: HashMap<u32, DocumentSkill> = HashMap::new();
        let mut order: Vec<u32> = Vec::new();
        spans.sort_by_key(|(s, _)| (s.start, s.end));
        let mut cursor = OffsetCursor::new(text);
        for (raw, links) in spans {
            let (start_char, start_utf16) = cursor.at(raw.start);
            let (nc, nu) = lengths(&text[raw.start..raw.end]);
            // A span counts for the skill it links to; an implicit span for each of its skills.
            let counted = if raw.kind == SpanKind::Implicit {
                links.len()
            } else {
                1
            };
            for &(skill, score) in links.iter().take(counted) {
                let entry = doc.entry(skill).or_insert_with(|| {
                    order.push(skill);
                    let mut d = self.document_skill(skill as usize);
                    d.implicit = true;
                    d
                });
                entry.count += 1;
                entry.best_score = entry.best_score.max(score);
                entry.implicit &= raw.kind == SpanKind::Implicit;
            }
            out.spans.push(HighlightSpan {
                start: raw.start,
                end: raw.end,
                start_char,
                end_char: start_char + nc,
                start_utf16,
                end_utf16: start_utf16 + nu,
                text: text[raw.start..raw.end].to_string(),
                kind: raw.kind,
                confidence: raw.confidence,
                links: links.iter().map(|&(s, sc)| self.link_of(s, sc)).collect(),
            });
        }
        out.skills = order.into_iter().filter_map(|s| doc.remove(&s)).collect();
        out.skills.sort_by(|a, b| {
            a.implicit
                .cmp(&b.implicit)
                .then(b.count.cmp(&a.count))
                .then(b.best_score.total_cmp(&a.best_score))
        });
        out
    }

    /// Label, description and category of a skill, for hover cards.
    pub fn skill(&self, uri: &str) -> Option<DocumentSkill> {
        self.ranker
            .taxonomy
            .skill_by_uri(uri)
            .map(|i| self.document_skill(i))
    }

    pub fn category(&self, skill: usize) -> Category {
        self.categories
            .get(skill)
            .copied()
            .unwrap_or(Category::Technical)
    }

    fn document_skill(&self, i: usize) -> DocumentSkill {
        let s = &self.ranker.taxonomy.skills[i];
        DocumentSkill {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            description: s.description.clone(),
            category: self.category(i),
            skill_type: s.skill_type.to_string(),
            count: 0,
            best_score: 0.0,
            implicit: false,
        }
    }

    fn link_of(&self, skill: u32, score: f32) -> SkillLink {
        let s = &self.ranker.taxonomy.skills[skill as usize];
        SkillLink {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            score,
            category: self.category(skill as usize),
        }
    }

    /// Spans (from the passes' tags, or label matches) and their links, plus
    /// the implicit skills of each window.
    fn spans_and_links(
        &self,
        text: &str,
        windows: &[Vec<(usize, usize)>],
        passes: &[Tagged],
        opts: &HighlightOptions,
    ) -> Result<Vec<LinkedSpan>, Error> {
        let found: Vec<Vec<RawSpan>> = windows
            .iter()
            .zip(passes)
            .map(|(w, p)| self.find_spans(text, w, p))
            .collect();
        self.link(text, windows, passes, found, opts)
    }

    /// One encoder pass per window (tagger branch included when the bundle
    /// has one and `with_tagger`).
    fn passes(
        &self,
        text: &str,
        windows: &[Vec<(usize, usize)>],
        with_tagger: bool,
    ) -> Result<Vec<Tagged>, Error> {
        let enc = &self.ranker.encoder;
        let tagger = self.tagger.as_ref().filter(|_| with_tagger);
        run_passes(
            &enc.encoder,
            &enc.tokenizer,
            &window_words(text, windows),
            tagger,
            true,
        )
    }

    /// Spans of one window: the tagger's, or exact ESCO label matches.
    fn find_spans(&self, text: &str, w: &[(usize, usize)], pass: &Tagged) -> Vec<RawSpan> {
        let raw = |a: usize, b: usize, kind, confidence, named| RawSpan {
            a,
            b,
            start: w[a].0,
            end: w[b - 1].1,
            kind,
            confidence,
            named,
        };
        if let Some(tags) = &pass.tags {
            let mut out = Vec::new();
            for (kind, bio, prob) in [
                (SpanKind::Skill, &tags.skill, &tags.skill_prob),
                (SpanKind::Knowledge, &tags.knowledge, &tags.knowledge_prob),
            ] {
                for (a, b) in decode(bio) {
                    let conf = prob[a..b].iter().sum::<f32>() / (b - a) as f32;
                    out.push(raw(a, b, kind, conf, None));
                }
            }
            return without_overlaps(out);
        }
        self.ranker
            .lexical()
            .find_spans(text, w)
            .into_iter()
            .map(|(a, b, skill)| {
                let kind = if self.ranker.taxonomy.skills[skill as usize].skill_type
                    == esco::SkillType::Knowledge
                {
                    SpanKind::Knowledge
                } else {
                    SpanKind::Skill
                };
                raw(a, b, kind, 1.0, Some(skill))
            })
            .collect()
    }

    /// The vector a span is ranked with, per `mode`. `text_vec` is the span text's embedding.
    fn span_vector(
        pass: &Tagged,
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

    /// Links every span and adds the implicit skills of each window.
    fn link(
        &self,
        text: &str,
        windows: &[Vec<(usize, usize)>],
        passes: &[Tagged],
        found: Vec<Vec<RawSpan>>,
        opts: &HighlightOptions,
    ) -> Result<Vec<LinkedSpan>, Error> {
        let h = self.ranker.encoder.dim();
        let span_texts: Vec<&str> = found
            .iter()
            .flatten()
            .map(|s| &text[s.start..s.end])
            .collect();
        let text_vecs = if opts.link != LinkMode::Context && !span_texts.is_empty() {
            self.ranker.encoder.embed(&span_texts)?
        } else {
            Vec::new()
        };
        let mut queries: Vec<Vec<f32>> = Vec::new();
        for (spans, pass) in found.iter().zip(passes) {
            for s in spans {
                let tv = text_vecs.get(queries.len());
                queries.push(Self::span_vector(pass, h, s.a, s.b, tv, opts));
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
            self.ranker.index.score_all(&queries)
        };
        let bonus = opts.lexical_bonus.unwrap_or(self.ranker.lexical_bonus);
        self.ranker
            .add_lexical_bonus(&query_texts, &mut scores, bonus);
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

    /// Skill and knowledge tags of word sequences (CoNLL tokens): the
    /// tagger's, or exact ESCO label matches when the bundle has none.
    pub fn tag_words(&self, sentences: &[Vec<&str>]) -> Result<Vec<WordBio>, Error> {
        self.tag_words_with_progress(sentences, |_| {})
    }

    /// As [`Self::tag_words`] (the sequences are one document, in order),
    /// calling `progress` with the number of sequences done after each chunk.
    pub fn tag_words_with_progress(
        &self,
        sentences: &[Vec<&str>],
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<WordBio>, Error> {
        const CHUNK: usize = 256;
        let mut out = Vec::with_capacity(sentences.len());
        let enc = &self.ranker.encoder;
        if let Some(t) = &self.tagger {
            // Aligned as one document (a tagger may read the neighbours).
            let aligned = align_document(&enc.tokenizer, sentences, t.context)?;
            for chunk in aligned.chunks(CHUNK) {
                for p in run_aligned(&enc.encoder, chunk, Some(t), false)? {
                    let w = p.tags.expect("the tagger ran");
                    out.push((w.skill, w.knowledge));
                }
                progress(chunk.len());
            }
            return Ok(out);
        }
        for chunk in sentences.chunks(CHUNK) {
            for words in chunk {
                let mut text = String::new();
                let mut ranges = Vec::new();
                for w in words {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    ranges.push((text.len(), text.len() + w.len()));
                    text.push_str(w);
                }
                let mut tags = (vec![Bio::O; words.len()], vec![Bio::O; words.len()]);
                for (a, b, skill) in self.ranker.lexical().find_spans(&text, &ranges) {
                    let layer = if self.ranker.taxonomy.skills[skill as usize].skill_type
                        == esco::SkillType::Knowledge
                    {
                        &mut tags.1
                    } else {
                        &mut tags.0
                    };
                    layer[a] = Bio::B;
                    layer[a + 1..b].iter_mut().for_each(|t| *t = Bio::I);
                }
                out.push(tags);
            }
            progress(chunk.len());
        }
        Ok(out)
    }

    /// The two vectors each span (a byte range of `sentence`) can be linked
    /// with: its text embedded alone, and the mean of its token states in
    /// the sentence's own encoder pass (as the highlighter computes them).
    pub fn span_vectors(
        &self,
        sentence: &str,
        spans: &[(usize, usize)],
    ) -> Result<Vec<SpanVectors>, Error> {
        let w = words(sentence, 0, sentence.len());
        let passes = self.passes(sentence, std::slice::from_ref(&w), true)?;
        let h = self.ranker.encoder.dim();
        let texts: Vec<&str> = spans.iter().map(|&(s, e)| &sentence[s..e]).collect();
        let text_vecs = if texts.is_empty() {
            Vec::new()
        } else {
            self.ranker.encoder.embed(&texts)?
        };
        Ok(spans
            .iter()
            .zip(text_vecs)
            .map(|(&(s, e), text)| {
                let a = w.iter().position(|&(_, we)| we > s).unwrap_or(w.len());
                let b = w
                    .iter()
                    .rposition(|&(ws, _)| ws < e)
                    .map_or(a, |i| i + 1)
                    .max(a);
                let context = if a < b {
                    context_vector(&passes[0], h, a, b)
                } else {
                    None
                };
                SpanVectors { text, context }
            })
            .collect())
    }
}

/// The vectors a span can be linked with (see [`Highlighter::span_vectors`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SpanVectors {
    /// The span's text embedded on its own (L2-normalised).
    pub text: Vec<f32>,
    /// Mean of the span's token states in its sentence (L2-normalised);
    /// `None` when the span has no tokens (e.g. past truncation).
    pub context: Option<Vec<f32>>,
}

/// Segments inside `text` and on char boundaries (others are skipped).
fn valid_segments(text: &str, segments: &[Segment]) -> Vec<Segment> {
    segments
        .iter()
        .copied()
        .filter(|s| {
            s.start < s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end)
        })
        .collect()
}

/// The word windows of `valid` segments, [`SEGMENTS_PER_BATCH`] segments a
/// batch. The highlighter and the [`SpanTagger`] both batch through here, so
/// tags computed by one fit the windows of the other.
fn window_batches<'a>(text: &'a str, valid: &'a [Segment]) -> impl Iterator<Item = Windows> + 'a {
    valid
        .chunks(SEGMENTS_PER_BATCH)
        .map(move |batch| windows_of(text, batch))
}

/// The word windows of a batch of segments (what one encoder pass sees):
/// each segment's words, cut every [`WINDOW_WORDS`].
fn windows_of(text: &str, batch: &[Segment]) -> Windows {
    batch
        .iter()
        .flat_map(|s| {
            let w = words(text, s.start, s.end);
            w.chunks(WINDOW_WORDS)
                .map(|c| c.to_vec())
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The tagger's tags of every word window of `valid` segments, in order:
/// one document, so a tagger that reads context sees each window's neighbours.
fn tag_windows(
    encoder: &Encoder,
    tok: &TextTokenizer,
    tagger: &Tagger,
    text: &str,
    valid: &[Segment],
) -> Result<Vec<WordTags>, Error> {
    let windows: Vec<Vec<(usize, usize)>> = window_batches(text, valid).flatten().collect();
    Ok(run_passes(
        encoder,
        tok,
        &window_words(text, &windows),
        Some(tagger),
        false,
    )?
    .into_iter()
    .map(|p| p.tags.expect("the tagger ran"))
    .collect())
}

fn window_words<'t>(text: &'t str, windows: &[Vec<(usize, usize)>]) -> Vec<Vec<&'t str>> {
    windows
        .iter()
        .map(|w| w.iter().map(|&(s, e)| &text[s..e]).collect())
        .collect()
}

/// Segments the ranker's encoder has run over, waiting for their span tags
/// ([`Highlighter::encode_segments`], then [`Highlighter::highlight_encoded`]).
pub struct EncodedSegments {
    text: String,
    segments: usize,
    /// Per batch: its word windows and their passes.
    batches: Vec<(Windows, Vec<Tagged>)>,
}

/// Word windows (byte ranges of their words) of one batch of segments.
type Windows = Vec<Vec<(usize, usize)>>;

/// The span tagger alone (encoder layers up to its branch, then its own
/// layers): what a second Web Worker runs so that tagging and the ranker's
/// encoding of the same text proceed in parallel
/// ([`Highlighter::highlight_segments_with_tags`]). Needs only the bundle's
/// tokenizer, encoder and tagger.
pub struct SpanTagger {
    encoder: skillmark_model::SentenceEncoder,
    tagger: Tagger,
}

impl SpanTagger {
    pub fn from_assets(assets: AssetBytes, precision: Precision) -> Result<Self, Error> {
        let need = |name: &str| {
            assets.optional(name).ok_or_else(|| Error::Asset {
                file: name.into(),
                message: "missing (the span tagger needs it)".into(),
            })
        };
        Self::from_sources(
            &assets.manifest,
            need(crate::assets::TOKENIZER)?,
            need(crate::assets::ENCODER)?,
            need(TAGGER)?,
            precision,
        )
    }

    /// As [`Self::from_assets`], with the encoder and tagger files read from
    /// `encoder` and `tagger` a tensor at a time (each verified against the
    /// manifest first, a chunk at a time): a Web Worker passes views of its
    /// JS buffers, so neither file is ever copied whole into its wasm memory,
    /// which never shrinks. The encoder keeps only the layers before the
    /// tagger's branch.
    pub fn from_sources<E, T>(
        manifest: &crate::assets::Manifest,
        tokenizer_json: &[u8],
        encoder: &E,
        tagger: &T,
        precision: Precision,
    ) -> Result<Self, Error>
    where
        E: ByteSource + ?Sized,
        T: ByteSource + ?Sized,
    {
        manifest.verify(crate::assets::TOKENIZER, tokenizer_json)?;
        manifest.verify_source(crate::assets::ENCODER, encoder)?;
        manifest.verify_source(TAGGER, tagger)?;
        let tagger = tagger_for_encoder(manifest, tagger, encoder, precision)?;
        let encoder = skillmark_model::SentenceEncoder::from_gguf_first_layers(
            tokenizer_json,
            encoder,
            precision,
            tagger.branch_layer,
        )?;
        Ok(SpanTagger { encoder, tagger })
    }

    /// Tags of every word window of `segments` (see
    /// [`Highlighter::highlight_segments`] for which segments count), in order.
    pub fn tag_segments(&self, text: &str, segments: &[Segment]) -> Result<Vec<WordTags>, Error> {
        tag_windows(
            &self.encoder.encoder,
            &self.encoder.tokenizer,
            &self.tagger,
            text,
            &valid_segments(text, segments),
        )
    }

    /// The matrix kernel the encoder runs.
    pub fn kernel(&self) -> skillmark_model::kernels::Kernel {
        self.encoder.encoder.kernel()
    }
}

/// The bundle's span tagger, if it has one, checked against its encoder.
fn load_tagger(assets: &AssetBytes, precision: Precision) -> Result<Option<Tagger>, Error> {
    assets
        .optional(TAGGER)
        .map(|bytes| {
            tagger_for_encoder(
                &assets.manifest,
                bytes,
                assets.get(crate::assets::ENCODER),
                precision,
            )
        })
        .transpose()
}

/// The tagger file read against the bundle's encoder file: its delta base,
/// and the encoder it must have been trained on.
fn tagger_for_encoder<T, E>(
    manifest: &crate::assets::Manifest,
    tagger: &T,
    encoder: &E,
    precision: Precision,
) -> Result<Tagger, Error>
where
    T: ByteSource + ?Sized,
    E: ByteSource + ?Sized,
{
    let enc = &manifest
        .files
        .get(crate::assets::ENCODER)
        .ok_or_else(|| Error::Asset {
            file: crate::assets::ENCODER.into(),
            message: "not listed in manifest.json".into(),
        })?
        .sha256;
    let base = crate::tagger::DeltaBase {
        bytes: encoder,
        sha256: enc,
    };
    let t = Tagger::from_gguf_with_base(tagger, Some(base), precision)?;
    // A web bundle re-encodes the encoder compactly; it names the
    // full encoder it was derived from, which the tagger knows.
    let derived_from = manifest
        .rest
        .get("web")
        .and_then(|w| w.get("full_encoder_sha256"))
        .and_then(|v| v.as_str());
    if &t.encoder_sha256 != enc && derived_from != Some(t.encoder_sha256.as_str()) {
        return Err(Error::Mismatch(format!(
            "tagger.gguf was trained on encoder {} but encoder.gguf is {enc}: retrain it with `skillmark-train spans --ship`",
            t.encoder_sha256
        )));
    }
    Ok(t)
}

/// Mean of the last-layer states of words `a..b` of a pass (from the first
/// piece of word `a` to the first piece of word `b`, or to `[SEP]`), L2-normalised.
fn context_vector(pass: &Tagged, h: usize, a: usize, b: usize) -> Option<Vec<f32>> {
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

/// Skill and Knowledge are separate BIO layers, so the tagger can nest or
/// cross their spans (a Knowledge "SQL" inside a Skill "write SQL queries").
/// A highlight is one mark in the text, so overlaps are resolved: the more
/// confident span wins (the longer one on a tie), the others are dropped.
/// CoNLL tagging (`tag_words`) keeps both layers as they are.
fn without_overlaps(mut spans: Vec<RawSpan>) -> Vec<RawSpan> {
    spans.sort_by(|x, y| {
        y.confidence
            .total_cmp(&x.confidence)
            .then((y.b - y.a).cmp(&(x.b - x.a)))
            .then(x.a.cmp(&y.a))
    });
    let mut kept: Vec<RawSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        if kept.iter().all(|k| s.b <= k.a || k.b <= s.a) {
            kept.push(s);
        }
    }
    kept.sort_by_key(|s| s.a);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(a: usize, b: usize, kind: SpanKind, confidence: f32) -> RawSpan {
        RawSpan {
            a,
            b,
            start: a * 10,
            end: b * 10,
            kind,
            confidence,
            named: None,
        }
    }

    /// A tagger that reads its neighbours' pieces (`skillmark.tagger.context`)
    /// gets the same context on every path: CoNLL word tags (chunked), the
    /// one-worker highlights and the tagger worker's tags. The shipped
    /// tagger, told to read context, stands in for one trained with it.
    #[test]
    fn a_tagger_that_reads_context_sees_the_same_neighbours_on_every_path() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let mut hl = Highlighter::load_dir(&dir, Precision::Int8).unwrap();
        let plain = Highlighter::load_dir(&dir, Precision::Int8).unwrap();
        hl.tagger.as_mut().unwrap().context = 8;
        let lines = [
            "REQUIREMENTS",
            "Experience with Python and SQL",
            "You will mentor junior engineers and lead code reviews .",
            "Knowledge of German is a plus",
            "",
            "Kubernetes , Docker and AWS",
        ];
        // More sentences than one chunk of `tag_words_with_progress`.
        let doc: Vec<Vec<&str>> = (0..300)
            .map(|i| lines[i % lines.len()].split_whitespace().collect())
            .collect();
        let enc = &hl.ranker.encoder;
        let t = hl.tagger.as_ref().unwrap();
        let aligned = align_document(&enc.tokenizer, &doc, 8).unwrap();
        let whole: Vec<WordBio> = run_aligned(&enc.encoder, &aligned, Some(t), false)
            .unwrap()
            .into_iter()
            .map(|p| {
                let w = p.tags.unwrap();
                (w.skill, w.knowledge)
            })
            .collect();
        let mut done = 0;
        let tags = hl.tag_words_with_progress(&doc, |n| done += n).unwrap();
        assert_eq!(done, doc.len());
        assert_eq!(tags, whole);
        // The context changes what the tagger sees.
        let probs = |h: &Highlighter| {
            let e = &h.ranker.encoder;
            h.tagger
                .as_ref()
                .unwrap()
                .tag(&e.encoder, &e.tokenizer, &doc[..6], false)
                .unwrap()
                .into_iter()
                .map(|p| p.tags.unwrap().skill_prob)
                .collect::<Vec<_>>()
        };
        assert_ne!(probs(&hl), probs(&plain));

        let mut worker =
            SpanTagger::from_assets(AssetBytes::read_dir(&dir).unwrap(), Precision::Int8).unwrap();
        worker.tagger.context = 8;
        let text = "REQUIREMENTS\n\nExperience with Python and SQL.\nYou will mentor junior \
                    engineers and lead code reviews. Knowledge of German is a plus.\n\n\
                    Kubernetes, Docker and AWS.";
        let opts = HighlightOptions::default();
        let segments = hl.segments(text);
        assert!(segments.len() > 2);
        for part in [&segments[..], &segments[..2], &segments[2..]] {
            let tags = worker.tag_segments(text, part).unwrap();
            assert_eq!(
                hl.highlight_segments_with_tags(text, part, &tags, &opts)
                    .unwrap(),
                hl.highlight_segments(text, part, &opts).unwrap()
            );
        }
    }

    #[test]
    fn overlapping_tagger_spans_resolve_to_the_more_confident() {
        let got = without_overlaps(vec![
            span(0, 4, SpanKind::Skill, 0.7),     // "write SQL queries daily"
            span(1, 2, SpanKind::Knowledge, 0.9), // "SQL" inside it: wins
            span(3, 6, SpanKind::Skill, 0.8),     // crosses the first: kept
            span(6, 8, SpanKind::Knowledge, 0.5), // touches, no overlap: kept
            span(6, 7, SpanKind::Skill, 0.5),     // same confidence, shorter: dropped
        ]);
        let got: Vec<(usize, usize, SpanKind)> = got.iter().map(|s| (s.a, s.b, s.kind)).collect();
        assert_eq!(
            got,
            vec![
                (1, 2, SpanKind::Knowledge),
                (3, 6, SpanKind::Skill),
                (6, 8, SpanKind::Knowledge)
            ]
        );
        assert!(without_overlaps(Vec::new()).is_empty());
    }
}
