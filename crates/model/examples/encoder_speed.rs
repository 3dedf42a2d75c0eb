//! Native encoder speed on the shipped assets, for A/B runs while working on
//! the engine (`skillmark bench` is the benchmark of record):
//! `cargo run --release -p skillmark-model --example encoder_speed -- THREADS [ROUNDS] [ASSETS]`.
//! Prints one line: threads, one 25-token sentence (median ms), batches of 32 (sentences/s).

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use skillmark_model::{Precision, SentenceEncoder};
    use std::time::Instant;
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = args.get(3).map_or("assets", |s| s.as_str());
    let precision = match std::env::var("PRECISION").as_deref() {
        Ok("f32") => Precision::F32,
        Ok("int8-all") => Precision::Int8All,
        _ => Precision::Int8,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .unwrap();
    let enc = SentenceEncoder::load_dir(std::path::Path::new(dir), precision).unwrap();
    let single = "We are looking for an experienced data engineer to build reliable pipelines with Python, SQL and Apache Spark in Berlin.";
    let roles = [
        "software engineer",
        "registered nurse",
        "sales manager",
        "data analyst",
    ];
    let skills = [
        "Python",
        "SQL",
        "customer care",
        "stock control",
        "budgeting",
        "first aid",
        "Excel",
        "payroll",
    ];
    let cities = ["Berlin", "Lyon", "Madrid", "Dublin", "Warsaw"];
    let mut sents = Vec::new();
    'outer: for r in roles {
        for (i, s1) in skills.iter().enumerate() {
            for c in cities {
                let s2 = skills[(i + 3) % skills.len()];
                sents.push(format!(
                    "We are looking for a {r} with experience in {s1} and {s2} to join our team in {c}."
                ));
                if sents.len() == 320 {
                    break 'outer;
                }
            }
        }
    }
    let refs: Vec<&str> = sents.iter().map(|s| s.as_str()).collect();
    let mode = std::env::var("MODE").unwrap_or_default();
    if mode == "dump" {
        // Vectors as raw f32 bytes, to compare builds bit for bit.
        let long = [single; 9].join(" ");
        let mut out = Vec::new();
        let mut push = |vs: Vec<Vec<f32>>| {
            for v in vs {
                out.extend(v.iter().flat_map(|x| x.to_le_bytes()));
            }
        };
        push(enc.embed(&[single]).unwrap());
        push(enc.embed(&[long.as_str(), single]).unwrap());
        for c in refs.chunks(32) {
            push(enc.embed(c).unwrap());
        }
        push(enc.embed(&refs).unwrap());
        for r in refs.iter().take(40) {
            push(enc.embed(&[r]).unwrap());
        }
        std::fs::write(std::env::var("DUMP").unwrap(), out).unwrap();
        return;
    }
    if mode == "single" {
        for _ in 0..rounds * 200 {
            enc.embed(&[single]).unwrap();
        }
        return;
    }
    if mode == "batch" {
        for _ in 0..rounds {
            for c in refs.chunks(32) {
                enc.embed(c).unwrap();
            }
        }
        return;
    }
    for _ in 0..20 {
        enc.embed(&[single]).unwrap();
    }
    let mut best_single = f64::MAX;
    let mut best_batch = 0f64;
    for _ in 0..rounds {
        let mut v = Vec::new();
        for _ in 0..60 {
            let t = Instant::now();
            enc.embed(&[single]).unwrap();
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        v.sort_by(|a, b| a.total_cmp(b));
        best_single = best_single.min(v[v.len() / 2]);
        let t = Instant::now();
        for c in refs.chunks(32) {
            enc.embed(c).unwrap();
        }
        best_batch = best_batch.max(refs.len() as f64 / t.elapsed().as_secs_f64());
    }
    let toks = enc.tokenizer.encode(single).unwrap().ids.len();
    println!(
        "threads {threads} single({toks} tok) {best_single:.2} ms batched {best_batch:.0} sent/s"
    );
}

#[cfg(target_arch = "wasm32")]
fn main() {}
