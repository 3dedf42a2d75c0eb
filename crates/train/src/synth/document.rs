//! Whole synthetic documents (`--mode post`, `--mode resume`), RJDB-style:
//! an ESCO occupation, a sample of its essential and optional skills and a
//! number of years of experience, written up as a job post or as the résumé
//! of someone in that job. They feed domain-adaptive pre-training and the
//! résumé matching work; each record keeps what it was asked to show and
//! which of those skills the encoder finds in it.

use anyhow::Result;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::filter::{is_meta, looks_english, Reject};
use super::journal::Record;
use super::priority::essential_and_optional;
use super::run::skill_seed;
use super::task::{Judge, Task, Verdicts};

/// doc-v2: "an" before a vowel ("an application engineer").
pub const PROMPT_VERSION: &str = "doc-v2";

/// Essential and optional skills a document is asked to show, at most.
const ESSENTIAL_SKILLS: usize = 6;
const OPTIONAL_SKILLS: usize = 2;
/// Accepted length in words.
const MIN_WORDS: usize = 90;
const MAX_WORDS: usize = 700;
/// Kept when the encoder finds at least this share of the asked skills.
const MIN_EVIDENCED: f64 = 0.34;
/// Enough new tokens for 300 words.
pub const MAX_NEW_TOKENS: usize = 700;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Post,
    Resume,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Resume => "resume",
        }
    }

    fn years(self, rng: &mut ChaCha8Rng) -> u32 {
        match self {
            Kind::Post => rng.random_range(1..=8),
            Kind::Resume => rng.random_range(1..=15),
        }
    }
}

const POST_SYSTEM: &str =
    "You write realistic English job advertisements as plain text. No markdown, no \
headings with # or *, no placeholders in brackets: invent a plausible company name and city.";
const RESUME_SYSTEM: &str =
    "You write realistic English résumés as plain text. No markdown, no headings with \
# or *, no placeholders in brackets: invent a plausible name, employers, schools and places.";

pub fn chat_prefix(kind: Kind) -> String {
    let system = match kind {
        Kind::Post => POST_SYSTEM,
        Kind::Resume => RESUME_SYSTEM,
    };
    format!("<|im_start|>system\n{system}<|im_end|>\n")
}

/// A kept document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DocumentRecord {
    pub text: String,
    /// `post:` or `resume:` + occupation URI + `#` + number.
    pub task: String,
    pub kind: Kind,
    pub occupation_uri: String,
    pub occupation_label: String,
    pub years: u32,
    /// The skills it was asked to show (essential first)…
    pub asked_uris: Vec<String>,
    pub asked_labels: Vec<String>,
    /// …which of them are essential for the occupation…
    pub essential: Vec<bool>,
    /// …and those that pass the skill rule in at least one of its sentences.
    pub evidenced_uris: Vec<String>,
    pub words: usize,
    pub model: String,
    pub prompt_version: String,
    pub seed: u64,
}

impl Record for DocumentRecord {
    fn task(&self) -> &str {
        &self.task
    }
    fn text(&self) -> &str {
        &self.text
    }
}

pub struct DocumentTask {
    key: String,
    kind: Kind,
    occupation_uri: String,
    occupation_label: String,
    years: u32,
    /// (skill index, label, essential)
    skills: Vec<(usize, String, bool)>,
}

/// `per_occupation` documents of `kind` for each occupation, in
/// `occupations` order; skills and years drawn with a seed per occupation.
pub fn tasks(
    taxonomy: &esco::Taxonomy,
    occupations: &[usize],
    kind: Kind,
    per_occupation: usize,
    seed: u64,
) -> Vec<DocumentTask> {
    let mut out = Vec::new();
    for &o in occupations {
        let occ = &taxonomy.occupations[o];
        let (essential, optional) = essential_and_optional(taxonomy, o);
        let mut rng =
            ChaCha8Rng::seed_from_u64(skill_seed(seed, &format!("{}{}", kind.name(), occ.uri)));
        for i in 0..per_occupation {
            let picked = essential
                .choose_multiple(&mut rng, ESSENTIAL_SKILLS)
                .map(|&s| (s, true))
                .chain(
                    optional
                        .choose_multiple(&mut rng, OPTIONAL_SKILLS)
                        .map(|&s| (s, false)),
                );
            let skills: Vec<(usize, String, bool)> = picked
                .map(|(s, e)| (s, taxonomy.skills[s].preferred_label.clone(), e))
                .collect();
            if skills.len() < 2 {
                continue;
            }
            out.push(DocumentTask {
                key: format!("{}:{}#{i}", kind.name(), occ.uri),
                kind,
                occupation_uri: occ.uri.clone(),
                occupation_label: occ.preferred_label.clone(),
                years: kind.years(&mut rng),
                skills,
            });
        }
    }
    out
}

impl DocumentTask {
    pub fn user_message(&self) -> String {
        let labels: Vec<&str> = self.skills.iter().map(|s| s.1.as_str()).collect();
        let occ = with_article(&self.occupation_label);
        let (years, skills) = (self.years, labels.join("; "));
        match self.kind {
            Kind::Post => format!(
                "Write a job advertisement for {occ} with at least {years} years of experience. \
It asks for these skills, in its own words: {skills}.\nLength: 150 to 300 words, in short paragraphs \
and lines starting with \"- \": the role, the responsibilities, the requirements, what the company offers."
            ),
            Kind::Resume => format!(
                "Write the résumé of {occ} with {years} years of experience whose work shows these \
skills, in its own words: {skills}.\nLength: 150 to 300 words: a name, a short profile, work experience \
(two or three positions with years and lines starting with \"- \"), education, and a skills line."
            ),
        }
    }
}

/// "a baker", "an engineer" (by the first letter: good enough for job titles).
fn with_article(noun: &str) -> String {
    let vowel = noun
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// The answer without markdown emphasis, heading marks, a leading "Here is…"
/// line or trailing notes; lines trimmed, runs of blank lines collapsed.
pub fn clean_document(answer: &str) -> String {
    let mut lines: Vec<String> = answer
        .lines()
        .map(|l| {
            let l = l.replace("**", "").replace("__", "");
            l.trim_start_matches('#').trim().to_string()
        })
        .collect();
    while lines.first().is_some_and(|l| l.is_empty() || is_meta(l)) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| {
        l.is_empty() || l.to_lowercase().starts_with("note") || l.starts_with("---")
    }) {
        lines.pop();
    }
    let mut out = String::new();
    let mut blank = false;
    for l in lines {
        if l.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out += if blank { "\n\n" } else { "\n" };
        }
        blank = false;
        out += &l;
    }
    out
}

/// The text rules for a whole document.
pub fn document_rules(text: &str) -> Result<(), Reject> {
    let words = text.split_whitespace().count();
    if words < MIN_WORDS {
        return Err(Reject::TooShort);
    }
    if words > MAX_WORDS {
        return Err(Reject::TooLong);
    }
    if text.contains(['[', ']', '{', '}']) {
        return Err(Reject::Placeholder);
    }
    if text.contains(['`', '<', '>', '\\', '|']) {
        return Err(Reject::CodeLike);
    }
    if !looks_english(text) {
        return Err(Reject::NotEnglish);
    }
    Ok(())
}

impl Task for DocumentTask {
    type Record = DocumentRecord;

    fn key(&self) -> &str {
        &self.key
    }

    fn prompt(&self) -> String {
        format!(
            "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
            self.user_message()
        )
    }

    fn judge(&self, answer: &str, seed: u64, j: &mut Judge) -> Result<Verdicts<DocumentRecord>> {
        let mut v = Verdicts::new(1);
        let text = clean_document(answer);
        if let Err(r) = document_rules(&text) {
            v.reject(r, &text, j.verbose);
            return Ok(v);
        }
        if j.seen.contains(&text) {
            v.reject(Reject::Duplicate, &text, j.verbose);
            return Ok(v);
        }
        let sentences: Vec<&str> = skillmark::segments::segments(&text)
            .iter()
            .map(|s| &text[s.start..s.end])
            .filter(|s| s.split_whitespace().count() >= 3)
            .collect();
        let skills: Vec<usize> = self.skills.iter().map(|s| s.0).collect();
        let evidence = j.evidence(&sentences, &skills)?;
        let found: Vec<usize> = (0..skills.len())
            .filter(|&i| evidence.iter().any(|e| e[i].passes(j.cfg)))
            .collect();
        if j.verbose {
            eprintln!(
                "  {} words, {}/{} skills found",
                text.split_whitespace().count(),
                found.len(),
                skills.len()
            );
        }
        if (found.len() as f64) < MIN_EVIDENCED * skills.len() as f64 {
            v.reject(Reject::OffSkill, &text, j.verbose);
            return Ok(v);
        }
        let uri = |s: usize| j.ranker.taxonomy.skills[s].uri.clone();
        j.seen.insert(&text);
        v.kept.push(DocumentRecord {
            words: text.split_whitespace().count(),
            text,
            task: self.key.clone(),
            kind: self.kind,
            occupation_uri: self.occupation_uri.clone(),
            occupation_label: self.occupation_label.clone(),
            years: self.years,
            asked_uris: skills.iter().map(|&s| uri(s)).collect(),
            asked_labels: self.skills.iter().map(|s| s.1.clone()).collect(),
            essential: self.skills.iter().map(|s| s.2).collect(),
            evidenced_uris: found.iter().map(|&i| uri(skills[i])).collect(),
            model: j.provenance.model.clone(),
            prompt_version: j.provenance.prompt_version.clone(),
            seed,
        });
        Ok(v)
    }
}
