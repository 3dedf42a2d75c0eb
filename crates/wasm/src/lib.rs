//! wasm-bindgen bindings over [`skillmark`]: one [`Highlighter`] made from
//! the asset bytes, results as plain JS objects (serde-wasm-bindgen, camelCase).
//!
//! Bindings convert types and nothing else: every decision lives in
//! `skillmark::highlight`. The Web Worker (`web/app/worker/worker.js`) is the
//! only caller.

use std::collections::BTreeMap;

use serde::Serialize;
use skillmark::bio::Bio;
use skillmark::{AssetBytes, Engine, HighlightOptions, Segment, WordTags};
use skillmark_model::weights::ByteSource;
use skillmark_model::Precision;
use wasm_bindgen::prelude::*;

/// Options as JS passes them; absent fields take the engine's defaults.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct JsOptions {
    min_score: Option<f32>,
    top_k: Option<usize>,
    implicit: Option<bool>,
    implicit_min_score: Option<f32>,
}

impl JsOptions {
    fn apply_to(self, mut o: HighlightOptions) -> HighlightOptions {
        if let Some(v) = self.min_score {
            o.min_score = v;
        }
        if let Some(v) = self.top_k {
            o.top_k = v;
        }
        if let Some(v) = self.implicit {
            o.implicit = v;
        }
        if let Some(v) = self.implicit_min_score {
            o.implicit_min_score = v;
        }
        o
    }
}

/// The engine's defaults, overridden by the fields JS passes.
fn options(engine: &Engine, value: JsValue) -> Result<HighlightOptions, JsError> {
    let defaults = engine.default_options();
    if value.is_undefined() || value.is_null() {
        return Ok(defaults);
    }
    let o: JsOptions = serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("highlight options: {e}")))?;
    Ok(o.apply_to(defaults))
}

/// A JS object `{ name: Uint8Array }` as file name → bytes.
fn file_map(files: &js_sys::Object) -> Result<BTreeMap<String, Vec<u8>>, JsError> {
    let mut map = BTreeMap::new();
    for entry in js_sys::Object::entries(files).iter() {
        let pair = js_sys::Array::from(&entry);
        let name = pair
            .get(0)
            .as_string()
            .ok_or_else(|| JsError::new("asset file names must be strings"))?;
        let value = pair.get(1);
        if !value.is_instance_of::<js_sys::Uint8Array>() {
            return Err(JsError::new(&format!(
                "asset {name}: expected a Uint8Array"
            )));
        }
        map.insert(name, js_sys::Uint8Array::from(value).to_vec());
    }
    Ok(map)
}

fn segments_from_js(value: JsValue) -> Result<Vec<Segment>, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("segments: {e}")))
}

/// One window's span tags as they cross between workers: B/I/O as 0/1/2.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsTags {
    skill: Vec<u8>,
    knowledge: Vec<u8>,
    skill_prob: Vec<f32>,
    knowledge_prob: Vec<f32>,
}

impl From<&WordTags> for JsTags {
    fn from(t: &WordTags) -> Self {
        let codes = |v: &[Bio]| v.iter().map(|b| b.index() as u8).collect();
        JsTags {
            skill: codes(&t.skill),
            knowledge: codes(&t.knowledge),
            skill_prob: t.skill_prob.clone(),
            knowledge_prob: t.knowledge_prob.clone(),
        }
    }
}

impl From<JsTags> for WordTags {
    fn from(t: JsTags) -> Self {
        let bio = |v: Vec<u8>| v.into_iter().map(|c| Bio::from_index(c as usize)).collect();
        WordTags {
            skill: bio(t.skill),
            knowledge: bio(t.knowledge),
            skill_prob: t.skill_prob,
            knowledge_prob: t.knowledge_prob,
        }
    }
}

fn tags_from_js(value: JsValue) -> Result<Vec<WordTags>, JsError> {
    let tags: Vec<JsTags> = serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("span tags: {e}")))?;
    Ok(tags.into_iter().map(WordTags::from).collect())
}

/// Occupation options from JS: absent or null means the defaults.
fn occupation_options(options_js: JsValue) -> Result<skillmark::OccupationOptions, JsError> {
    if options_js.is_undefined() || options_js.is_null() {
        return Ok(Default::default());
    }
    serde_wasm_bindgen::from_value(options_js)
        .map_err(|e| JsError::new(&format!("occupation options: {e}")))
}

fn js_error(e: skillmark::Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    // Maps as plain objects, not JS `Map`s.
    let s = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&s)
        .map_err(|e| JsError::new(&format!("result conversion: {e}")))
}

/// The skill highlighter, built once per worker from the verified asset files.
#[wasm_bindgen]
pub struct Highlighter {
    engine: Engine,
}

#[wasm_bindgen]
impl Highlighter {
    /// `manifest`: the bytes of `manifest.json`; `files`: a JS object whose
    /// keys are file names and values `Uint8Array`s. Every file is checked
    /// against the manifest's size and sha256; a bad one throws an error that
    /// names it.
    #[wasm_bindgen(constructor)]
    pub fn new(manifest: &[u8], files: js_sys::Object) -> Result<Highlighter, JsError> {
        let map = file_map(&files)?;
        let assets = AssetBytes::new(manifest, map).map_err(js_error)?;
        // Consumed: the files are freed before the label automaton is built.
        // Every layer in int8, the attention projections too: in the browser
        // they were 29% of a highlight in f32, and on the validation sets
        // int8 there costs nothing measurable (docs/BENCHMARKS.md, "Browser").
        let engine = Engine::from_assets(assets, Precision::Int8All).map_err(js_error)?;
        Ok(Highlighter { engine })
    }

    /// Highlights of the whole text: `{ spans, skills, segments }`.
    pub fn highlight(&self, text: &str, options_js: JsValue) -> Result<JsValue, JsError> {
        let opts = options(&self.engine, options_js)?;
        to_js(&self.engine.highlight(text, &opts).map_err(js_error)?)
    }

    /// A job post compared with a résumé (`Comparison` in the wire schema):
    /// each of the post's skills matched or missing, the résumé's extra
    /// skills, years, title, degrees and the score. `options`: a
    /// `CompareOptions` object, its absent fields the defaults; without
    /// occupations in the bundle, no skill is marked essential or optional.
    pub fn compare(
        &self,
        job: &str,
        resume: &str,
        options_js: JsValue,
    ) -> Result<JsValue, JsError> {
        let mut opts: skillmark::CompareOptions =
            if options_js.is_undefined() || options_js.is_null() {
                Default::default()
            } else {
                serde_wasm_bindgen::from_value(options_js)
                    .map_err(|e| JsError::new(&format!("compare options: {e}")))?
            };
        opts.occupations &= self.engine.has_occupations();
        to_js(&self.engine.compare(job, resume, &opts).map_err(js_error)?)
    }

    /// The ESCO occupations of each text (`OccupationSuggestion[][]`);
    /// an error when the bundle has no occupations.
    pub fn occupations(&self, texts: Vec<String>, options_js: JsValue) -> Result<JsValue, JsError> {
        let opts = occupation_options(options_js)?;
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        to_js(&self.engine.occupations(&texts, &opts).map_err(js_error)?)
    }

    /// The ESCO occupations of a document whose skills are known (a
    /// highlight's `skills`: `[{ uri, bestScore }]`, other fields ignored),
    /// without highlighting it again (`OccupationSuggestion[]`).
    #[wasm_bindgen(js_name = occupationsForSkills)]
    pub fn occupations_for_skills(
        &self,
        text: &str,
        skills_js: JsValue,
        options_js: JsValue,
    ) -> Result<JsValue, JsError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Scored {
            uri: String,
            best_score: f32,
        }
        let skills: Vec<Scored> = serde_wasm_bindgen::from_value(skills_js)
            .map_err(|e| JsError::new(&format!("skills: {e}")))?;
        let skills: Vec<(&str, f32)> = skills
            .iter()
            .map(|s| (s.uri.as_str(), s.best_score))
            .collect();
        let opts = occupation_options(options_js)?;
        to_js(
            &self
                .engine
                .occupations_for_skills(text, &skills, &opts)
                .map_err(js_error)?,
        )
    }

    /// Whether the engine has ESCO occupations (read at load, or added).
    #[wasm_bindgen(js_name = hasOccupations)]
    pub fn has_occupations(&self) -> bool {
        self.engine.has_occupations()
    }

    /// The occupation files the manifest lists that the engine has not read
    /// yet (`occupations.bin`, `occupations.index`): what to fetch and pass
    /// to [`Self::add_occupations`]. Empty when there is nothing to add.
    #[wasm_bindgen(js_name = pendingOccupationFiles)]
    pub fn pending_occupation_files(&self) -> Vec<String> {
        if !self.engine.occupations_pending() {
            return Vec::new();
        }
        self.engine
            .occupation_files()
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// Adds the bundle's occupations after loading: `files` as for the
    /// constructor (`occupations.bin` and `occupations.index`), each checked
    /// against the manifest; a bad one throws an error that names it.
    #[wasm_bindgen(js_name = addOccupations)]
    pub fn add_occupations(&mut self, files: js_sys::Object) -> Result<(), JsError> {
        let map = file_map(&files)?;
        self.engine.add_occupations(map).map_err(js_error)
    }

    /// The bundle's default options: `{ minScore, topK, implicit, implicitMinScore }`.
    #[wasm_bindgen(js_name = defaultOptions)]
    pub fn default_options(&self) -> Result<JsValue, JsError> {
        to_js(&self.engine.default_options())
    }

    /// Sentence-like segments of `text`: `[{ start, end }]`, byte offsets.
    pub fn segments(&self, text: &str) -> Result<JsValue, JsError> {
        to_js(&self.engine.segments(text))
    }

    /// Highlights of some segments of `text` (offsets still relative to the
    /// whole text), for streaming results sentence by sentence.
    #[wasm_bindgen(js_name = highlightSegments)]
    pub fn highlight_segments(
        &self,
        text: &str,
        segments: JsValue,
        options_js: JsValue,
    ) -> Result<JsValue, JsError> {
        let segments = segments_from_js(segments)?;
        let opts = options(&self.engine, options_js)?;
        let h = self.engine.highlight_segments(text, &segments, &opts);
        to_js(&h.map_err(js_error)?)
    }

    /// The ranker's encoder passes over `segments` of `text`, kept in wasm
    /// memory for [`Self::highlight_encoded`]: they need no tags, so they run
    /// while the span tagger's worker tags the same segments.
    #[wasm_bindgen(js_name = encodeSegments)]
    pub fn encode_segments(&self, text: &str, segments: JsValue) -> Result<Encoded, JsError> {
        let segments = segments_from_js(segments)?;
        Ok(Encoded {
            inner: self
                .engine
                .encode_segments(text, &segments)
                .map_err(js_error)?,
        })
    }

    /// Highlights of encoded segments with their span `tags` (consumes `encoded`).
    #[wasm_bindgen(js_name = highlightEncoded)]
    pub fn highlight_encoded(
        &self,
        encoded: Encoded,
        tags: JsValue,
        options_js: JsValue,
    ) -> Result<JsValue, JsError> {
        let tags = tags_from_js(tags)?;
        let opts = options(&self.engine, options_js)?;
        let h = self
            .engine
            .highlight_encoded(encoded.inner, &tags, &opts)
            .map_err(js_error)?;
        to_js(&h)
    }

    /// Sentence embeddings of `texts` (mean-pooled, L2-normalised), flat:
    /// `texts.length × dim` floats, row by row. Encoder only (no tagger, no
    /// linking): what `scripts/bench-browser` times against transformers.js.
    pub fn embed(&self, texts: Vec<String>) -> Result<Vec<f32>, JsError> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vecs = self.engine.embed(&refs).map_err(js_error)?;
        Ok(vecs.into_iter().flatten().collect())
    }

    /// The matrix kernel this module runs: `relaxed-simd` (7-bit weights,
    /// `i32x4.relaxed_dot_i8x16_i7x16_add`) or `simd128`.
    pub fn kernel(&self) -> String {
        self.engine.kernel().name().to_string()
    }

    /// Width of the vectors [`Self::embed`] returns.
    pub fn dim(&self) -> usize {
        self.engine.dim()
    }

    /// Label, description, category and type of one ESCO skill, or `null`.
    pub fn skill(&self, uri: &str) -> Result<JsValue, JsError> {
        to_js(&self.engine.skill(uri))
    }
}

/// A JS byte array read by position ([`ByteSource`]): each read copies only
/// the requested range into wasm memory.
struct JsBytes(js_sys::Uint8Array);

impl ByteSource for JsBytes {
    fn size(&self) -> u64 {
        self.0.length() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        match (
            u32::try_from(offset),
            end.and_then(|e| u32::try_from(e).ok()),
        ) {
            (Ok(a), Some(b)) if b <= self.0.length() => {
                self.0.subarray(a, b).copy_to(buf);
                Ok(())
            }
            _ => Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// Segments encoded by [`Highlighter::encode_segments`], waiting for their tags.
#[wasm_bindgen]
pub struct Encoded {
    inner: skillmark::EncodedSegments,
}

/// The span tagger alone, for a second worker that tags while the
/// [`Highlighter`]'s worker encodes the same text (`web/app/worker/tagger.js`).
#[wasm_bindgen]
pub struct SpanTagger {
    tagger: skillmark::SpanTagger,
}

#[wasm_bindgen]
impl SpanTagger {
    /// `files`: `tokenizer.json`, `encoder.gguf` and `tagger.gguf` (as for
    /// [`Highlighter::new`]), each checked against the manifest. The two
    /// weight files are read from their JS buffers a tensor at a time, never
    /// copied whole into wasm memory (which never shrinks).
    #[wasm_bindgen(constructor)]
    pub fn new(manifest: &[u8], files: js_sys::Object) -> Result<SpanTagger, JsError> {
        let file = |name: &str| -> Result<js_sys::Uint8Array, JsError> {
            let value = js_sys::Reflect::get(&files, &JsValue::from_str(name))
                .map_err(|_| JsError::new(&format!("asset {name}: unreadable")))?;
            if !value.is_instance_of::<js_sys::Uint8Array>() {
                return Err(JsError::new(&format!(
                    "asset {name}: missing (the span tagger needs it) or not a Uint8Array"
                )));
            }
            Ok(js_sys::Uint8Array::from(value))
        };
        let tokenizer = file(skillmark::assets::TOKENIZER)?.to_vec();
        let encoder = JsBytes(file(skillmark::assets::ENCODER)?);
        let tagger = JsBytes(file(skillmark::assets::TAGGER)?);
        let manifest = skillmark::Manifest::from_json(manifest).map_err(js_error)?;
        let tagger = skillmark::SpanTagger::from_sources(
            &manifest,
            &tokenizer,
            &encoder,
            &tagger,
            Precision::Int8All,
        )
        .map_err(js_error)?;
        Ok(SpanTagger { tagger })
    }

    /// Span tags of `segments` of `text`, for
    /// [`Highlighter::highlight_segments_with_tags`].
    #[wasm_bindgen(js_name = tagSegments)]
    pub fn tag_segments(&self, text: &str, segments: JsValue) -> Result<JsValue, JsError> {
        let segments = segments_from_js(segments)?;
        let tags = self
            .tagger
            .tag_segments(text, &segments)
            .map_err(js_error)?;
        to_js(&tags.iter().map(JsTags::from).collect::<Vec<_>>())
    }

    /// The matrix kernel this module runs (as [`Highlighter::kernel`]).
    pub fn kernel(&self) -> String {
        self.tagger.kernel().name().to_string()
    }
}
