//! [`Engine`]: the one type every surface (CLI, wasm, Python, extension)
//! loads and calls. It owns a verified bundle's parts and answers in the wire
//! schema ([`skillmark_schema`]); every failure is an [`Error`] the caller sees.

use std::collections::BTreeMap;

use skillmark_model::{Kernel, Precision};

use crate::assets::{AssetBytes, OCCUPATIONS, OCCUPATION_TAXONOMY};
use crate::highlight::{EncodedSegments, Highlighter};
use crate::index::SkillIndex;
use crate::occupations::{document_skills, ranks_by_skills, title_skills, LazyOccupations};
use crate::tags::WordTags;
use crate::Error;
use skillmark_schema::{
    CompareOptions, Comparison, DocumentSkill, HighlightOptions, Highlights, OccupationOptions,
    OccupationSuggestion, RankedSkill, Segment,
};

/// The skillmark engine, loaded from one bundle (`manifest.json` plus the
/// files it lists, each checked against its sha256 before it is parsed).
///
/// ```
/// # fn main() -> Result<(), skillmark::Error> {
/// # let bundle = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets");
/// let engine = skillmark::Engine::load_dir(bundle.as_ref())?;
/// let h = engine.highlight("Experience with Python and SQL.", &engine.default_options())?;
/// assert!(h.spans.iter().any(|s| s.text == "Python"));
/// # Ok(()) }
/// ```
pub struct Engine {
    highlighter: Highlighter,
    occupations: LazyOccupations,
}

impl Engine {
    /// Loads the bundle in directory `dir` (int8 compute, as shipped).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path) -> Result<Self, Error> {
        Self::load_dir_with(dir, Precision::Int8)
    }

    /// As [`Self::load_dir`], with f32 or int8 compute over the same weights.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir_with(dir: &std::path::Path, precision: Precision) -> Result<Self, Error> {
        Self::from_assets(AssetBytes::read_dir(dir)?, precision)
    }

    /// Loads a bundle from memory: the manifest's JSON and each file's bytes
    /// by name (what a browser worker has after fetching them).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets"));
    /// let mut files = std::collections::BTreeMap::new();
    /// for name in ["encoder.gguf", "tokenizer.json", "skills.index", "esco.bin", "tagger.gguf"] {
    ///     files.insert(name.to_string(), std::fs::read(dir.join(name))?);
    /// }
    /// let manifest = std::fs::read(dir.join("manifest.json"))?;
    /// let engine = skillmark::Engine::from_bytes(&manifest, files, skillmark::Precision::Int8)?;
    /// assert!(engine.skill("http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d").is_some());
    /// # Ok(()) }
    /// ```
    pub fn from_bytes(
        manifest_json: &[u8],
        files: BTreeMap<String, Vec<u8>>,
        precision: Precision,
    ) -> Result<Self, Error> {
        Self::from_assets(AssetBytes::new(manifest_json, files)?, precision)
    }

    /// Loads a verified bundle, consuming it (each file is freed once read).
    pub fn from_assets(mut assets: AssetBytes, precision: Precision) -> Result<Self, Error> {
        let part = assets.files.remove(OCCUPATION_TAXONOMY);
        let vectors = assets.files.remove(OCCUPATIONS);
        let highlighter = Highlighter::from_asset_files(assets, precision)?;
        let mut engine = Engine {
            highlighter,
            occupations: LazyOccupations::default(),
        };
        engine.put_occupations(part.as_deref(), vectors.as_deref())?;
        Ok(engine)
    }

    /// Adds the bundle's occupations after loading: `occupations.bin` (when
    /// the taxonomy has none) and `occupations.index`, each checked against
    /// the manifest the engine was loaded with. The browser fetches these
    /// only when occupations are first asked for (a résumé comparison).
    pub fn add_occupations(&mut self, files: BTreeMap<String, Vec<u8>>) -> Result<(), Error> {
        let manifest = &self.highlighter.ranker.manifest;
        for (name, bytes) in &files {
            if name != OCCUPATION_TAXONOMY && name != OCCUPATIONS {
                return Err(Error::Asset {
                    file: name.clone(),
                    message: "not an occupations file".into(),
                });
            }
            manifest.verify(name, bytes)?;
        }
        if self.has_occupations() {
            return Err(Error::Mismatch(
                "the engine has its occupations already".into(),
            ));
        }
        let get = |n: &str| files.get(n).map(|v| v.as_slice());
        self.put_occupations(get(OCCUPATION_TAXONOMY), get(OCCUPATIONS))
    }

    /// Whether the bundle lists occupations the engine has not read yet
    /// ([`Self::add_occupations`] would add them).
    pub fn occupations_pending(&self) -> bool {
        !self.has_occupations()
            && self
                .highlighter
                .ranker
                .manifest
                .files
                .contains_key(OCCUPATION_TAXONOMY)
    }

    /// The occupation files the bundle's manifest lists.
    pub fn occupation_files(&self) -> Vec<&'static str> {
        let files = &self.highlighter.ranker.manifest.files;
        [OCCUPATION_TAXONOMY, OCCUPATIONS]
            .into_iter()
            .filter(|n| files.contains_key(*n))
            .collect()
    }

    fn put_occupations(
        &mut self,
        part: Option<&[u8]>,
        vectors: Option<&[u8]>,
    ) -> Result<(), Error> {
        let bad = |e: esco::EscoError| Error::Asset {
            file: OCCUPATION_TAXONOMY.into(),
            message: e.to_string(),
        };
        let part = part
            .map(esco::OccupationPart::from_bytes)
            .transpose()
            .map_err(bad)?;
        let stored = vectors
            .map(|b| SkillIndex::from_file_bytes(b, OCCUPATIONS))
            .transpose()?;
        let ranker = &mut self.highlighter.ranker;
        let added = part.is_some();
        if let Some(part) = part {
            ranker.taxonomy.add_occupations(part).map_err(bad)?;
        }
        match LazyOccupations::with_stored(stored, ranker) {
            Ok(o) => {
                self.occupations = o;
                Ok(())
            }
            Err(e) => {
                if added {
                    ranker.taxonomy.remove_occupations();
                }
                Err(e)
            }
        }
    }

    /// The bundle's default options (its manifest's thresholds).
    pub fn default_options(&self) -> HighlightOptions {
        self.highlighter.default_options()
    }

    /// Sentence-like segments of `text` (byte ranges), as the engine reads it.
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// let text = "You know Rust.\n- You like tests.";
    /// let parts: Vec<&str> = engine.segments(text).iter().map(|s| &text[s.start..s.end]).collect();
    /// assert_eq!(parts, ["You know Rust.", "You like tests."]);
    /// ```
    pub fn segments(&self, text: &str) -> Vec<Segment> {
        crate::segments::segments(text)
    }

    /// Skill and knowledge spans of `text`, each linked to ESCO skills, and
    /// the document's skill list.
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// let text = "You will write SQL queries and mentor junior engineers.";
    /// let h = engine.highlight(text, &engine.default_options()).unwrap();
    /// for span in &h.spans {
    ///     assert_eq!(&text[span.start..span.end], span.text);
    /// }
    /// assert!(!h.skills.is_empty());
    /// ```
    pub fn highlight(&self, text: &str, opts: &HighlightOptions) -> Result<Highlights, Error> {
        self.highlighter.highlight(text, opts)
    }

    /// As [`Self::highlight`], over the given segments of `text` only
    /// (offsets stay relative to all of `text`; a segment outside the text or
    /// off a char boundary is skipped). Lets a caller stream a long text.
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// let text = "Intro.\nStrong Python skills.";
    /// let second = engine.segments(text)[1];
    /// let h = engine.highlight_segments(text, &[second], &engine.default_options()).unwrap();
    /// assert!(h.spans.iter().all(|s| s.start >= second.start));
    /// ```
    pub fn highlight_segments(
        &self,
        text: &str,
        segments: &[Segment],
        opts: &HighlightOptions,
    ) -> Result<Highlights, Error> {
        self.highlighter.highlight_segments(text, segments, opts)
    }

    /// The `k` ESCO skills closest to each whole text, best first.
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// let ranked = engine.rank(&["Proficient in Python programming."], 3).unwrap();
    /// assert_eq!(ranked[0].len(), 3);
    /// assert!(ranked[0][0].score >= ranked[0][1].score);
    /// ```
    pub fn rank(&self, texts: &[&str], k: usize) -> Result<Vec<Vec<RankedSkill>>, Error> {
        self.highlighter.ranker.rank(texts, k)
    }

    /// Sentence vectors of `texts` (L2-normalised, [`Self::dim`] wide).
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// let v = engine.embed(&["data analysis"]).unwrap();
    /// assert_eq!(v[0].len(), engine.dim());
    /// ```
    /// The ESCO occupations each text most likely describes, best first,
    /// each with the text's skills that support it and the occupation's
    /// essential skills the text lacks (docs/OCCUPATIONS.md). A document is
    /// highlighted with the engine's defaults; with `opts.title` each text
    /// is a job title, and the skills its vector ranks highest stand for it.
    /// The first call embeds the occupations' labels (seconds); a bundle
    /// without occupations (the web bundle) is an error.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), skillmark::Error> {
    /// let engine = skillmark::Engine::load_dir(std::path::Path::new("assets"))?;
    /// let opts = skillmark::schema::OccupationOptions { title: true, ..Default::default() };
    /// let found = engine.occupations(&["Senior Java Developer"], &opts)?;
    /// println!("{}: {:.2}", found[0][0].label, found[0][0].score);
    /// # Ok(())
    /// # }
    /// ```
    pub fn occupations(
        &self,
        texts: &[&str],
        opts: &OccupationOptions,
    ) -> Result<Vec<Vec<OccupationSuggestion>>, Error> {
        let ranker = &self.highlighter.ranker;
        let index = self.occupations.get(ranker)?;
        let lists_skills = opts.max_skills > 0;
        let (vectors, skills) = self.occupation_evidence(
            texts,
            opts.title,
            lists_skills || ranks_by_skills(opts.title),
        )?;
        Ok(texts
            .iter()
            .zip(&vectors)
            .zip(&skills)
            .map(|((t, v), s)| index.suggest(ranker, v, s, opts.title.then_some(*t), opts))
            .collect())
    }

    /// The ESCO occupations of a document whose skills are known already (a
    /// highlight's skill list: URI and best score each), as
    /// [`Self::occupations`] ranks them, without highlighting it again: the
    /// browser's inference worker uses it where the span tagger runs in
    /// another worker. Unknown URIs are left out.
    pub fn occupations_for_skills(
        &self,
        text: &str,
        skills: &[(&str, f32)],
        opts: &OccupationOptions,
    ) -> Result<Vec<OccupationSuggestion>, Error> {
        let ranker = &self.highlighter.ranker;
        let index = self.occupations.get(ranker)?;
        let vector = ranker.encoder.embed(&[text])?.remove(0);
        let known: Vec<(u32, f32)> = skills
            .iter()
            .filter_map(|(uri, score)| {
                let i = ranker.taxonomy.skill_by_uri(uri)?;
                Some((i as u32, *score))
            })
            .collect();
        let opts = OccupationOptions {
            title: false,
            ..opts.clone()
        };
        Ok(index.suggest(ranker, &vector, &known, None, &opts))
    }

    /// The score of every ESCO occupation (taxonomy order) for each text, as
    /// [`Self::occupations`] ranks them: for whole rankings (evaluation,
    /// bulk work) without building a suggestion per occupation.
    pub fn occupation_scores(&self, texts: &[&str], title: bool) -> Result<Vec<Vec<f32>>, Error> {
        let index = self.occupations.get(&self.highlighter.ranker)?;
        let (vectors, skills) = self.occupation_evidence(texts, title, ranks_by_skills(title))?;
        Ok(texts
            .iter()
            .zip(&vectors)
            .zip(&skills)
            .map(|((t, v), s)| index.scores(v, s, title.then_some(*t)))
            .collect())
    }

    /// A job post compared with a résumé: each of the post's skills
    /// matched (the same ESCO skill, a narrower or broader one, or a close
    /// one) or missing, the résumé's extra skills, years of experience, the
    /// title and degrees where the texts state them, and a score in [0, 1]
    /// made of those parts (docs/COMPARE.md). With `opts.occupations` and a
    /// bundle that has occupations, the post's best ESCO occupation marks its
    /// skills essential or optional (the first call embeds the occupations).
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// let opts = skillmark::CompareOptions { occupations: false, ..Default::default() };
    /// let c = engine
    ///     .compare("We need Python and SQL.", "I write Python every day.", &opts)
    ///     .unwrap();
    /// let python = c.skills.iter().find(|s| s.skill.label.starts_with("Python")).unwrap();
    /// assert!(python.matched.is_some());
    /// assert!((0.0..=1.0).contains(&c.score));
    /// ```
    pub fn compare(
        &self,
        job: &str,
        resume: &str,
        opts: &CompareOptions,
    ) -> Result<Comparison, Error> {
        let ranker = &self.highlighter.ranker;
        let index = if opts.occupations && !ranker.taxonomy.occupations.is_empty() {
            Some(self.occupations.get(ranker)?)
        } else {
            None
        };
        crate::compare::compare(&self.highlighter, index, job, resume, opts)
    }

    /// Whether the bundle's taxonomy has ESCO occupations (the web bundle
    /// exported with `--no-occupations` drops them).
    pub fn has_occupations(&self) -> bool {
        !self.highlighter.ranker.taxonomy.occupations.is_empty()
    }

    /// URI and preferred label of occupation `i` (taxonomy order).
    pub fn occupation(&self, i: usize) -> Option<(&str, &str)> {
        self.highlighter
            .ranker
            .taxonomy
            .occupations
            .get(i)
            .map(|o| (o.uri.as_str(), o.preferred_label.as_str()))
    }

    /// Each text's vector and, `with_skills`, its skills: a title's
    /// best-ranked skills, a document's highlighted skills (none otherwise:
    /// ranking a title's skills against the whole index is most of its cost).
    #[allow(clippy::type_complexity)]
    fn occupation_evidence(
        &self,
        texts: &[&str],
        title: bool,
        with_skills: bool,
    ) -> Result<(Vec<Vec<f32>>, Vec<Vec<(u32, f32)>>), Error> {
        let ranker = &self.highlighter.ranker;
        let vectors = ranker.encoder.embed(texts)?;
        let skills = if !with_skills {
            vec![Vec::new(); texts.len()]
        } else if title {
            let mut scores = ranker.index.score_all(&vectors);
            ranker.add_lexical_bonus(texts, &mut scores, ranker.lexical_bonus);
            scores.iter().map(|s| title_skills(s)).collect()
        } else {
            let opts = self.default_options();
            texts
                .iter()
                .map(|t| Ok(document_skills(ranker, &self.highlight(t, &opts)?.skills)))
                .collect::<Result<_, Error>>()?
        };
        Ok((vectors, skills))
    }

    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        Ok(self.highlighter.ranker.encoder.embed(texts)?)
    }

    /// Width of the sentence vectors.
    pub fn dim(&self) -> usize {
        self.highlighter.ranker.encoder.dim()
    }

    /// An ESCO skill by URI, for hover cards (count and score zero).
    ///
    /// ```
    /// # let engine = skillmark::Engine::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets").as_ref()).unwrap();
    /// assert!(engine.skill("not a uri").is_none());
    /// ```
    pub fn skill(&self, uri: &str) -> Option<DocumentSkill> {
        self.highlighter.skill(uri)
    }

    /// The matrix kernel the encoder runs (AVX-512 VNNI, AVX2, wasm SIMD, scalar).
    pub fn kernel(&self) -> Kernel {
        self.highlighter.ranker.encoder.encoder.kernel()
    }

    /// Two-worker highlighting, first half: the ranker's encoder passes over
    /// `segments`, which need no span tags, so they can run while a
    /// [`crate::SpanTagger`] tags the same segments elsewhere.
    pub fn encode_segments(
        &self,
        text: &str,
        segments: &[Segment],
    ) -> Result<EncodedSegments, Error> {
        self.highlighter.encode_segments(text, segments)
    }

    /// Two-worker highlighting, second half: the same result as
    /// [`Self::highlight_segments`], from the encoded segments and the tags a
    /// [`crate::SpanTagger`] computed for them (tags of another text are an error).
    pub fn highlight_encoded(
        &self,
        encoded: EncodedSegments,
        tags: &[WordTags],
        opts: &HighlightOptions,
    ) -> Result<Highlights, Error> {
        self.highlighter.highlight_encoded(encoded, tags, opts)
    }

    /// The pipeline's parts, for the evaluation and training crates.
    #[cfg(feature = "internals")]
    pub fn highlighter(&self) -> &Highlighter {
        &self.highlighter
    }
}
