//! What `synth` asks of a language model: continue a shared prompt prefix
//! with many prompts, one result per prompt as soon as it is finished.
//! Two backends implement it: Candle, one sequence at a time
//! ([`super::llm::Llm`]), and llama.cpp, many sequences decoded together in
//! one batch over a shared prefix (feature `llama`, [`super::llama`]).

use anyhow::Result;

use super::llm::{Generation, SamplingParams};

/// One prompt to continue after the shared prefix: a task's turn.
#[derive(Clone, Debug)]
pub struct Job {
    /// Which task (the caller's numbering) the prompt is.
    pub task: usize,
    pub prompt: String,
    pub seed: u64,
}

/// Token counts of a run, for the throughput table.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct TokenCounts {
    /// Tokens read (the prefix once, then each prompt).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub new_tokens: u64,
}

pub trait Generator {
    /// Continues `prefix` + each job's prompt with `params`, and calls `done`
    /// with each job and its result as it finishes (finishing order, which
    /// need not be the jobs' order). Takes no new job once `done` returns
    /// `Ok(false)`; jobs still in flight are then dropped.
    fn generate_all(
        &mut self,
        prefix: &str,
        jobs: &mut dyn Iterator<Item = Job>,
        params: &SamplingParams,
        done: &mut dyn FnMut(Job, Generation) -> Result<bool>,
    ) -> Result<TokenCounts>;

    /// How many sequences it decodes at once.
    fn parallel(&self) -> usize;
}
