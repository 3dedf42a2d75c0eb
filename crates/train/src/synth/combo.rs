//! Multi-skill sentences (`--mode combo`): two or three skills that one ESCO
//! occupation requires together (the skill–occupation graph, as RJDB used
//! it), written into sentences that need all of them, the way real ads
//! bundle requirements. A sentence is kept when at least two of the asked
//! skills pass the skill rule in it; the record lists those that pass.

use anyhow::Result;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::filter::{FilterConfig, Reject};
use super::journal::Record;
use super::parse::parse_sentences;
use super::priority::essential_and_optional;
use super::prompt::clip;
use super::run::skill_seed;
use super::task::{Judge, Task, Verdicts};

pub const PROMPT_VERSION: &str = "combo-v1";

const SYSTEM: &str = "You write sentences for English job advertisements. You are given two or three ESCO \
skills that one job needs together. Write sentences that a real job ad could contain, each one showing that \
the job needs all of the given skills at once. Vary the style (requirements, duties, \"You will ...\", \
\"Experience with ...\") and often describe the skills in other words instead of naming them. Each sentence \
is 12 to 40 words long and stands on its own. Answer with one sentence per line, numbered, and nothing else.";

const EXAMPLE_USER: &str = "Job: project manager\nSkills:\n- \"manage budgets\": plan, monitor and report on the budget\n\
- \"lead a team\": lead and supervise a group of people\n\nWrite 2 sentences, each needing all of these skills.";
const EXAMPLE_ASSISTANT: &str = "1. You will lead a team of eight engineers and keep the project's spending within the approved budget.\n\
2. Experience in supervising staff while planning and reporting on costs of more than a million euros is required.";

/// Asked-for meaning of each skill is clipped to this (the prompt stays short).
const MEANING_CHARS: usize = 140;

/// Multi-skill sentences are longer than one-skill ones; the text rules'
/// other limits are the same.
pub fn filter_config(base: &FilterConfig) -> FilterConfig {
    FilterConfig {
        max_words: 55,
        max_chars: 400,
        ..base.clone()
    }
}

pub fn chat_prefix() -> String {
    format!(
        "<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{EXAMPLE_USER}<|im_end|>\n\
<|im_start|>assistant\n{EXAMPLE_ASSISTANT}<|im_end|>\n"
    )
}

/// A kept multi-skill sentence.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ComboRecord {
    pub text: String,
    /// The task key (occupation URI `#` combination number).
    pub task: String,
    pub occupation_uri: String,
    /// The skills that pass the skill rule in the sentence (≥ 2), in asked order…
    pub skill_uris: Vec<String>,
    pub skill_labels: Vec<String>,
    /// …and every skill that was asked for.
    pub asked_uris: Vec<String>,
    /// The encoder's cosine and rank for each of `asked_uris`.
    pub cosines: Vec<f32>,
    pub ranks: Vec<u32>,
    pub model: String,
    pub prompt_version: String,
    pub seed: u64,
}

impl Record for ComboRecord {
    fn task(&self) -> &str {
        &self.task
    }
    fn text(&self) -> &str {
        &self.text
    }
}

pub struct ComboTask {
    key: String,
    occupation_label: String,
    occupation_uri: String,
    /// (skill index, label, meaning)
    skills: Vec<(usize, String, String)>,
    n: usize,
}

/// `per_occupation` combinations of 2–3 skills for each occupation, in
/// `occupations` order: drawn from its essential skills (its optional ones
/// when it lists fewer than the combination needs), seeded per occupation,
/// so the same tasks come out whatever was done before.
pub fn tasks(
    taxonomy: &esco::Taxonomy,
    occupations: &[usize],
    per_occupation: usize,
    n: usize,
    seed: u64,
) -> Vec<ComboTask> {
    let mut out = Vec::new();
    for &o in occupations {
        let occ = &taxonomy.occupations[o];
        let (essential, optional) = essential_and_optional(taxonomy, o);
        let mut rng = ChaCha8Rng::seed_from_u64(skill_seed(seed, &occ.uri));
        for i in 0..per_occupation {
            let k = rng.random_range(2..=3usize);
            let pool = if essential.len() >= 2 {
                &essential
            } else {
                &optional
            };
            if pool.len() < 2 {
                continue;
            }
            let picked: Vec<usize> = pool
                .choose_multiple(&mut rng, k.min(pool.len()))
                .copied()
                .collect();
            out.push(ComboTask::new(
                taxonomy,
                o,
                &picked,
                format!("{}#{i}", occ.uri),
                n,
            ));
        }
    }
    out
}

impl ComboTask {
    /// Asks for `n` sentences that need all of `skills` in occupation `occupation`.
    pub fn new(
        taxonomy: &esco::Taxonomy,
        occupation: usize,
        skills: &[usize],
        key: String,
        n: usize,
    ) -> Self {
        let occ = &taxonomy.occupations[occupation];
        ComboTask {
            key,
            occupation_label: occ.preferred_label.clone(),
            occupation_uri: occ.uri.clone(),
            skills: skills
                .iter()
                .map(|&s| {
                    let skill = &taxonomy.skills[s];
                    (
                        s,
                        skill.preferred_label.clone(),
                        clip(&skill.description, MEANING_CHARS),
                    )
                })
                .collect(),
            n,
        }
    }

    pub fn user_message(&self) -> String {
        let mut m = format!("Job: {}\nSkills:\n", self.occupation_label);
        for (_, label, meaning) in &self.skills {
            if meaning.is_empty() {
                m += &format!("- \"{label}\"\n");
            } else {
                m += &format!("- \"{label}\": {meaning}\n");
            }
        }
        m += &format!(
            "\nWrite {} sentences, each needing all of these skills.",
            self.n
        );
        m
    }
}

impl Task for ComboTask {
    type Record = ComboRecord;

    fn key(&self) -> &str {
        &self.key
    }

    fn prompt(&self) -> String {
        format!(
            "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
            self.user_message()
        )
    }

    fn judge(&self, answer: &str, seed: u64, j: &mut Judge) -> Result<Verdicts<ComboRecord>> {
        let cfg = filter_config(j.cfg);
        let candidates = parse_sentences(answer);
        let mut v = Verdicts::new(candidates.len());
        let texts = j.screen(
            candidates,
            &cfg,
            &parse_sentences(EXAMPLE_ASSISTANT),
            &mut v,
        );
        let skills: Vec<usize> = self.skills.iter().map(|s| s.0).collect();
        let strs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let evidence = j.evidence(&strs, &skills)?;
        for (text, ev) in texts.into_iter().zip(evidence) {
            let passing: Vec<usize> = (0..skills.len()).filter(|&i| ev[i].passes(&cfg)).collect();
            if j.verbose {
                let marks: Vec<String> = ev
                    .iter()
                    .map(|e| {
                        format!(
                            "r{} c{:.2}{}",
                            e.rank,
                            e.cosine,
                            if e.mentioned { " m" } else { "" }
                        )
                    })
                    .collect();
                eprintln!(
                    "  ({}) {}",
                    marks.join(", "),
                    if passing.len() >= 2 { "keep" } else { "" }
                );
            }
            if passing.len() < 2 {
                v.reject(Reject::OffSkill, &text, j.verbose);
                continue;
            }
            let uri = |s: usize| j.ranker.taxonomy.skills[s].uri.clone();
            j.seen.insert(&text);
            v.kept.push(ComboRecord {
                text,
                task: self.key.clone(),
                occupation_uri: self.occupation_uri.clone(),
                skill_uris: passing.iter().map(|&i| uri(skills[i])).collect(),
                skill_labels: passing.iter().map(|&i| self.skills[i].1.clone()).collect(),
                asked_uris: skills.iter().map(|&s| uri(s)).collect(),
                cosines: ev.iter().map(|e| e.cosine).collect(),
                ranks: ev.iter().map(|e| e.rank as u32).collect(),
                model: j.provenance.model.clone(),
                prompt_version: j.provenance.prompt_version.clone(),
                seed,
            });
        }
        Ok(v)
    }
}
