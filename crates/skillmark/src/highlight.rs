//! The highlight pipeline's driver: one request passes each stage once, in
//! order — [`crate::segments`] → [`crate::tokens`] → [`crate::encoder_pass`]
//! → [`crate::tags`] → [`crate::spans`] → [`crate::links`] →
//! [`crate::assembly`] — a batch of segments at a time (memory stays bounded
//! on huge inputs). Spans come from the bundle's tagger, or from exact ESCO
//! label matches when it has none.
//!
//! The two-worker split runs the same stages in two halves: the tagger worker
//! ([`crate::span_tagger`]) tags, this side encodes
//! ([`Highlighter::encode_segments`]) and then links and assembles
//! ([`Highlighter::highlight_encoded`]).

use skillmark_model::Precision;
use skillmark_schema::{Category, DocumentSkill, HighlightOptions, Highlights, Segment};

use crate::assembly::{assemble, Catalog};
use crate::assets::{AssetBytes, TAGGER};
use crate::category::all_categories;
use crate::encoder_pass::{run_passes, tag_windows, Pass};
use crate::links::{link, LinkedSpan};
use crate::ranker::Ranker;
use crate::segments::{segments, valid_segments, window_batches, window_words, Window};
use crate::spans::{find_spans, RawSpan};
use crate::tagger::{load_tagger, Tagger};
use crate::tags::WordTags;
use crate::Error;

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
        segments(text)
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
        Ok(assemble(self.catalog(), text, valid.len(), spans))
    }

    /// As [`Self::highlight_segments`], with the span tags a [`SpanTagger`](crate::span_tagger::SpanTagger)
    /// computed for the same text and segments (in another thread or Web
    /// Worker): the same result, without running the tagger's layers here.
    /// `tags` must be [`SpanTagger::tag_segments`](crate::span_tagger::SpanTagger::tag_segments)'s output for these
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
    /// while a [`SpanTagger`](crate::span_tagger::SpanTagger) tags the same segments elsewhere.
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
        Ok(assemble(self.catalog(), &text, segments, spans))
    }

    /// Label, description and category of a skill, for hover cards.
    pub fn skill(&self, uri: &str) -> Option<DocumentSkill> {
        self.ranker
            .taxonomy
            .skill_by_uri(uri)
            .map(|i| self.catalog().document_skill(i))
    }

    pub fn category(&self, skill: usize) -> Category {
        self.catalog().category(skill)
    }

    fn catalog(&self) -> Catalog<'_> {
        Catalog {
            taxonomy: &self.ranker.taxonomy,
            categories: &self.categories,
        }
    }

    /// Stages 2–4 over one batch of windows: tokens, the encoder pass (the
    /// tagger's branch included when the bundle has one and `with_tagger`),
    /// word tags.
    pub(crate) fn passes(
        &self,
        text: &str,
        windows: &[Window],
        with_tagger: bool,
    ) -> Result<Vec<Pass>, Error> {
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

    /// Stages 5–6 over one batch: spans of each window, then their links and
    /// the windows' implicit skills.
    fn spans_and_links(
        &self,
        text: &str,
        windows: &[Window],
        passes: &[Pass],
        opts: &HighlightOptions,
    ) -> Result<Vec<LinkedSpan>, Error> {
        let found: Vec<Vec<RawSpan>> = windows
            .iter()
            .zip(passes)
            .map(|(w, p)| find_spans(&self.ranker, text, w, p, opts.lexical_spans))
            .collect();
        link(&self.ranker, text, windows, passes, found, opts)
    }
}

/// Segments the ranker's encoder has run over, waiting for their span tags
/// ([`Highlighter::encode_segments`], then [`Highlighter::highlight_encoded`]).
pub struct EncodedSegments {
    text: String,
    segments: usize,
    /// Per batch: its word windows and their passes.
    batches: Vec<(Vec<Window>, Vec<Pass>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder_pass::run_aligned;
    use crate::span_tagger::SpanTagger;
    use crate::tokens::align_document;
    use crate::word_sequences::WordBio;

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
            run_passes(&e.encoder, &e.tokenizer, &doc[..6], h.tagger.as_ref(), false)
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
}
