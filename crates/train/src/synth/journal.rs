//! The append-only JSONL output and its resume logic.
//!
//! Each kept text is one line (a [`Record`]: [`SentenceRecord`] for one
//! skill, [`super::combo::ComboRecord`], [`super::document::DocumentRecord`]);
//! after a task's records comes one done marker ([`DoneRecord`], it has
//! `done`, the task's key). A task's lines and its marker are written with
//! one `write_all` and flushed, so a crash (even `kill -9`) can at worst leave
//! a truncated last line or records without their marker. [`Journal::open`]
//! repairs both: it drops the broken tail and the records of unfinished tasks
//! (those are generated again), rewriting the file atomically only when needed.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A kept line of a journal, belonging to the task its done marker names.
pub trait Record: Serialize + DeserializeOwned + Clone {
    /// The key of the task that wrote it (its done marker's `done`).
    fn task(&self) -> &str;
    fn text(&self) -> &str;
}

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

impl Record for SentenceRecord {
    fn task(&self) -> &str {
        &self.skill_uri
    }
    fn text(&self) -> &str {
        &self.text
    }
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
enum Line<R> {
    Kept(R),
    Done(DoneRecord),
}

fn parse_line<R: Record>(line: &str) -> Option<Line<R>> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v.get("done").is_some() {
        serde_json::from_value(v).ok().map(Line::Done)
    } else {
        serde_json::from_value(v).ok().map(Line::Kept)
    }
}

/// The state recovered from an existing journal.
#[derive(Debug)]
pub struct Recovered<R = SentenceRecord> {
    pub sentences: Vec<R>,
    pub done: Vec<DoneRecord>,
    /// Lines dropped: unparseable (a truncated tail) or of unfinished tasks.
    pub dropped_lines: usize,
}

impl<R> Default for Recovered<R> {
    fn default() -> Self {
        Recovered {
            sentences: Vec::new(),
            done: Vec::new(),
            dropped_lines: 0,
        }
    }
}

impl<R> Recovered<R> {
    pub fn done_keys(&self) -> HashSet<String> {
        self.done.iter().map(|d| d.done.clone()).collect()
    }
}

/// Reads journal text: complete tasks only. Unparseable lines (a truncated
/// last line after a crash) and records whose task has no done marker are
/// dropped and counted.
pub fn recover<R: Record>(text: &str) -> Recovered<R> {
    let mut pending: Vec<R> = Vec::new();
    let mut out = Recovered::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match parse_line::<R>(line) {
            Some(Line::Kept(s)) => pending.push(s),
            Some(Line::Done(d)) => {
                let (mine, others): (Vec<_>, Vec<_>) =
                    pending.into_iter().partition(|s| s.task() == d.done);
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

/// Serialises a finished task: its records, then its marker.
pub fn task_lines<R: Record>(sentences: &[R], done: &DoneRecord) -> String {
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
    pub fn open<R: Record>(path: &Path) -> anyhow::Result<(Journal, Recovered<R>)> {
        use anyhow::Context;
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let rec = recover::<R>(&text);
        let clean = !text.is_empty() && rec.dropped_lines == 0 && text.ends_with('\n');
        if !clean && !text.is_empty() {
            let mut body = String::new();
            let mut by_task: BTreeMap<&str, Vec<R>> = BTreeMap::new();
            for s in &rec.sentences {
                by_task.entry(s.task()).or_default().push(s.clone());
            }
            for d in &rec.done {
                body += &task_lines(by_task.get(d.done.as_str()).map_or(&[], |v| v), d);
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

    /// Appends a finished task in one write and syncs it to disk.
    pub fn append<R: Record>(&mut self, records: &[R], done: &DoneRecord) -> anyhow::Result<()> {
        use anyhow::Context;
        self.file
            .write_all(task_lines(records, done).as_bytes())
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))
    }
}
