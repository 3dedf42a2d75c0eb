//! Contrastive training of the bi-encoder (Decorte et al. 2023): anchors are
//! job-ad-like texts, positives the preferred labels of their ESCO skills,
//! the loss is the multiple-negatives ranking loss over in-batch negatives
//! (optionally symmetric), scale ≈ 20.
//!
//! The embeddings and the first `freeze_layers` transformer layers stay
//! frozen: they form the trunk the span tagger shares at run time, and the
//! backward pass skips them, which halves the cost of a step on CPU.
//!
//! A run writes to `out/`: `train_config.json`, `train_log.jsonl`,
//! `checkpoint/` (weights, optimizer moments, step; resumed automatically)
//! and `best/` (a Hugging Face style model folder of the best evaluation).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use skillmark::SkillText;
use skillmark_model::candle_bert::{masked_mean_normalized, pad_batch, CandleBert, Mode};
use skillmark_model::sentence::WeightBytes;
use skillmark_model::tokenizer::TextTokenizer;
use skillmark_model::{BertConfig, Precision, SentenceEncoder};

use crate::batching::{augment, epoch_batches, Example};
use crate::evaluate::{self, EvalSet};
use crate::load_taxonomy;
use crate::optim::{clip_scale, linear_schedule, AdamW};
use crate::pairs::{read_jsonl, Pair};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Model folder: config.json, model.safetensors, tokenizer.json.
    pub base: PathBuf,
    /// Pair files (JSONL, `.jsonl.gz`).
    pub data: Vec<PathBuf>,
    /// Keep only pairs whose `source` starts with one of these (empty: all).
    pub sources: Vec<String>,
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub warmup: usize,
    pub weight_decay: f64,
    pub max_grad_norm: f64,
    pub scale: f64,
    pub symmetric: bool,
    /// Probability of gluing a random other sentence to an anchor.
    pub augment: f64,
    pub freeze_layers: usize,
    pub max_tokens: usize,
    pub seed: u64,
    pub eval_every: usize,
    /// Evaluations without improvement before stopping (0: never stop early).
    pub patience: usize,
    pub checkpoint_every: usize,
    /// Skill text of the index used for the periodic evaluation.
    pub eval_skill_text: String,
}

/// Everything a step needs that does not change during a run.
struct Run {
    cfg: TrainConfig,
    model: CandleBert,
    varmap: VarMap,
    tokenizer: TextTokenizer,
    tokenizer_json: Vec<u8>,
    config_json: Vec<u8>,
    examples: Vec<Example>,
    labels: Vec<String>,
    pool: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    step: usize,
    best_score: f64,
    best_step: usize,
    evals_without_gain: usize,
    stopped_early: bool,
}

pub struct Outcome {
    pub best_score: f64,
    pub best_step: usize,
    pub steps: usize,
}

/// `skillmark-train train`: loads the taxonomy and the gold sets of the
/// periodic evaluation (`gold`; default: TECH, HOUSE and Skill-XL validation), trains
/// on CUDA device 0 or the CPU and reports the best step.
pub fn run(
    cfg: TrainConfig,
    taxonomy: &Path,
    gold: &[PathBuf],
    out: &Path,
    cuda: bool,
) -> Result<()> {
    let taxonomy = load_taxonomy(taxonomy)?;
    let gold: Vec<PathBuf> = if gold.is_empty() {
        evaluate::DEFAULT_SETS[..3]
            .iter()
            .map(PathBuf::from)
            .collect()
    } else {
        gold.to_vec()
    };
    let sets = evaluate::load_sets(&gold, &taxonomy)?;
    let device = device(cuda)?;
    let outcome = train(cfg, &taxonomy, &sets, out, &device, None)?;
    eprintln!(
        "done: {} steps; best selection score (mean RP@5 of TECH, HOUSE, Skill-XL) {:.2} at step {}; model in {}",
        outcome.steps,
        outcome.best_score,
        outcome.best_step,
        out.join("best").display()
    );
    Ok(())
}

pub fn device(cuda: bool) -> Result<Device> {
    if cuda {
        Ok(Device::new_cuda(0).context("opening CUDA device 0 (build with --features cuda)")?)
    } else {
        Ok(Device::Cpu)
    }
}

/// Loads pairs from `cfg.data`, keeps the chosen sources and maps skills.
pub fn load_examples(
    cfg: &TrainConfig,
    taxonomy: &esco::Taxonomy,
) -> Result<(Vec<Example>, HashMap<String, usize>)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut examples = Vec::new();
    let mut unknown = 0usize;
    for path in &cfg.data {
        for Pair {
            text,
            skill_uri,
            source,
            ..
        } in read_jsonl(path)?
        {
            if !cfg.sources.is_empty()
                && !cfg.sources.iter().any(|s| source.starts_with(s.as_str()))
            {
                continue;
            }
            match taxonomy.skill_by_uri(&skill_uri) {
                Some(skill) => {
                    *counts.entry(source).or_default() += 1;
                    examples.push(Example { text, skill });
                }
                None => unknown += 1,
            }
        }
    }
    if unknown > 0 {
        eprintln!("warning: {unknown} pairs name skills not in the taxonomy; skipped");
    }
    if examples.len() < 2 {
        bail!(
            "fewer than 2 training pairs after filtering sources {:?}",
            cfg.sources
        );
    }
    Ok((examples, counts))
}

/// Loads a Hugging Face style safetensors file into `varmap` (any float dtype).
fn load_weights(varmap: &VarMap, path: &Path, device: &Device) -> Result<()> {
    let tensors = candle_core::safetensors::load(path, device)
        .with_context(|| format!("loading {}", path.display()))?;
    let data = varmap.data().lock().unwrap();
    for (name, var) in data.iter() {
        let t = tensors
            .get(name)
            .with_context(|| format!("{} has no tensor {name}", path.display()))?;
        var.set(&t.to_dtype(DType::F32)?)?;
    }
    Ok(())
}

/// The optimised variables: layers `freeze_layers..`, plus the embeddings when
/// nothing is frozen.
fn trainable(varmap: &VarMap, freeze_layers: usize) -> Vec<(String, Var)> {
    let data = varmap.data().lock().unwrap();
    let mut vars: Vec<(String, Var)> = data
        .iter()
        .filter(|(name, _)| match layer_of(name) {
            Some(l) => l >= freeze_layers,
            None => freeze_layers == 0,
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

fn layer_of(name: &str) -> Option<usize> {
    let rest = name.strip_prefix("encoder.layer.")?;
    rest.split('.').next()?.parse().ok()
}

impl Run {
    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let max = self.cfg.max_tokens.max(4);
        texts
            .iter()
            .map(|t| {
                let mut ids = self.tokenizer.encode(t)?.ids;
                if ids.len() > max {
                    let sep = *ids.last().unwrap();
                    ids.truncate(max - 1);
                    ids.push(sep);
                }
                Ok(ids)
            })
            .collect()
    }

    fn embed(&self, texts: &[&str]) -> Result<Tensor> {
        let ids = self.tokenize(texts)?;
        let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        let (ids, mask) = pad_batch(&refs, self.model.device())?;
        let bias = self.model.mask_bias(&mask)?;
        let k = self.cfg.freeze_layers.min(self.model.num_layers());
        let trunk_mode = if k == 0 { Mode::Train } else { Mode::Inference };
        let mut x = self.model.embed_tokens(&ids, trunk_mode)?;
        x = self.model.forward_layers(x, &bias, 0..k, Mode::Inference)?;
        let x = self
            .model
            .forward_layers(x, &bias, k..self.model.num_layers(), Mode::Train)?;
        Ok(masked_mean_normalized(&x, &mask)?)
    }

    /// The loss of one batch (anchors augmented for `step`).
    fn loss(&self, batch: &[usize], step: u64) -> Result<Tensor> {
        let anchors: Vec<String> = batch
            .iter()
            .map(|&i| self.examples[i].text.clone())
            .collect();
        let anchors = augment(&anchors, &self.pool, self.cfg.augment, self.cfg.seed, step);
        let positives: Vec<&str> = batch
            .iter()
            .map(|&i| self.labels[self.examples[i].skill].as_str())
            .collect();
        let a = self.embed(&anchors.iter().map(String::as_str).collect::<Vec<_>>())?;
        let p = self.embed(&positives)?;
        mnr_loss(&a, &p, self.cfg.scale, self.cfg.symmetric)
    }

    /// The current weights as a runtime encoder (f32) for evaluation.
    fn runtime_encoder(&self) -> Result<SentenceEncoder> {
        let tmp = tempfile::NamedTempFile::new()?;
        self.varmap.save(tmp.path())?;
        let weights = std::fs::read(tmp.path())?;
        Ok(SentenceEncoder::from_bytes(
            &self.tokenizer_json,
            WeightBytes::Safetensors {
                weights: &weights,
                config_json: &self.config_json,
            },
            Precision::F32,
        )?)
    }

    fn save_model_dir(&self, dir: &Path) -> Result<()> {
        let tmp = dir.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        self.varmap.save(tmp.join("model.safetensors"))?;
        std::fs::write(tmp.join("config.json"), &self.config_json)?;
        std::fs::write(tmp.join("tokenizer.json"), &self.tokenizer_json)?;
        replace_dir(&tmp, dir)
    }
}

/// Multiple-negatives ranking loss: cross-entropy of `scale · a·pᵀ` against
/// the diagonal; the symmetric variant averages it with the positives→anchors
/// direction. `a` and `p` are L2-normalised `[batch, dim]`.
pub fn mnr_loss(a: &Tensor, p: &Tensor, scale: f64, symmetric: bool) -> Result<Tensor> {
    let n = a.dim(0)?;
    let scores = (a.matmul(&p.t()?)? * scale)?;
    let targets = Tensor::arange(0u32, n as u32, a.device())?;
    let forward = candle_nn::loss::cross_entropy(&scores, &targets)?;
    if !symmetric {
        return Ok(forward);
    }
    let backward = candle_nn::loss::cross_entropy(&scores.t()?.contiguous()?, &targets)?;
    Ok(((forward + backward)? * 0.5)?)
}

fn replace_dir(tmp: &Path, dir: &Path) -> Result<()> {
    let old = dir.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(dir, &old)?;
    }
    std::fs::rename(tmp, dir)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn append_log(out: &Path, value: serde_json::Value) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out.join("train_log.jsonl"))?;
    writeln!(f, "{value}")?;
    Ok(())
}

/// Trains per `cfg`, writing into `out`; resumes from `out/checkpoint` when
/// present and its config matches. `eval_sets` drive early stopping
/// (mean RP@5 of TECH and HOUSE); `stop_after` ends the process early
/// (simulated interruption, for tests) after that many steps of this call.
pub fn train(
    cfg: TrainConfig,
    taxonomy: &esco::Taxonomy,
    eval_sets: &[EvalSet],
    out: &Path,
    device: &Device,
    stop_after: Option<usize>,
) -> Result<Outcome> {
    std::fs::create_dir_all(out)?;
    let config_json = std::fs::read(cfg.base.join("config.json"))
        .with_context(|| format!("reading {}/config.json", cfg.base.display()))?;
    let bert_cfg = BertConfig::from_json(&config_json)?;
    let tokenizer_json = std::fs::read(cfg.base.join("tokenizer.json"))
        .with_context(|| format!("reading {}/tokenizer.json", cfg.base.display()))?;
    let tokenizer = TextTokenizer::from_bytes(&tokenizer_json, 512)?;
    let varmap = VarMap::new();
    let model = CandleBert::load(
        VarBuilder::from_varmap(&varmap, DType::F32, device),
        &bert_cfg,
    )?;
    let (examples, counts) = load_examples(&cfg, taxonomy)?;
    let labels: Vec<String> = taxonomy
        .skills
        .iter()
        .map(|s| s.preferred_label.clone())
        .collect();
    // Sentences (not bare labels) serve as augmentation material.
    let mut pool: Vec<String> = examples
        .iter()
        .filter(|e| e.text.split_whitespace().count() >= 5)
        .map(|e| e.text.clone())
        .collect();
    pool.sort();
    pool.dedup();

    let checkpoint = out.join("checkpoint");
    let cfg_path = out.join("train_config.json");
    let mut state = State::default();
    let resuming = checkpoint.join("state.json").exists();
    if resuming {
        let saved: TrainConfig = serde_json::from_slice(&std::fs::read(&cfg_path)?)?;
        if serde_json::to_value(&saved)? != serde_json::to_value(&cfg)? {
            bail!(
                "{} holds a run with another configuration; use another --out or delete it",
                out.display()
            );
        }
        load_weights(&varmap, &checkpoint.join("model.safetensors"), device)?;
        state = serde_json::from_slice(&std::fs::read(checkpoint.join("state.json"))?)?;
        eprintln!("resuming at step {}", state.step);
    } else {
        load_weights(&varmap, &cfg.base.join("model.safetensors"), device)?;
        std::fs::write(&cfg_path, serde_json::to_string_pretty(&cfg)?)?;
        let mut sources: Vec<_> = counts.iter().collect();
        sources.sort();
        eprintln!("{} training pairs: {sources:?}", examples.len());
    }
    let mut opt = AdamW::new(trainable(&varmap, cfg.freeze_layers), cfg.weight_decay)?;
    if resuming {
        opt.load(&checkpoint.join("optimizer.safetensors"))?;
    }
    let run = Run {
        cfg: cfg.clone(),
        model,
        varmap,
        tokenizer,
        tokenizer_json,
        config_json,
        examples,
        labels,
        pool,
    };
    let eval_text: SkillText = cfg.eval_skill_text.parse()?;

    // Step → batch: walk the epochs (each a pure function of seed and epoch).
    let mut epoch = 0u64;
    let mut batches = epoch_batches(&run.examples, cfg.batch_size, cfg.seed, epoch);
    let mut first_of_epoch = 0usize;
    let batch_for = |step: usize,
                     epoch: &mut u64,
                     batches: &mut Vec<Vec<usize>>,
                     first: &mut usize|
     -> Vec<usize> {
        while step >= *first + batches.len() {
            *first += batches.len();
            *epoch += 1;
            *batches = epoch_batches(&run.examples, cfg.batch_size, cfg.seed, *epoch);
        }
        batches[step - *first].clone()
    };

    let bar = ProgressBar::new(cfg.steps as u64).with_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}",
        )
        .unwrap(),
    );
    bar.set_position(state.step as u64);
    let started = Instant::now();
    let mut pairs_done = 0usize;
    let mut steps_this_call = 0usize;
    let mut ema_loss: Option<f64> = None;
    while state.step < cfg.steps && !state.stopped_early {
        let batch = batch_for(state.step, &mut epoch, &mut batches, &mut first_of_epoch);
        let loss = run.loss(&batch, state.step as u64)?;
        let loss_value = loss.to_scalar::<f32>()? as f64;
        if !loss_value.is_finite() {
            bail!("loss is {loss_value} at step {}", state.step);
        }
        let grads = loss.backward()?;
        let norm = opt.grad_norm(&grads)?;
        let lr = linear_schedule(state.step, cfg.warmup, cfg.steps, cfg.lr);
        opt.step(&grads, lr, clip_scale(norm, cfg.max_grad_norm))?;
        state.step += 1;
        steps_this_call += 1;
        pairs_done += batch.len();
        let ema = ema_loss.map_or(loss_value, |e| 0.95 * e + 0.05 * loss_value);
        ema_loss = Some(ema);
        let rate = pairs_done as f64 / started.elapsed().as_secs_f64();
        bar.set_position(state.step as u64);
        bar.set_message(format!("loss {ema:.3} · {rate:.1} pairs/s · epoch {epoch}"));
        append_log(
            out,
            serde_json::json!({"step": state.step, "loss": loss_value, "lr": lr, "grad_norm": norm, "batch": batch.len(), "epoch": epoch}),
        )?;

        let last = state.step == cfg.steps;
        if !eval_sets.is_empty() && (state.step % cfg.eval_every.max(1) == 0 || last) {
            let results =
                evaluate::evaluate(&run.runtime_encoder()?, taxonomy, eval_text, eval_sets)?;
            let score = evaluate::selection_score(&results);
            let summary: Vec<String> = results
                .iter()
                .map(|(n, m)| format!("{n} {:.2}/{:.2}/{:.2}", m.rp5, m.rp10, m.mrr))
                .collect();
            bar.println(format!(
                "step {}: {} (selection {score:.2})",
                state.step,
                summary.join(" · ")
            ));
            append_log(
                out,
                serde_json::json!({"step": state.step, "eval": results.iter().map(|(n, m)| (n.clone(), m)).collect::<HashMap<_, _>>(), "selection": score}),
            )?;
            if score > state.best_score {
                state.best_score = score;
                state.best_step = state.step;
                state.evals_without_gain = 0;
                run.save_model_dir(&out.join("best"))?;
            } else {
                state.evals_without_gain += 1;
                if cfg.patience > 0 && state.evals_without_gain >= cfg.patience {
                    bar.println(format!(
                        "no gain in {} evaluations: stopping early",
                        cfg.patience
                    ));
                    state.stopped_early = true;
                }
            }
        }
        if state.step % cfg.checkpoint_every.max(1) == 0 || last || state.stopped_early {
            save_checkpoint(&run, &opt, &state, &checkpoint)?;
        }
        if stop_after.is_some_and(|n| steps_this_call >= n) {
            save_checkpoint(&run, &opt, &state, &checkpoint)?;
            break;
        }
    }
    bar.finish();
    if eval_sets.is_empty() {
        run.save_model_dir(&out.join("best"))?;
        state.best_step = state.step;
    }
    Ok(Outcome {
        best_score: state.best_score,
        best_step: state.best_step,
        steps: state.step,
    })
}

fn save_checkpoint(run: &Run, opt: &AdamW, state: &State, dir: &Path) -> Result<()> {
    let tmp = dir.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    run.varmap.save(tmp.join("model.safetensors"))?;
    opt.save(&tmp.join("optimizer.safetensors"))?;
    std::fs::write(tmp.join("state.json"), serde_json::to_string_pretty(state)?)?;
    replace_dir(&tmp, dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairs::write_jsonl;

    fn shipped(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../assets")
                .join(name),
        )
        .expect("shipped assets")
    }

    /// A tiny random BERT (4 layers, 32 wide) with the shipped tokenizer, and
    /// 48 ESCO pairs (alt label → skill).
    fn setup(dir: &Path) -> (TrainConfig, esco::Taxonomy) {
        let mut bert = BertConfig::tiny(30522);
        bert.num_hidden_layers = 4;
        bert.max_position_embeddings = 128;
        let base = dir.join("base");
        std::fs::create_dir_all(&base).unwrap();
        let varmap = VarMap::new();
        CandleBert::load(
            VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
            &bert,
        )
        .unwrap();
        varmap.save(base.join("model.safetensors")).unwrap();
        std::fs::write(base.join("config.json"), serde_json::to_vec(&bert).unwrap()).unwrap();
        std::fs::write(base.join("tokenizer.json"), shipped("tokenizer.json")).unwrap();
        let taxonomy = esco::Taxonomy::from_bytes(&shipped("esco.bin")).unwrap();
        let pairs: Vec<Pair> = crate::pairs::esco_pairs(&taxonomy)
            .into_iter()
            .filter(|p| p.source == "esco:alt")
            .step_by(997)
            .take(48)
            .collect();
        write_jsonl(&dir.join("pairs.jsonl"), &pairs).unwrap();
        let cfg = TrainConfig {
            base,
            data: vec![dir.join("pairs.jsonl")],
            sources: vec![],
            steps: 40,
            batch_size: 8,
            lr: 1e-3,
            warmup: 4,
            weight_decay: 0.01,
            max_grad_norm: 1.0,
            scale: 20.0,
            symmetric: true,
            augment: 0.5,
            freeze_layers: 2,
            max_tokens: 32,
            seed: 5,
            eval_every: 1000,
            patience: 0,
            checkpoint_every: 7,
            eval_skill_text: "label".into(),
        };
        (cfg, taxonomy)
    }

    fn losses(out: &Path) -> Vec<f64> {
        std::fs::read_to_string(out.join("train_log.jsonl"))
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["loss"].as_f64())
            .collect()
    }

    #[test]
    fn a_tiny_bert_learns_and_only_the_unfrozen_layers_move() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cfg, taxonomy) = setup(dir.path());
        cfg.augment = 0.0;
        cfg.lr = 3e-3;
        let out = dir.path().join("run");
        train(cfg.clone(), &taxonomy, &[], &out, &Device::Cpu, None).unwrap();
        let l = losses(&out);
        let log = std::fs::read_to_string(out.join("train_log.jsonl")).unwrap();
        assert!(
            log.lines().all(|l| !l.contains("\"grad_norm\":0.0")),
            "no gradient reached the weights"
        );
        assert_eq!(l.len(), 40);
        let head: f64 = l[..8].iter().sum::<f64>() / 8.0;
        let tail: f64 = l[32..].iter().sum::<f64>() / 8.0;
        assert!(
            tail < head * 0.7,
            "loss did not go down: {head:.3} → {tail:.3}"
        );
        let before =
            candle_core::safetensors::load(cfg.base.join("model.safetensors"), &Device::Cpu)
                .unwrap();
        let after =
            candle_core::safetensors::load(out.join("best/model.safetensors"), &Device::Cpu)
                .unwrap();
        for (name, t) in &before {
            let moved = (t - &after[name])
                .unwrap()
                .abs()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
                > 0.0;
            let trainable = layer_of(name).is_some_and(|l| l >= cfg.freeze_layers);
            assert_eq!(moved, trainable, "{name}");
        }
    }

    #[test]
    fn an_interrupted_run_resumes_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cfg, taxonomy) = setup(dir.path());
        cfg.steps = 12;
        let straight = dir.path().join("straight");
        train(cfg.clone(), &taxonomy, &[], &straight, &Device::Cpu, None).unwrap();
        let resumed = dir.path().join("resumed");
        // Stop after 9 steps: the last checkpoint is at step 9 (forced on stop).
        train(cfg.clone(), &taxonomy, &[], &resumed, &Device::Cpu, Some(9)).unwrap();
        assert_eq!(losses(&resumed).len(), 9);
        train(cfg.clone(), &taxonomy, &[], &resumed, &Device::Cpu, None).unwrap();
        assert_eq!(losses(&straight), losses(&resumed));
        assert_eq!(
            std::fs::read(straight.join("best/model.safetensors")).unwrap(),
            std::fs::read(resumed.join("best/model.safetensors")).unwrap()
        );
        // A different configuration in the same folder is refused.
        cfg.lr *= 2.0;
        let err = train(cfg, &taxonomy, &[], &resumed, &Device::Cpu, None)
            .err()
            .unwrap();
        assert!(err.to_string().contains("another configuration"), "{err}");
    }
}
