//! Would averaging two or more taggers' probabilities tag better than one?
//! (a measurement, not a test). Each tagger reads SkillSpan dev (house +
//! tech) as the runtime does (its own context, int8 engine); the word
//! probabilities are averaged and decoded with the first tagger's
//! transition priors, and with each O offset of a small grid.
//!
//! usage (from the repository root, `../shared/data` beside it):
//!   cargo run --release -p skillmark-train --example tagger_ensemble -- assets TAGGER.gguf...
use std::path::Path;

use skillmark::bio::Bio;
use skillmark::tagger::Tagger;
use skillmark::tags::BioTransitions;
use skillmark::Highlighter;
use skillmark_eval::conll::Conll;
use skillmark_eval::ensemble::{
    decode_words, mean_word_probabilities, sentence_word_probabilities,
};
use skillmark_eval::spans::score_sentences;
use skillmark_model::Precision;

fn decode(
    words: &[Vec<[f32; 6]>],
    o_offsets: [f32; 2],
    t: &[BioTransitions; 2],
) -> Vec<(Vec<Bio>, Vec<Bio>)> {
    words
        .iter()
        .map(|w| decode_words(w, o_offsets, t))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((dir, files)) = args.split_first() else {
        anyhow::bail!("usage: tagger_ensemble BUNDLE_DIR TAGGER.gguf...");
    };
    let hl = Highlighter::load_dir(Path::new(dir), Precision::Int8)?;
    let enc = &hl.ranker.encoder;
    let mut conll = Vec::new();
    for f in ["house", "tech"] {
        let text =
            std::fs::read_to_string(format!("../shared/data/skillspan/skillspan_{f}_dev.conll"))?;
        conll.push(Conll::parse(&text, true)?);
    }
    let gold: Vec<(Vec<Bio>, Vec<Bio>)> = conll.iter().flat_map(|c| c.all_tags()).collect();
    let mut taggers = Vec::new();
    let mut probs: Vec<Vec<Vec<[f32; 6]>>> = Vec::new();
    for f in files {
        let t = Tagger::from_gguf(&std::fs::read(f)?, Precision::Int8)?;
        let mut words = Vec::new();
        for c in &conll {
            words.extend(sentence_word_probabilities(
                &t,
                &enc.encoder,
                &enc.tokenizer,
                &c.all_tokens(),
            )?);
        }
        let preds = decode(&words, [0.0, 0.0], t.transitions());
        let s = score_sentences(gold.iter(), &preds);
        println!(
            "{f} (context {}): skill {:.2} knowledge {:.2} combined {:.2}",
            t.context, s.skill.f1, s.knowledge.f1, s.combined.f1
        );
        taggers.push(t);
        probs.push(words);
    }
    let mean = mean_word_probabilities(&probs);
    let tr = taggers[0].transitions();
    for (ds, dk) in [
        (0.0f32, 0.0f32),
        (-0.25, 0.0),
        (0.0, -0.25),
        (-0.25, -0.25),
        (0.25, 0.25),
    ] {
        let preds = decode(&mean, [ds, dk], tr);
        let s = score_sentences(gold.iter(), &preds);
        println!(
            "mean of {} taggers, O offsets {ds:+.2} / {dk:+.2}: skill {:.2} knowledge {:.2} combined {:.2}",
            probs.len(),
            s.skill.f1,
            s.knowledge.f1,
            s.combined.f1
        );
    }
    Ok(())
}
