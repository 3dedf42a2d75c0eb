//! `skillmark-train synth`: job-ad sentences for ESCO skills from a local
//! quantized Qwen2.5 instruct model, filtered and appended to a resumable JSONL.

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
pub(crate) mod run;
#[cfg(test)]
mod tests;

pub use run::{run, SynthArgs};
