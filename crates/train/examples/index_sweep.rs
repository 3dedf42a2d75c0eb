//! Experiment: ranking accuracy of compact skill-index forms (not shipped).
//! usage: index_sweep WEB_BUNDLE_DIR FULL_INDEX VARIANT...
use std::path::Path;
use std::time::Instant;

use skillmark::{Ranker, SkillIndex, SkillText};
use skillmark_eval::gold::parse_gold;
use skillmark_eval::rank_metrics;
use skillmark_model::Precision;

struct Set {
    name: String,
    texts: Vec<String>,
    gold: Vec<Vec<usize>>,
    vectors: Vec<Vec<f32>>,
}

fn standardize(v: &[f32], dim: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let rows = v.len() / dim;
    let mut c = vec![0f64; dim];
    for r in v.chunks_exact(dim) {
        for (a, &x) in c.iter_mut().zip(r) {
            *a += x as f64;
        }
    }
    let c: Vec<f32> = c.iter().map(|x| (*x / rows as f64) as f32).collect();
    let mut s = vec![0f64; dim];
    for r in v.chunks_exact(dim) {
        for ((a, &x), m) in s.iter_mut().zip(r).zip(&c) {
            *a += ((x - m) * (x - m)) as f64;
        }
    }
    let s: Vec<f32> = s
        .iter()
        .map(|x| ((*x / rows as f64).sqrt() as f32).max(1e-6))
        .collect();
    let mut u = v.to_vec();
    for r in u.chunks_exact_mut(dim) {
        for ((x, m), sd) in r.iter_mut().zip(&c).zip(&s) {
            *x = (*x - m) / sd;
        }
    }
    (u, c, s)
}

fn destandardize(u: &mut [f32], c: &[f32], s: &[f32]) {
    let dim = c.len();
    for r in u.chunks_exact_mut(dim) {
        for ((x, m), sd) in r.iter_mut().zip(c).zip(s) {
            *x = *x * sd + m;
        }
    }
}

fn scalar(u: &mut [f32], dim: usize, bits: u32) {
    let qmax = ((1 << (bits - 1)) - 1) as f32;
    for r in u.chunks_exact_mut(dim) {
        let amax = r.iter().fold(0f32, |m, &x| m.max(x.abs()));
        let sc = amax / qmax;
        for x in r.iter_mut() {
            *x = if sc > 0.0 {
                (*x / sc).round().clamp(-qmax, qmax) * sc
            } else {
                0.0
            };
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let web = Ranker::load_dir(Path::new(&args[1]), Precision::Int8)?;
    let full = SkillIndex::from_bytes(&std::fs::read(&args[2])?)?;
    let dim = full.dim;
    let golds = [
        "../shared/data/benchmark/tech_validation_annotations.csv",
        "../shared/data/benchmark/house_validation_annotations.csv",
        "../shared/data/skillskape/dev.csv",
    ];
    let mut sets = Vec::new();
    for g in golds {
        let gs = parse_gold(&std::fs::read(g)?, g, &web.taxonomy)?;
        let texts: Vec<String> = gs.sentences.iter().map(|s| s.text.clone()).collect();
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        let vectors = web.encoder.embed(&refs)?;
        sets.push(Set {
            name: Path::new(g).file_stem().unwrap().to_string_lossy().into(),
            gold: gs.sentences.iter().map(|s| s.skills.clone()).collect(),
            texts,
            vectors,
        });
    }
    let eval = |name: &str, idx: &SkillIndex| {
        let mut line = format!("{name:40}");
        let mut mean = 0.0;
        for s in &sets {
            let mut sc = idx.score_all(&s.vectors);
            let refs: Vec<&str> = s.texts.iter().map(|t| t.as_str()).collect();
            web.add_lexical_bonus(&refs, &mut sc, web.lexical_bonus);
            let m = rank_metrics(&sc, &s.gold);
            line += &format!(" | {:5.2} {:5.2} {:5.2}", m.rp5, m.rp10, m.mrr);
            if s.name != "dev" {
                mean += (m.rp5 + m.rp10 + m.mrr) / 6.0;
            }
        }
        println!("{line} | tech+house mean {mean:.2}");
    };
    println!(
        "{:40} | TECH rp5 rp10 mrr | HOUSE | SkillSkape dev",
        "variant"
    );
    let all = full.vectors();
    let row_skill = full.row_skills().to_vec();
    let build = |v: &[f32], rs: &[u32]| {
        let vecs: Vec<Vec<f32>> = v.chunks_exact(dim).map(|r| r.to_vec()).collect();
        SkillIndex::from_vectors(
            &vecs,
            rs.to_vec(),
            SkillText::LabelAndDescriptionRows,
            String::new(),
        )
    };
    for variant in &args[3..] {
        let t = Instant::now();
        // rows: all | label | desc | mean
        let (parts, method): (Vec<&str>, &str) = {
            let p: Vec<&str> = variant.split(':').collect();
            (p.clone(), p[0])
        };
        let rows_sel = parts.get(1).copied().unwrap_or("all");
        let (mut v, rs): (Vec<f32>, Vec<u32>) = match rows_sel {
            "all" => (all.clone(), row_skill.clone()),
            "label" | "desc" => {
                let mut v = Vec::new();
                let mut rs = Vec::new();
                let mut last = u32::MAX;
                for (r, &s) in row_skill.iter().enumerate() {
                    let first = s != last;
                    last = s;
                    if first == (rows_sel == "label") {
                        v.extend_from_slice(&all[r * dim..(r + 1) * dim]);
                        rs.push(s);
                    }
                }
                (v, rs)
            }
            m if m.starts_with("mean") => {
                let w: f32 = m[4..].parse().unwrap_or(0.5);
                let mut v = Vec::new();
                let mut rs: Vec<u32> = Vec::new();
                for (r, &s) in row_skill.iter().enumerate() {
                    if rs.last() == Some(&s) {
                        let at = v.len() - dim;
                        for (a, b) in v[at..].iter_mut().zip(&all[r * dim..(r + 1) * dim]) {
                            *a += b * (1.0 - w);
                        }
                    } else {
                        v.extend(all[r * dim..(r + 1) * dim].iter().map(|x| x * w));
                        rs.push(s);
                    }
                }
                for r in v.chunks_exact_mut(dim) {
                    let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
                    r.iter_mut().for_each(|x| *x /= n);
                }
                (v, rs)
            }
            o => panic!("rows {o}"),
        };
        match method {
            "int8" => {}
            "sq4" | "sq3" | "sq2" | "sq5" => {
                let bits = method[2..].parse().unwrap();
                let (mut u, c, s) = standardize(&v, dim);
                scalar(&mut u, dim, bits);
                destandardize(&mut u, &c, &s);
                v = u;
            }
            m if m.starts_with("ec") => {
                let a: f32 = m[2..].parse().unwrap();
                let (mut u, c, s) = standardize(&v, dim);
                let mut hist = std::collections::HashMap::new();
                for r in u.chunks_exact_mut(dim) {
                    let rms = (r.iter().map(|x| x * x).sum::<f32>() / dim as f32).sqrt();
                    let st = a * rms;
                    for x in r.iter_mut() {
                        let q = (*x / st).round().clamp(-127.0, 127.0);
                        *hist.entry(q as i32).or_insert(0usize) += 1;
                        *x = q * st;
                    }
                }
                let n: usize = hist.values().sum();
                let h: f64 = hist
                    .values()
                    .map(|&c| {
                        let p = c as f64 / n as f64;
                        -p * p.log2()
                    })
                    .sum();
                eprintln!(
                    "{variant}: entropy {h:.3} bits → {:.2} MB",
                    h * n as f64 / 8e6
                );
                destandardize(&mut u, &c, &s);
                v = u;
            }
            o => panic!("method {o}"),
        }
        let idx = build(&v, &rs);
        eval(
            &format!(
                "{variant} ({} rows, {:.0}s)",
                rs.len(),
                t.elapsed().as_secs_f32()
            ),
            &idx,
        );
    }
    eval("web bundle index", &web.index);
    Ok(())
}
