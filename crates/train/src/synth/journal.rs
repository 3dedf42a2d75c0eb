//! The append-only JSONL output and its resume logic.
//!
//! Each kept sentence is one line ([`SentenceRecord`], it has a `text`);
//! after a skill's sentences comes one done marker ([`DoneRecord`], it has
//! `done`). A skill's lines and its marker are written with one `write_all`
//! and flushed, so a crash (even `kill -9`) can at worst leave a truncated
//! last line or sentences without their marker. [`Journal::open`] repairs both:
//! it drops the broken tail and the sentences of unfinished skills (those are
//! generated again), rewriting the file atomically only when needed.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One kept sentence: the training pair `(text, skill_uri)` and its provenance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SentenceRecord {
    pub text: String,
    pub skill_uri: String,
    pub skill_label: String,
    pub model: String,
    pub prompt_version: String,
    pub seed: u64,
    /// Cosine with the skill under the shipped encoder, and the skill's rank
    /// (1 = best) over all ESCO skills: the filter's evidence.
    pub cosine: f32,
    pub rank: u32,
    pub mentions_label: bool,
}

/// Marks a skill as finished, with what it cost and what the filter did.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct DoneRecord {
    pub done: String,
    pub generated: u32,
    pub kept: u32,
    pub rejected: BTreeMap<String, u32>,
    pub prompt_tokens: u32,
    pub new_tokens: u32,
    pub seconds: f32,
    pub model: String,
    pub prompt_version: String,
}

/// What a line of the journal is.
#[derive(Debug)]
enum Line {
    Sentence(SentenceRecord),
    Done(DoneRecord),
}

fn parse_line(line: &str) -> Option<Line> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v.get("done").is_some() {
        serde_json::from_value(v).ok().map(Line::Done)
    } else {
        serde_json::from_value(v).ok().map(Line::Sentence)
    }
}

/// The state recovered from an existing journal.
#[derive(Debug, Default)]
pub struct Recovered {
    pub sentences: Vec<SentenceRecord>,
    pub done: Vec<DoneRecord>,
    /// Lines dropped: unparseable (a truncated tail) or of unfinished skills.
    pub dropped_lines: usize,
}

impl Recovered {
    pub fn done_uris(&self) -> HashSet<String> {
        self.done.iter().map(|d| d.done.clone()).collect()
    }
}

/// Reads journal text: complete skills only. Unparseable lines (a truncated
/// last line after a crash) and sentences whose skill has no done marker are
/// dropped and counted.
pub fn recover(text: &str) -> Recovered {
    let mut pending: Vec<SentenceRecord> = Vec::new();
    let mut out = Recovered::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match parse_line(line) {
            Some(Line::Sentence(s)) => pending.push(s),
            Some(Line::Done(d)) => {
                let (mine, others): (Vec<_>, Vec<_>) =
                    pending.into_iter().partition(|s| s.skill_uri == d.done);
                out.dropped_lines += others.len();
                out.sentences.extend(mine);
                out.done.push(d);
                pending = Vec::new();
            }
            None => out.dropped_lines += 1,
        }
    }
    out.dropped_lines += pending.len();
    out
}

/// Serialises a finished skill: its sentences, then its marker.
pub fn skill_lines(sentences: &[SentenceRecord], done: &DoneRecord) -> String {
    let mut s = String::new();
    for r in sentences {
        s += &serde_json::to_string(r).expect("plain data serialises");
        s.push('\n');
    }
    s += &serde_json::to_string(done).expect("plain data serialises");
    s.push('\n');
    s
}

pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    /// Opens (creating if needed) and repairs the journal; returns what it holds.
    pub fn open(path: &Path) -> anyhow::Result<(Journal, Recovered)> {
        use anyhow::Context;
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let rec = recover(&text);
        let clean = !text.is_empty() && rec.dropped_lines == 0 && text.ends_with('\n');
        if !clean && !text.is_empty() {
            let mut body = String::new();
            let mut by_skill: BTreeMap<&str, Vec<SentenceRecord>> = BTreeMap::new();
            for s in &rec.sentences {
                by_skill.entry(&s.skill_uri).or_default().push(s.clone());
            }
            for d in &rec.done {
                body += &skill_lines(by_skill.get(d.done.as_str()).map_or(&[], |v| v), d);
            }
            let tmp = path.with_extension("jsonl.repair");
            std::fs::write(&tmp, body).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        }
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
            },
            rec,
        ))
    }

    /// Appends a finished skill in one write and syncs it to disk.
    pub fn append_skill(
        &mut self,
        sentences: &[SentenceRecord],
        done: &DoneRecord,
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        self.file
            .write_all(skill_lines(sentences, done).as_bytes())
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))
    }
}
