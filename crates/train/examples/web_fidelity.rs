//! How close web bundles are to the full bundle they came from (a measurement,
//! not a test): sentence vectors, rankings and tagger spans.
//!
//! usage (from the repository root, `../shared/data` beside it):
//!   cargo run --release -p skillmark-train --example web_fidelity -- assets DIR...
//!
//! Per web bundle: cosine of its sentence vectors to the full encoder's (TECH
//! and HOUSE validation + SkillSkape dev sentences), how many of the full
//! ranking's top 10 it keeps when both search the full index (the encoder
//! alone), and the agreement F1 of its tagger's spans with the full tagger's
//! on SkillSpan dev (house + tech; 100 = the same spans).
use std::path::Path;

use skillmark::index::top_k;
use skillmark::Highlighter;
use skillmark_eval::conll::Conll;
use skillmark_eval::gold::parse_gold;
use skillmark_eval::spans::score_sentences;
use skillmark_model::Precision;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((full_dir, webs)) = args.split_first() else {
        anyhow::bail!("usage: web_fidelity FULL_DIR WEB_DIR...");
    };
    let full = Highlighter::load_dir(Path::new(full_dir), Precision::Int8)?;
    let mut texts = Vec::new();
    for g in [
        "../shared/data/benchmark/tech_validation_annotations.csv",
        "../shared/data/benchmark/house_validation_annotations.csv",
        "../shared/data/skillskape/dev.csv",
    ] {
        let gold = parse_gold(&std::fs::read(g)?, g, &full.ranker.taxonomy)?;
        texts.extend(gold.sentences.into_iter().map(|s| s.text));
    }
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let fv = full.ranker.encoder.embed(&refs)?;
    let top = |v: &[Vec<f32>]| -> Vec<Vec<u32>> {
        full.ranker
            .index
            .score_all(v)
            .iter()
            .map(|s| top_k(s, 10).iter().map(|h| h.skill).collect())
            .collect()
    };
    let ftop = top(&fv);
    let mut conll = Vec::new();
    for f in ["house", "tech"] {
        let text =
            std::fs::read_to_string(format!("../shared/data/skillspan/skillspan_{f}_dev.conll"))?;
        conll.push(Conll::parse(&text, true)?);
    }
    let words: Vec<Vec<&str>> = conll.iter().flat_map(|c| c.all_tokens()).collect();
    let ftags = full.tag_words(&words)?;
    for dir in webs {
        let web = Highlighter::load_dir(Path::new(dir), Precision::Int8)?;
        let wv = web.ranker.encoder.embed(&refs)?;
        let mut cos: Vec<f32> = fv
            .iter()
            .zip(&wv)
            .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum())
            .collect();
        let wtop = top(&wv);
        let kept: usize = wtop
            .iter()
            .zip(&ftop)
            .map(|(w, f)| w.iter().filter(|s| f.contains(s)).count())
            .sum();
        let same1 = wtop.iter().zip(&ftop).filter(|(w, f)| w[0] == f[0]).count();
        let n = cos.len();
        let mean = cos.iter().sum::<f32>() / n as f32;
        cos.sort_by(|a, b| a.total_cmp(b));
        let agree = score_sentences(ftags.iter(), &web.tag_words(&words)?).combined;
        println!(
            "{dir}: cosine mean {mean:.4}, 5th percentile {:.4}, min {:.4} ({n} sentences); \
             full top 10 kept {:.3}, same top 1 {:.3}; span agreement F1 {:.2} ({} sentences)",
            cos[n / 20],
            cos[0],
            kept as f64 / (10 * n) as f64,
            same1 as f64 / n as f64,
            agree.f1,
            words.len()
        );
    }
    Ok(())
}
