//! The paper's task: sentences for one ESCO skill (`--mode skill`).

use anyhow::Result;

use super::filter::Reject;
use super::journal::SentenceRecord;
use super::parse::parse_sentences;
use super::prompt::{example_sentences, skill_prompt, SkillFacts};
use super::task::{Judge, Task, Verdicts};

pub struct SkillTask {
    pub skill: usize,
    pub facts: SkillFacts,
    /// Sentences asked for.
    pub n: usize,
}

impl SkillTask {
    pub fn new(taxonomy: &esco::Taxonomy, skill: usize, n: usize) -> Self {
        SkillTask {
            skill,
            facts: SkillFacts::from_taxonomy(taxonomy, skill),
            n,
        }
    }
}

impl Task for SkillTask {
    type Record = SentenceRecord;

    fn key(&self) -> &str {
        &self.facts.uri
    }

    fn prompt(&self) -> String {
        skill_prompt(&self.facts, self.n)
    }

    fn judge(&self, answer: &str, seed: u64, j: &mut Judge) -> Result<Verdicts<SentenceRecord>> {
        let candidates = parse_sentences(answer);
        let mut v = Verdicts::new(candidates.len());
        let texts = j.screen(candidates, j.cfg, &example_sentences(), &mut v);
        let strs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let evidence = j.evidence(&strs, &[self.skill])?;
        for (text, e) in texts.into_iter().zip(evidence) {
            let e = e[0];
            if !e.passes(j.cfg) {
                if j.verbose {
                    eprintln!("  (r{} c{:.2})", e.rank, e.cosine);
                }
                v.reject(Reject::OffSkill, &text, j.verbose);
                continue;
            }
            if j.verbose {
                eprintln!(
                    "  [keep r{} c{:.2}{}] {text}",
                    e.rank,
                    e.cosine,
                    if e.mentioned { " m" } else { "" }
                );
            }
            j.seen.insert(&text);
            v.kept.push(SentenceRecord {
                text,
                skill_uri: self.facts.uri.clone(),
                skill_label: self.facts.label.clone(),
                model: j.provenance.model.clone(),
                prompt_version: j.provenance.prompt_version.clone(),
                seed,
                cosine: e.cosine,
                rank: e.rank as u32,
                mentions_label: e.mentioned,
            });
        }
        Ok(v)
    }
}
