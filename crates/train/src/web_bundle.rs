//! `skillmark-train export-web`: the compact bundle the browser downloads,
//! derived from a full bundle (`assets/`) and nothing else.
//!
//! Levers (each measured in docs/BENCHMARKS.md, "Web bundle"):
//! * **step codes**: a matrix is stored as int8 codes of a coarse step per row
//!   (`REL × rms(row)`, never finer than `amax / 127`) with the codes contiguous
//!   ([`skillmark_model::weights::CODES_SUFFIX`]). Small codes are what the
//!   host's brotli/gzip compress to near their entropy (~4 bits at REL 0.25),
//!   and loading gives the engine's int8 rows exactly (no requantization);
//! * **GPTQ** rounding of the transformer layers' codes, calibrated on ESCO's
//!   own texts (see [`crate::gptq`]): the same bytes, a closer encoder;
//! * **embedding table in two tiers**: rows of tokens that ESCO's texts use at
//!   the layer-like step, every other row (job posts still use many of them) at
//!   a much coarser one; `--rare-tokens unk` drops them instead (their ids read
//!   `[UNK]`'s row), which costs span F1;
//! * position embeddings cut to the 256 positions the runtime uses, in f16;
//! * **tagger as a difference**: the span tagger starts as a copy of the
//!   encoder's upper layers, so its layers are stored as step codes of their
//!   difference to the web encoder's (GPTQ-rounded on the web encoder's
//!   states); the runtime adds the encoder back ([`skillmark::tagger::KEY_DELTA_BASE_SHA256`]);
//! * **index**: one row per skill (0.7 × label + 0.3 × label: description,
//!   [`SkillText::LabelDescriptionMean`]), standardized per dimension, in step codes;
//! * **taxonomy**: skills and skill groups (no group descriptions);
//! * **occupations** in files of their own, which the page fetches when it
//!   first needs them: `occupations.bin` (occupations without descriptions,
//!   and their skill edges) and `occupations.index` (the full bundle's
//!   occupation vectors in the index's web form); `--no-occupations` drops both.
//!
//! The tokenizer is copied unchanged, so tokenization is identical to the full bundle.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use candle_core::quantized::{gguf_file, GgmlDType};
use skillmark::assets::{
    sha256_hex, AssetBytes, Manifest, ENCODER, INDEX, MANIFEST, OCCUPATIONS, OCCUPATION_TAXONOMY,
    TAGGER, TAXONOMY, TOKENIZER,
};
use skillmark::tagger::{DeltaBase, Tagger};
use skillmark::{SkillIndex, SkillText};
use skillmark_eval::conll::Conll;
use skillmark_model::engine::TokenStates;
use skillmark_model::weights::{
    quantize_rows_with_step, write_gguf_tensors, GgufTensor, StoredTensor, TensorData,
    GGUF_VOCAB_FALLBACK_KEY, GGUF_VOCAB_ROWS_KEY,
};
use skillmark_model::{BertConfig, Encoder, Precision, TensorStore, TextTokenizer};

use crate::gptq;
use crate::spans::{self, calibrate_decoding, Calibration};

/// Positions the runtime ever uses (its truncation length).
const MAX_POSITIONS: usize = skillmark_model::tokenizer::DEFAULT_MAX_TOKENS;

/// What `export-web` writes; [`WebOptions::default`] is the shipped web bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct WebOptions {
    /// Storage of the transformer layers' matrices.
    pub layer_quant: Quant,
    /// Storage of the word-embedding rows of tokens that ESCO's texts use.
    pub embed_quant: Quant,
    /// What becomes of the other rows.
    pub rare_tokens: RareTokens,
    /// Storage of the skill index.
    pub index: IndexForm,
    /// One index row per skill ([`SkillText::LabelDescriptionMean`]).
    pub index_mean: bool,
    /// Keep occupations and their skill relations in the taxonomy.
    pub keep_occupations: bool,
    /// Storage of the tagger's layer matrices (`step:` ones as differences to
    /// the web encoder's); `None` copies tagger.gguf unchanged.
    pub tagger_quant: Option<Quant>,
    /// ESCO texts that calibrate GPTQ for `step:` layers (0: plain rounding).
    pub calibration: usize,
    /// SkillSpan folder (`*_train.conll`, `*_dev.conll`): with `step:`
    /// tagger storage, its train sentences calibrate the tagger's GPTQ
    /// ([`skillspan_states`]; job-post text instead of ESCO's), and its dev
    /// split chooses the web tagger's own decoding, as the browser runs it
    /// ([`web_decoding`]). `None`: ESCO texts, and the full bundle's decoding.
    /// The CLI default is `../shared/data/skillspan`, which the shipped bundle uses.
    pub spans_data: Option<PathBuf>,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions {
            layer_quant: Quant::Step(0.25),
            embed_quant: Quant::Step(0.4),
            rare_tokens: RareTokens::Step(2.5),
            index: IndexForm::Step(0.8),
            index_mean: true,
            keep_occupations: true,
            tagger_quant: Some(Quant::Step(0.4)),
            calibration: 1024,
            spans_data: None,
        }
    }
}

/// How a weight matrix is stored in the web bundle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quant {
    /// ggml blocks (q4_0, q5_0, …), requantized to int8 rows at load.
    Ggml(GgmlDType),
    /// int8 codes of the step `rel × rms(row)` (see the module doc).
    Step(f32),
}

/// `step:REL` or a ggml type (`q4_0`, `q4_1`, `q5_0`, `q5_1`, `q8_0`, `f16`).
impl FromStr for Quant {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        if let Some(r) = s.strip_prefix("step:") {
            let r: f32 = r.parse().context("step:REL needs a number")?;
            if !(r > 0.0 && r < 10.0) {
                bail!("step:{r}: REL must be in (0, 10)");
            }
            return Ok(Quant::Step(r));
        }
        Ok(Quant::Ggml(match s {
            "q4_0" => GgmlDType::Q4_0,
            "q4_1" => GgmlDType::Q4_1,
            "q5_0" => GgmlDType::Q5_0,
            "q5_1" => GgmlDType::Q5_1,
            "q8_0" => GgmlDType::Q8_0,
            "f16" => GgmlDType::F16,
            _ => bail!("unknown weight storage {s} (step:REL, q4_0, q4_1, q5_0, q5_1, q8_0, f16)"),
        }))
    }
}

/// As [`FromStr`] reads it.
impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quant::Ggml(t) => f.pad(&format!("{t:?}").to_lowercase()),
            Quant::Step(r) => f.pad(&format!("step:{r}")),
        }
    }
}

impl Quant {
    /// The tensor as stored (`rel_rows`: a step per row instead of one for all).
    fn store(self, data: Vec<f32>, shape: &[usize], rel_rows: Option<&[f32]>) -> GgufTensor {
        match self {
            Quant::Ggml(t) => GgufTensor::Values(data, t),
            Quant::Step(rel) => GgufTensor::Rows(quantize_rows_with_step(
                &data,
                shape[0],
                shape[1],
                |r, row| rel_rows.map_or(rel, |v| v[r]) * rms(row),
            )),
        }
    }
}

fn rms(row: &[f32]) -> f32 {
    (row.iter().map(|v| v * v).sum::<f32>() / row.len().max(1) as f32).sqrt()
}

/// The word-embedding rows of tokens no ESCO text uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RareTokens {
    /// Dropped: their ids read `[UNK]`'s row.
    Unk,
    /// Kept as step codes of `rel × rms(row)` (needs a `step:` table).
    Step(f32),
    /// Kept, stored as the other rows.
    Same,
}

/// `unk`, `same` or `step:REL`.
impl FromStr for RareTokens {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "unk" => RareTokens::Unk,
            "same" => RareTokens::Same,
            _ => match s.parse::<Quant>()? {
                Quant::Step(r) => RareTokens::Step(r),
                Quant::Ggml(_) => bail!("--rare-tokens {s}: unk, same or step:REL"),
            },
        })
    }
}

/// As [`FromStr`] reads it.
impl fmt::Display for RareTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RareTokens::Unk => f.pad("unk"),
            RareTokens::Same => f.pad("same"),
            RareTokens::Step(r) => f.pad(&format!("step:{r}")),
        }
    }
}

/// How the web bundle stores the skill index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IndexForm {
    /// int8, one scale per row (format 1, as the full bundle).
    Int8,
    /// 4 bits per value, standardized (format 2).
    FourBit,
    /// Standardized int8 codes of the step `rel × rms(row)` (format 3).
    Step(f32),
}

/// `int8`, `4bit` or `step:REL`.
impl FromStr for IndexForm {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "int8" => IndexForm::Int8,
            "4bit" => IndexForm::FourBit,
            _ => match s.parse::<Quant>()? {
                Quant::Step(r) => IndexForm::Step(r),
                Quant::Ggml(_) => bail!("--index {s}: int8, 4bit or step:REL"),
            },
        })
    }
}

/// As [`FromStr`] reads it.
impl fmt::Display for IndexForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexForm::Int8 => f.pad("int8"),
            IndexForm::FourBit => f.pad("4bit"),
            IndexForm::Step(r) => f.pad(&format!("step:{r}")),
        }
    }
}

impl WebOptions {
    /// The `export-web` flags that give these options.
    fn command(&self) -> String {
        format!(
            "skillmark-train export-web --from assets --out DIR --layer-quant {} --embed-quant {} --rare-tokens {} --tagger-quant {} --calibration {} --spans-data {} --index {} --index-rows {}{}",
            self.layer_quant,
            self.embed_quant,
            self.rare_tokens,
            self.tagger_quant.map_or("keep".into(), |q| q.to_string()),
            self.calibration,
            self.spans_data
                .as_ref()
                .map_or("none".into(), |d| d.display().to_string()),
            self.index,
            if self.index_mean { "mean" } else { "all" },
            if self.keep_occupations { "" } else { " --no-occupations" },
        )
    }
}

pub fn export_web(from: &Path, out: &Path, opt: &WebOptions) -> Result<()> {
    if let (RareTokens::Step(_), Quant::Ggml(_)) = (opt.rare_tokens, opt.embed_quant) {
        bail!("--rare-tokens step:REL needs a step: embedding table (--embed-quant step:REL)");
    }
    let full = AssetBytes::read_dir(from).with_context(|| format!("reading {}", from.display()))?;
    if full.manifest.rest.contains_key("web") {
        bail!(
            "{} is a web bundle already: export the web bundle from the full bundle",
            from.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let taxonomy = esco::Taxonomy::from_bytes(full.get(TAXONOMY))?;
    let tokenizer = TextTokenizer::from_bytes(full.get(TOKENIZER), MAX_POSITIONS)?;
    // Group and occupation descriptions are never shown (the page shows
    // skills; categories read group labels and the hierarchy; occupations
    // their labels). Occupations go to a file of their own, which the page
    // fetches only when it first needs them (a résumé comparison).
    let mut groups = taxonomy.groups.clone();
    groups.iter_mut().for_each(|g| g.description.clear());
    let web_taxonomy = esco::Taxonomy::new(
        taxonomy.version.clone(),
        taxonomy.skills.clone(),
        groups,
        Vec::new(),
        Vec::new(),
    );
    let occupation_part_bytes = if opt.keep_occupations {
        let mut part = taxonomy.occupation_part();
        part.occupations
            .iter_mut()
            .for_each(|o| o.description.clear());
        Some(part.to_bytes()?)
    } else {
        None
    };
    let taxonomy_bytes = web_taxonomy.to_bytes()?;

    let tagger_branch = match full.optional(TAGGER) {
        Some(t) => Some(tagger_branch(t)?),
        None => None,
    };
    let WebEncoder {
        bytes: encoder_bytes,
        rows: embedding_rows,
        branch_states,
    } = web_encoder(
        full.get(ENCODER),
        &taxonomy,
        &tokenizer,
        opt,
        tagger_branch.map(|b| b.branch),
        // With SkillSpan data the tagger is rounded on its sentences instead.
        opt.spans_data.is_none(),
    )?;
    let gptq_layers = matches!(opt.layer_quant, Quant::Step(_)) && opt.calibration > 0;
    let encoder_sha = sha256_hex(&encoder_bytes);
    // The occupations' vectors, like the skills', are the full bundle's,
    // requantized and checked against the web encoder.
    let occupation_vectors = match (opt.keep_occupations, full.optional(OCCUPATIONS)) {
        (false, _) => None,
        (true, Some(bytes)) => Some(
            SkillIndex::from_file_bytes(bytes, OCCUPATIONS)?
                .with_encoder_sha256(encoder_sha.clone()),
        ),
        (true, None) => bail!(
            "{} has no {OCCUPATIONS}: run `skillmark index occupations --model {}` first, or export with --no-occupations",
            from.display(),
            from.display()
        ),
    };
    let mut index = SkillIndex::from_bytes(full.get(INDEX))?.with_encoder_sha256(encoder_sha);
    if opt.index_mean {
        if index.skill_text != SkillText::LabelAndDescriptionRows {
            bail!(
                "--index-rows mean needs a `label|label:description` index, the bundle has `{}`",
                index.skill_text
            );
        }
        index = index.merge_rows(
            SkillText::LabelDescriptionMean,
            skillmark::index::MEAN_LABEL_WEIGHT,
        );
    }
    let index_file = |index: &SkillIndex| match opt.index {
        IndexForm::Int8 => index.to_bytes(),
        IndexForm::FourBit => index.to_bytes_4bit(),
        IndexForm::Step(r) => index.to_bytes_step(r),
    };
    let index_bytes = index_file(&index);

    let mut manifest = Manifest {
        version: String::new(),
        files: Default::default(),
        rest: full.manifest.rest.clone(),
    };
    for (name, bytes, role) in [
        (
            ENCODER,
            &encoder_bytes,
            "sentence encoder weights (GGUF, compact web form)",
        ),
        (
            TOKENIZER,
            &full.files[TOKENIZER],
            "WordPiece tokenizer (Hugging Face tokenizers JSON)",
        ),
        (
            TAXONOMY,
            &taxonomy_bytes,
            "ESCO taxonomy, compact binary (postcard): skills, and skill groups without descriptions",
        ),
        (INDEX, &index_bytes, "skill index, compact web form"),
    ] {
        std::fs::write(out.join(name), bytes).with_context(|| format!("writing {name}"))?;
        manifest.set_file(name, bytes, role);
    }
    let (mut tagger_gptq, mut tagger_decoding) = (serde_json::Value::Null, serde_json::Value::Null);
    if let Some(tagger) = full.optional(TAGGER) {
        let (bytes, role) = match opt.tagger_quant {
            None => (
                tagger.to_vec(),
                "span tagger: its own layers + Skill/Knowledge BIO heads (GGUF), as in the full bundle".to_string(),
            ),
            Some(q) => {
                let spans = opt
                    .spans_data
                    .as_deref()
                    .map(SpansData::read)
                    .transpose()?;
                let shape = tagger_branch.context("tagger.gguf: no branch layer")?;
                let file = web_tagger_file(
                    tagger,
                    shape,
                    q,
                    // GPTQ-rounded when the encoder's layers are (web_encoder).
                    match (branch_states, &spans) {
                        (Some(states), None) => TaggerGptq::Esco(states),
                        (None, Some(_)) if gptq_layers => TaggerGptq::SkillSpan,
                        _ => TaggerGptq::Off,
                    },
                    &encoder_bytes,
                    &full.files[TOKENIZER],
                    spans.as_ref(),
                )?;
                (tagger_gptq, tagger_decoding) = (file.gptq, file.decoding);
                (
                    file.bytes,
                    format!(
                        "span tagger: its own layers ({}{}) + Skill/Knowledge BIO heads (GGUF)",
                        q,
                        if matches!(q, Quant::Step(_)) { ", as differences to encoder.gguf's" } else { "" }
                    ),
                )
            }
        };
        std::fs::write(out.join(TAGGER), &bytes)?;
        manifest.set_file(TAGGER, &bytes, &role);
    }
    if let Some(bytes) = &occupation_part_bytes {
        std::fs::write(out.join(OCCUPATION_TAXONOMY), bytes)?;
        manifest.set_file(
            OCCUPATION_TAXONOMY,
            bytes,
            "ESCO occupations (without descriptions) and their skill relations, compact binary; fetched when first needed",
        );
    }
    if let Some(v) = &occupation_vectors {
        let bytes = index_file(v);
        std::fs::write(out.join(OCCUPATIONS), &bytes)?;
        manifest.set_file(
            OCCUPATIONS,
            &bytes,
            &format!("occupation vectors: every ESCO occupation's preferred label ({}); fetched when first needed", opt.index),
        );
    }
    // The version names the web files and the full bundle they came from, so
    // browser caches follow either.
    manifest.version = format!(
        "{}-web-{}",
        full.manifest.version,
        &sha256_hex(serde_json::to_string(&manifest.files)?.as_bytes())[..8]
    );
    let r = &mut manifest.rest;
    r.insert("name".into(), "skillmark assets (web)".into());
    r.insert(
        "web".into(),
        serde_json::json!({
            "derived_from": full.manifest.version,
            "full_encoder_sha256": full.manifest.files[ENCODER].sha256,
            "command": opt.command(),
            "layer_weights": opt.layer_quant.to_string(),
            "embedding_weights": opt.embed_quant.to_string(),
            "rare_tokens": opt.rare_tokens.to_string(),
            "embedding_rows": embedding_rows,
            "gptq_calibration_texts": opt.calibration,
            "index": opt.index.to_string(),
            "tagger_decoding": tagger_decoding,
            "tagger_gptq_calibration": tagger_gptq,
            "taxonomy": "skills and skill groups without descriptions",
            "occupations": if opt.keep_occupations { "occupations.bin (without descriptions) and occupations.index, fetched when first needed" } else { "none (--no-occupations)" },
        }),
    );
    if let Some(m) = r.get_mut("model") {
        m["weights"] = format!(
            "layers {}, embeddings {} (rare tokens {})",
            opt.layer_quant, opt.embed_quant, opt.rare_tokens
        )
        .into();
    }
    if let Some(t) = r.get_mut("taxonomy") {
        t["occupations"] = if opt.keep_occupations {
            taxonomy.occupations.len()
        } else {
            0
        }
        .into();
    }
    if let Some(i) = r.get_mut("index") {
        i["vectors"] = match opt.index {
            IndexForm::Int8 => "int8, one f32 scale per row".to_string(),
            IndexForm::FourBit => "int4, standardized, one f32 scale per row".to_string(),
            IndexForm::Step(r) => format!("int8 codes of a {r} × rms step, standardized"),
        }
        .into();
        i["rows"] = index.rows().into();
        i["skill_text"] = index.skill_text.to_string().into();
    }
    // Metrics belong to the files they were measured on.
    r.remove("metrics");
    std::fs::write(out.join(MANIFEST), manifest.to_json())?;

    // Round trip: the runtime must load what was written, tagger included.
    let check = AssetBytes::read_dir(out)?;
    skillmark::Engine::from_assets(check, Precision::Int8)
        .context("the written web bundle does not load")?;
    let total: u64 = manifest.files.values().map(|f| f.bytes).sum();
    eprintln!(
        "wrote {}: encoder {:.2} MB ({embedding_rows} embedding rows), index {:.2} MB, taxonomy {:.2} MB, tokenizer {:.2} MB; {:.2} MB in all (uncompressed)",
        out.display(),
        encoder_bytes.len() as f64 / 1e6,
        index_bytes.len() as f64 / 1e6,
        taxonomy_bytes.len() as f64 / 1e6,
        full.files[TOKENIZER].len() as f64 / 1e6,
        total as f64 / 1e6,
    );
    Ok(())
}

/// The precision the browser's engine runs (crates/wasm).
const BROWSER_PRECISION: Precision = Precision::Int8All;

/// The SkillSpan splits `export-web` reads (`--spans-data`), read once.
struct SpansData<'a> {
    dir: &'a Path,
    train: Vec<Conll>,
    dev: Vec<Conll>,
}

impl<'a> SpansData<'a> {
    fn read(dir: &'a Path) -> Result<Self> {
        Ok(SpansData {
            dir,
            train: spans::read_split(dir, "_train.conll")?,
            dev: spans::read_split(dir, "_dev.conll")?,
        })
    }
}

/// A web tagger.gguf, with the manifest's records of the sentences its
/// layers were GPTQ-rounded on and of its decoding (null where none).
struct WebTaggerFile {
    bytes: Vec<u8>,
    gptq: serde_json::Value,
    decoding: serde_json::Value,
}

/// What a GPTQ-rounded web tagger is rounded on.
enum TaggerGptq {
    /// Nothing: plain rounding.
    Off,
    /// The web encoder's states after the branch layer on ESCO texts.
    Esco(TokenStates),
    /// SkillSpan's train sentences ([`skillspan_states`]; needs SkillSpan data).
    SkillSpan,
}

/// The full bundle's tagger (of `shape`) stored as `q`, rounded as `gptq`
/// says. With SkillSpan data its decoding is also chosen again on the dev
/// split ([`web_decoding`]).
fn web_tagger_file(
    full_tagger: &[u8],
    shape: TaggerShape,
    q: Quant,
    gptq: TaggerGptq,
    encoder: &[u8],
    tokenizer_json: &[u8],
    spans: Option<&SpansData>,
) -> Result<WebTaggerFile> {
    let (states, gptq) = match (gptq, spans) {
        (TaggerGptq::SkillSpan, Some(s)) => {
            let states = skillspan_states(&s.train, encoder, tokenizer_json, shape)?;
            let n = states.ranges.len();
            (
                Some(states),
                format!("{n} SkillSpan train sentences").into(),
            )
        }
        (TaggerGptq::Esco(states), _) => {
            let n = states.ranges.len();
            (Some(states), format!("{n} ESCO texts").into())
        }
        _ => (None, serde_json::Value::Null),
    };
    let mut parts = web_tagger(full_tagger, q, states, encoder)?;
    let mut decoding = serde_json::Value::Null;
    if let Some(s) = spans {
        let cal = web_decoding(&parts.to_bytes()?, encoder, tokenizer_json, s)?;
        if !cal.kept_own {
            parts.set_decoding(&cal)?;
        }
        decoding = decoding_report(&cal, s.dir);
    }
    Ok(WebTaggerFile {
        bytes: parts.to_bytes()?,
        gptq,
        decoding,
    })
}

/// A web tagger and the encoder layers before its branch, loaded as the
/// browser loads them ([`BROWSER_PRECISION`]).
fn browser_tagger(
    tagger: &[u8],
    encoder: &[u8],
    tokenizer_json: &[u8],
) -> Result<(Tagger, skillmark_model::SentenceEncoder)> {
    let base = DeltaBase {
        bytes: encoder,
        sha256: &sha256_hex(encoder),
    };
    let t = Tagger::from_gguf_with_base(tagger, Some(base), BROWSER_PRECISION)?;
    let enc = skillmark_model::SentenceEncoder::from_gguf_first_layers(
        tokenizer_json,
        encoder,
        BROWSER_PRECISION,
        t.branch_layer,
    )?;
    Ok((t, enc))
}

/// The web tagger's decoding, chosen on SkillSpan dev as the browser runs it
/// ([`browser_tagger`]): its stored step codes shift its probabilities, so
/// the O offsets and transition-prior weight chosen for the full bundle's
/// tagger are not the best ones for it.
fn web_decoding(
    tagger: &[u8],
    encoder: &[u8],
    tokenizer_json: &[u8],
    spans: &SpansData,
) -> Result<Calibration> {
    let (t, enc) = browser_tagger(tagger, encoder, tokenizer_json)?;
    let cal = calibrate_decoding(&t, &enc.encoder, &enc.tokenizer, &spans.train, &spans.dev)?;
    eprintln!(
        "web tagger decoding ({BROWSER_PRECISION:?}): O offsets {:+.2} / {:+.2}, transition weight {}: dev combined F1 {:.2} -> {:.2}{}",
        cal.o_offsets[0],
        cal.o_offsets[1],
        cal.transition_weight,
        cal.before,
        cal.after,
        if cal.kept_own { " (kept the full bundle's)" } else { "" }
    );
    Ok(cal)
}

/// The web encoder's states after layer `k` on every SkillSpan train
/// sentence, as the tagger reads them: the job-post text the tagger's layers
/// are GPTQ-rounded on (closer to what it tags than ESCO's texts, on which
/// the encoder's layers are rounded; docs/BENCHMARKS.md, "Session 9").
fn skillspan_states(
    train: &[Conll],
    encoder: &[u8],
    tokenizer_json: &[u8],
    shape: TaggerShape,
) -> Result<TokenStates> {
    let k = shape.branch;
    let enc = skillmark_model::SentenceEncoder::from_gguf_first_layers(
        tokenizer_json,
        encoder,
        Precision::F32,
        k,
    )?;
    let mut ids: Vec<Vec<u32>> = Vec::new();
    for c in train {
        let sentences = c.all_tokens();
        let aligned = skillmark::tokens::align_document(&enc.tokenizer, &sentences, shape.context)?;
        ids.extend(aligned.into_iter().map(|a| a.ids));
    }
    let refs: Vec<&[u32]> = ids.iter().map(|v| v.as_slice()).collect();
    let mut states = enc.encoder.embed_tokens(&refs)?;
    enc.encoder.run_layers(&mut states, 0..k);
    Ok(states)
}

/// The manifest's record of [`web_decoding`].
fn decoding_report(cal: &Calibration, data: &Path) -> serde_json::Value {
    serde_json::json!({
        "chosen_on": format!("{}/*_dev.conll (model selection split)", data.display()),
        "precision": format!("{BROWSER_PRECISION:?}"),
        "kept_full_bundle_decoding": cal.kept_own,
        "o_offsets_added": { "skill": cal.o_offsets[0], "knowledge": cal.o_offsets[1] },
        "transition_weight": if cal.kept_own { serde_json::Value::Null } else { cal.transition_weight.into() },
        "dev_combined_f1_before": cal.before,
        "dev": cal.scores,
    })
}

/// The token ids of ESCO's own texts: special tokens, every token of the
/// taxonomy's texts, and every single-character ASCII token (so no ASCII
/// word loses a piece it could be spelled with).
fn esco_token_ids(taxonomy: &esco::Taxonomy, tok: &TextTokenizer) -> Result<BTreeSet<u32>> {
    let mut kept = BTreeSet::new();
    for special in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] {
        if let Some(id) = tok.token_to_id(special) {
            kept.insert(id);
        }
    }
    for id in 0..tok.vocab_size() as u32 {
        if let Some(t) = tok.id_to_token(id) {
            let t = t.strip_prefix("##").unwrap_or(&t);
            if t.len() == 1 && t.is_ascii() {
                kept.insert(id);
            }
        }
    }
    let mut add = |text: &str| -> Result<()> {
        if !text.is_empty() {
            kept.extend(tok.encode(text)?.ids);
        }
        Ok(())
    };
    for s in &taxonomy.skills {
        add(&s.preferred_label)?;
        for a in &s.alt_labels {
            add(a)?;
        }
        add(&s.description)?;
    }
    for g in &taxonomy.groups {
        add(&g.preferred_label)?;
        add(&g.description)?;
    }
    for o in &taxonomy.occupations {
        add(&o.preferred_label)?;
        for a in &o.alt_labels {
            add(a)?;
        }
        add(&o.description)?;
    }
    Ok(kept)
}

/// What a tagger.gguf's metadata says about how it reads the encoder.
#[derive(Clone, Copy)]
struct TaggerShape {
    /// K: it reads the encoder's states after layer K.
    branch: usize,
    layers: usize,
    /// Word pieces of the neighbouring sentences it reads on each side.
    context: usize,
}

fn tagger_branch(gguf: &[u8]) -> Result<TaggerShape> {
    let store = TensorStore::from_gguf(gguf)?;
    let get = |k: &str| -> Result<usize> {
        store
            .metadata
            .get(k)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("tagger.gguf: metadata {k}"))
    };
    Ok(TaggerShape {
        branch: get(skillmark::tagger::KEY_BRANCH_LAYER)?,
        layers: get(skillmark::tagger::KEY_LAYERS)?,
        context: match store.metadata.get(skillmark::tagger::KEY_CONTEXT) {
            None => 0,
            Some(_) => get(skillmark::tagger::KEY_CONTEXT)?,
        },
    })
}

/// A web tagger.gguf before it is written.
struct TaggerParts {
    cfg: BertConfig,
    tensors: Vec<(String, Vec<usize>, GgufTensor)>,
    meta: Vec<(String, gguf_file::Value)>,
}

impl TaggerParts {
    fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = std::io::Cursor::new(Vec::new());
        write_gguf_tensors(&mut out, &self.cfg, &self.tensors, self.meta.clone())?;
        Ok(out.into_inner())
    }

    /// Takes a decoding chosen on dev: its O offsets go into the classifier's
    /// bias, its transition priors replace the stored ones.
    fn set_decoding(&mut self, cal: &Calibration) -> Result<()> {
        let bias = self
            .tensors
            .iter_mut()
            .find(|t| t.0 == skillmark::tagger::CLASSIFIER_BIAS)
            .context("tagger.gguf has no classifier bias")?;
        let GgufTensor::Values(b, _) = &mut bias.2 else {
            bail!("tagger.gguf: the classifier bias is not stored as values");
        };
        for (o, d) in skillmark::tagger::O_LABELS.iter().zip(cal.o_offsets) {
            b[*o] += d;
        }
        self.meta
            .retain(|(k, _)| k.as_str() != skillmark::tagger::KEY_TRANSITIONS);
        if cal.transition_weight > 0.0 {
            self.meta.push((
                skillmark::tagger::KEY_TRANSITIONS.into(),
                gguf_file::Value::String(serde_json::to_string(&cal.priors)?),
            ));
            self.meta.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(())
    }
}

/// The tagger with its layer matrices stored as `q` (metadata kept). With
/// `step:` storage they are stored as differences to the same-named matrices
/// of `web_encoder` (as the runtime loads them), GPTQ-rounded on the
/// calibration `states` (the web encoder's after the branch layer) when given.
fn web_tagger(
    gguf: &[u8],
    q: Quant,
    states: Option<TokenStates>,
    web_encoder: &[u8],
) -> Result<TaggerParts> {
    let mut cursor = std::io::Cursor::new(gguf);
    let content = gguf_file::Content::read(&mut cursor).context("tagger.gguf")?;
    let mut meta: Vec<(String, gguf_file::Value)> = content
        .metadata
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "general.architecture"
                && k.as_str() != skillmark_model::weights::GGUF_CONFIG_KEY
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let TaggerShape { branch, layers, .. } = tagger_branch(gguf)?;
    let mut store = TensorStore::from_gguf(gguf)?;
    let cfg = store
        .config
        .clone()
        .context("tagger.gguf carries no BERT config")?;
    let tensors = f32_tensors(&mut store);
    let prefixes: Vec<String> = (branch..branch + layers)
        .map(|l| format!("encoder.layer.{l}"))
        .collect();
    let under = |n: &str| prefixes.iter().any(|p| n.starts_with(&format!("{p}.")));
    let is_matrix = |n: &str, shape: &[usize]| under(n) && shape.len() == 2;
    let mut rows = HashMap::new();
    if let Quant::Step(rel) = q {
        let mut b =
            TensorStore::from_gguf_filtered(web_encoder, |n| under(n) && n.ends_with(".weight"))?;
        let base: gptq::Tensors = f32_tensors(&mut b)
            .into_iter()
            .filter(|(_, (shape, _))| shape.len() == 2)
            .collect();
        meta.push((
            skillmark::tagger::KEY_DELTA_BASE_SHA256.into(),
            gguf_file::Value::String(sha256_hex(web_encoder)),
        ));
        if let Some(mut states) = states {
            rows = gptq::quantize_layers(&cfg, &tensors, &prefixes, &mut states, rel, Some(&base))?;
        } else {
            // Plain rounding of the differences, on the tagger's own steps.
            for (name, (shape, w)) in &tensors {
                if !is_matrix(name, shape) {
                    continue;
                }
                let bw = &base
                    .get(name)
                    .with_context(|| format!("encoder.gguf has no {name}"))?
                    .1;
                let d: Vec<f32> = w.iter().zip(bw).map(|(a, b)| a - b).collect();
                let k = shape[1];
                let steps: Vec<f32> = w.chunks_exact(k).map(|r| rel * rms(r)).collect();
                rows.insert(
                    name.clone(),
                    quantize_rows_with_step(&d, shape[0], k, |r, _| steps[r]),
                );
            }
        }
    }
    meta.sort_by(|a, b| a.0.cmp(&b.0));
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    let mut out_tensors = Vec::new();
    for name in names {
        let (shape, data) = &tensors[name];
        let part = if let Some(r) = rows.remove(name) {
            GgufTensor::Rows(r)
        } else if is_matrix(name, shape) {
            q.store(data.clone(), shape, None)
        } else {
            GgufTensor::Values(data.clone(), GgmlDType::F32)
        };
        out_tensors.push((name.clone(), shape.clone(), part));
    }
    Ok(TaggerParts {
        cfg,
        tensors: out_tensors,
        meta,
    })
}

/// Every tensor of `store` as f32 (the store is emptied).
fn f32_tensors(store: &mut TensorStore) -> gptq::Tensors {
    store
        .tensors
        .drain()
        .map(|(n, t)| {
            let v = t.to_f32();
            (n, (t.shape, v))
        })
        .collect()
}

/// Texts that calibrate GPTQ: `n` skill descriptions (or labels) spread evenly
/// over the taxonomy — the bundle's own texts, so the export reads nothing else.
fn calibration_texts(taxonomy: &esco::Taxonomy, n: usize) -> Vec<String> {
    let skills = &taxonomy.skills;
    let n = n.min(skills.len());
    (0..n)
        .map(|i| {
            let s = &skills[i * skills.len() / n];
            if s.description.trim().is_empty() {
                s.preferred_label.clone()
            } else {
                s.description.clone()
            }
        })
        .collect()
}

struct WebEncoder {
    bytes: Vec<u8>,
    /// Rows of the word-embedding table.
    rows: usize,
    /// Calibration states after the tagger's branch layer (GPTQ only, when asked for).
    branch_states: Option<TokenStates>,
}

fn web_encoder(
    gguf: &[u8],
    taxonomy: &esco::Taxonomy,
    tok: &TextTokenizer,
    opt: &WebOptions,
    branch: Option<usize>,
    keep_branch_states: bool,
) -> Result<WebEncoder> {
    let mut store = TensorStore::from_gguf(gguf)?;
    let mut cfg: BertConfig = store
        .config
        .clone()
        .context("encoder.gguf carries no BERT config")?;
    if store.vocab_rows.is_some() {
        bail!("encoder.gguf is already pruned: export the web bundle from the full bundle");
    }
    let h = cfg.hidden_size;
    let positions = cfg.max_position_embeddings.min(MAX_POSITIONS);
    let unk = tok.token_to_id("[UNK]").context("tokenizer has no [UNK]")?;
    let common = esco_token_ids(taxonomy, tok)?;
    let prune = opt.rare_tokens == RareTokens::Unk;
    let kept: Vec<u32> = if prune {
        common.iter().copied().collect()
    } else {
        (0..cfg.vocab_size as u32).collect()
    };
    let mut tensors = f32_tensors(&mut store);
    const WORDS: &str = "embeddings.word_embeddings.weight";
    const POSITIONS: &str = "embeddings.position_embeddings.weight";
    // The embeddings as the web bundle stores them.
    let (shape, table) = tensors
        .remove(WORDS)
        .context("encoder.gguf has no word embeddings")?;
    if shape != [cfg.vocab_size, h] {
        bail!(
            "word embeddings: shape {shape:?}, the config says [{}, {h}]",
            cfg.vocab_size
        );
    }
    let mut rows = Vec::with_capacity(kept.len() * h);
    for &id in &kept {
        rows.extend_from_slice(&table[id as usize * h..(id as usize + 1) * h]);
    }
    let rel_rows: Option<Vec<f32>> = match (opt.rare_tokens, opt.embed_quant) {
        (RareTokens::Step(rare), Quant::Step(rel)) => Some(
            kept.iter()
                .map(|id| if common.contains(id) { rel } else { rare })
                .collect(),
        ),
        _ => None,
    };
    let words = opt
        .embed_quant
        .store(rows, &[kept.len(), h], rel_rows.as_deref());
    {
        let (shape, data) = tensors
            .get_mut(POSITIONS)
            .context("encoder.gguf has no position embeddings")?;
        data.truncate(positions * h);
        data.iter_mut()
            .for_each(|v| *v = half::f16::from_f32(*v).to_f32());
        *shape = vec![positions, h];
    }
    cfg.max_position_embeddings = positions;
    let n_layers = cfg.num_hidden_layers;
    let mut gptq_rows = HashMap::new();
    let mut branch_states = None;
    if let (Quant::Step(rel), true) = (opt.layer_quant, opt.calibration > 0) {
        // Calibration runs the encoder as the web bundle stores its embeddings.
        let mut calib = TensorStore::default();
        for (name, (shape, data)) in &tensors {
            calib.tensors.insert(
                name.clone(),
                StoredTensor {
                    shape: shape.clone(),
                    data: TensorData::F32(data.clone()),
                },
            );
        }
        let table = match &words {
            GgufTensor::Rows(q) => TensorData::Q8(q.clone()),
            GgufTensor::Values(v, _) => TensorData::F32(v.clone()),
        };
        calib.tensors.insert(
            WORDS.into(),
            StoredTensor {
                shape: vec![kept.len(), h],
                data: table,
            },
        );
        if prune {
            calib.vocab_rows = Some((kept.clone(), unk));
        }
        let enc = Encoder::new(cfg.clone(), calib, Precision::F32)?;
        let texts = calibration_texts(taxonomy, opt.calibration);
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| Ok(tok.encode(t)?.ids))
            .collect::<Result<_>>()?;
        let refs: Vec<&[u32]> = ids.iter().map(|v| v.as_slice()).collect();
        let mut states = enc.embed_tokens(&refs)?;
        let k = branch.unwrap_or(n_layers).min(n_layers);
        let prefixes = |r: std::ops::Range<usize>| -> Vec<String> {
            r.map(|l| format!("encoder.layer.{l}")).collect()
        };
        gptq_rows = gptq::quantize_layers(&cfg, &tensors, &prefixes(0..k), &mut states, rel, None)?;
        if branch.is_some() && keep_branch_states {
            branch_states = Some(states.clone());
        }
        gptq_rows.extend(gptq::quantize_layers(
            &cfg,
            &tensors,
            &prefixes(k..n_layers),
            &mut states,
            rel,
            None,
        )?);
    }
    let mut names: Vec<String> = tensors.keys().cloned().collect();
    names.sort();
    let mut out_tensors = vec![(WORDS.to_string(), vec![kept.len(), h], words)];
    for name in names {
        let (shape, data) = tensors.remove(&name).expect("listed");
        let part = if name == POSITIONS {
            GgufTensor::Values(data, GgmlDType::F16)
        } else if let Some(rows) = gptq_rows.remove(&name) {
            GgufTensor::Rows(rows)
        } else if shape.len() == 2 && shape[0] > 2 {
            opt.layer_quant.store(data, &shape, None)
        } else {
            GgufTensor::Values(data, GgmlDType::F32)
        };
        out_tensors.push((name, shape, part));
    }
    let mut meta = vec![(
        "skillmark.provenance".to_string(),
        gguf_file::Value::String(
            "web bundle derived from assets/ by skillmark-train export-web".into(),
        ),
    )];
    if prune {
        meta.push((
            GGUF_VOCAB_ROWS_KEY.into(),
            gguf_file::Value::Array(kept.iter().map(|&i| gguf_file::Value::U32(i)).collect()),
        ));
        meta.push((GGUF_VOCAB_FALLBACK_KEY.into(), gguf_file::Value::U32(unk)));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    write_gguf_tensors(&mut out, &cfg, &out_tensors, meta)?;
    Ok(WebEncoder {
        bytes: out.into_inner(),
        rows: kept.len(),
        branch_states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark::index::top_k;
    use skillmark::{Highlighter, Ranker};
    use skillmark_eval::gold::parse_gold;

    fn assets() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
    }

    fn data(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data")
            .join(rel)
    }

    /// TECH and HOUSE validation sentences.
    fn sentences(taxonomy: &esco::Taxonomy) -> Vec<String> {
        let mut out = Vec::new();
        for f in ["tech", "house"] {
            let p = data(&format!("benchmark/{f}_validation_annotations.csv"));
            let g = parse_gold(&std::fs::read(&p).unwrap(), f, taxonomy).unwrap();
            out.extend(g.sentences.into_iter().map(|s| s.text));
        }
        out
    }

    /// The web bundle of the shipped defaults against the full bundle it came
    /// from: same sentence vectors (cosine), same top skills, same spans.
    #[test]
    fn web_bundle_agrees_with_the_full_bundle() {
        let out = std::env::temp_dir().join(format!("skillmark-web-{}", std::process::id()));
        // The defaults of `skillmark-train export-web`, with a smaller GPTQ
        // calibration set (128 ESCO texts for the encoder, 1,000 SkillSpan
        // train sentences for the tagger), and the decoding chosen on 900
        // SkillSpan dev sentences (after the 600 that the span check reads below).
        let spans_data = out.join("skillspan");
        std::fs::create_dir_all(&spans_data).unwrap();
        // 1,000 train sentences (GPTQ calibration, transition priors).
        let house_train =
            std::fs::read_to_string(data("skillspan/skillspan_house_train.conll")).unwrap();
        let train: Vec<&str> = house_train.split("\n\n").take(1000).collect();
        std::fs::write(spans_data.join("x_train.conll"), train.join("\n\n") + "\n").unwrap();
        let tech_dev = std::fs::read_to_string(data("skillspan/skillspan_tech_dev.conll")).unwrap();
        let dev: Vec<&str> = tech_dev.split("\n\n").skip(600).take(900).collect();
        std::fs::write(spans_data.join("x_dev.conll"), dev.join("\n\n") + "\n").unwrap();
        let opt = WebOptions {
            calibration: 128,
            spans_data: Some(spans_data.clone()),
            ..WebOptions::default()
        };
        export_web(&assets(), &out, &opt).unwrap();
        let files = AssetBytes::read_dir(&out).unwrap();
        let web = Highlighter::from_assets(&files, Precision::Int8).expect("web bundle loads");
        assert!(web.ranker.taxonomy.occupations.is_empty());
        let full = Highlighter::load_dir(&assets(), Precision::Int8).unwrap();
        // Occupations come in their own files, joined at load.
        assert!(files.optional(OCCUPATIONS).is_some());
        let part =
            esco::OccupationPart::from_bytes(files.optional(OCCUPATION_TAXONOMY).unwrap()).unwrap();
        assert_eq!(
            part.occupations.len(),
            full.ranker.taxonomy.occupations.len()
        );
        assert!(part.occupations.iter().all(|o| o.description.is_empty()));
        let engine =
            skillmark::Engine::from_assets(AssetBytes::read_dir(&out).unwrap(), Precision::Int8)
                .unwrap();
        assert!(engine.has_occupations());
        assert_eq!(
            web.ranker.taxonomy.skills.len(),
            full.ranker.taxonomy.skills.len()
        );
        assert_eq!(web.ranker.index.rows(), web.ranker.taxonomy.skills.len());

        // The tagger's layers are differences to this very encoder.
        let (tagger, encoder) = (files.get(TAGGER), files.get(ENCODER));
        let sha = sha256_hex(encoder);
        let base = |sha256| skillmark::tagger::DeltaBase {
            bytes: encoder,
            sha256,
        };
        use skillmark::tagger::Tagger;
        assert!(Tagger::from_gguf(tagger, Precision::Int8).is_err());
        assert!(Tagger::from_gguf_with_base(tagger, Some(base("0000")), Precision::Int8).is_err());
        Tagger::from_gguf_with_base(tagger, Some(base(&sha)), Precision::Int8).unwrap();

        // The decoding chosen for the web tagger is the one written: the
        // runtime, as the browser runs it, scores those dev sentences as the
        // choice did, and no worse than the full bundle's decoding.
        let chosen = &files.manifest.rest["web"]["tagger_decoding"];
        let dev_conll = skillmark_eval::conll::Conll::parse(
            &std::fs::read_to_string(spans_data.join("x_dev.conll")).unwrap(),
            true,
        )
        .unwrap();
        assert_eq!(dev_conll.sentences.len(), 900);
        assert_eq!(chosen["dev"]["sentences"], 900, "{chosen}");
        let before = chosen["dev_combined_f1_before"].as_f64().unwrap();
        let after = chosen["dev"]["combined"]["f1"].as_f64().unwrap();
        assert!(after >= before, "{chosen}");
        let (t, enc) = browser_tagger(tagger, encoder, files.get(TOKENIZER)).unwrap();
        let runtime = spans::tagger_scores(&t, &enc.encoder, &enc.tokenizer, &[dev_conll])
            .unwrap()
            .combined
            .f1;
        eprintln!(
            "web decoding on 900 dev sentences: {before:.2} -> {after:.2}, runtime {runtime:.2}"
        );
        assert!((runtime - after).abs() < 0.5, "{runtime} vs {chosen}");

        // Sentence vectors: cosine to the full encoder's.
        let texts = sentences(&full.ranker.taxonomy);
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        let (a, b) = (
            web.ranker.encoder.embed(&refs).unwrap(),
            full.ranker.encoder.embed(&refs).unwrap(),
        );
        let cos: Vec<f32> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum())
            .collect();
        let mean = cos.iter().sum::<f32>() / cos.len() as f32;
        let min = cos.iter().copied().fold(1.0, f32::min);
        eprintln!(
            "cosine web/full over {} sentences: mean {mean:.4}, min {min:.4}",
            cos.len()
        );
        assert!(mean > 0.985 && min > 0.93, "mean {mean}, min {min}");
        // Rankings: the full bundle's top 5 skills among the web bundle's top 10.
        let (w, f) = (
            web.ranker.rank(&refs, 10).unwrap(),
            full.ranker.rank(&refs, 5).unwrap(),
        );
        let found = w
            .iter()
            .zip(&f)
            .map(|(w, f)| {
                f.iter()
                    .filter(|s| w.iter().any(|x| x.uri == s.uri))
                    .count()
            })
            .sum::<usize>() as f32
            / (5 * f.len()) as f32;
        eprintln!("full top 5 in the web top 10: {found:.3}");
        assert!(found > 0.9, "{found}");
        // Spans: the web tagger's against the full tagger's on SkillSpan dev (first 600 sentences).
        let conll = std::fs::read_to_string(data("skillspan/skillspan_tech_dev.conll")).unwrap();
        let c = skillmark_eval::conll::Conll::parse(&conll, true).unwrap();
        let words: Vec<Vec<&str>> = (0..c.sentences.len().min(600))
            .map(|i| c.tokens(i))
            .collect();
        let (tw, tf) = (
            web.tag_words(&words).unwrap(),
            full.tag_words(&words).unwrap(),
        );
        // The web tagger decodes with its own offsets and priors (chosen on
        // the next 900 sentences), so its spans agree less than its weights
        // do; what must hold is that it tags these unseen sentences about as
        // well as the full tagger (on all of SkillSpan dev it is 1.1 points
        // behind: docs/BENCHMARKS.md, "Session 9").
        let agree = skillmark_eval::spans::score_sentences(tf.iter(), &tw).combined;
        let gold: Vec<_> = (0..words.len()).map(|i| c.tags(i)).collect();
        let f1 = |pred| {
            skillmark_eval::spans::score_sentences(gold.iter(), pred)
                .combined
                .f1
        };
        let (web_f1, full_f1) = (f1(&tw), f1(&tf));
        eprintln!(
            "span agreement web/full: F1 {:.2} ({} spans); against gold: web {web_f1:.2}, full {full_f1:.2}",
            agree.f1, agree.gold
        );
        assert!(agree.f1 > 80.0, "{}", agree.f1);
        assert!(web_f1 > full_f1 - 3.0, "web {web_f1}, full {full_f1}");
        // The whole highlighter runs.
        let h = web
            .highlight(
                "You will build data pipelines in Python and SQL.",
                &web.default_options(),
            )
            .unwrap();
        assert!(!h.skills.is_empty());
        // Exporting twice gives the same bytes (the bundle is derived deterministically).
        let first = std::fs::read(out.join(MANIFEST)).unwrap();
        export_web(&assets(), &out, &opt).unwrap();
        assert_eq!(std::fs::read(out.join(MANIFEST)).unwrap(), first);
        // A web bundle is not a source for another.
        let twice = export_web(&out, &out.join("again"), &opt)
            .unwrap_err()
            .to_string();
        assert!(twice.contains("web bundle"), "{twice}");
        std::fs::remove_dir_all(&out).ok();
    }

    /// The other forms still export and load: pruned vocabulary, 4-bit index
    /// with all rows, ggml layers, a tagger stored whole in q4_0.
    #[test]
    fn other_forms_export_and_load() {
        let out = std::env::temp_dir().join(format!("skillmark-web-q4-{}", std::process::id()));
        let opt = WebOptions {
            layer_quant: Quant::Ggml(GgmlDType::Q4_0),
            embed_quant: Quant::Ggml(GgmlDType::Q4_0),
            rare_tokens: RareTokens::Unk,
            index: IndexForm::FourBit,
            index_mean: false,
            keep_occupations: false,
            tagger_quant: Some(Quant::Ggml(GgmlDType::Q4_0)),
            calibration: 0,
            spans_data: None,
        };
        export_web(&assets(), &out, &opt).unwrap();
        assert!(!out.join(OCCUPATIONS).exists() && !out.join(OCCUPATION_TAXONOMY).exists());
        let web = Highlighter::load_dir(&out, Precision::Int8).unwrap();
        assert!(web.ranker.taxonomy.occupations.is_empty());
        let full = Ranker::load_dir(&assets(), Precision::Int8).unwrap();
        assert_eq!(web.ranker.index.rows(), full.index.rows());
        let texts = [
            "Experience with Kubernetes, Docker and CI/CD (GitLab).",
            "日本語 naïve façade ✓",
        ];
        let v = web.ranker.encoder.embed(&texts).unwrap();
        let f = full.encoder.embed(&texts).unwrap();
        let cos: f32 = v[0].iter().zip(&f[0]).map(|(a, b)| a * b).sum();
        assert!(cos > 0.9, "{cos}");
        // Tokens no ESCO text uses read [UNK]'s row: still a unit vector.
        let norm: f32 = v[1].iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-3);
        let s = full.index.score_all(&f[..1]);
        assert!(!top_k(&s[0], 3).is_empty());
        // A step: rare-token tier needs a step: table.
        let bad = WebOptions {
            rare_tokens: RareTokens::Step(2.0),
            ..opt
        };
        assert!(export_web(&assets(), &out, &bad).is_err());
        std::fs::remove_dir_all(&out).ok();
    }

    #[test]
    fn options_parse() {
        assert_eq!("step:0.25".parse::<Quant>().unwrap(), Quant::Step(0.25));
        assert_eq!(
            "q5_0".parse::<Quant>().unwrap(),
            Quant::Ggml(GgmlDType::Q5_0)
        );
        assert!("step:0".parse::<Quant>().is_err() && "q3".parse::<Quant>().is_err());
        assert_eq!("unk".parse::<RareTokens>().unwrap(), RareTokens::Unk);
        assert_eq!(
            "step:2".parse::<RareTokens>().unwrap(),
            RareTokens::Step(2.0)
        );
        assert!("q4_0".parse::<RareTokens>().is_err());
        assert_eq!(
            "step:0.7".parse::<IndexForm>().unwrap(),
            IndexForm::Step(0.7)
        );
        assert!("q8_0".parse::<IndexForm>().is_err());
        // Each writes what it reads.
        for s in ["step:0.25", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "f16"] {
            assert_eq!(s.parse::<Quant>().unwrap().to_string(), s);
        }
        for s in ["unk", "same", "step:2.5"] {
            assert_eq!(s.parse::<RareTokens>().unwrap().to_string(), s);
        }
        for s in ["int8", "4bit", "step:0.8"] {
            assert_eq!(s.parse::<IndexForm>().unwrap().to_string(), s);
        }
        // The manifest's command gives the defaults back.
        let cmd = WebOptions::default().command();
        assert!(
            cmd.contains("--layer-quant step:0.25 --embed-quant step:0.4 --rare-tokens step:2.5"),
            "{cmd}"
        );
    }
}
