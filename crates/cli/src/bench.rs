//! `skillmark bench`: encoder speed on this machine (a benchmark, not a test).
//! Workloads mirror `scripts/bench-onnx.py` so the two can be compared side by side.

use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::ModelArgs;
use skillmark::Ranker;

#[derive(Args)]
pub struct BenchArgs {
    /// Timed single-sentence runs.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Sentences in the batched run.
    #[arg(long, default_value_t = 320)]
    batch_sentences: usize,
    /// ESCO preferred labels embedded in the label run.
    #[arg(long, default_value_t = 2000)]
    labels: usize,
    /// Write the results as JSON here too.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
}

const SINGLE: &str = "We are looking for an experienced data engineer to build reliable pipelines with Python, SQL and Apache Spark in Berlin.";

/// Deterministic job-ad sentences of 20–25 tokens.
fn job_ad_sentences(ranker: &Ranker, n: usize) -> Vec<String> {
    let roles = [
        "software engineer",
        "registered nurse",
        "warehouse operative",
        "sales manager",
        "data analyst",
        "electrician",
        "accountant",
        "chef",
        "teacher",
        "project manager",
    ];
    let skills = [
        "Python",
        "SQL",
        "customer care",
        "stock control",
        "budgeting",
        "first aid",
        "Excel",
        "team leadership",
        "food safety",
        "AutoCAD",
        "negotiation",
        "Java",
        "payroll",
        "German",
        "Kubernetes",
    ];
    let teams = [
        "operations",
        "finance",
        "engineering",
        "logistics",
        "kitchen",
        "sales",
        "support",
        "design",
    ];
    let cities = [
        "Berlin", "Lyon", "Madrid", "Dublin", "Warsaw", "Milan", "Ghent", "Porto",
    ];
    let mut seed = 7u64;
    let mut next = |m: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % m
    };
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut tries = 0;
    while out.len() < n && tries < 200_000 {
        tries += 1;
        let (r, s1, s2, t, c, y) = (
            roles[next(roles.len())],
            skills[next(skills.len())],
            skills[next(skills.len())],
            teams[next(teams.len())],
            cities[next(cities.len())],
            2 + next(8),
        );
        let s = match next(5) {
            0 => format!("We are looking for a {r} with {y} years of experience in {s1} and {s2} to join our {t} team in {c}."),
            1 => format!("As our new {r} you will be responsible for {s1}, {s2} and daily reporting to the {t} lead."),
            2 => format!("The ideal candidate has strong {s1} skills, knows {s2} well and enjoys working in a small {t} team."),
            3 => format!("You will support the {t} department with {s1} and {s2}; experience as a {r} is an advantage."),
            _ => format!("Join our {t} team in {c} as a {r}: good knowledge of {s1} and {s2} is required."),
        };
        let k = ranker
            .encoder
            .tokenizer
            .encode(&s)
            .map(|e| e.ids.len())
            .unwrap_or(0);
        if s1 != s2 && (20..=25).contains(&k) && seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub fn run(args: BenchArgs) -> Result<()> {
    let ranker = args.model.ranker()?;
    let enc = &ranker.encoder;
    let threads = rayon::current_num_threads();
    let tokens = enc.tokenizer.encode(SINGLE)?.ids.len();

    for _ in 0..20 {
        enc.embed(&[SINGLE])?;
    }
    let mut single = Vec::with_capacity(args.runs);
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        enc.embed(&[SINGLE])?;
        single.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let single_ms = median(single);

    let sents = job_ad_sentences(&ranker, args.batch_sentences);
    let refs: Vec<&str> = sents.iter().map(|s| s.as_str()).collect();
    enc.embed(&refs[..refs.len().min(32)])?;
    let mut batched = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        for chunk in refs.chunks(32) {
            enc.embed(chunk)?;
        }
        batched.push(refs.len() as f64 / t.elapsed().as_secs_f64());
    }
    let batched_sps = median(batched);

    let labels: Vec<&str> = ranker
        .taxonomy
        .skills
        .iter()
        .take(args.labels)
        .map(|s| s.preferred_label.as_str())
        .collect();
    let t = Instant::now();
    enc.embed(&labels)?;
    let labels_ps = labels.len() as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let scores = ranker
        .index
        .score_all(&enc.embed(&refs[..32.min(refs.len())])?);
    let search_ms = t.elapsed().as_secs_f64() * 1e3 / scores.len().max(1) as f64;

    let result = serde_json::json!({
        "model": args.model.model.display().to_string(),
        "precision": args.model.precision,
        "kernel": enc.encoder.kernel().name(),
        "threads": threads,
        "single_sentence_tokens": tokens,
        "single_sentence_ms_median": single_ms,
        "batched_sentences_per_s": batched_sps,
        "batched_sentences": refs.len(),
        "labels_per_s": labels_ps,
        "labels": labels.len(),
        "embed_and_search_ms_per_sentence_batch32": search_ms,
    });
    println!("| precision | kernel | threads | one sentence ({tokens} tok), ms | batched, sent/s | ESCO labels/s | embed+search, ms/sentence |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {threads} | {single_ms:.2} | {batched_sps:.0} | {labels_ps:.0} | {search_ms:.2} |",
        args.model.precision,
        enc.encoder.kernel().name()
    );
    if let Some(p) = args.json {
        std::fs::write(p, serde_json::to_string_pretty(&result)?)?;
    }
    Ok(())
}
