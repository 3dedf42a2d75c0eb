//! The generation loop: priority order, budget, filter, journal, stats.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use skillmark::Ranker;
use skillmark_model::Precision;

use super::document::Kind;
use super::filter::{FilterConfig, Seen};
use super::generate::{Generator, Job, TokenCounts};
use super::journal::{DoneRecord, Journal, Record};
use super::llm::{Generation, Llm, SamplingParams};
use super::skill_task::SkillTask;
use super::task::{Judge, Provenance, Task};
use super::{combo, document, priority, prompt};

#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    /// Quantized Qwen2 instruct GGUF (scripts/fetch-llm prints its path).
    #[arg(long)]
    pub model: PathBuf,
    /// Who decodes: llama.cpp, many sequences at once (needs the feature
    /// `llama`; the default when built with it), or Candle, one at a time.
    #[arg(long, value_enum, default_value_t = Backend::default())]
    pub backend: Backend,
    /// Sequences decoded together (llama backend).
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    /// Name recorded with each sentence (default: the GGUF file stem).
    #[arg(long)]
    pub model_name: Option<String>,
    /// Asset bundle: its taxonomy (skills, occupations, relations) grounds the
    /// prompts and its encoder judges the sentences.
    #[arg(long, default_value = "assets")]
    pub assets: PathBuf,
    /// SkillSkape *train* CSV, used only to prioritise skills ("" = skip).
    #[arg(long, default_value = "../shared/data/skillskape/train.csv")]
    pub skillskape_train: PathBuf,
    /// What to write: sentences for one skill (the paper's data), sentences
    /// that need 2–3 skills of one occupation together, or whole job posts
    /// or résumés for an occupation. Each mode has its own journal.
    #[arg(long, value_enum, default_value_t = Mode::Skill)]
    pub mode: Mode,
    /// Append-only JSONL output (resumed if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Stop after this many tasks (skills, combinations, documents) in this run.
    #[arg(long)]
    pub max_skills: Option<usize>,
    /// Sentences asked for per prompt (modes skill and combo).
    #[arg(long, default_value_t = 5)]
    pub per_skill: usize,
    /// Tasks per occupation (modes combo, post, resume).
    #[arg(long, default_value_t = 2)]
    pub per_occupation: usize,
    /// Stop starting new tasks after this many minutes.
    #[arg(long)]
    pub minutes: Option<f64>,
    /// CPU threads for the LLM and the encoder (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Base seed; each skill samples with seed ^ hash(skill URI).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f64,
    #[arg(long, default_value_t = 0.9)]
    pub top_p: f64,
    #[arg(long, default_value_t = 1.1)]
    pub repeat_penalty: f32,
    /// Default: 400 for sentences, 700 for documents.
    #[arg(long)]
    pub max_new_tokens: Option<usize>,
    /// Filter: the skill's rank over all ESCO skills must be at most this…
    #[arg(long, default_value_t = 50)]
    pub max_rank: usize,
    /// …and its cosine at least this (unless the sentence names a label).
    #[arg(long, default_value_t = 0.35)]
    pub min_cosine: f32,
    /// Skip the first N tasks of the priority order (to split work).
    #[arg(long, default_value_t = 0)]
    pub skip: usize,
    /// Print the prompts of the first tasks and exit (no LLM needed).
    #[arg(long)]
    pub dry_run: bool,
    /// Write the cumulative generation config + stats JSON here at the end.
    #[arg(long)]
    pub config_out: Option<PathBuf>,
    /// Print each raw answer and the filter's verdicts to stderr.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Skill,
    Combo,
    Post,
    Resume,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Candle,
    Llama,
}

impl Default for Backend {
    fn default() -> Self {
        if cfg!(feature = "llama") {
            Backend::Llama
        } else {
            Backend::Candle
        }
    }
}

/// The language model of `args`, on the backend it asks for.
fn load_generator(args: &SynthArgs) -> Result<Box<dyn Generator>> {
    match args.backend {
        Backend::Candle => Ok(Box::new(Llm::load(&args.model)?)),
        #[cfg(feature = "llama")]
        Backend::Llama => {
            let threads = args
                .threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            Ok(Box::new(super::llama::LlamaGenerator::load(
                &args.model,
                args.parallel,
                threads,
            )?))
        }
        #[cfg(not(feature = "llama"))]
        Backend::Llama => anyhow::bail!(
            "this skillmark-train was built without llama.cpp: \
             cargo build --release -p skillmark-train --features llama (needs cmake and libclang), \
             or pass --backend candle"
        ),
    }
}

/// FNV-1a: a stable per-skill seed that does not depend on the order.
pub fn skill_seed(base: u64, uri: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in uri.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    base ^ h
}

fn skillskape_counts(path: &Path, taxonomy: &esco::Taxonomy) -> Result<Vec<usize>> {
    let mut counts = vec![0usize; taxonomy.skills.len()];
    if path.as_os_str().is_empty() {
        return Ok(counts);
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let gold = skillmark_eval::gold::parse_gold(&bytes, &path.display().to_string(), taxonomy)?;
    for s in &gold.sentences {
        for &k in &s.skills {
            counts[k] += 1;
        }
    }
    Ok(counts)
}

/// Totals over a journal's done markers (all runs so far).
#[derive(serde::Serialize, Default, Debug)]
pub struct Totals {
    pub skills: usize,
    pub generated: u64,
    pub kept: u64,
    pub keep_rate: f64,
    pub rejected: BTreeMap<String, u64>,
    pub prompt_tokens: u64,
    pub new_tokens: u64,
    pub generation_seconds: f64,
    pub kept_per_minute: f64,
    pub generated_per_minute: f64,
    pub new_tokens_per_second: f64,
}

pub fn totals(done: &[DoneRecord]) -> Totals {
    let mut t = Totals {
        skills: done.len(),
        ..Default::default()
    };
    for d in done {
        t.generated += d.generated as u64;
        t.kept += d.kept as u64;
        t.prompt_tokens += d.prompt_tokens as u64;
        t.new_tokens += d.new_tokens as u64;
        t.generation_seconds += d.seconds as f64;
        for (k, n) in &d.rejected {
            *t.rejected.entry(k.clone()).or_default() += *n as u64;
        }
    }
    if t.generated > 0 {
        t.keep_rate = t.kept as f64 / t.generated as f64;
    }
    if t.generation_seconds > 0.0 {
        t.kept_per_minute = t.kept as f64 * 60.0 / t.generation_seconds;
        t.generated_per_minute = t.generated as f64 * 60.0 / t.generation_seconds;
        t.new_tokens_per_second = t.new_tokens as f64 / t.generation_seconds;
    }
    t
}

fn file_sha256(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

pub fn run(args: SynthArgs) -> Result<()> {
    if let Some(n) = args.threads {
        // Candle's gemm reads RAYON_NUM_THREADS; its quantized matmul uses rayon's pool.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .ok();
    }
    let ranker = Ranker::load_dir(&args.assets, Precision::Int8)
        .with_context(|| format!("loading assets from {}", args.assets.display()))?;
    let taxonomy = &ranker.taxonomy;
    let counts = skillskape_counts(&args.skillskape_train, taxonomy)?;
    let order = priority::order(taxonomy, &counts);
    // Enough new tokens for a numbered list of sentences.
    let sentences = 400;
    match args.mode {
        Mode::Skill => {
            let tasks = order
                .iter()
                .map(|&(s, _)| SkillTask::new(taxonomy, s, args.per_skill));
            drive(
                &args,
                &ranker,
                tasks,
                &prompt::chat_prefix(),
                prompt::PROMPT_VERSION,
                sentences,
            )
        }
        Mode::Combo => {
            let occupations = priority::occupation_order(taxonomy, &order);
            let tasks = combo::tasks(
                taxonomy,
                &occupations,
                args.per_occupation,
                args.per_skill,
                args.seed,
            );
            drive(
                &args,
                &ranker,
                tasks.into_iter(),
                &combo::chat_prefix(),
                combo::PROMPT_VERSION,
                sentences,
            )
        }
        Mode::Post | Mode::Resume => {
            let kind = if args.mode == Mode::Post {
                Kind::Post
            } else {
                Kind::Resume
            };
            let occupations = priority::occupation_order(taxonomy, &order);
            let tasks =
                document::tasks(taxonomy, &occupations, kind, args.per_occupation, args.seed);
            drive(
                &args,
                &ranker,
                tasks.into_iter(),
                &document::chat_prefix(kind),
                document::PROMPT_VERSION,
                document::MAX_NEW_TOKENS,
            )
        }
    }
}

/// The generation loop for one mode's tasks (in priority order): skips what
/// the journal has done, generates the rest within the budget, judges each
/// answer, appends what is kept, writes the config with the totals.
/// `max_new_tokens` is the mode's default for `--max-new-tokens`.
fn drive<T: Task>(
    args: &SynthArgs,
    ranker: &Ranker,
    tasks: impl Iterator<Item = T>,
    prefix: &str,
    prompt_version: &str,
    max_new_tokens: usize,
) -> Result<()> {
    let (mut journal, recovered) = if args.dry_run {
        (None, Default::default())
    } else {
        let (j, r) = Journal::open::<T::Record>(&args.out)?;
        (Some(j), r)
    };
    if recovered.dropped_lines > 0 {
        eprintln!(
            "synth: resumed {} after dropping {} broken or unfinished line(s)",
            args.out.display(),
            recovered.dropped_lines
        );
    }
    let done = recovered.done_keys();
    let mut seen = Seen::default();
    for s in &recovered.sentences {
        seen.insert(s.text());
    }
    let todo: Vec<T> = tasks
        .skip(args.skip)
        .filter(|t| !done.contains(t.key()))
        .take(args.max_skills.unwrap_or(usize::MAX))
        .collect();
    eprintln!(
        "synth: {} tasks done before, {} to go in this run",
        done.len(),
        todo.len()
    );

    if args.dry_run {
        println!("=== shared prefix\n{prefix}");
        for t in todo.iter().take(args.max_skills.unwrap_or(3)) {
            println!("=== {}\n{}", t.key(), t.prompt());
        }
        return Ok(());
    }
    let journal = journal.as_mut().expect("opened unless dry run");

    let model_name = args.model_name.clone().unwrap_or_else(|| {
        args.model
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    eprintln!("synth: loading {}", args.model.display());
    let model_sha256 = file_sha256(&args.model)?;
    let mut generator = load_generator(args)?;
    let sampling = SamplingParams {
        temperature: args.temperature,
        top_p: args.top_p,
        repeat_penalty: args.repeat_penalty,
        max_new_tokens: args.max_new_tokens.unwrap_or(max_new_tokens),
        ..SamplingParams::default()
    };
    let filter = FilterConfig {
        max_rank: args.max_rank,
        min_cosine: args.min_cosine,
        ..FilterConfig::default()
    };

    let bar = ProgressBar::new(todo.len() as u64).with_style(
        ProgressStyle::with_template(
            "synth {bar:30} {pos}/{len} tasks [{elapsed_precise}<{eta_precise}] {msg}",
        )
        .unwrap(),
    );
    let mut judge = Judge {
        ranker,
        cfg: &filter,
        verbose: args.verbose,
        seen,
        provenance: Provenance {
            model: model_name.clone(),
            prompt_version: prompt_version.into(),
        },
    };
    let started = Instant::now();
    let budget_spent = || {
        args.minutes
            .is_some_and(|m| started.elapsed().as_secs_f64() >= m * 60.0)
    };
    let mut jobs = todo
        .iter()
        .enumerate()
        .map(|(i, t)| Job {
            task: i,
            seed: skill_seed(args.seed, t.key()),
            prompt: t.prompt(),
        })
        .take_while(|_| !budget_spent());
    let mut run_done: Vec<DoneRecord> = Vec::new();
    // Sequences run side by side, so each task is charged the wall time
    // since the previous one finished: the seconds add up to the run's.
    let mut last_finish = Instant::now();
    let mut judge_seconds = 0f64;
    let mut on_done = |job: Job, generation: Generation| -> Result<bool> {
        let task = &todo[job.task];
        if args.verbose {
            bar.suspend(|| {
                eprintln!(
                    "--- {}: {} prompt tokens, {} new tokens in {:.1}s ({})\n{}",
                    task.key(),
                    generation.prompt_tokens,
                    generation.new_tokens,
                    generation.prefill_secs + generation.decode_secs,
                    if generation.finished {
                        "end token"
                    } else {
                        "max tokens"
                    },
                    generation.text
                )
            });
        }
        let judging = Instant::now();
        let verdicts = task.judge(&generation.text, job.seed, &mut judge)?;
        judge_seconds += judging.elapsed().as_secs_f64();
        let marker = DoneRecord {
            done: task.key().to_string(),
            generated: verdicts.generated,
            kept: verdicts.kept.len() as u32,
            rejected: verdicts.rejected,
            prompt_tokens: generation.prompt_tokens as u32,
            new_tokens: generation.new_tokens as u32,
            seconds: last_finish.elapsed().as_secs_f32(),
            model: model_name.clone(),
            prompt_version: prompt_version.into(),
        };
        last_finish = Instant::now();
        journal.append(&verdicts.kept, &marker)?;
        run_done.push(marker);
        let t = totals(&run_done);
        bar.set_message(format!(
            "kept {}/{} ({:.0}%), {:.1} kept/min, {:.1} tok/s",
            t.kept,
            t.generated,
            100.0 * t.keep_rate,
            t.kept_per_minute,
            t.new_tokens_per_second
        ));
        bar.inc(1);
        Ok(true)
    };
    let counts: TokenCounts = generator.generate_all(prefix, &mut jobs, &sampling, &mut on_done)?;
    drop(jobs);
    if budget_spent() {
        bar.println("synth: time budget spent");
    }
    let wall = started.elapsed().as_secs_f64();
    bar.finish();

    let this_run = totals(&run_done);
    let throughput = serde_json::json!({
        "backend": args.backend,
        "parallel": generator.parallel(),
        "wall_seconds": wall,
        "prompt_tokens": counts.prompt_tokens,
        "new_tokens": counts.new_tokens,
        "prompt_tokens_per_second": counts.prompt_tokens as f64 / wall,
        "new_tokens_per_second": counts.new_tokens as f64 / wall,
        "kept_per_minute": this_run.kept as f64 * 60.0 / wall,
        "judge_seconds": judge_seconds,
    });
    eprintln!("synth: this run: {}", serde_json::to_string(&this_run)?);
    eprintln!("synth: throughput: {throughput}");
    if let Some(path) = &args.config_out {
        let all: Vec<DoneRecord> = recovered.done.iter().cloned().chain(run_done).collect();
        let config = serde_json::json!({
            "mode": args.mode,
            "model": model_name,
            "model_file": args.model.file_name().map(|f| f.to_string_lossy().into_owned()),
            "model_sha256": model_sha256,
            "prompt_version": prompt_version,
            "per_skill": args.per_skill,
            "per_occupation": args.per_occupation,
            "seed": args.seed,
            "sampling": sampling,
            "filter": filter,
            "threads": args.threads,
            "backend": args.backend,
            "parallel": generator.parallel(),
            "filter_encoder": ranker.manifest.version,
            "priority": "skills: ln(1+2*essential+optional) + reuse bonus (transversal 1, cross-sector .75, sector-specific .4) + 1.5*ln(1+SkillSkape-train count); occupations: mean priority of their essential skills",
            "totals": totals(&all),
            "last_run": this_run,
            "last_run_throughput": throughput,
        });
        std::fs::write(path, serde_json::to_string_pretty(&config)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
