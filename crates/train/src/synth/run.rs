//! The generation loop: priority order, budget, filter, journal, stats.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use skillmark::index::rank_of;
use skillmark::Ranker;
use skillmark_model::Precision;

use super::filter::{
    copies_example, mentions_label, skill_rule, text_rules, FilterConfig, Reject, Seen,
};
use super::generate::{Generator, Job, TokenCounts};
use super::journal::{DoneRecord, Journal, Recovered, SentenceRecord};
use super::llm::{Generation, Llm, SamplingParams};
use super::parse::parse_sentences;
use super::priority;
use super::prompt::{
    chat_prefix, chat_prompt, example_sentences, skill_prompt, SkillFacts, PROMPT_VERSION,
};

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
    /// Append-only JSONL output (resumed if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Stop after this many skills in this run.
    #[arg(long)]
    pub max_skills: Option<usize>,
    /// Sentences asked for per skill.
    #[arg(long, default_value_t = 5)]
    pub per_skill: usize,
    /// Stop starting new skills after this many minutes.
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
    #[arg(long, default_value_t = 400)]
    pub max_new_tokens: usize,
    /// Filter: the skill's rank over all ESCO skills must be at most this…
    #[arg(long, default_value_t = 50)]
    pub max_rank: usize,
    /// …and its cosine at least this (unless the sentence names a label).
    #[arg(long, default_value_t = 0.35)]
    pub min_cosine: f32,
    /// Skip the first N skills of the priority order (to split work).
    #[arg(long, default_value_t = 0)]
    pub skip: usize,
    /// Print the prompts of the first skills and exit (no LLM needed).
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

/// Per-skill outcome of the filter.
#[derive(Default)]
struct Verdicts {
    kept: Vec<SentenceRecord>,
    rejected: BTreeMap<String, u32>,
}

/// What the filter needs besides the sentences.
struct Judge<'a> {
    ranker: &'a Ranker,
    cfg: &'a FilterConfig,
    verbose: bool,
}

fn judge(
    j: &Judge,
    candidates: Vec<String>,
    skill: usize,
    facts: &SkillFacts,
    seen: &mut Seen,
    base: &SentenceRecord,
) -> Result<Verdicts> {
    let (ranker, cfg, verbose) = (j.ranker, j.cfg, j.verbose);
    let mut v = Verdicts::default();
    let reject = |r: Reject, text: &str, v: &mut Verdicts| {
        if verbose {
            eprintln!("  [{}] {text}", r.name());
        }
        *v.rejected.entry(r.name().to_string()).or_default() += 1;
    };
    let mut texts = Vec::new();
    let examples = example_sentences();
    for c in candidates {
        match text_rules(&c, cfg) {
            Err(r) => reject(r, &c, &mut v),
            Ok(()) if copies_example(&c, examples.iter().map(String::as_str)) => {
                reject(Reject::CopiedExample, &c, &mut v)
            }
            Ok(()) if seen.contains(&c) || texts.iter().any(|t: &String| filter_key_eq(t, &c)) => {
                reject(Reject::Duplicate, &c, &mut v)
            }
            Ok(()) => texts.push(c),
        }
    }
    if texts.is_empty() {
        return Ok(v);
    }
    let strs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let scores = ranker.score_all(&strs)?;
    let labels: Vec<&str> = std::iter::once(facts.label.as_str())
        .chain(
            ranker.taxonomy.skills[skill]
                .alt_labels
                .iter()
                .map(String::as_str),
        )
        .collect();
    for (text, s) in texts.into_iter().zip(scores) {
        let cosine = s[skill];
        let rank = rank_of(&s, skill);
        let mentioned = mentions_label(&text, labels.iter().copied());
        if skill_rule(mentioned, rank, cosine, cfg) {
            if verbose {
                eprintln!(
                    "  [keep r{rank} c{cosine:.2}{}] {text}",
                    if mentioned { " m" } else { "" }
                );
            }
            seen.insert(&text);
            v.kept.push(SentenceRecord {
                text,
                cosine,
                rank: rank as u32,
                mentions_label: mentioned,
                ..base.clone()
            });
        } else {
            if verbose {
                eprintln!("  (r{rank} c{cosine:.2})");
            }
            reject(Reject::OffSkill, &text, &mut v);
        }
    }
    Ok(v)
}

fn filter_key_eq(a: &str, b: &str) -> bool {
    super::filter::dedup_key(a) == super::filter::dedup_key(b)
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

    let (mut journal, recovered): (Option<Journal>, Recovered) = if args.dry_run {
        (None, Recovered::default())
    } else {
        let (j, r) = Journal::open(&args.out)?;
        (Some(j), r)
    };
    if recovered.dropped_lines > 0 {
        eprintln!(
            "synth: resumed {} after dropping {} broken or unfinished line(s)",
            args.out.display(),
            recovered.dropped_lines
        );
    }
    let done = recovered.done_uris();
    let mut seen = Seen::default();
    for s in &recovered.sentences {
        seen.insert(&s.text);
    }
    let todo: Vec<(usize, f64)> = order
        .into_iter()
        .skip(args.skip)
        .filter(|(s, _)| !done.contains(&taxonomy.skills[*s].uri))
        .take(args.max_skills.unwrap_or(usize::MAX))
        .collect();
    eprintln!(
        "synth: {} skills done before, {} to go in this run",
        done.len(),
        todo.len()
    );

    if args.dry_run {
        for (s, score) in todo.iter().take(args.max_skills.unwrap_or(3)) {
            let facts = SkillFacts::from_taxonomy(taxonomy, *s);
            println!(
                "=== {} (priority {score:.2})\n{}",
                facts.uri,
                chat_prompt(&facts, args.per_skill)
            );
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
    let mut generator = load_generator(&args)?;
    let sampling = SamplingParams {
        temperature: args.temperature,
        top_p: args.top_p,
        repeat_penalty: args.repeat_penalty,
        max_new_tokens: args.max_new_tokens,
        ..SamplingParams::default()
    };
    let filter = FilterConfig {
        max_rank: args.max_rank,
        min_cosine: args.min_cosine,
        ..FilterConfig::default()
    };

    let bar = ProgressBar::new(todo.len() as u64).with_style(
        ProgressStyle::with_template(
            "synth {bar:30} {pos}/{len} skills [{elapsed_precise}<{eta_precise}] {msg}",
        )
        .unwrap(),
    );
    let prefix = chat_prefix();
    let judge_ctx = Judge {
        ranker: &ranker,
        cfg: &filter,
        verbose: args.verbose,
    };
    let started = Instant::now();
    let budget_spent = || {
        args.minutes
            .is_some_and(|m| started.elapsed().as_secs_f64() >= m * 60.0)
    };
    let mut jobs = todo
        .iter()
        .map(|&(skill, _)| {
            let facts = SkillFacts::from_taxonomy(taxonomy, skill);
            Job {
                skill,
                seed: skill_seed(args.seed, &facts.uri),
                prompt: skill_prompt(&facts, args.per_skill),
            }
        })
        .take_while(|_| !budget_spent());
    let mut run_done: Vec<DoneRecord> = Vec::new();
    // Sequences run side by side, so each skill is charged the wall time
    // since the previous one finished: the seconds add up to the run's.
    let mut last_finish = Instant::now();
    let mut on_done = |job: Job, generation: Generation| -> Result<bool> {
        let facts = SkillFacts::from_taxonomy(taxonomy, job.skill);
        if args.verbose {
            bar.suspend(|| {
                eprintln!(
                    "--- {}: {} prompt tokens, {} new tokens in {:.1}s ({})\n{}",
                    facts.label,
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
        let candidates = parse_sentences(&generation.text);
        let generated = candidates.len() as u32;
        let base = SentenceRecord {
            text: String::new(),
            skill_uri: facts.uri.clone(),
            skill_label: facts.label.clone(),
            model: model_name.clone(),
            prompt_version: PROMPT_VERSION.into(),
            seed: job.seed,
            cosine: 0.0,
            rank: 0,
            mentions_label: false,
        };
        let verdicts = judge(&judge_ctx, candidates, job.skill, &facts, &mut seen, &base)?;
        let marker = DoneRecord {
            done: facts.uri.clone(),
            generated,
            kept: verdicts.kept.len() as u32,
            rejected: verdicts.rejected,
            prompt_tokens: generation.prompt_tokens as u32,
            new_tokens: generation.new_tokens as u32,
            seconds: last_finish.elapsed().as_secs_f32(),
            model: model_name.clone(),
            prompt_version: PROMPT_VERSION.into(),
        };
        last_finish = Instant::now();
        journal.append_skill(&verdicts.kept, &marker)?;
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
    let counts: TokenCounts =
        generator.generate_all(&prefix, &mut jobs, &sampling, &mut on_done)?;
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
    });
    eprintln!("synth: this run: {}", serde_json::to_string(&this_run)?);
    eprintln!("synth: throughput: {throughput}");
    if let Some(path) = &args.config_out {
        let all: Vec<DoneRecord> = recovered.done.iter().cloned().chain(run_done).collect();
        let config = serde_json::json!({
            "model": model_name,
            "model_file": args.model.file_name().map(|f| f.to_string_lossy().into_owned()),
            "model_sha256": model_sha256,
            "prompt_version": PROMPT_VERSION,
            "per_skill": args.per_skill,
            "seed": args.seed,
            "sampling": sampling,
            "filter": filter,
            "threads": args.threads,
            "backend": args.backend,
            "parallel": generator.parallel(),
            "filter_encoder": ranker.manifest.version,
            "priority": "ln(1+2*essential+optional) + reuse bonus (transversal 1, cross-sector .75, sector-specific .4) + 1.5*ln(1+SkillSkape-train count)",
            "totals": totals(&all),
            "last_run": this_run,
            "last_run_throughput": throughput,
        });
        std::fs::write(path, serde_json::to_string_pretty(&config)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
