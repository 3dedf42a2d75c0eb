//! What one prompt asks for and how its answer is judged: a [`Task`]. The
//! generation loop ([`super::run`]) is the same for every kind of task; each
//! kind (one skill, a combination of skills, a whole document) says what its
//! prompt is, how its answer is judged and what a kept record holds.

use std::collections::BTreeMap;

use anyhow::Result;
use skillmark::index::rank_of;
use skillmark::Ranker;

use super::filter::{
    copies_example, dedup_key, mentions_label, skill_rule, text_rules, FilterConfig, Reject, Seen,
};
use super::journal::Record;

/// Provenance shared by every record of a run.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub model: String,
    pub prompt_version: String,
}

/// What judging an answer needs besides the answer.
pub struct Judge<'a> {
    pub ranker: &'a Ranker,
    pub cfg: &'a FilterConfig,
    pub verbose: bool,
    /// Every kept text so far (duplicates across the whole journal are dropped).
    pub seen: Seen,
    pub provenance: Provenance,
}

/// A task's kept records and its rejections by reason.
pub struct Verdicts<R> {
    pub kept: Vec<R>,
    pub rejected: BTreeMap<String, u32>,
    /// Candidates the answer held (kept + rejected).
    pub generated: u32,
}

impl<R> Verdicts<R> {
    pub fn new(generated: usize) -> Self {
        Verdicts {
            kept: Vec::new(),
            rejected: BTreeMap::new(),
            generated: generated as u32,
        }
    }

    pub fn reject(&mut self, reason: Reject, text: &str, verbose: bool) {
        if verbose {
            eprintln!("  [{}] {text}", reason.name());
        }
        *self.rejected.entry(reason.name().to_string()).or_default() += 1;
    }
}

/// The encoder's evidence that a text carries a skill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    pub cosine: f32,
    /// The skill's rank (1 = best) over all ESCO skills for the text.
    pub rank: usize,
    /// A preferred or alternative label occurs in the text as whole words.
    pub mentioned: bool,
}

impl Evidence {
    pub fn passes(&self, cfg: &FilterConfig) -> bool {
        skill_rule(self.mentioned, self.rank, self.cosine, cfg)
    }
}

impl Judge<'_> {
    /// The candidates that pass the text rules of `cfg`, are no near-copy of
    /// the prompt's worked `examples` and are new (to the journal and to this
    /// answer); the others are rejected in `v` with their reason.
    pub fn screen<R>(
        &self,
        candidates: Vec<String>,
        cfg: &FilterConfig,
        examples: &[String],
        v: &mut Verdicts<R>,
    ) -> Vec<String> {
        let mut texts: Vec<String> = Vec::new();
        for c in candidates {
            match text_rules(&c, cfg) {
                Err(r) => v.reject(r, &c, self.verbose),
                Ok(()) if copies_example(&c, examples.iter().map(String::as_str)) => {
                    v.reject(Reject::CopiedExample, &c, self.verbose)
                }
                Ok(())
                    if self.seen.contains(&c)
                        || texts.iter().any(|t| dedup_key(t) == dedup_key(&c)) =>
                {
                    v.reject(Reject::Duplicate, &c, self.verbose)
                }
                Ok(()) => texts.push(c),
            }
        }
        texts
    }

    /// The evidence for each of `skills` in each of `texts` (`[text][skill]`).
    pub fn evidence(&self, texts: &[&str], skills: &[usize]) -> Result<Vec<Vec<Evidence>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let taxonomy = &self.ranker.taxonomy;
        let scores = self.ranker.score_all(texts)?;
        Ok(texts
            .iter()
            .zip(scores)
            .map(|(text, s)| {
                skills
                    .iter()
                    .map(|&k| {
                        let skill = &taxonomy.skills[k];
                        let labels = std::iter::once(skill.preferred_label.as_str())
                            .chain(skill.alt_labels.iter().map(String::as_str));
                        Evidence {
                            cosine: s[k],
                            rank: rank_of(&s, k),
                            mentioned: mentions_label(text, labels),
                        }
                    })
                    .collect()
            })
            .collect())
    }
}

/// One prompt's worth of work.
pub trait Task {
    type Record: Record;
    /// Unique within its journal: the done marker's `done`.
    fn key(&self) -> &str;
    /// The task's turn, after the shared prefix, ending where the answer begins.
    fn prompt(&self) -> String;
    /// Judges the model's answer; `seed` is the task's sampling seed.
    fn judge(&self, answer: &str, seed: u64, judge: &mut Judge) -> Result<Verdicts<Self::Record>>;
}
