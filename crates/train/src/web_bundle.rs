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

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::quantized::{gguf_file, GgmlDType};
use skillmark::assets::{
    sha256_hex, AssetBytes, Manifest, ENCODER, INDEX, MANIFEST, TAXONOMY, TOKENIZER,
};
use skillmark::SkillIndex;
use skillmark_model::weights::{write_gguf_typed, GGUF_VOCAB_FALLBACK_KEY, GGUF_VOCAB_ROWS_KEY};
use skillmark_model::{BertConfig, TensorStore, TextTokenizer};

/// Positions the runtime ever uses (its truncation length).
const MAX_POSITIONS: usize = skillmark_model::tokenizer::DEFAULT_MAX_TOKENS;

pub struct WebOptions {
    /// ggml type of the transformer layers' matrices.
    pub layer_quant: GgmlDType,
    /// ggml type of the word-embedding table.
    pub embed_quant: GgmlDType,
    /// Keep only the embedding rows of tokens found in the taxonomy's texts.
    pub prune_vocab: bool,
    /// Bits per index value: 8 (as shipped) or 4.
    pub index_bits: u8,
    /// Keep occupations and their skill relations in the taxonomy.
    pub keep_occupations: bool,
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
        esco::Taxonomy::new(
            taxonomy.version.clone(),
            taxonomy.skills.clone(),
            taxonomy.groups.clone(),
            Vec::new(),
            Vec::new(),
        )
    };
    let taxonomy_bytes = web_taxonomy.to_bytes()?;

    let (encoder_bytes, kept_tokens) = web_encoder(full.get(ENCODER), &taxonomy, &tokenizer, opt)?;
    let encoder_sha = sha256_hex(&encoder_bytes);
    let index = SkillIndex::from_bytes(full.get(INDEX))?.with_encoder_sha256(encoder_sha);
    let index_bytes = match opt.index_bits {
        8 => index.to_bytes(),
        4 => index.to_bytes_4bit(),
        b => bail!("--index-bits {b}: 8 or 4"),
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
            "ESCO taxonomy, compact binary (postcard): skills and skill groups",
        ),
        (INDEX, &index_bytes, "skill index, one scale per row"),
    ] {
        std::fs::write(out.join(name), bytes).with_context(|| format!("writing {name}"))?;
        manifest.set_file(name, bytes, role);
    }
    if let Some(tagger) = full.optional(skillmark::assets::TAGGER) {
        std::fs::write(out.join(skillmark::assets::TAGGER), tagger)?;
        manifest.set_file(
            skillmark::assets::TAGGER,
            tagger,
            "span tagger: its own layers + Skill/Knowledge BIO heads (GGUF), as in the full bundle",
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
            "command": format!(
                "skillmark-train export-web --from assets --out DIR --layer-quant {} --embed-quant {} --index-bits {}{}{}",
                quant_name(opt.layer_quant), quant_name(opt.embed_quant), opt.index_bits,
                if opt.prune_vocab { "" } else { " --no-prune-vocab" },
                if opt.keep_occupations { " --keep-occupations" } else { "" },
            ),
            "layer_weights": quant_name(opt.layer_quant),
            "embedding_weights": quant_name(opt.embed_quant),
            "embedding_rows": kept_tokens,
            "index_bits": opt.index_bits,
            "taxonomy": if opt.keep_occupations { "full" } else { "skills and skill groups (no occupations)" },
        }),
    );
    if let Some(m) = r.get_mut("model") {
        m["weights"] = format!(
            "layers {}, embeddings {}",
            quant_name(opt.layer_quant),
            quant_name(opt.embed_quant)
        )
        .into();
    }
    if let Some(t) = r.get_mut("taxonomy") {
        t["occupations"] = web_taxonomy.occupations.len().into();
    }
    if let Some(i) = r.get_mut("index") {
        i["vectors"] = format!("int{}, one f32 scale per row", opt.index_bits).into();
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

fn web_encoder(
    gguf: &[u8],
    taxonomy: &esco::Taxonomy,
    tok: &TextTokenizer,
    opt: &WebOptions,
) -> Result<(Vec<u8>, usize)> {
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
    let mut names: Vec<String> = store.tensors.keys().cloned().collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let t = store.take(&name)?;
        let mut shape = t.shape.clone();
        let mut data = t.to_f32();
        let dtype = if name == "embeddings.word_embeddings.weight" {
            if opt.prune_vocab {
                let mut pruned = Vec::with_capacity(kept.len() * h);
                for &id in &kept {
                    pruned.extend_from_slice(&data[id as usize * h..(id as usize + 1) * h]);
                }
                data = pruned;
                shape = vec![kept.len(), h];
            }
            opt.embed_quant
        } else if name == "embeddings.position_embeddings.weight" {
            data.truncate(positions * h);
            shape = vec![positions, h];
            GgmlDType::F16
        } else if shape.len() == 2 && shape[0] > 2 {
            opt.layer_quant
        } else {
            GgmlDType::F32
        };
        tensors.push((name, shape, data, dtype));
    }
    cfg.max_position_embeddings = positions;
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
    write_gguf_typed(&mut out, &cfg, &tensors, meta)?;
    Ok((out.into_inner(), kept.len()))
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
        let opt = WebOptions {
            layer_quant: GgmlDType::Q4_0,
            embed_quant: GgmlDType::Q4_0,
            prune_vocab: true,
            index_bits: 4,
            keep_occupations: false,
        };
        export_web(&assets(), &out, &opt).unwrap();
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
