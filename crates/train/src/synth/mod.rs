//! `skillmark-train synth`: job-ad sentences for ESCO skills (one skill, or
//! 2–3 skills of one occupation together) and whole job posts and résumés,
//! from a local quantized Qwen2.5 instruct model, filtered and appended to a
//! resumable JSONL journal.

pub mod combo;
pub mod document;
pub mod filter;
pub mod generate;
pub mod journal;
#[cfg(feature = "llama")]
pub mod llama;
pub mod llm;
pub mod parse;
pub mod priority;
pub mod prompt;
pub mod qwen2;
pub mod requant;
pub(crate) mod run;
pub mod skill_task;
pub mod task;
#[cfg(test)]
mod tests;

pub use run::{run, SynthArgs};
