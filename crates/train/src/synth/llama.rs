//! llama.cpp (through the `llama-cpp-2` crate, built from source) decoding
//! many prompts at once over one shared prefix (feature `llama`).
//!
//! The prefix (system message and worked example) is read once into
//! sequence 0; each new prompt's sequence starts as a copy of its KV cache,
//! reads its own turn, then generates.
//! Every step decodes one token of every running sequence, plus the prompts
//! of sequences just started, in a single batch: a matrix–matrix product
//! instead of one matrix–vector product per sequence, which is where the
//! speed comes from on a CPU. A finished sequence's slot takes the next
//! prompt at once (continuous batching).

use std::num::NonZeroU32;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::generate::{Generator, Job, TokenCounts};
use super::llm::{Generation, SamplingParams};

/// Tokens one decode call may carry (prompts of new sequences + one token
/// of each running sequence).
const BATCH_TOKENS: usize = 2048;
/// The longest skill turn read (tokens); longer ones are an error.
const MAX_PROMPT_TOKENS: usize = 512;

pub struct LlamaGenerator {
    backend: LlamaBackend,
    model: LlamaModel,
    parallel: usize,
    threads: i32,
    /// One KV cache for all sequences (else one stream per sequence).
    kv_unified: bool,
}

/// A running sequence.
struct Slot {
    job: Job,
    seq: i32,
    sampler: LlamaSampler,
    /// Prompt tokens still to read (read in the next batch).
    pending: Vec<LlamaToken>,
    prompt_tokens: usize,
    out: Vec<LlamaToken>,
    /// Position of the next token in the sequence.
    pos: i32,
    /// Index in the current batch of the token whose logits it samples from.
    logits_at: i32,
    started: Instant,
}

impl LlamaGenerator {
    /// Loads a GGUF; `parallel` sequences are decoded together on `threads` threads.
    pub fn load(path: &Path, parallel: usize, threads: usize) -> Result<Self> {
        let mut backend = LlamaBackend::init().context("starting llama.cpp")?;
        backend.void_logs();
        let model = LlamaModel::load_from_file(&backend, path, &LlamaModelParams::default())
            .with_context(|| format!("loading {} (run scripts/fetch-llm)", path.display()))?;
        Ok(LlamaGenerator {
            backend,
            model,
            parallel: parallel.max(1),
            threads: threads.max(1) as i32,
            kv_unified: std::env::var_os("SKILLMARK_KV_UNIFIED").is_some(),
        })
    }

    fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(text.as_bytes(), false, true)
    }

    fn detokenize(&self, tokens: &[LlamaToken]) -> String {
        let vocab = self.model.vocab();
        let mut bytes = Vec::new();
        for &t in tokens {
            bytes.extend(vocab.token_to_piece(t, false, None));
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn sampler(&self, params: &SamplingParams, seed: u64) -> LlamaSampler {
        // Candle's order: repeat penalty on the generated tokens, then
        // temperature, then nucleus sampling.
        LlamaSampler::chain_simple([
            LlamaSampler::penalties(
                self.model.n_vocab(),
                params.repeat_last_n as i32,
                params.repeat_penalty,
                0.0,
                0.0,
            ),
            // The 40 likeliest tokens hold all of the top-p mass in
            // practice; cutting to them first spares sorting 152k
            // candidates for every token of every sequence.
            LlamaSampler::top_k(40),
            LlamaSampler::temp(params.temperature as f32),
            LlamaSampler::top_p(params.top_p as f32, 1),
            LlamaSampler::dist(seed as u32),
        ])
    }

    fn context(&self, prefix_tokens: usize, params: &SamplingParams) -> Result<LlamaContext<'_>> {
        let per_seq =
            (prefix_tokens + MAX_PROMPT_TOKENS + params.max_new_tokens + 1).next_multiple_of(256);
        let seqs = self.parallel + 1;
        // A unified cache holds the prefix once for all sequences, but then
        // every token attends over every sequence's cells (masked); one
        // stream per sequence copies the prefix, and each token reads only
        // its own sequence. On a CPU the second is faster (docs/BENCHMARKS.md).
        let n_ctx = if self.kv_unified {
            prefix_tokens.next_multiple_of(256) + self.parallel * per_seq
        } else {
            seqs * per_seq
        };
        let p = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx as u32))
            .with_n_batch(BATCH_TOKENS as u32)
            .with_n_ubatch(512)
            .with_n_seq_max(seqs as u32)
            .with_kv_unified(self.kv_unified)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        self.model
            .new_context(&self.backend, p)
            .context("creating the llama.cpp context")
    }
}

impl Generator for LlamaGenerator {
    fn generate_all(
        &mut self,
        prefix: &str,
        jobs: &mut dyn Iterator<Item = Job>,
        params: &SamplingParams,
        done: &mut dyn FnMut(Job, Generation) -> Result<bool>,
    ) -> Result<TokenCounts> {
        let prefix_tokens = self.tokenize(prefix);
        let mut ctx = self.context(prefix_tokens.len(), params)?;
        let mut batch = LlamaBatch::new(BATCH_TOKENS, self.parallel as i32 + 1);
        let mut counts = TokenCounts::default();
        for (c, chunk) in prefix_tokens.chunks(BATCH_TOKENS).enumerate() {
            batch.clear();
            for (i, &t) in chunk.iter().enumerate() {
                batch.add(t, (c * BATCH_TOKENS + i) as i32, &[0], false)?;
            }
            ctx.decode(&mut batch)
                .context("reading the prompt prefix")?;
        }
        counts.prompt_tokens += prefix_tokens.len() as u64;
        let prefix_len = prefix_tokens.len() as i32;

        let mut slots: Vec<Slot> = Vec::with_capacity(self.parallel);
        let mut free: Vec<i32> = (1..=self.parallel as i32).rev().collect();
        let mut taking = true;
        loop {
            while taking && !free.is_empty() {
                let Some(job) = jobs.next() else {
                    taking = false;
                    break;
                };
                let pending = self.tokenize(&job.prompt);
                if pending.is_empty() || pending.len() > MAX_PROMPT_TOKENS {
                    bail!(
                        "a prompt of {} tokens (1..={MAX_PROMPT_TOKENS} allowed)",
                        pending.len()
                    );
                }
                let seq = free.pop().expect("checked");
                ctx.clear_kv_cache_seq(Some(seq as u32), None, None)?;
                // The whole of sequence 0 (the prefix): across streams llama.cpp
                // copies only whole sequences.
                ctx.copy_kv_cache_seq(0, seq, None, None)?;
                slots.push(Slot {
                    sampler: self.sampler(params, job.seed),
                    job,
                    seq,
                    prompt_tokens: pending.len(),
                    pending,
                    out: Vec::new(),
                    pos: prefix_len,
                    logits_at: -1,
                    started: Instant::now(),
                });
            }
            if slots.is_empty() {
                break;
            }
            // One batch: a token of each generating sequence, then as many
            // new prompts as fit (the others wait for the next step).
            batch.clear();
            let generating = slots.iter().filter(|s| s.pending.is_empty()).count();
            let mut room = BATCH_TOKENS - generating;
            for s in slots.iter_mut() {
                if s.pending.is_empty() {
                    let last = *s.out.last().expect("a generating slot has sampled");
                    batch.add(last, s.pos, &[s.seq], true)?;
                    s.pos += 1;
                    s.logits_at = batch.n_tokens() - 1;
                } else if s.pending.len() <= room {
                    room -= s.pending.len();
                    let n = s.pending.len();
                    for (i, t) in s.pending.drain(..).enumerate() {
                        batch.add(t, s.pos + i as i32, &[s.seq], i + 1 == n)?;
                    }
                    s.pos += n as i32;
                    s.logits_at = batch.n_tokens() - 1;
                    counts.prompt_tokens += n as u64;
                } else {
                    s.logits_at = -1;
                }
            }
            ctx.decode(&mut batch).context("llama.cpp decode")?;
            let mut i = 0;
            while i < slots.len() {
                let s = &mut slots[i];
                if s.logits_at < 0 {
                    i += 1;
                    continue;
                }
                let token = s.sampler.sample(&ctx, s.logits_at);
                let end = self.model.vocab().is_eog(token);
                if !end {
                    s.out.push(token);
                    counts.new_tokens += 1;
                }
                if !end && s.out.len() < params.max_new_tokens {
                    i += 1;
                    continue;
                }
                let s = slots.swap_remove(i);
                ctx.clear_kv_cache_seq(Some(s.seq as u32), None, None)?;
                free.push(s.seq);
                let generation = Generation {
                    text: self.detokenize(&s.out),
                    prompt_tokens: prefix_tokens.len() + s.prompt_tokens,
                    new_tokens: s.out.len(),
                    prefill_secs: 0.0,
                    decode_secs: s.started.elapsed().as_secs_f64(),
                    finished: end,
                };
                if !done(s.job, generation)? {
                    return Ok(counts);
                }
            }
        }
        Ok(counts)
    }

    fn parallel(&self) -> usize {
        self.parallel
    }
}
