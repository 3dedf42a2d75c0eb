//! Silver span data: job-ad sentences that have no span labels (SkillSkape
//! train) tagged by a bundle's tagger and written as CoNLL, for
//! `skillmark-train spans --extra-train` (self-training).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use skillmark::bio::decode;
use skillmark::tagger::Tagger;
use skillmark::Highlighter;
use skillmark_eval::conll::Conll;
use skillmark_eval::ensemble::{
    decode_words, mean_word_probabilities, sentence_word_probabilities,
};
use skillmark_model::Precision;

/// Characters split off the ends of a whitespace-separated word, as SkillSpan
/// tokenizes ("skills ," but "We're", "e-commerce", "C++" whole).
const EDGE_PUNCTUATION: &str = ".,;:!?()[]\"“”'";

/// SkillSpan-style tokens of a sentence.
pub fn words(sentence: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for w in sentence.split_whitespace() {
        let core = w.trim_start_matches(|c| EDGE_PUNCTUATION.contains(c));
        let lead = &w[..w.len() - core.len()];
        let word = core.trim_end_matches(|c| EDGE_PUNCTUATION.contains(c));
        let trail = &core[word.len()..];
        out.extend(lead.char_indices().map(|(i, c)| &lead[i..i + c.len_utf8()]));
        if !word.is_empty() {
            out.push(word);
        }
        out.extend(
            trail
                .char_indices()
                .map(|(i, c)| &trail[i..i + c.len_utf8()]),
        );
    }
    out
}

/// The `sentence` column of a CSV (SkillSkape: `,sentence,skills`).
fn sentences(csv_bytes: &[u8]) -> Result<Vec<String>> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    let col = r
        .headers()?
        .iter()
        .position(|h| h == "sentence")
        .context("the CSV has no `sentence` column")?;
    let mut out = Vec::new();
    for rec in r.records() {
        if let Some(s) = rec?.get(col) {
            if !s.trim().is_empty() {
                out.push(s.to_string());
            }
        }
    }
    Ok(out)
}

/// `skillmark-train data silver-spans`: [`write_silver_conll`], then a
/// report of what it wrote.
pub fn run(
    csv: &Path,
    model: &Path,
    also_taggers: &[PathBuf],
    n: usize,
    seed: u64,
    out: &Path,
) -> Result<()> {
    let (n, skill, knowledge) = write_silver_conll(csv, model, also_taggers, n, seed, out)?;
    eprintln!(
        "wrote {n} sentences to {}: {skill} skill and {knowledge} knowledge spans",
        out.display()
    );
    Ok(())
}

/// `n` sentences of `csv` (all with 0; a seeded shuffle picks them), tagged
/// by the bundle `model`, as CoNLL in `out`. With `also_taggers` (more
/// `tagger.gguf` files of the same encoder), the word probabilities of all
/// the taggers are averaged and decoded as the bundle's tagger decodes.
/// Returns (sentences, skill spans, knowledge spans) written.
pub fn write_silver_conll(
    csv: &Path,
    model: &Path,
    also_taggers: &[PathBuf],
    n: usize,
    seed: u64,
    out: &Path,
) -> Result<(usize, usize, usize)> {
    let bytes = std::fs::read(csv).with_context(|| format!("reading {}", csv.display()))?;
    let mut all = sentences(&bytes).with_context(|| csv.display().to_string())?;
    all.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    if n > 0 {
        all.truncate(n);
    }
    let mut text = String::new();
    for s in &all {
        for w in words(s) {
            text.push_str(w);
            text.push('\n');
        }
        text.push('\n');
    }
    let conll = Conll::parse(&text, false)?;
    let hl = Highlighter::load_dir(model, Precision::F32)
        .with_context(|| format!("loading {}", model.display()))?;
    let Some(own) = &hl.tagger else {
        bail!("{} has no tagger.gguf to tag with", model.display());
    };
    let enc = &hl.ranker.encoder;
    let sents = conll.all_tokens();
    // One tagger or several: the mean of their word probabilities (of one,
    // its own), decoded as the bundle's tagger decodes.
    let bar = crate::spans::bar(1 + also_taggers.len() as u64, "taggers");
    let mut each = vec![sentence_word_probabilities(
        own,
        &enc.encoder,
        &enc.tokenizer,
        &sents,
    )?];
    bar.inc(1);
    for p in also_taggers {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let t =
            Tagger::from_gguf(&bytes, Precision::F32).with_context(|| p.display().to_string())?;
        if t.encoder_sha256 != own.encoder_sha256 {
            bail!(
                "{} belongs to another encoder than {}",
                p.display(),
                model.display()
            );
        }
        each.push(sentence_word_probabilities(
            &t,
            &enc.encoder,
            &enc.tokenizer,
            &sents,
        )?);
        bar.inc(1);
    }
    let tags: Vec<_> = mean_word_probabilities(&each)
        .iter()
        .map(|w| decode_words(w, [0.0, 0.0], own.transitions()))
        .collect();
    bar.finish_and_clear();
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    );
    conll.write(&tags, &mut w)?;
    w.flush()?;
    let skill = tags.iter().map(|t| decode(&t.0).len()).sum();
    let knowledge = tags.iter().map(|t| decode(&t.1).len()).sum();
    Ok((sents.len(), skill, knowledge))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_edge_punctuation_as_skillspan_does() {
        assert_eq!(
            words("We're hiring (remote), e-commerce & C++ skills: \"SQL\"  ok."),
            [
                "We're",
                "hiring",
                "(",
                "remote",
                ")",
                ",",
                "e-commerce",
                "&",
                "C++",
                "skills",
                ":",
                "\"",
                "SQL",
                "\"",
                "ok",
                "."
            ]
        );
        assert_eq!(words("  "), Vec::<&str>::new());
        assert_eq!(words("(.)"), ["(", ".", ")"]);
    }

    #[test]
    fn reads_the_sentence_column_and_skips_empty_ones() {
        let csv = b",sentence,skills\n0,\"Lead a team, well.\",\"['manage a team']\"\n1,  ,[]\n";
        assert_eq!(sentences(csv).unwrap(), ["Lead a team, well."]);
        assert!(sentences(b"a,b\n1,2\n").is_err());
    }

    #[test]
    fn silver_conll_holds_the_sentences_words_and_the_shipped_tagger_spans() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("s.csv");
        let texts = [
            "You will lead a small team and write Python code.",
            "Strong communication skills (written, verbal) are a must.",
            "Experience with SQL databases and Kubernetes.",
        ];
        let mut body = String::from(",sentence,skills\n");
        for (i, t) in texts.iter().enumerate() {
            body.push_str(&format!("{i},\"{t}\",[]\n"));
        }
        std::fs::write(&csv, body).unwrap();
        let out = dir.path().join("silver/x.conll");
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let (n, skill, knowledge) = write_silver_conll(&csv, &assets, &[], 2, 1, &out).unwrap();
        assert_eq!(n, 2);
        let c = Conll::parse(&std::fs::read_to_string(&out).unwrap(), true).unwrap();
        let mut got = c.all_tokens();
        got.sort();
        let mut expected: Vec<Vec<&str>> = texts.iter().map(|t| words(t)).collect();
        expected.sort();
        assert!(got.iter().all(|s| expected.contains(s)), "{got:?}");
        let tags = c.all_tags();
        let count = |l: usize| -> usize {
            tags.iter()
                .map(|t| decode(if l == 0 { &t.0 } else { &t.1 }).len())
                .sum()
        };
        assert_eq!((count(0), count(1)), (skill, knowledge));
        assert!(skill + knowledge > 0, "the shipped tagger found nothing");
        // The same seed picks and tags the same sentences.
        let again = dir.path().join("again.conll");
        write_silver_conll(&csv, &assets, &[], 2, 1, &again).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    }
}
