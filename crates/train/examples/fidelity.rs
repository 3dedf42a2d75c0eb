//! Experiment: how close a web bundle's encoder is to the full bundle's.
//! usage: fidelity FULL_DIR WEB_DIR...
use std::path::Path;

use skillmark::gold::parse_gold;
use skillmark::{index::top_k, Ranker};
use skillmark_model::Precision;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let full = Ranker::load_dir(Path::new(&a[1]), Precision::Int8)?;
    let mut texts = Vec::new();
    for g in [
        "../shared/data/benchmark/tech_validation_annotations.csv",
        "../shared/data/benchmark/house_validation_annotations.csv",
        "../shared/data/skillskape/dev.csv",
    ] {
        let gs = parse_gold(&std::fs::read(g)?, g, &full.taxonomy)?;
        texts.extend(gs.sentences.into_iter().map(|s| s.text));
    }
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let fv = full.encoder.embed(&refs)?;
    let fs = full.index.score_all(&fv);
    let ftop: Vec<Vec<u32>> = fs
        .iter()
        .map(|s| top_k(s, 10).iter().map(|h| h.skill).collect())
        .collect();
    for dir in &a[2..] {
        let web = Ranker::load_dir(Path::new(dir), Precision::Int8)?;
        let wv = web.encoder.embed(&refs)?;
        let mut cos: Vec<f32> = fv
            .iter()
            .zip(&wv)
            .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum())
            .collect();
        // Same (full) index for both: the encoder's effect alone.
        let ws = full.index.score_all(&wv);
        let mut overlap = 0.0;
        let mut top1 = 0;
        for (s, ft) in ws.iter().zip(&ftop) {
            let t: Vec<u32> = top_k(s, 10).iter().map(|h| h.skill).collect();
            overlap += t.iter().filter(|x| ft.contains(x)).count() as f64 / 10.0;
            top1 += (t[0] == ft[0]) as usize;
        }
        let n = cos.len() as f32;
        let mean = cos.iter().sum::<f32>() / n;
        cos.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{dir:40} mean cos {mean:.5}  p5 {:.5}  min {:.5}  top10 overlap {:.4}  top1 same {:.4}",
            cos[(n * 0.05) as usize], cos[0], overlap / n as f64, top1 as f32 / n
        );
    }
    Ok(())
}
