//! `skillmark-train spans`: trains the span tagger (Skill / Knowledge BIO) as
//! a branch of the shipped encoder and writes `tagger.gguf`.
//!
//! The encoder's layers `0..K` stay frozen (the ranker shares them), so their
//! output is computed once with the runtime engine (f32) and cached; training
//! runs only the tagger's L layers (initialised from the encoder's layers
//! `K..K+L`) and its classifier, in Candle. Model selection on SkillSpan dev
//! (combined span F1, early stopping); never trained on dev.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{linear, AdamW, Linear, Module, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use skillmark::assets::{sha256_hex, Manifest, ENCODER, MANIFEST, TOKENIZER};
use skillmark::bio::Bio;
use skillmark::encoder_pass::run_passes;
use skillmark::tagger::{self, Tagger, TAGGER};
use skillmark::tags::{word_tags, BioTransitions, TransitionPrior, TransitionPriors};
use skillmark::tokens::{align_document, AlignedWords};
use skillmark_eval::conll::Conll;
use skillmark_eval::ensemble::{
    decode_words, mean_word_probabilities, sentence_word_probabilities,
};
use skillmark_eval::spans::{score_sentences, SpanScores};
use skillmark_model::candle_bert::{attention_bias, splitmix64, Dropout, Layer, Mode};
use skillmark_model::weights::write_gguf;
use skillmark_model::{BertConfig, Encoder, ExportType, Precision, TensorStore, TextTokenizer};

#[derive(clap::Args, Clone, Serialize, Deserialize, PartialEq, Debug)]
pub struct SpansArgs {
    /// Asset bundle with the encoder to branch from (encoder.gguf, tokenizer.json, manifest.json).
    #[arg(long, default_value = "assets")]
    pub model: PathBuf,
    /// SkillSpan folder: trains on *_train.conll, selects on *_dev.conll.
    #[arg(long, default_value = "../shared/data/skillspan")]
    pub data: PathBuf,
    /// K: the tagger reads the encoder's states after layer K (0 = embeddings).
    #[arg(long, default_value_t = 3)]
    pub branch_layer: usize,
    /// L: transformer layers the tagger owns (copies of the encoder's layers K..K+L).
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    #[arg(long, default_value_t = 6)]
    pub epochs: usize,
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Learning rate of the tagger layers.
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f64,
    /// Learning rate of the classifier.
    #[arg(long, default_value_t = 1e-3)]
    pub head_lr: f64,
    /// Share of the steps spent warming the learning rate up (then linear decay to 0).
    #[arg(long, default_value_t = 0.1)]
    pub warmup: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Dropout while training (attention, layer outputs, before the classifier), as in BERT.
    #[arg(long, default_value_t = 0.1)]
    #[serde(default)]
    pub dropout: f32,
    /// Give the tagger one learned vector per letter-case class (of the run of
    /// letters a piece is in; the tokenizer lowercases), added at the branch point.
    #[arg(long)]
    #[serde(default)]
    pub case_feature: bool,
    /// Also keep every epoch's weights (epoch-N.safetensors), e.g. to average
    /// the last epochs with `spans-average`.
    #[arg(long)]
    #[serde(skip)]
    pub keep_epochs: bool,
    /// Word pieces of the neighbouring sentences (same file, in order) the
    /// tagger also reads on each side of a sentence (0 = the sentence alone).
    #[arg(long, default_value_t = 0)]
    #[serde(default)]
    pub context: usize,
    /// More CoNLL files to train on, e.g. silver sentences from `data
    /// silver-spans`. Not used to select epochs or to estimate the transition
    /// priors (those read only the gold files of --data).
    #[arg(long)]
    #[serde(default)]
    pub extra_train: Vec<PathBuf>,
    /// Teacher taggers (tagger.gguf, e.g. from other runs): the tagger also
    /// learns their mean word probabilities on the training sentences
    /// (knowledge distillation; soft targets from an ensemble).
    #[arg(long)]
    #[serde(default)]
    pub teacher: Vec<PathBuf>,
    /// Share of the loss taken by the teachers' soft targets (the gold labels
    /// get the rest); used only with --teacher.
    #[arg(long, default_value_t = 0.5)]
    #[serde(default = "default_distill_weight")]
    pub distill_weight: f32,
    /// Temperature that softens the teachers' and the tagger's distributions
    /// in the distillation term (the term is scaled by its square).
    #[arg(long, default_value_t = 1.0)]
    #[serde(default = "default_distill_temperature")]
    pub distill_temperature: f32,
    /// Stop after this many epochs without a better dev F1.
    #[arg(long, default_value_t = 2)]
    pub patience: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Use at most this many training sentences (0 = all; for quick tests).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    /// Work folder: checkpoints, state.json, best weights, tagger.gguf.
    #[arg(long, default_value = "target/spans")]
    pub out: PathBuf,
    /// Continue from the checkpoint in --out (weights and epoch; optimizer moments restart).
    #[arg(long)]
    #[serde(skip)]
    pub resume: bool,
    /// Copy the tagger into the bundle (--model) and record its metrics in manifest.json.
    #[arg(long)]
    #[serde(skip)]
    pub ship: bool,
    /// Skip training: write tagger.gguf from the best weights in --out (e.g. after stopping a run early).
    #[arg(long)]
    #[serde(skip)]
    pub export_only: bool,
    /// Train on the GPU (build with --features cuda).
    #[arg(long)]
    #[serde(skip)]
    pub cuda: bool,
}

fn default_distill_weight() -> f32 {
    0.5
}

fn default_distill_temperature() -> f32 {
    1.0
}

impl SpansArgs {
    /// The options that shape the trained weights: what `state.json` records
    /// and `--resume` compares (the run-control flags are not stored).
    fn training_options(&self) -> Self {
        Self {
            resume: false,
            ship: false,
            export_only: false,
            cuda: false,
            keep_epochs: false,
            ..self.clone()
        }
    }
}

/// One sentence ready for training: cached branch states and word-piece labels.
struct Example {
    states: Vec<f32>,
    len: usize,
    /// Letter-case class of each token (`skillmark::tokens::token_case_classes`).
    case: Vec<u32>,
    /// (token, skill class, knowledge class) for each word's first piece.
    labels: Vec<(usize, u32, u32)>,
    /// The teachers' word probabilities, one for each of `labels` (empty without teachers).
    soft: Vec<[f32; 6]>,
    gold: (Vec<Bio>, Vec<Bio>),
    first_token: Vec<Option<usize>>,
}

#[derive(Serialize, Deserialize, Default)]
struct State {
    config: Option<SpansArgs>,
    epoch: usize,
    best_f1: f64,
    best_epoch: usize,
    history: Vec<serde_json::Value>,
}

struct Model {
    layers: Vec<Layer>,
    classifier: Linear,
    /// `[CASE_CLASSES, h]`, zero-initialised (the tagger starts as without it).
    case: Option<candle_nn::Embedding>,
}

impl Model {
    /// Logits `[b, t, 6]`; `drop` only while training.
    fn forward(
        &self,
        x: &Tensor,
        case: &Tensor,
        mask: &Tensor,
        mut drop: Option<&mut Dropout>,
    ) -> candle_core::Result<Tensor> {
        let bias = attention_bias(mask, DType::F32)?;
        let mut x = match &self.case {
            Some(e) => x.add(&e.forward(case)?)?,
            None => x.clone(),
        };
        for l in &self.layers {
            x = l.forward_dropout(&x, &bias, Mode::Train, drop.as_deref_mut())?;
        }
        if let Some(d) = drop {
            x = d.apply(&x)?;
        }
        self.classifier.forward(&x)
    }
}

/// splitmix64: a small seeded generator for shuffling.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        splitmix64(&mut self.0)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, (self.next() % (i as u64 + 1)) as usize);
        }
    }
}

fn read_conll(p: &Path) -> Result<Conll> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    Conll::parse(&text, true).with_context(|| p.display().to_string())
}

pub fn read_split(dir: &Path, suffix: &str) -> Result<Vec<Conll>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *{suffix} files in {}", dir.display());
    }
    files.iter().map(|p| read_conll(p)).collect()
}

/// Aligns sentences and computes the encoder's states after layer K (f32 engine).
/// With `context` > 0 each sentence is read between the last `context` pieces
/// of the sentences before it and the first `context` of those after it.
fn examples(
    files: &[Conll],
    tok: &TextTokenizer,
    enc: &Encoder,
    k: usize,
    limit: usize,
    context: usize,
    what: &str,
) -> Result<Vec<Example>> {
    let mut out = Vec::new();
    for c in files {
        let sentences = c.all_tokens();
        for (i, a) in align_document(tok, &sentences, context)?
            .into_iter()
            .enumerate()
        {
            let AlignedWords {
                ids,
                case,
                first_token,
            } = a;
            let gold = c.tags(i);
            let labels = first_token
                .iter()
                .enumerate()
                .filter_map(|(w, t)| {
                    t.map(|t| (t, gold.0[w].index() as u32, gold.1[w].index() as u32))
                })
                .collect();
            out.push((
                ids,
                Example {
                    states: Vec::new(),
                    len: 0,
                    case: case.iter().map(|&c| u32::from(c)).collect(),
                    labels,
                    soft: Vec::new(),
                    gold,
                    first_token,
                },
            ));
        }
    }
    if limit > 0 {
        out.truncate(limit);
    }
    let bar = bar(out.len() as u64, &format!("{what}: encoder layers 0..{k}"));
    let h = enc.hidden_size();
    for chunk in out.chunks_mut(64) {
        let ids: Vec<&[u32]> = chunk.iter().map(|(ids, _)| ids.as_slice()).collect();
        let mut s = enc.embed_tokens(&ids)?;
        enc.run_layers(&mut s, 0..k);
        for ((_, ex), r) in chunk.iter_mut().zip(&s.ranges) {
            ex.states = s.states[r.start * h..r.end * h].to_vec();
            ex.len = r.end - r.start;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}} [{{elapsed_precise}}<{{eta_precise}}] {{msg}}"
        ))
        .expect("template"),
    )
}

/// A batch as tensors: padded states `[b, t, h]`, case classes `[b, t]`, mask `[b, t]`.
struct BatchTensors {
    x: Tensor,
    case: Tensor,
    mask: Tensor,
    t: usize,
}

fn batch_tensors(batch: &[&Example], h: usize, dev: &Device) -> Result<BatchTensors> {
    let t = batch.iter().map(|e| e.len).max().unwrap_or(1).max(1);
    let mut x = vec![0f32; batch.len() * t * h];
    let mut m = vec![0f32; batch.len() * t];
    let mut c = vec![0u32; batch.len() * t];
    for (i, e) in batch.iter().enumerate() {
        x[i * t * h..i * t * h + e.len * h].copy_from_slice(&e.states);
        m[i * t..i * t + e.len].iter_mut().for_each(|v| *v = 1.0);
        for (slot, &v) in c[i * t..i * t + e.len].iter_mut().zip(&e.case) {
            *slot = v;
        }
    }
    Ok(BatchTensors {
        x: Tensor::from_vec(x, (batch.len(), t, h), dev)?,
        case: Tensor::from_vec(c, (batch.len(), t), dev)?,
        mask: Tensor::from_vec(m, (batch.len(), t), dev)?,
        t,
    })
}

/// Batches of similar length (less padding), in shuffled order.
fn batches(examples: &[Example], size: usize, rng: Option<&mut Rng>) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    if let Some(r) = rng {
        r.shuffle(&mut order);
        // Sort within windows of 50 batches: similar lengths, still random.
        for w in order.chunks_mut(size * 50) {
            w.sort_by_key(|&i| examples[i].len);
        }
        let mut b: Vec<Vec<usize>> = order.chunks(size).map(|c| c.to_vec()).collect();
        r.shuffle(&mut b);
        b
    } else {
        order.sort_by_key(|&i| examples[i].len);
        order.chunks(size).map(|c| c.to_vec()).collect()
    }
}

/// Cross-entropy of the gold tags of both layers; with soft targets, mixed
/// with the cross-entropy of the teachers' (tempered) probabilities.
fn loss(
    model: &Model,
    batch: &[&Example],
    h: usize,
    dev: &Device,
    drop: &mut Dropout,
    distill: Option<(f32, f32)>,
) -> Result<Tensor> {
    let b = batch_tensors(batch, h, dev)?;
    let t = b.t;
    let logits = model
        .forward(&b.x, &b.case, &b.mask, Some(drop))?
        .reshape((batch.len() * t, 6))?;
    let mut idx = Vec::new();
    let (mut ys, mut yk) = (Vec::new(), Vec::new());
    let mut soft = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        for &(tok, s, k) in &e.labels {
            idx.push((i * t + tok) as u32);
            ys.push(s);
            yk.push(k);
        }
        soft.extend(e.soft.iter().flatten());
    }
    let n = idx.len();
    let sel = logits.index_select(&Tensor::from_vec(idx, n, dev)?, 0)?;
    let ls = candle_nn::loss::cross_entropy(&sel.narrow(1, 0, 3)?, &Tensor::from_vec(ys, n, dev)?)?;
    let lk = candle_nn::loss::cross_entropy(&sel.narrow(1, 3, 3)?, &Tensor::from_vec(yk, n, dev)?)?;
    let hard = (ls + lk)?;
    let Some((weight, temperature)) = distill else {
        return Ok(hard);
    };
    if soft.len() != n * 6 {
        bail!("soft targets for {} of {n} words", soft.len() / 6);
    }
    let targets = tempered(&soft, temperature);
    let targets = Tensor::from_vec(targets, (n, 6), dev)?;
    let scaled = (sel / temperature as f64)?;
    let mut soft_loss = Tensor::zeros((), DType::F32, dev)?;
    for l in 0..2 {
        let logp = candle_nn::ops::log_softmax(&scaled.narrow(1, 3 * l, 3)?, D::Minus1)?;
        let ce = (targets.narrow(1, 3 * l, 3)? * logp)?.sum_all()?.neg()?;
        soft_loss = (soft_loss + (ce / n as f64)?)?;
    }
    let t2 = (temperature * temperature) as f64;
    Ok(((hard * (1.0 - weight) as f64)? + (soft_loss * (weight as f64 * t2))?)?)
}

/// Each layer's three probabilities raised to 1/T and renormalised (the
/// softmax of logits / T).
fn tempered(probs: &[f32], temperature: f32) -> Vec<f32> {
    probs
        .chunks(3)
        .flat_map(|p| {
            let q: Vec<f32> = p
                .iter()
                .map(|v| v.max(1e-12).powf(1.0 / temperature))
                .collect();
            let s: f32 = q.iter().sum();
            q.into_iter().map(move |v| v / s)
        })
        .collect()
}

/// The teachers' mean word probabilities on `files`, one vector per word
/// that has a first piece, attached to `train` (same sentence order).
fn attach_soft_targets(
    teachers: &[PathBuf],
    files: &[Conll],
    encoder: &Encoder,
    tok: &TextTokenizer,
    train: &mut [Example],
) -> Result<()> {
    let mut each = Vec::new();
    for p in teachers {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let t = Tagger::from_gguf(&bytes, Precision::F32)?;
        let bar = bar(files.len() as u64, &format!("teacher {}", p.display()));
        let mut words = Vec::new();
        for c in files {
            words.extend(sentence_word_probabilities(
                &t,
                encoder,
                tok,
                &c.all_tokens(),
            )?);
            bar.inc(1);
        }
        bar.finish();
        each.push(words);
    }
    let mean = mean_word_probabilities(&each);
    for (ex, words) in train.iter_mut().zip(&mean) {
        ex.soft = ex
            .first_token
            .iter()
            .zip(words)
            .filter_map(|(t, p)| t.map(|_| *p))
            .collect();
    }
    Ok(())
}

/// Dev span scores of the Candle model (f32).
fn evaluate(model: &Model, examples: &[Example], h: usize, dev: &Device) -> Result<SpanScores> {
    let mut preds: Vec<(Vec<Bio>, Vec<Bio>)> = vec![Default::default(); examples.len()];
    for b in batches(examples, 64, None) {
        let refs: Vec<&Example> = b.iter().map(|&i| &examples[i]).collect();
        let bt = batch_tensors(&refs, h, dev)?;
        let logits = model.forward(&bt.x, &bt.case, &bt.mask, None)?;
        let probs = Tensor::cat(
            &[
                candle_nn::ops::softmax_last_dim(&logits.narrow(D::Minus1, 0, 3)?.contiguous()?)?,
                candle_nn::ops::softmax_last_dim(&logits.narrow(D::Minus1, 3, 3)?.contiguous()?)?,
            ],
            D::Minus1,
        )?
        .to_vec3::<f32>()?;
        for (j, &i) in b.iter().enumerate() {
            let token_probs: Vec<[f32; 6]> = probs[j]
                .iter()
                .map(|p| std::array::from_fn(|c| p[c]))
                .collect();
            let t = word_tags(&token_probs, &examples[i].first_token);
            preds[i] = (t.skill, t.knowledge);
        }
    }
    Ok(score_sentences(examples.iter().map(|e| &e.gold), &preds))
}

pub fn run(args: SpansArgs) -> Result<()> {
    let dev = if args.cuda {
        Device::new_cuda(0)?
    } else {
        Device::Cpu
    };
    let read = |n: &str| {
        std::fs::read(args.model.join(n))
            .with_context(|| format!("reading {}", args.model.join(n).display()))
    };
    let manifest = Manifest::from_json(&read(MANIFEST)?)?;
    let enc_bytes = read(ENCODER)?;
    manifest.verify(ENCODER, &enc_bytes)?;
    let tok_bytes = read(TOKENIZER)?;
    let store = TensorStore::from_gguf(&enc_bytes)?;
    let cfg: BertConfig = store.config.clone().context("encoder.gguf has no config")?;
    let (k, l) = (args.branch_layer, args.layers);
    if k + l > cfg.num_hidden_layers {
        bail!(
            "--branch-layer {k} + --layers {l} exceeds the encoder's {} layers",
            cfg.num_hidden_layers
        );
    }
    let tok = TextTokenizer::from_bytes(&tok_bytes, 256)?;
    let layer_init: Vec<(String, Vec<usize>, Vec<f32>)> = store
        .tensors
        .iter()
        .filter(|(n, _)| (k..k + l).any(|i| n.starts_with(&format!("encoder.layer.{i}."))))
        .map(|(n, t)| (n.clone(), t.shape.clone(), t.to_f32()))
        .collect();
    let encoder = Encoder::new(cfg.clone(), store, Precision::F32)?;
    let h = cfg.hidden_size;

    std::fs::create_dir_all(&args.out)?;
    if args.export_only {
        let state: State = serde_json::from_slice(&std::fs::read(args.out.join("state.json"))?)?;
        let dev_files = read_split(&args.data, "_dev.conll")?;
        // The run's own training options; the bundle, data and folder given now.
        let args = match &state.config {
            Some(c) => SpansArgs {
                model: args.model.clone(),
                data: args.data.clone(),
                out: args.out.clone(),
                ship: args.ship,
                export_only: true,
                ..c.clone()
            },
            None => args.clone(),
        };
        return export(&args, &cfg, &enc_bytes, &tok, &dev_files, &state);
    }
    let mut train_files = read_split(&args.data, "_train.conll")?;
    for p in &args.extra_train {
        train_files.push(read_conll(p)?);
    }
    let mut train = examples(
        &train_files,
        &tok,
        &encoder,
        k,
        args.limit,
        args.context,
        "train",
    )?;
    let distill = if args.teacher.is_empty() {
        None
    } else {
        attach_soft_targets(&args.teacher, &train_files, &encoder, &tok, &mut train)?;
        Some((args.distill_weight, args.distill_temperature))
    };
    let dev_files = read_split(&args.data, "_dev.conll")?;
    let dev_set = examples(&dev_files, &tok, &encoder, k, 0, args.context, "dev")?;

    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let model = Model {
        layers: (k..k + l)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), &cfg))
            .collect::<candle_core::Result<_>>()?,
        classifier: linear(h, 6, vb.pp("classifier"))?,
        case: if args.case_feature {
            let w = vb.get_with_hints(
                (tagger::CASE_CLASSES, h),
                tagger::CASE_EMBEDDINGS,
                candle_nn::Init::Const(0.0),
            )?;
            Some(candle_nn::Embedding::new(w, h))
        } else {
            None
        },
    };
    {
        let vars = varmap.data().lock().expect("varmap lock");
        for (name, shape, data) in &layer_init {
            if let Some(v) = vars.get(name) {
                v.set(&Tensor::from_vec(data.clone(), shape.as_slice(), &dev)?)?;
            }
        }
    }
    let state_path = args.out.join("state.json");
    let mut state = State {
        config: Some(args.training_options()),
        ..Default::default()
    };
    if args.resume && state_path.is_file() {
        let s: State = serde_json::from_slice(&std::fs::read(&state_path)?)?;
        if s.config.as_ref() != Some(&args.training_options()) {
            bail!(
                "{} was written with other options; start without --resume or use another --out",
                state_path.display()
            );
        }
        let mut vm = varmap.clone();
        vm.load(args.out.join("checkpoint.safetensors"))?;
        eprintln!(
            "resuming after epoch {} (best dev F1 {:.2} at epoch {})",
            s.epoch, s.best_f1, s.best_epoch
        );
        state = s;
    }
    let (head_vars, layer_vars): (Vec<_>, Vec<_>) = {
        let vars = varmap.data().lock().expect("varmap lock");
        vars.iter()
            .map(|(n, v)| {
                // New parameters (the classifier, the case vectors) take the head's rate.
                let new = n.starts_with("classifier") || n == tagger::CASE_EMBEDDINGS;
                (new, v.clone())
            })
            .partition(|(c, _)| *c)
    };
    let p = |lr| ParamsAdamW {
        lr,
        weight_decay: args.weight_decay,
        ..Default::default()
    };
    let mut opt_layers = AdamW::new(layer_vars.into_iter().map(|(_, v)| v).collect(), p(args.lr))?;
    let mut opt_head = AdamW::new(
        head_vars.into_iter().map(|(_, v)| v).collect(),
        p(args.head_lr),
    )?;
    let per_epoch = train.len().div_ceil(args.batch.max(1));
    let total = (per_epoch * args.epochs).max(1);
    let warm = ((total as f64 * args.warmup) as usize).max(1);
    let mut rng = Rng(args.seed);
    for _ in 0..state.epoch {
        batches(&train, args.batch, Some(&mut rng)); // same shuffles as an uninterrupted run
    }
    for epoch in state.epoch + 1..=args.epochs {
        let bar = bar(per_epoch as u64, &format!("epoch {epoch}/{}", args.epochs));
        let mut sum = 0.0;
        // Seeded per epoch, so a run resumed at an epoch boundary repeats exactly.
        let mut drop = Dropout::new(
            args.dropout,
            args.seed ^ (epoch as u64).wrapping_mul(0x5851_F42D),
        );
        for (j, b) in batches(&train, args.batch, Some(&mut rng))
            .iter()
            .enumerate()
        {
            let step = (epoch - 1) * per_epoch + j;
            let f = if step < warm {
                (step + 1) as f64 / warm as f64
            } else {
                (total - step) as f64 / (total - warm).max(1) as f64
            };
            opt_layers.set_learning_rate(args.lr * f);
            opt_head.set_learning_rate(args.head_lr * f);
            let refs: Vec<&Example> = b.iter().map(|&i| &train[i]).collect();
            let loss = loss(&model, &refs, h, &dev, &mut drop, distill)?;
            let grads = loss.backward()?;
            opt_layers.step(&grads)?;
            opt_head.step(&grads)?;
            sum += loss.to_scalar::<f32>()? as f64;
            bar.inc(1);
            if j % 20 == 0 {
                bar.set_message(format!("loss {:.4}", sum / (j + 1) as f64));
            }
        }
        bar.finish();
        let sc = evaluate(&model, &dev_set, h, &dev)?;
        eprintln!(
            "epoch {epoch}: train loss {:.4}, dev F1 skill {:.2} knowledge {:.2} combined {:.2}",
            sum / per_epoch as f64,
            sc.skill.f1,
            sc.knowledge.f1,
            sc.combined.f1
        );
        state.epoch = epoch;
        state
            .history
            .push(serde_json::json!({ "epoch": epoch, "loss": sum / per_epoch as f64, "dev": sc }));
        if sc.combined.f1 > state.best_f1 {
            state.best_f1 = sc.combined.f1;
            state.best_epoch = epoch;
            varmap.save(args.out.join("best.safetensors"))?;
        }
        varmap.save(args.out.join("checkpoint.safetensors"))?;
        if args.keep_epochs {
            varmap.save(args.out.join(format!("epoch-{epoch}.safetensors")))?;
        }
        std::fs::write(&state_path, serde_json::to_vec_pretty(&state)?)?;
        if epoch - state.best_epoch >= args.patience {
            eprintln!("no better dev F1 for {} epochs: stopping", args.patience);
            break;
        }
    }
    export(&args, &cfg, &enc_bytes, &tok, &dev_files, &state)
}

/// Averages the best weights of `runs` (same tensors, same shapes, same
/// branch) into `out/best.safetensors`, with a state.json that names them.
pub fn average(runs: &[PathBuf], out: &Path) -> Result<()> {
    if runs.len() < 2 {
        bail!("give two or more --run folders to average");
    }
    let mut sum: Option<std::collections::HashMap<String, Tensor>> = None;
    let mut config: Option<SpansArgs> = None;
    let mut sources = Vec::new();
    for source in runs {
        // A run folder (its best weights) or one weights file in a run folder.
        let (run, weights) = if source.is_dir() {
            (source.as_path(), source.join("best.safetensors"))
        } else {
            let dir = source
                .parent()
                .context("a weights file needs its run folder")?;
            (dir, source.clone())
        };
        let state: State = serde_json::from_slice(
            &std::fs::read(run.join("state.json"))
                .with_context(|| format!("reading {}", run.join("state.json").display()))?,
        )?;
        let c = state
            .config
            .with_context(|| format!("{}: state.json has no config", run.display()))?;
        if let Some(first) = &config {
            if (first.branch_layer, first.layers, first.case_feature)
                != (c.branch_layer, c.layers, c.case_feature)
            {
                bail!(
                    "{} has another shape (branch layer, layers, case feature) than {}",
                    run.display(),
                    runs[0].display()
                );
            }
        } else {
            config = Some(c);
        }
        sources.push(serde_json::json!({
            "run": source.display().to_string(), "best_epoch": state.best_epoch, "best_f1": state.best_f1,
        }));
        let w = candle_core::safetensors::load(&weights, &Device::Cpu)
            .with_context(|| format!("reading {}", weights.display()))?;
        sum = Some(match sum {
            None => w,
            Some(mut acc) => {
                if acc.len() != w.len() {
                    bail!(
                        "{} holds other tensors than {}",
                        run.display(),
                        runs[0].display()
                    );
                }
                for (name, t) in acc.iter_mut() {
                    let other = w
                        .get(name)
                        .with_context(|| format!("{} has no {name}", run.display()))?;
                    *t = t
                        .add(other)
                        .with_context(|| format!("{name}: shapes differ"))?;
                }
                acc
            }
        });
    }
    let n = runs.len() as f64;
    let mean: std::collections::HashMap<String, Tensor> = sum
        .expect("two or more runs")
        .into_iter()
        .map(|(k, t)| Ok((k, (t / n)?)))
        .collect::<candle_core::Result<_>>()?;
    std::fs::create_dir_all(out)?;
    candle_core::safetensors::save(&mean, out.join("best.safetensors"))?;
    let mut config = config.expect("two or more runs");
    config.out = out.to_path_buf();
    let state = State {
        config: Some(config),
        history: vec![serde_json::json!({ "average_of": sources })],
        ..Default::default()
    };
    std::fs::write(out.join("state.json"), serde_json::to_vec_pretty(&state)?)?;
    eprintln!(
        "wrote {}: the mean of {} runs; export with `spans --export-only --out {}`",
        out.join("best.safetensors").display(),
        runs.len(),
        out.display()
    );
    Ok(())
}

/// Writes tagger.gguf from the best weights, scores it with the runtime
/// engine (f32 and int8) on dev, and ships it when asked.
fn export(
    args: &SpansArgs,
    cfg: &BertConfig,
    enc_bytes: &[u8],
    tok: &TextTokenizer,
    dev_files: &[Conll],
    state: &State,
) -> Result<()> {
    let best = candle_core::safetensors::load(args.out.join("best.safetensors"), &Device::Cpu)?;
    let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
    for (name, t) in best {
        tensors.push((name, t.dims().to_vec(), t.flatten_all()?.to_vec1::<f32>()?));
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let config_json = serde_json::to_string(&state.config)?;
    let mut meta = vec![
        (tagger::KEY_BRANCH_LAYER, args.branch_layer.to_string()),
        (tagger::KEY_LAYERS, args.layers.to_string()),
        (tagger::KEY_LABELS, tagger::LABELS.join(",")),
        (tagger::KEY_ENCODER_SHA256, sha256_hex(enc_bytes)),
        (
            tagger::KEY_TRAIN_CONFIG_SHA256,
            sha256_hex(config_json.as_bytes()),
        ),
        (tagger::KEY_TRAIN_CONFIG, config_json),
    ];
    if args.context > 0 {
        meta.push((tagger::KEY_CONTEXT, args.context.to_string()));
    }
    let write =
        |tensors: &[(String, Vec<usize>, Vec<f32>)], meta: &[(&str, String)]| -> Result<Vec<u8>> {
            let mut gguf = std::io::Cursor::new(Vec::new());
            write_gguf(&mut gguf, cfg, tensors, ExportType::Q8_0, meta)?;
            Ok(gguf.into_inner())
        };
    // The decoding is chosen on dev with the f32 engine (calibrate_decoding):
    // the O offsets are baked into the classifier's bias, the transition
    // priors go into the metadata.
    let uncalibrated = write(&tensors, &meta)?;
    let train_files = read_split(&args.data, "_train.conll")?;
    let cal = calibrate_decoding(
        &Tagger::from_gguf(&uncalibrated, Precision::F32)?,
        &encoder_at(enc_bytes, Precision::F32)?,
        tok,
        &train_files,
        dev_files,
    )?;
    let (o_offsets, before, after) = (cal.o_offsets, cal.before, cal.after);
    eprintln!(
        "O offsets skill {:+.2} knowledge {:+.2}, transition weight {}: dev combined F1 (f32) {:.2} -> {:.2}",
        o_offsets[0], o_offsets[1], cal.transition_weight, before, after
    );
    if cal.transition_weight > 0.0 {
        meta.push((tagger::KEY_TRANSITIONS, serde_json::to_string(&cal.priors)?));
    }
    let bias = tensors
        .iter_mut()
        .find(|t| t.0 == tagger::CLASSIFIER_BIAS)
        .context("no classifier.bias")?;
    for (o, d) in tagger::O_LABELS.iter().zip(o_offsets) {
        bias.2[*o] += d;
    }
    let bytes = write(&tensors, &meta)?;
    std::fs::write(args.out.join(TAGGER), &bytes)?;

    let mut runtime = serde_json::Map::new();
    for (name, p) in [("f32", Precision::F32), ("int8", Precision::Int8)] {
        let sc = runtime_scores(&bytes, enc_bytes, tok, dev_files, p)?;
        eprintln!(
            "runtime {name}: dev F1 skill {:.2} knowledge {:.2} combined {:.2}",
            sc.skill.f1, sc.knowledge.f1, sc.combined.f1
        );
        runtime.insert(name.into(), serde_json::to_value(sc)?);
    }
    let report = serde_json::json!({
        "branch_layer": args.branch_layer, "layers": args.layers, "best_epoch": state.best_epoch,
        "candle_f32_dev": state.history.get(state.best_epoch.saturating_sub(1)).map(|h| h["dev"].clone()),
        "runtime_dev": runtime, "bytes": bytes.len(),
        "o_offsets": { "skill": o_offsets[0], "knowledge": o_offsets[1],
            "transition_weight": cal.transition_weight,
            "combined_f1_f32_before": before, "combined_f1_f32_after": after },
    });
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    eprintln!(
        "wrote {} ({:.1} MB)",
        args.out.join(TAGGER).display(),
        bytes.len() as f64 / 1e6
    );
    if args.ship {
        ship(args, state, &bytes, report)?;
    }
    Ok(())
}

/// Decoding choices made on dev, see [`calibrate_decoding`].
pub struct Calibration {
    /// Added to the O logit of each layer (skill, knowledge).
    pub o_offsets: [f32; 2],
    pub transition_weight: f64,
    pub priors: TransitionPriors,
    /// Combined dev F1 as the tagger decodes as given, and with the choices.
    pub before: f64,
    pub after: f64,
    /// Dev scores with the choices.
    pub scores: SpanScores,
    /// Nothing beat the tagger's own decoding (the offsets are 0, and the
    /// tagger's own priors stay).
    pub kept_own: bool,
}

/// Chooses on dev the decoding that gives `t` (run on `enc`, at their
/// precision) the best combined F1: an offset on the O logit of each layer
/// (skill, knowledge; one scalar per layer trades precision against recall),
/// and the weight of the BIO transition priors estimated on the training tags
/// (a CRF's transition scores, counted instead of learned; they mostly keep a
/// span from being cut in two). Offsets are relative to the tagger's bias;
/// the choices replace the tagger's own priors, and are only taken when they
/// beat the tagger's own decoding.
pub fn calibrate_decoding(
    t: &Tagger,
    enc: &Encoder,
    tok: &TextTokenizer,
    train_files: &[Conll],
    dev_files: &[Conll],
) -> Result<Calibration> {
    let mut gold = Vec::new();
    let mut words: Vec<Vec<[f32; 6]>> = Vec::new();
    for c in dev_files {
        words.extend(sentence_word_probabilities(t, enc, tok, &c.all_tokens())?);
        gold.extend(c.all_tags());
    }
    let train_tags: Vec<(Vec<Bio>, Vec<Bio>)> =
        train_files.iter().flat_map(|c| c.all_tags()).collect();
    let priors = |weight: f64| TransitionPriors {
        skill: TransitionPrior::estimate(train_tags.iter().map(|t| t.0.as_slice()), weight),
        knowledge: TransitionPrior::estimate(train_tags.iter().map(|t| t.1.as_slice()), weight),
    };
    let score = |ds: f32, dk: f32, t: &[BioTransitions; 2]| {
        let preds: Vec<(Vec<Bio>, Vec<Bio>)> =
            words.iter().map(|w| decode_words(w, [ds, dk], t)).collect();
        score_sentences(gold.iter(), &preds)
    };
    let decoding = |p: &TransitionPriors| [p.skill.decoding(), p.knowledge.decoding()];
    let own = score(0.0, 0.0, t.transitions());
    let mut best = Calibration {
        o_offsets: [0.0; 2],
        transition_weight: 0.0,
        priors: priors(0.0),
        before: own.combined.f1,
        after: own.combined.f1,
        scores: own,
        kept_own: true,
    };
    let grid: Vec<f32> = (-8..=8).map(|i| i as f32 * 0.25).collect();
    for weight in [0.0, 0.125, 0.25, 0.375, 0.5] {
        let p = priors(weight);
        let d = decoding(&p);
        for &ds in &grid {
            for &dk in &grid {
                let sc = score(ds, dk, &d);
                if sc.combined.f1 > best.after + 1e-9 {
                    best.o_offsets = [ds, dk];
                    best.transition_weight = weight;
                    best.priors = p.clone();
                    best.after = sc.combined.f1;
                    best.scores = sc;
                    best.kept_own = false;
                }
            }
        }
    }
    Ok(best)
}

/// The runtime engine on an encoder.gguf, at precision `p`.
pub fn encoder_at(enc_bytes: &[u8], p: Precision) -> Result<Encoder> {
    let store = TensorStore::from_gguf(enc_bytes)?;
    let cfg = store.config.clone().context("encoder config")?;
    Ok(Encoder::new(cfg, store, p)?)
}

/// Dev scores of a tagger file through the runtime engine.
pub fn runtime_scores(
    tagger_bytes: &[u8],
    enc_bytes: &[u8],
    tok: &TextTokenizer,
    dev_files: &[Conll],
    p: Precision,
) -> Result<SpanScores> {
    tagger_scores(
        &Tagger::from_gguf(tagger_bytes, p)?,
        &encoder_at(enc_bytes, p)?,
        tok,
        dev_files,
    )
}

/// Dev scores of a tagger as the runtime tags.
pub fn tagger_scores(
    t: &Tagger,
    enc: &Encoder,
    tok: &TextTokenizer,
    dev_files: &[Conll],
) -> Result<SpanScores> {
    let mut gold = Vec::new();
    let mut preds = Vec::new();
    for c in dev_files {
        for w in run_passes(enc, tok, &c.all_tokens(), Some(t), false)? {
            let w = w.tags.expect("the tagger ran");
            preds.push((w.skill, w.knowledge));
        }
        gold.extend(c.all_tags());
    }
    Ok(score_sentences(gold.iter(), &preds))
}

fn ship(args: &SpansArgs, state: &State, bytes: &[u8], report: serde_json::Value) -> Result<()> {
    let path = args.model.join(MANIFEST);
    let mut m = Manifest::from_json(&std::fs::read(&path)?)?;
    std::fs::write(args.model.join(TAGGER), bytes)?;
    m.set_file(
        TAGGER,
        bytes,
        "span tagger: Skill/Knowledge BIO branch after encoder layer K (GGUF)",
    );
    let cmd = format!(
        "skillmark-train spans --model {} --branch-layer {} --layers {} --epochs {} --batch {} --lr {} --head-lr {} --dropout {} --seed {}{} --ship",
        args.model.display(), args.branch_layer, args.layers, args.epochs, args.batch, args.lr, args.head_lr, args.dropout, args.seed,
        if args.case_feature { " --case-feature" } else { "" }
    );
    // A weight average names its runs (each trained with the command above,
    // as their own state.json files record, seeds aside).
    let runs: Vec<String> = state
        .history
        .iter()
        .filter_map(|h| h["average_of"].as_array())
        .flatten()
        .filter_map(|r| r["run"].as_str().map(|r| format!("--run {r}")))
        .collect();
    let cmd = if runs.is_empty() {
        cmd
    } else {
        format!(
            "skillmark-train spans-average {} --out {} && skillmark-train spans --export-only --out {} --ship (runs: {cmd}, see their state.json)",
            runs.join(" "),
            args.out.display(),
            args.out.display()
        )
    };
    m.rest.insert(
        "tagger".into(),
        serde_json::json!({
            "data": "SkillSpan (Zhang et al. 2022, MIT): trained on house+tech train, selected on house+tech dev",
            "command": cmd,
            "dev_metrics": report,
            "note": "dev F1 is the model-selection split, not a test result",
        }),
    );
    m.version = format!(
        "{}-{}",
        env!("CARGO_PKG_VERSION"),
        &sha256_hex(m.to_json().as_bytes())[..8]
    );
    std::fs::write(&path, m.to_json())?;
    eprintln!("shipped {} into {}", TAGGER, args.model.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark_model::engine::TokenStates;

    #[test]
    fn a_resumed_run_matches_its_recorded_options() {
        let args = SpansArgs {
            model: "assets".into(),
            data: "d".into(),
            branch_layer: 0,
            layers: 6,
            epochs: 10,
            batch: 16,
            lr: 2e-4,
            head_lr: 2e-3,
            warmup: 0.1,
            weight_decay: 0.01,
            dropout: 0.2,
            case_feature: true,
            context: 0,
            extra_train: vec!["silver.conll".into()],
            teacher: vec!["t.gguf".into()],
            distill_weight: 0.5,
            distill_temperature: 2.0,
            patience: 4,
            seed: 42,
            limit: 0,
            out: "o".into(),
            resume: false,
            ship: false,
            export_only: false,
            cuda: false,
            keep_epochs: true,
        };
        let recorded: SpansArgs =
            serde_json::from_slice(&serde_json::to_vec(&args.training_options()).unwrap()).unwrap();
        let resumed = SpansArgs {
            resume: true,
            ship: true,
            ..args.clone()
        };
        assert_eq!(recorded, resumed.training_options());
        let other = SpansArgs {
            dropout: 0.1,
            ..resumed
        };
        assert_ne!(recorded, other.training_options());
        // A state.json written before --case-feature existed reads as without it.
        let mut old = serde_json::to_value(&recorded).unwrap();
        old.as_object_mut().unwrap().remove("case_feature");
        old.as_object_mut().unwrap().remove("distill_weight");
        old.as_object_mut().unwrap().remove("distill_temperature");
        let old: SpansArgs = serde_json::from_value(old).unwrap();
        assert!(!old.case_feature);
        assert_eq!((old.distill_weight, old.distill_temperature), (0.5, 1.0));
    }

    fn tiny_model(cfg: &BertConfig, varmap: &VarMap) -> Model {
        let vb = VarBuilder::from_varmap(varmap, DType::F32, &Device::Cpu);
        Model {
            layers: vec![Layer::load(vb.pp("encoder.layer.1"), cfg).unwrap()],
            classifier: linear(cfg.hidden_size, 6, vb.pp("classifier")).unwrap(),
            case: None,
        }
    }

    fn labelled_example(h: usize, len: usize, seed: &mut u64) -> Example {
        let labels: Vec<(usize, u32, u32)> = (1..len - 1)
            .map(|t| (t, (t % 3) as u32, ((t + 1) % 3) as u32))
            .collect();
        Example {
            states: (0..len * h)
                .map(|_| (splitmix64(seed) % 2000) as f32 / 1000.0 - 1.0)
                .collect(),
            len,
            case: vec![0; len],
            soft: Vec::new(),
            labels,
            gold: Default::default(),
            first_token: Vec::new(),
        }
    }

    /// With one-hot soft targets at temperature 1 the distillation term is
    /// the gold cross-entropy, so any weight gives the plain loss; softer
    /// targets change it, and a temperature flattens them.
    #[test]
    fn the_distillation_term_is_cross_entropy_with_the_teachers() {
        let cfg = BertConfig::tiny(16);
        let h = cfg.hidden_size;
        let model = tiny_model(&cfg, &VarMap::new());
        let mut seed = 3u64;
        let mut examples: Vec<Example> = [6usize, 4]
            .iter()
            .map(|&len| labelled_example(h, len, &mut seed))
            .collect();
        for e in &mut examples {
            e.soft = e
                .labels
                .iter()
                .map(|&(_, s, k)| {
                    let mut p = [0f32; 6];
                    p[s as usize] = 1.0;
                    p[3 + k as usize] = 1.0;
                    p
                })
                .collect();
        }
        let value = |examples: &[Example], distill| {
            let refs: Vec<&Example> = examples.iter().collect();
            let mut drop = Dropout::new(0.0, 1);
            loss(&model, &refs, h, &Device::Cpu, &mut drop, distill)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        let plain = value(&examples, None);
        for w in [0.3f32, 1.0] {
            let d = value(&examples, Some((w, 1.0)));
            assert!((d - plain).abs() < 1e-4, "weight {w}: {d} vs {plain}");
        }
        for e in &mut examples {
            e.soft
                .iter_mut()
                .for_each(|p| *p = [0.2, 0.3, 0.5, 0.6, 0.3, 0.1]);
        }
        let soft = value(&examples, Some((1.0, 1.0)));
        assert!((soft - plain).abs() > 1e-3, "soft targets changed nothing");
        let t = tempered(&[0.1, 0.2, 0.7], 2.0);
        let z: f32 = [0.1f32, 0.2, 0.7].iter().map(|v| v.sqrt()).sum();
        assert!((t[2] - 0.7f32.sqrt() / z).abs() < 1e-6 && t[2] < 0.7 && t[0] > 0.1);
        // Missing soft targets are an error, not a silent zero.
        examples[1].soft.pop();
        let refs: Vec<&Example> = examples.iter().collect();
        let mut drop = Dropout::new(0.0, 1);
        assert!(loss(&model, &refs, h, &Device::Cpu, &mut drop, Some((0.5, 1.0))).is_err());
    }

    /// The runtime's tagger (what the CLI and the browser run) computes the
    /// same probabilities as the Candle model it was exported from, case
    /// vectors included.
    #[test]
    fn the_exported_tagger_matches_the_trained_model() {
        let cfg = BertConfig::tiny(16);
        let h = cfg.hidden_size;
        let dev = Device::Cpu;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
        let init = candle_nn::Init::Randn {
            mean: 0.0,
            stdev: 1.0,
        };
        let model = Model {
            layers: vec![Layer::load(vb.pp("encoder.layer.1"), &cfg).unwrap()],
            classifier: linear(h, 6, vb.pp("classifier")).unwrap(),
            case: Some(candle_nn::Embedding::new(
                vb.get_with_hints((tagger::CASE_CLASSES, h), tagger::CASE_EMBEDDINGS, init)
                    .unwrap(),
                h,
            )),
        };
        let mut seed = 7u64;
        let examples: Vec<Example> = [5usize, 3]
            .iter()
            .map(|&len| Example {
                states: (0..len * h)
                    .map(|_| (splitmix64(&mut seed) % 2000) as f32 / 1000.0 - 1.0)
                    .collect(),
                len,
                case: (0..len as u32).map(|t| t % 4).collect(),
                labels: Vec::new(),
                soft: Vec::new(),
                gold: Default::default(),
                first_token: Vec::new(),
            })
            .collect();
        let refs: Vec<&Example> = examples.iter().collect();
        let bt = batch_tensors(&refs, h, &dev).unwrap();
        let logits = model
            .forward(&bt.x, &bt.case, &bt.mask, None)
            .unwrap()
            .to_vec3::<f32>()
            .unwrap();

        let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = {
            let vars = varmap.data().lock().unwrap();
            vars.iter()
                .map(|(n, v)| {
                    let t = v.as_tensor();
                    (
                        n.clone(),
                        t.dims().to_vec(),
                        t.flatten_all().unwrap().to_vec1().unwrap(),
                    )
                })
                .collect()
        };
        let meta = [
            (tagger::KEY_BRANCH_LAYER, "1".to_string()),
            (tagger::KEY_LAYERS, "1".to_string()),
            (tagger::KEY_LABELS, tagger::LABELS.join(",")),
            (tagger::KEY_ENCODER_SHA256, "test".to_string()),
        ];
        let mut gguf = std::io::Cursor::new(Vec::new());
        write_gguf(&mut gguf, &cfg, &tensors, ExportType::F32, &meta).unwrap();
        let runtime = Tagger::from_gguf(gguf.get_ref(), Precision::F32).unwrap();
        assert!(runtime.reads_case());

        let softmax = |z: &[f32]| {
            let m = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let s: f32 = z.iter().map(|v| (v - m).exp()).sum();
            z.iter().map(|v| (v - m).exp() / s).collect::<Vec<f32>>()
        };
        for (ex, lg) in examples.iter().zip(&logits) {
            let states = || TokenStates {
                hidden: h,
                states: ex.states.clone(),
                ranges: std::iter::once(0..ex.len).collect(),
            };
            let case: Vec<u8> = ex.case.iter().map(|&c| c as u8).collect();
            let got = runtime.probabilities(states(), &case);
            for (g, z) in got.iter().zip(lg) {
                let want = [softmax(&z[0..3]), softmax(&z[3..6])].concat();
                for (a, b) in g.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-4, "{g:?} vs {want:?}");
                }
            }
            let caseless = runtime.probabilities(states(), &vec![0; ex.len]);
            assert_ne!(got, caseless, "the case vectors changed nothing");
        }
    }
}
