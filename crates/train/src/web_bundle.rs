//! `skillmark-train export-web`: the compact bundle the browser downloads,
//! derived from a full bundle (`assets/`) and nothing else.
//!
//! Levers (each measured in docs/BENCHMARKS.md):
//! * encoder: layer matrices in 4/5-bit ggml blocks, the word-embedding table
//!   pruned to the tokens ESCO's own texts use (every other id reads `[UNK]`'s
//!   row) and stored in 4/5 bits, position embeddings cut to the 256 positions
//!   the runtime uses, in f16; the runtime expands all of it to its int8 rows at load;
//! * index: the same vectors requantized to 4 bits per value (one scale per row);
//! * taxonomy: skills and skill groups only (no occupations, no occupation–skill relations).
//!
//! The tokenizer is copied unchanged, so tokenization is identical to the full bundle.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::quantized::{gguf_file, GgmlDType};
use skillmark::assets::{
    sha256_hex, AssetBytes, Manifest, ENCODER, INDEX, MANIFEST, TAXONOMY, TOKENIZER,
};
use skillmark::{SkillIndex, SkillText};
use skillmark_model::weights::{
    quantize_rows_with_step, write_gguf_tensors, GgufTensor, GGUF_VOCAB_FALLBACK_KEY,
    GGUF_VOCAB_ROWS_KEY,
};
use skillmark_model::engine::TokenStates;
use skillmark_model::kernels::QMatrix;
use skillmark_model::weights::{StoredTensor, TensorData};
use skillmark_model::{BertConfig, Encoder, Precision, TensorStore, TextTokenizer};

use crate::gptq;

/// Positions the runtime ever uses (its truncation length).
const MAX_POSITIONS: usize = skillmark_model::tokenizer::DEFAULT_MAX_TOKENS;

pub struct WebOptions {
    /// Storage of the transformer layers' matrices.
    pub layer_quant: Quant,
    /// Storage of the word-embedding table.
    pub embed_quant: Quant,
    /// Keep only the embedding rows of tokens found in the taxonomy's texts.
    pub prune_vocab: bool,
    /// Storage of the skill index.
    pub index: IndexForm,
    /// One index row per skill: the mean of its rows ([`SkillText::LabelDescriptionMean`]).
    pub index_mean: bool,
    /// Keep occupations and their skill relations in the taxonomy.
    pub keep_occupations: bool,
    /// ggml type of the tagger's layer matrices; `None` copies tagger.gguf unchanged.
    pub tagger_quant: Option<Quant>,
    /// Step (relative to the row's rms) for the embedding rows of tokens no ESCO
    /// text uses, when the table is not pruned; `None`: as every other row.
    pub embed_rare_step: Option<f32>,
    /// Store the tagger's `step:` layers as differences to the web encoder's
    /// same-named layers (the tagger starts as a copy of them).
    pub tagger_delta: bool,
    /// ESCO texts that calibrate GPTQ for `step:` layers (0: plain rounding).
    pub calibration: usize,
}

/// How a weight matrix is stored in the web bundle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quant {
    /// ggml blocks (q4_0, q5_0, …), requantized to int8 rows at load.
    Ggml(GgmlDType),
    /// int8 rows with the step `rel × rms(row)`: loads exactly; the coarse
    /// step leaves small codes that brotli/gzip compress to near their entropy.
    Step(f32),
}

impl Quant {
    fn name(self) -> String {
        match self {
            Quant::Ggml(t) => quant_name(t),
            Quant::Step(r) => format!("step:{r}"),
        }
    }

    /// The tensor as stored.
    fn store(self, data: Vec<f32>, shape: &[usize]) -> GgufTensor {
        match self {
            Quant::Ggml(t) => GgufTensor::Values(data, t),
            Quant::Step(rel) => GgufTensor::Rows(quantize_rows_with_step(
                &data,
                shape[0],
                shape[1],
                |_, row| rel * (row.iter().map(|v| v * v).sum::<f32>() / row.len() as f32).sqrt(),
            )),
        }
    }
}

pub fn parse_weight_quant(s: &str) -> Result<Quant> {
    if let Some(r) = s.strip_prefix("step:") {
        let r: f32 = r.parse().context("step:REL needs a number")?;
        if !(r > 0.0 && r < 10.0) {
            bail!("step:{r}: REL must be in (0, 10)");
        }
        return Ok(Quant::Step(r));
    }
    Ok(Quant::Ggml(parse_quant(s)?))
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

impl IndexForm {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "int8" => IndexForm::Int8,
            "4bit" => IndexForm::FourBit,
            _ => match parse_weight_quant(s)? {
                Quant::Step(r) => IndexForm::Step(r),
                Quant::Ggml(_) => bail!("--index {s}: int8, 4bit or step:REL"),
            },
        })
    }

    fn name(self) -> String {
        match self {
            IndexForm::Int8 => "int8".into(),
            IndexForm::FourBit => "4bit".into(),
            IndexForm::Step(r) => format!("step:{r}"),
        }
    }
}

pub fn parse_quant(s: &str) -> Result<GgmlDType> {
    Ok(match s {
        "q4_0" => GgmlDType::Q4_0,
        "q4_1" => GgmlDType::Q4_1,
        "q5_0" => GgmlDType::Q5_0,
        "q5_1" => GgmlDType::Q5_1,
        "q8_0" => GgmlDType::Q8_0,
        "f16" => GgmlDType::F16,
        _ => bail!("unknown weight type {s} (q4_0, q4_1, q5_0, q5_1, q8_0, f16)"),
    })
}

fn quant_name(t: GgmlDType) -> String {
    format!("{t:?}").to_lowercase()
}

pub fn export_web(from: &Path, out: &Path, opt: &WebOptions) -> Result<()> {
    let full = AssetBytes::read_dir(from).with_context(|| format!("reading {}", from.display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let taxonomy = esco::Taxonomy::from_bytes(full.get(TAXONOMY))?;
    let tokenizer = TextTokenizer::from_bytes(full.get(TOKENIZER), MAX_POSITIONS)?;
    let web_taxonomy = if opt.keep_occupations {
        taxonomy.clone()
    } else {
        // Group descriptions are never shown (the page shows skills; categories
        // read group labels and the hierarchy).
        let mut groups = taxonomy.groups.clone();
        groups.iter_mut().for_each(|g| g.description.clear());
        esco::Taxonomy::new(
            taxonomy.version.clone(),
            taxonomy.skills.clone(),
            groups,
            Vec::new(),
            Vec::new(),
        )
    };
    let taxonomy_bytes = web_taxonomy.to_bytes()?;

    let tagger_branch = match full.optional(skillmark::assets::TAGGER) {
        Some(t) => Some(tagger_branch(t)?),
        None => None,
    };
    let WebEncoder {
        bytes: encoder_bytes,
        kept_tokens,
        branch_states,
    } = web_encoder(
        full.get(ENCODER),
        &taxonomy,
        &tokenizer,
        opt,
        tagger_branch.map(|b| b.0),
    )?;
    let encoder_sha = sha256_hex(&encoder_bytes);
    let mut index = SkillIndex::from_bytes(full.get(INDEX))?.with_encoder_sha256(encoder_sha);
    if opt.index_mean {
        if index.skill_text != SkillText::LabelAndDescriptionRows {
            bail!(
                "--index-rows mean needs a `label|label:description` index, the bundle has `{}`",
                index.skill_text.name()
            );
        }
        index = index.merge_rows(SkillText::LabelDescriptionMean);
    }
    let index_bytes = match opt.index {
        IndexForm::Int8 => index.to_bytes(),
        IndexForm::FourBit => index.to_bytes_4bit(),
        IndexForm::Step(r) => index.to_bytes_step(r),
    };

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
        (INDEX, &index_bytes, "skill index, one scale per row"),
    ] {
        std::fs::write(out.join(name), bytes).with_context(|| format!("writing {name}"))?;
        manifest.set_file(name, bytes, role);
    }
    if let Some(tagger) = full.optional(skillmark::assets::TAGGER) {
        let (bytes, role) = match opt.tagger_quant {
            None => (
                tagger.to_vec(),
                "span tagger: its own layers + Skill/Knowledge BIO heads (GGUF), as in the full bundle".to_string(),
            ),
            Some(q) => (
                web_tagger(
                    tagger,
                    q,
                    branch_states,
                    opt.tagger_delta.then_some(encoder_bytes.as_slice()),
                )?,
                format!("span tagger: its own layers ({}) + Skill/Knowledge BIO heads (GGUF)", q.name()),
            ),
        };
        std::fs::write(out.join(skillmark::assets::TAGGER), &bytes)?;
        manifest.set_file(skillmark::assets::TAGGER, &bytes, &role);
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
            "command": format!(
                "skillmark-train export-web --from assets --out DIR --layer-quant {} --embed-quant {} --tagger-quant {} --calibration {} --index {} --index-rows {}{}{}",
                opt.layer_quant.name(), opt.embed_quant.name(),
                opt.tagger_quant.map_or("keep".into(), |q| q.name()), opt.calibration,
                opt.index.name(), if opt.index_mean { "mean" } else { "all" },
                if opt.prune_vocab { "" } else { " --no-prune-vocab" },
                if opt.keep_occupations { " --keep-occupations" } else { "" },
            ),
            "layer_weights": opt.layer_quant.name(),
            "embedding_weights": opt.embed_quant.name(),
            "embedding_rows": kept_tokens,
            "index": opt.index.name(),
            "taxonomy": if opt.keep_occupations { "full" } else { "skills and skill groups without descriptions (no occupations)" },
        }),
    );
    if let Some(m) = r.get_mut("model") {
        m["weights"] = format!(
            "layers {}, embeddings {}",
            opt.layer_quant.name(),
            opt.embed_quant.name()
        )
        .into();
    }
    if let Some(t) = r.get_mut("taxonomy") {
        t["occupations"] = web_taxonomy.occupations.len().into();
    }
    if let Some(i) = r.get_mut("index") {
        i["vectors"] = match opt.index {
            IndexForm::Int8 => "int8, one f32 scale per row".to_string(),
            IndexForm::FourBit => "int4, standardized, one f32 scale per row".to_string(),
            IndexForm::Step(r) => format!("int8 codes of a {r} × rms step, standardized"),
        }
        .into();
        i["rows"] = index.rows().into();
        i["skill_text"] = index.skill_text.name().into();
    }
    // Metrics belong to the files they were measured on.
    r.remove("metrics");
    std::fs::write(out.join(MANIFEST), manifest.to_json())?;

    // Round trip: the runtime must load what was written.
    let check = AssetBytes::read_dir(out)?;
    skillmark::Ranker::from_assets(&check, skillmark_model::Precision::Int8)
        .context("the written web bundle does not load")?;
    let total: u64 = manifest.files.values().map(|f| f.bytes).sum();
    eprintln!(
        "wrote {}: encoder {:.2} MB ({} embedding rows), index {:.2} MB, taxonomy {:.2} MB, tokenizer {:.2} MB; {:.2} MB in all (uncompressed)",
        out.display(),
        encoder_bytes.len() as f64 / 1e6,
        kept_tokens,
        index_bytes.len() as f64 / 1e6,
        taxonomy_bytes.len() as f64 / 1e6,
        full.files[TOKENIZER].len() as f64 / 1e6,
        total as f64 / 1e6,
    );
    let _ = MANIFEST;
    Ok(())
}

/// The token ids the embedding table keeps: special tokens, every token of
/// the taxonomy's texts, and every single-character ASCII token (so no ASCII
/// word loses a piece it could be spelled with).
fn kept_token_ids(taxonomy: &esco::Taxonomy, tok: &TextTokenizer) -> Result<BTreeSet<u32>> {
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

/// The tagger's branch layer K and its number of layers.
fn tagger_branch(gguf: &[u8]) -> Result<(usize, usize)> {
    let store = TensorStore::from_gguf(gguf)?;
    let get = |k: &str| -> Result<usize> {
        store
            .metadata
            .get(k)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("tagger.gguf: metadata {k}"))
    };
    Ok((
        get(skillmark::tagger::KEY_BRANCH_LAYER)?,
        get(skillmark::tagger::KEY_LAYERS)?,
    ))
}

/// The tagger with its layer matrices stored as `q` (metadata kept); with
/// `step:` storage and calibration states (the web encoder's after the branch
/// layer), quantized by GPTQ; with `delta_base` (the web encoder.gguf) and
/// `step:` storage, stored as differences to the encoder's matrices.
fn web_tagger(
    gguf: &[u8],
    q: Quant,
    states: Option<TokenStates>,
    delta_base: Option<&[u8]>,
) -> Result<Vec<u8>> {
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
    meta.sort_by(|a, b| a.0.cmp(&b.0));
    let (branch, layers) = tagger_branch(gguf)?;
    let mut store = TensorStore::from_gguf(gguf)?;
    let cfg = store
        .config
        .clone()
        .context("tagger.gguf carries no BERT config")?;
    let tensors = f32_tensors(&mut store);
    let prefixes: Vec<String> = (branch..branch + layers)
        .map(|l| format!("encoder.layer.{l}"))
        .collect();
    let base = match (q, delta_base) {
        (Quant::Step(_), Some(enc)) => {
            let under = |n: &str| prefixes.iter().any(|p| n.starts_with(&format!("{p}.")));
            let mut b =
                TensorStore::from_gguf_filtered(enc, |n| under(n) && n.ends_with(".weight"))?;
            meta.push((
                skillmark::tagger::KEY_DELTA_BASE_SHA256.into(),
                gguf_file::Value::String(sha256_hex(enc)),
            ));
            meta.sort_by(|a, b| a.0.cmp(&b.0));
            Some(f32_tensors(&mut b))
        }
        // ggml blocks are stored whole.
        _ => None,
    };
    let mut gptq_rows = HashMap::new();
    if let Quant::Step(rel) = q {
        if let Some(mut states) = states {
            gptq_rows = gptq::quantize_layers(
                &cfg,
                &tensors,
                &prefixes,
                &mut states,
                rel,
                base.as_ref(),
            )?;
        } else if let Some(base) = &base {
            // Plain rounding of the differences, on the tagger's own steps.
            for (name, (shape, w)) in &tensors {
                let Some((_, bw)) = base.get(name) else {
                    continue;
                };
                let k = shape[1];
                let target: Vec<f32> = w
                    .chunks_exact(k)
                    .map(|r| rel * (r.iter().map(|v| v * v).sum::<f32>() / k as f32).sqrt())
                    .collect();
                let d: Vec<f32> = w.iter().zip(bw).map(|(a, b)| a - b).collect();
                gptq_rows.insert(
                    name.clone(),
                    quantize_rows_with_step(&d, shape[0], k, |r, _| target[r]),
                );
            }
        }
    }
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    let mut out_tensors = Vec::new();
    for name in names {
        let (shape, data) = &tensors[name];
        let part = if let Some(rows) = gptq_rows.remove(name) {
            GgufTensor::Rows(rows)
        } else if shape.len() == 2 && name.starts_with("encoder.layer.") {
            q.store(data.clone(), shape)
        } else {
            GgufTensor::Values(data.clone(), GgmlDType::F32)
        };
        out_tensors.push((name.clone(), shape.clone(), part));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    write_gguf_tensors(&mut out, &cfg, &out_tensors, meta)?;
    Ok(out.into_inner())
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
    (0..n.min(skills.len()))
        .map(|i| {
            let s = &skills[i * skills.len() / n.min(skills.len())];
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
    kept_tokens: usize,
    /// Calibration states after the tagger's branch layer (GPTQ only).
    branch_states: Option<TokenStates>,
}

fn web_encoder(
    gguf: &[u8],
    taxonomy: &esco::Taxonomy,
    tok: &TextTokenizer,
    opt: &WebOptions,
    branch: Option<usize>,
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
    let kept: Vec<u32> = if opt.prune_vocab {
        kept_token_ids(taxonomy, tok)?.into_iter().collect()
    } else {
        (0..cfg.vocab_size as u32).collect()
    };
    let mut tensors = f32_tensors(&mut store);
    // The embeddings as the web bundle has them (pruned table, 256 positions).
    {
        let (shape, data) = tensors
            .get_mut("embeddings.word_embeddings.weight")
            .context("encoder.gguf has no word embeddings")?;
        if opt.prune_vocab {
            let mut pruned = Vec::with_capacity(kept.len() * h);
            for &id in &kept {
                pruned.extend_from_slice(&data[id as usize * h..(id as usize + 1) * h]);
            }
            *data = pruned;
            *shape = vec![kept.len(), h];
        }
        let (shape, data) = tensors
            .get_mut("embeddings.position_embeddings.weight")
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
        if opt.prune_vocab {
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
        gptq_rows =
            gptq::quantize_layers(&cfg, &tensors, &prefixes(0..k), &mut states, rel, None)?;
        if branch.is_some() {
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
    let mut out_tensors = Vec::with_capacity(names.len());
    for name in names {
        let (shape, data) = tensors.remove(&name).expect("listed");
        let part = if name == "embeddings.word_embeddings.weight" {
            match (opt.embed_quant, opt.embed_rare_step, opt.prune_vocab) {
                (Quant::Step(rel), Some(rare), false) => {
                    let common = kept_token_ids(taxonomy, tok)?;
                    let mut codes = Vec::with_capacity(data.len());
                    let mut steps = Vec::with_capacity(shape[0]);
                    for (id, row) in data.chunks_exact(h).enumerate() {
                        let r = if common.contains(&(id as u32)) { rel } else { rare };
                        let q = quantize_rows_with_step(row, 1, h, |_, row| {
                            r * (row.iter().map(|v| v * v).sum::<f32>() / h as f32).sqrt()
                        });
                        let (c, st) = q.row(0);
                        codes.extend_from_slice(c);
                        steps.push(st);
                    }
                    GgufTensor::Rows(QMatrix::from_parts(&codes, steps, shape[0], h))
                }
                _ => opt.embed_quant.store(data, &shape),
            }
        } else if name == "embeddings.position_embeddings.weight" {
            GgufTensor::Values(data, GgmlDType::F16)
        } else if let Some(rows) = gptq_rows.remove(&name) {
            GgufTensor::Rows(rows)
        } else if shape.len() == 2 && shape[0] > 2 {
            opt.layer_quant.store(data, &shape)
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
    if opt.prune_vocab {
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
        kept_tokens: kept.len(),
        branch_states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark::Ranker;
    use skillmark_model::Precision;

    fn assets() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
    }

    #[test]
    fn web_bundle_loads_and_agrees_with_the_full_bundle() {
        let out = std::env::temp_dir().join(format!("skillmark-web-{}", std::process::id()));
        // The defaults of `skillmark-train export-web`, with a smaller calibration set.
        let opt = WebOptions {
            layer_quant: Quant::Step(0.35),
            embed_quant: Quant::Step(0.6),
            prune_vocab: true,
            index: IndexForm::Step(0.6),
            index_mean: true,
            keep_occupations: false,
            tagger_quant: Some(Quant::Step(0.35)),
            calibration: 48,
            embed_rare_step: None,
            tagger_delta: true,
        };
        export_web(&assets(), &out, &opt).unwrap();
        let files = AssetBytes::read_dir(&out).unwrap();
        let highlighter =
            skillmark::Highlighter::from_assets(&files, Precision::Int8).expect("web bundle loads");
        assert!(highlighter.tagger.is_some());
        // The tagger's layers are differences to this very encoder.
        let (tagger, encoder) = (files.get(skillmark::assets::TAGGER), files.get(ENCODER));
        let sha = sha256_hex(encoder);
        let base = |sha256| skillmark::tagger::DeltaBase {
            bytes: encoder,
            sha256,
        };
        assert!(skillmark::tagger::Tagger::from_gguf(tagger, Precision::Int8).is_err());
        assert!(skillmark::tagger::Tagger::from_gguf_with_base(
            tagger,
            Some(base("0000")),
            Precision::Int8
        )
        .is_err());
        skillmark::tagger::Tagger::from_gguf_with_base(tagger, Some(base(&sha)), Precision::Int8)
            .unwrap();
        let h = highlighter.highlight(
            "You will build data pipelines in Python and SQL.",
            &highlighter.default_options(),
        );
        assert!(!h.skills.is_empty());
        let web = Ranker::load_dir(&out, Precision::Int8).unwrap();
        let full = Ranker::load_dir(&assets(), Precision::Int8).unwrap();
        assert!(web.taxonomy.occupations.is_empty());
        assert_eq!(web.taxonomy.skills.len(), full.taxonomy.skills.len());
        let texts = [
            "You will build data pipelines in Python and SQL.",
            "Excellent communication skills and a team player.",
            "Experience with Kubernetes, Docker and CI/CD (GitLab).",
            "日本語 naïve façade ✓",
        ];
        let (a, b) = (
            web.encoder.embed(&texts).unwrap(),
            full.encoder.embed(&texts).unwrap(),
        );
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            let cos: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
            eprintln!("cosine web/full of {:?}: {cos}", texts[i]);
            if i < 3 {
                assert!(cos > 0.95, "cosine {cos}");
            } else {
                // Tokens no ESCO text uses read [UNK]'s row: still a unit vector.
                let norm: f32 = x.iter().map(|v| v * v).sum();
                assert!((norm - 1.0).abs() < 1e-3);
            }
        }
        let (w, f) = (
            web.rank(&texts[..1], 10).unwrap(),
            full.rank(&texts[..1], 10).unwrap(),
        );
        let full_top: Vec<_> = f[0].iter().map(|s| &s.uri).collect();
        assert!(w[0].iter().take(3).any(|s| full_top.contains(&&s.uri)));
        // Exporting twice gives the same bytes (the bundle is derived deterministically).
        let first = std::fs::read(out.join(MANIFEST)).unwrap();
        export_web(&assets(), &out, &opt).unwrap();
        assert_eq!(std::fs::read(out.join(MANIFEST)).unwrap(), first);
        // A pruned encoder cannot be pruned again.
        let twice = export_web(&out, &out.join("again"), &opt)
            .unwrap_err()
            .to_string();
        assert!(twice.contains("already pruned"), "{twice}");
        std::fs::remove_dir_all(&out).ok();
    }
}
