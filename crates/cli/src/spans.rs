//! `skillmark spans`, `skillmark eval spans` and `skillmark tag`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use skillmark::bio::Bio;
use skillmark::html::{escape, html_to_text, looks_like_html};
use skillmark::{Highlighter, Highlights, SpanKind, TaggedText};
use skillmark_eval::conll::Conll;
use skillmark_eval::spans::{score_sentences, SpanScores};

use crate::ModelArgs;

/// The pipeline's parts, for the measuring commands (`spans`, `eval …`).
pub(crate) fn highlighter(model: &ModelArgs) -> Result<Highlighter> {
    let precision = model.setup()?;
    Highlighter::load_dir(&model.model, precision)
        .with_context(|| format!("loading the model bundle {}", model.model.display()))
}

fn read_conll(path: &Path, require_tags: bool) -> Result<Conll> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text =
        String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    Conll::parse(&text, require_tags).with_context(|| path.display().to_string())
}

/// Tags every sentence of a CoNLL file, with a progress bar.
fn tag_conll(hl: &Highlighter, c: &Conll) -> Result<Vec<(Vec<Bio>, Vec<Bio>)>> {
    let sentences = c.all_tokens();
    let bar = crate::progress(sentences.len() as u64, "tagging");
    let out = hl.tag_words_with_progress(&sentences, |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    Ok(out)
}

pub fn spans(conll: &Path, model: &ModelArgs) -> Result<()> {
    let hl = highlighter(model)?;
    if hl.tagger.is_none() {
        eprintln!(
            "skillmark: warning: the bundle has no tagger.gguf; using exact ESCO label matches"
        );
    }
    let c = read_conll(conll, false)?;
    let tags = tag_conll(&hl, &c)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    c.write(&tags, &mut out)?;
    out.flush()?;
    Ok(())
}

pub fn eval_spans(gold: &[PathBuf], json: bool, model: &ModelArgs) -> Result<()> {
    let hl = highlighter(model)?;
    let mut results: Vec<(String, SpanScores)> = Vec::new();
    let (mut all_gold, mut all_pred) = (Vec::new(), Vec::new());
    for path in gold {
        let c = read_conll(path, true)?;
        let pred = tag_conll(&hl, &c)?;
        let golds = c.all_tags();
        results.push((path.display().to_string(), score_sentences(&golds, &pred)));
        all_gold.extend(golds);
        all_pred.extend(pred);
    }
    // Several files: also every sentence of them pooled (micro-averaged).
    if results.len() > 1 {
        results.push(("all".into(), score_sentences(&all_gold, &all_pred)));
    }
    if json {
        let v: Vec<_> = results
            .iter()
            .map(|(f, s)| serde_json::json!({ "gold": f, "scores": s }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("| gold | sentences | type | P | R | F1 |");
    println!("|---|---|---|---|---|---|");
    for (f, s) in &results {
        for (name, p) in [
            ("skill", s.skill),
            ("knowledge", s.knowledge),
            ("combined", s.combined),
        ] {
            println!(
                "| {f} | {} | {name} | {:.2} | {:.2} | {:.2} |",
                s.sentences, p.precision, p.recall, p.f1
            );
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Html,
    Text,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKind {
    /// HTML when the input looks like HTML, else text.
    Auto,
    Text,
    Html,
}

pub fn tag(
    file: Option<PathBuf>,
    format: Format,
    input: InputKind,
    lines: bool,
    model: &ModelArgs,
) -> Result<()> {
    let engine = model.engine()?;
    let raw = crate::input::read_text(file.as_deref())?;
    let docs: Vec<&str> = if lines {
        raw.lines().filter(|l| !l.trim().is_empty()).collect()
    } else {
        vec![raw.as_str()]
    };
    let opts = engine.default_options();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if format == Format::Html {
        writeln!(out, "<!doctype html>\n<meta charset=\"utf-8\">\n<title>skillmark</title>\n<style>mark.skill{{background:#ffe08a}}mark.knowledge{{background:#a8e6ff}}.doc{{white-space:pre-wrap;margin:1em 0;font-family:sans-serif}}</style>")?;
    }
    for doc in docs {
        let is_html = match input {
            InputKind::Html => true,
            InputKind::Text => false,
            InputKind::Auto => looks_like_html(doc),
        };
        let text = if is_html {
            html_to_text(doc)
        } else {
            doc.to_string()
        };
        let h = engine.highlight(&text, &opts)?;
        match format {
            Format::Jsonl => {
                let doc = TaggedText {
                    text: text.clone(),
                    html: is_html,
                    highlights: h,
                };
                // Through a JSON value: keys come out sorted, a stable order.
                serde_json::to_writer(&mut out, &serde_json::to_value(&doc)?)?;
                writeln!(out)?;
            }
            Format::Text => write_text(&mut out, &h)?,
            Format::Html => write_html(&mut out, &text, &h)?,
        }
    }
    out.flush()?;
    Ok(())
}

fn kind_name(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Skill => "skill",
        SpanKind::Knowledge => "knowledge",
        SpanKind::Implicit => "implicit",
    }
}

fn write_text(out: &mut impl Write, h: &Highlights) -> Result<()> {
    for s in h.spans.iter().filter(|s| s.kind != SpanKind::Implicit) {
        let link = s.links.first().map_or("(no link)".to_string(), |l| {
            format!("{} [{}] {:.2}", l.label, l.category.name(), l.score)
        });
        writeln!(
            out,
            "{}..{}\t{}\t{:?}\t→ {}",
            s.start_char,
            s.end_char,
            kind_name(s.kind),
            s.text,
            link
        )?;
    }
    writeln!(out, "skills:")?;
    for d in &h.skills {
        writeln!(
            out,
            "  {} [{}]{} ×{} {:.2}",
            d.label,
            d.category.name(),
            if d.implicit { " (implicit)" } else { "" },
            d.count,
            d.best_score
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// The text with non-overlapping skill/knowledge spans marked; every piece of user text escaped.
fn write_html(out: &mut impl Write, text: &str, h: &Highlights) -> Result<()> {
    write!(out, "<div class=\"doc\">")?;
    let mut pos = 0;
    for s in h.spans.iter().filter(|s| s.kind != SpanKind::Implicit) {
        if s.start < pos {
            continue;
        }
        let title = s.links.first().map_or(String::new(), |l| {
            format!("{} ({}, {:.2})", l.label, l.category.name(), l.score)
        });
        write!(
            out,
            "{}<mark class=\"{}\" title=\"{}\">{}</mark>",
            escape(&text[pos..s.start]),
            kind_name(s.kind),
            escape(&title),
            escape(&s.text)
        )?;
        pos = s.end;
    }
    writeln!(out, "{}</div>", escape(&text[pos..]))?;
    writeln!(
        out,
        "<table><tr><th>skill</th><th>category</th><th>type</th><th>count</th><th>score</th></tr>"
    )?;
    for d in &h.skills {
        writeln!(
            out,
            "<tr><td><a href=\"{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
            escape(&d.uri), escape(&d.label), if d.implicit { " (implicit)" } else { "" }, d.category.name(), escape(&d.skill_type), d.count, d.best_score
        )?;
    }
    writeln!(out, "</table>")?;
    Ok(())
}
