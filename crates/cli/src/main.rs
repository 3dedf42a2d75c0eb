//! `skillmark`: the offline command-line tool.

mod bench;
mod compare;
mod input;
mod links;
mod occupations;
mod spans;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use skillmark::assets::{Manifest, ENCODER, INDEX, MANIFEST, OCCUPATIONS, TAXONOMY, TOKENIZER};
use skillmark::{build_index, build_occupation_vectors, Engine, RankedText, Ranker, SkillText};
use skillmark_eval::gold::parse_gold;
use skillmark_eval::rank_metrics;
use skillmark_model::sentence::WeightBytes;
use skillmark_model::{Precision, SentenceEncoder};

#[derive(Parser)]
#[command(
    name = "skillmark",
    version,
    about = "Find ESCO skills in job-post text, offline"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct ModelArgs {
    /// Asset bundle (manifest.json, encoder.gguf, tokenizer.json, skills.index, esco.bin).
    #[arg(long, default_value_os_t = default_model_dir())]
    model: PathBuf,
    /// Compute precision: int8 (shipped: int8 layers, attention projections in f32),
    /// int8-all (every layer int8) or f32 (the same weights, f32 math).
    #[arg(long, default_value = "int8")]
    precision: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Rank ESCO skills for each line of input: JSONL out, one object per non-empty line, in input order.
    Rank {
        /// Input file, one sentence a line; `-` or nothing for stdin.
        file: Option<PathBuf>,
        /// Skills per sentence.
        #[arg(long, default_value_t = 10)]
        top_k: usize,
        /// Skip lines that are not valid UTF-8 (with a warning) instead of stopping.
        #[arg(long)]
        skip_invalid: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Evaluate against gold files.
    Eval {
        #[command(subcommand)]
        what: EvalCmd,
    },
    /// Manage the skill index of a bundle.
    Index {
        #[command(subcommand)]
        what: IndexCmd,
    },
    /// Speed benchmarks (not tests): encoder latency and throughput.
    Bench(bench::BenchArgs),
    /// Tag a CoNLL file: writes token<TAB>skill-tag<TAB>knowledge-tag, same tokens, same blank lines.
    Spans {
        #[arg(long)]
        conll: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// ESCO occupations of a document (the whole input) or, with --title, of each line as a job title: JSONL out.
    Occupations {
        /// Input file; `-` or nothing for stdin.
        file: Option<PathBuf>,
        /// Occupations per text.
        #[arg(long, default_value_t = 10)]
        top_k: usize,
        /// Each non-empty line is a job title.
        #[arg(long)]
        title: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Compare a job post with a résumé: skills matched, missing and extra, years, title, degrees, one score.
    Compare {
        /// The job post (text, HTML, PDF or DOCX; `-` for stdin).
        #[arg(long)]
        job: PathBuf,
        /// The résumé (text, HTML, PDF or DOCX).
        #[arg(long)]
        resume: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: compare::Format,
        /// Two different skills match when their vectors' cosine reaches this.
        #[arg(long, default_value_t = 0.8)]
        similar_min: f32,
        /// Do not rank the post's ESCO occupations (no essential/optional marks; faster).
        #[arg(long)]
        no_occupations: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Highlight skills in documents: spans with offsets, type, category, linked ESCO skills, skill list.
    Tag {
        /// Input file (one document; with --lines one per line); `-` or nothing for stdin.
        file: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: spans::Format,
        /// How to read the input: HTML is converted to text first and offsets refer to that text.
        #[arg(long, value_enum, default_value = "auto")]
        input: spans::InputKind,
        /// Each non-empty line is a document.
        #[arg(long)]
        lines: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
}

#[derive(Subcommand)]
enum EvalCmd {
    /// Pairwise accuracy, ROC AUC and gap recall of `compare` on RJDB triples (JSONL: Job-Description, Resume-matched, Resume-unmatched, Filtered-information).
    Compare {
        #[arg(long)]
        rjdb: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write one JSON line per triple (both scores and their parts) to this file.
        #[arg(long)]
        dump: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// MRR and R@1/5/10 of ranking ESCO occupations for job titles (CSV with vacancyTitle,conceptUri).
    Occupations {
        #[arg(long)]
        titles: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Exact-match span P/R/F1 (Skill, Knowledge, combined; micro-averaged) against gold CoNLL files.
    Spans {
        #[arg(long, required = true)]
        gold: Vec<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// RP@5, RP@10 and MRR of linking gold spans (CSV with sentence,span,label; TECH/HOUSE style) per link mode.
    Links {
        #[arg(long, required = true)]
        gold: Vec<PathBuf>,
        /// Link modes to measure: text (the span embedded alone), context (its
        /// token states in the sentence's pass), both (a weighted mix).
        #[arg(long, value_delimiter = ',', default_value = "text,context,both")]
        mode: Vec<String>,
        /// Text weights for `both` (default: the engine's).
        #[arg(long, value_delimiter = ',')]
        text_weight: Vec<f32>,
        /// Mix `both` as scores (w · text score + (1 − w) · context score) instead of vectors.
        #[arg(long)]
        score_mix: bool,
        /// Lexical bonuses to measure (default: 0 and the bundle's).
        #[arg(long, value_delimiter = ',')]
        lexical_bonus: Option<Vec<f32>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Sentence-level skill P/R/F1 of the highlighter (spans, links, implicit skills) over a grid of thresholds.
    Highlight {
        #[arg(long, required = true)]
        gold: Vec<PathBuf>,
        /// Link mode: text, context or both (default: the engine's).
        #[arg(long)]
        link: Option<String>,
        /// Text weight for `--link both` (default: the engine's).
        #[arg(long)]
        text_weight: Option<f32>,
        /// Lexical bonus (default: the bundle's).
        #[arg(long)]
        lexical_bonus: Option<f32>,
        /// Only the tagger's spans: no spans for words that spell an ESCO label.
        #[arg(long)]
        no_lexical_spans: bool,
        /// Print JSON (the whole grid) instead of tables.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// RP@5, RP@10 and MRR of the skill ranking on a gold CSV (sentence,span,sub_span,label / sentence,label / sentence,skills).
    Rank {
        #[arg(long, required = true)]
        gold: Vec<PathBuf>,
        /// Also score with f32 search over the same index and report the difference.
        #[arg(long)]
        compare_f32_search: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Record the results under "metrics" in the bundle's manifest.json.
        #[arg(long)]
        record: bool,
        /// Override the bundle's lexical bonus (score added to skills a sentence names by an ESCO label; 0 = dense only).
        #[arg(long)]
        lexical_bonus: Option<f32>,
        #[command(flatten)]
        model: ModelArgs,
    },
}

#[derive(Subcommand)]
enum IndexCmd {
    /// (Re)build the skill index of a bundle from its encoder and taxonomy, and update its manifest.
    Build {
        /// What text stands for a skill.
        #[arg(long, default_value = "label")]
        skill_text: SkillText,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// (Re)build a bundle's occupation vectors (`occupations.index`: every
    /// ESCO occupation's preferred label embedded), and update its manifest.
    Occupations {
        #[command(flatten)]
        model: ModelArgs,
    },
}

/// `assets/` of the source tree this binary was built from, else `./assets`.
fn default_model_dir() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    if built.join(MANIFEST).is_file() {
        built
    } else {
        PathBuf::from("assets")
    }
}

impl ModelArgs {
    fn setup(&self) -> Result<Precision> {
        let threads = self.threads.unwrap_or(0);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .ok();
        match self.precision.as_str() {
            "int8" => Ok(Precision::Int8),
            "int8-all" => Ok(Precision::Int8All),
            "f32" => Ok(Precision::F32),
            p => bail!("unknown --precision {p} (int8, int8-all, f32)"),
        }
    }

    fn ranker(&self) -> Result<Ranker> {
        let precision = self.setup()?;
        Ranker::load_dir(&self.model, precision)
            .with_context(|| format!("loading the model bundle {}", self.model.display()))
    }

    /// The engine (what `tag` and `rank` run).
    fn engine(&self) -> Result<Engine> {
        let precision = self.setup()?;
        Engine::load_dir_with(&self.model, precision)
            .with_context(|| format!("loading the model bundle {}", self.model.display()))
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("skillmark: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Rank {
            file,
            top_k,
            skip_invalid,
            model,
        } => rank(file, top_k, skip_invalid, &model),
        Cmd::Eval {
            what:
                EvalCmd::Rank {
                    gold,
                    compare_f32_search,
                    json,
                    record,
                    lexical_bonus,
                    model,
                },
        } => eval_rank(
            &gold,
            compare_f32_search,
            json,
            record,
            lexical_bonus,
            &model,
        ),
        Cmd::Eval {
            what:
                EvalCmd::Links {
                    gold,
                    mode,
                    text_weight,
                    score_mix,
                    lexical_bonus,
                    json,
                    model,
                },
        } => links::eval_links(
            &gold,
            &mode,
            &text_weight,
            score_mix,
            lexical_bonus,
            json,
            &model,
        ),
        Cmd::Eval {
            what:
                EvalCmd::Highlight {
                    gold,
                    link,
                    text_weight,
                    lexical_bonus,
                    no_lexical_spans,
                    json,
                    model,
                },
        } => links::eval_highlight(
            &gold,
            link.as_deref(),
            text_weight,
            lexical_bonus,
            !no_lexical_spans,
            json,
            &model,
        ),
        Cmd::Index {
            what: IndexCmd::Build { skill_text, model },
        } => index_build(skill_text, &model),
        Cmd::Index {
            what: IndexCmd::Occupations { model },
        } => index_occupations(&model),
        Cmd::Bench(args) => bench::run(args),
        Cmd::Spans { conll, model } => spans::spans(&conll, &model),
        Cmd::Eval {
            what: EvalCmd::Spans { gold, json, model },
        } => spans::eval_spans(&gold, json, &model),
        Cmd::Tag {
            file,
            format,
            input,
            lines,
            model,
        } => spans::tag(file, format, input, lines, &model),
        Cmd::Compare {
            job,
            resume,
            format,
            similar_min,
            no_occupations,
            model,
        } => compare::compare(
            &job,
            &resume,
            &compare::CompareArgs {
                format,
                similar_min,
                no_occupations,
            },
            &model,
        ),
        Cmd::Eval {
            what:
                EvalCmd::Compare {
                    rjdb,
                    json,
                    dump,
                    model,
                },
        } => compare::eval_compare(&rjdb, json, dump.as_deref(), &model),
        Cmd::Occupations {
            file,
            top_k,
            title,
            model,
        } => occupations::occupations(file, top_k, title, &model),
        Cmd::Eval {
            what:
                EvalCmd::Occupations {
                    titles,
                    json,
                    model,
                },
        } => occupations::eval_occupations(&titles, json, &model),
    }
}

/// Lines per encoder call: big enough to batch well, small enough to stream.
const RANK_CHUNK: usize = 256;

fn rank(file: Option<PathBuf>, top_k: usize, skip_invalid: bool, model: &ModelArgs) -> Result<()> {
    let engine = model.engine()?;
    let reader = input::open(file.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut chunk: Vec<String> = Vec::with_capacity(RANK_CHUNK);
    let flush = |chunk: &mut Vec<String>, out: &mut dyn Write| -> Result<()> {
        let texts: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        for (text, skills) in texts.iter().zip(engine.rank(&texts, top_k)?) {
            let line = RankedText {
                text: text.to_string(),
                skills,
            };
            // Through a JSON value: keys come out sorted, a stable order.
            serde_json::to_writer(&mut *out, &serde_json::to_value(&line)?)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        chunk.clear();
        Ok(())
    };
    for line in input::lines(reader) {
        let line = match line {
            Ok(l) => l,
            Err(e @ input::LineError::Utf8 { .. }) if skip_invalid => {
                eprintln!("skillmark: warning: {e}; skipped");
                continue;
            }
            Err(e) => {
                flush(&mut chunk, &mut out)?;
                return Err(e.into());
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        chunk.push(line);
        if chunk.len() == RANK_CHUNK {
            flush(&mut chunk, &mut out)?;
        }
    }
    flush(&mut chunk, &mut out)
}

fn eval_rank(
    gold_files: &[PathBuf],
    compare: bool,
    json: bool,
    record: bool,
    lexical_bonus: Option<f32>,
    model: &ModelArgs,
) -> Result<()> {
    let ranker = model.ranker()?;
    let bonus = lexical_bonus.unwrap_or(ranker.lexical_bonus);
    let mut results = Vec::new();
    for path in gold_files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let gold = parse_gold(&bytes, &path.display().to_string(), &ranker.taxonomy)?;
        for (label, n) in &gold.unknown_labels {
            eprintln!(
                "skillmark: warning: {}: label {label:?} ({n}×) is not an ESCO preferred label",
                path.display()
            );
        }
        let texts: Vec<&str> = gold.sentences.iter().map(|s| s.text.as_str()).collect();
        let skills: Vec<Vec<usize>> = gold.sentences.iter().map(|s| s.skills.clone()).collect();
        let bar = progress(texts.len() as u64, "embedding");
        let vectors = ranker
            .encoder
            .embed_with_progress(&texts, |d| bar.set_position(d as u64))?;
        bar.finish_and_clear();
        let mut scores = ranker.index.score_all(&vectors);
        ranker.add_lexical_bonus(&texts, &mut scores, bonus);
        let m = rank_metrics(&scores, &skills);
        let f32m = compare.then(|| {
            let mut s = ranker.index.score_all_f32(&vectors);
            ranker.add_lexical_bonus(&texts, &mut s, bonus);
            rank_metrics(&s, &skills)
        });
        results.push((path.display().to_string(), m, f32m));
    }
    if record {
        let path = model.model.join(MANIFEST);
        let mut manifest = Manifest::from_json(&std::fs::read(&path)?)?;
        let metrics = manifest
            .rest
            .entry("metrics")
            .or_insert_with(|| serde_json::json!({}));
        metrics["note"] =
            serde_json::json!("validation sets: used for model selection, not test results");
        for (f, m, _) in &results {
            let name = Path::new(f)
                .file_stem()
                .map_or(f.clone(), |s| s.to_string_lossy().into_owned());
            metrics[name] = serde_json::json!({
                "rp5": (m.rp5 * 100.0).round() / 100.0,
                "rp10": (m.rp10 * 100.0).round() / 100.0,
                "mrr": (m.mrr * 100.0).round() / 100.0,
                "sentences": m.sentences,
                "precision": model.precision,
                "lexical_bonus": bonus,
                "command": format!("skillmark eval rank --gold {f} --precision {}", model.precision),
            });
        }
        std::fs::write(&path, manifest.to_json())?;
        eprintln!("recorded metrics in {}", path.display());
    }
    if json {
        let v: Vec<_> = results
            .iter()
            .map(|(f, m, c)| serde_json::json!({ "gold": f, "metrics": m, "f32_search": c }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("| gold | sentences | RP@5 | RP@10 | MRR |");
    println!("|---|---|---|---|---|");
    for (f, m, c) in &results {
        println!(
            "| {f} | {} | {:.2} | {:.2} | {:.2} |",
            m.sentences, m.rp5, m.rp10, m.mrr
        );
        if let Some(c) = c {
            println!(
                "| {f} (f32 search) | {} | {:.2} | {:.2} | {:.2} |",
                c.sentences, c.rp5, c.rp10, c.mrr
            );
        }
    }
    Ok(())
}

pub(crate) fn progress(len: u64, what: &str) -> ProgressBar {
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} [{{elapsed_precise}}<{{eta_precise}}] {{per_sec}}"
        ))
        .expect("template"),
    )
}

/// A bundle's manifest, encoder (and its bytes) and taxonomy, verified:
/// what building its vector indexes needs.
struct IndexInputs {
    manifest: Manifest,
    encoder_bytes: Vec<u8>,
    encoder: SentenceEncoder,
    taxonomy: esco::Taxonomy,
}

fn index_inputs(model: &ModelArgs) -> Result<IndexInputs> {
    let precision = model.setup()?;
    let dir = &model.model;
    let read = |n: &str| {
        std::fs::read(dir.join(n)).with_context(|| format!("reading {}", dir.join(n).display()))
    };
    let manifest = Manifest::from_json(&read(MANIFEST)?)?;
    let (encoder_bytes, tok, tax) = (read(ENCODER)?, read(TOKENIZER)?, read(TAXONOMY)?);
    manifest.verify(ENCODER, &encoder_bytes)?;
    manifest.verify(TOKENIZER, &tok)?;
    manifest.verify(TAXONOMY, &tax)?;
    let encoder = SentenceEncoder::from_bytes(&tok, WeightBytes::Gguf(&encoder_bytes), precision)?;
    Ok(IndexInputs {
        manifest,
        encoder_bytes,
        encoder,
        taxonomy: esco::Taxonomy::from_bytes(&tax)?,
    })
}

/// Writes `bytes` as bundle file `name` and the manifest that lists it.
fn write_bundle_file(dir: &Path, manifest: &Manifest, name: &str, bytes: &[u8]) -> Result<()> {
    std::fs::write(dir.join(name), bytes)
        .with_context(|| format!("writing {}", dir.join(name).display()))?;
    std::fs::write(dir.join(MANIFEST), manifest.to_json())?;
    eprintln!(
        "wrote {} ({:.1} MB)",
        dir.join(name).display(),
        bytes.len() as f64 / 1e6
    );
    Ok(())
}

fn index_build(st: SkillText, model: &ModelArgs) -> Result<()> {
    let IndexInputs {
        mut manifest,
        encoder_bytes,
        encoder,
        taxonomy,
    } = index_inputs(model)?;
    let bar = progress(0, "embedding skills");
    let index = build_index(&encoder, &taxonomy, st, &encoder_bytes, |d, t| {
        bar.set_length(t as u64);
        bar.set_position(d as u64);
    })?;
    bar.finish();
    let bytes = index.to_bytes();
    manifest.set_file(
        INDEX,
        &bytes,
        "skill index: int8 skill vectors, one scale per row",
    );
    manifest
        .rest
        .insert("index".into(), index.manifest_entry(taxonomy.skills.len()));
    manifest.rest.remove("metrics");
    write_bundle_file(&model.model, &manifest, INDEX, &bytes)
}

fn index_occupations(model: &ModelArgs) -> Result<()> {
    let IndexInputs {
        mut manifest,
        encoder_bytes,
        encoder,
        taxonomy,
    } = index_inputs(model)?;
    if taxonomy.occupations.is_empty() {
        bail!("this bundle's taxonomy has no occupations (a web bundle exported with --no-occupations)");
    }
    let bar = progress(taxonomy.occupations.len() as u64, "embedding occupations");
    let index = build_occupation_vectors(&encoder, &taxonomy, &encoder_bytes, |d| {
        bar.set_position(d as u64)
    })?;
    bar.finish();
    let bytes = index.to_bytes();
    manifest.set_file(
        OCCUPATIONS,
        &bytes,
        "occupation vectors: every ESCO occupation's preferred label, int8, one scale per row",
    );
    write_bundle_file(&model.model, &manifest, OCCUPATIONS, &bytes)
}
