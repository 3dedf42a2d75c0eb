//! A quantized Qwen2 instruct model (GGUF) run by Candle on the CPU, with a
//! tokenizer built from the GGUF's own metadata.
//!
//! The GGUF carries Qwen2's byte-level BPE (`tokenizer.ggml.tokens`,
//! `tokenizer.ggml.merges`, `tokenizer.ggml.token_type`), so no separate
//! tokenizer.json is needed: [`tokenizer_json`] writes the same structure
//! Qwen ships in its tokenizer.json (NFC, the Qwen2 split regex, byte-level
//! pre-tokenizer and decoder, BPE) and the `tokenizers` crate loads it.

use std::path::Path;
use std::time::Instant;

use super::qwen2::ModelWeights;
use anyhow::{bail, Context, Result};
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use tokenizers::Tokenizer;

/// Qwen2's pre-tokenizer split pattern (from its tokenizer.json).
pub const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// GGUF token types that are special (3 = control, 4 = user defined).
fn is_special(token_type: i32) -> bool {
    token_type == 3 || token_type == 4
}

/// A tokenizer.json (as a JSON value) for a byte-level BPE vocabulary.
pub fn tokenizer_json(
    tokens: &[String],
    merges: &[String],
    token_types: &[i32],
) -> serde_json::Value {
    let vocab: serde_json::Map<String, serde_json::Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), serde_json::json!(i)))
        .collect();
    let added: Vec<serde_json::Value> = tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| token_types.get(*i).copied().is_some_and(is_special))
        .map(|(i, t)| {
            serde_json::json!({"id": i, "content": t, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}
        ]},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": merges}
    })
}

pub fn tokenizer_from_parts(
    tokens: &[String],
    merges: &[String],
    token_types: &[i32],
) -> Result<Tokenizer> {
    let json = tokenizer_json(tokens, merges, token_types).to_string();
    Tokenizer::from_bytes(json.as_bytes())
        .map_err(|e| anyhow::anyhow!("building the tokenizer: {e}"))
}

fn strings(ct: &gguf_file::Content, key: &str) -> Result<Vec<String>> {
    let v = ct
        .metadata
        .get(key)
        .with_context(|| format!("GGUF has no {key}"))?;
    v.to_vec()?
        .iter()
        .map(|x| Ok(x.to_string()?.clone()))
        .collect()
}

/// Block types without a SIMD dot product in Candle 0.11.1's CPU backend.
fn is_slow_on_cpu(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// Re-encodes Q4_1/Q5_0/Q5_1 tensors as Q8_0 in an in-memory GGUF.
///
/// Qwen2.5-0.5B's Q4_K_M file stores most matrices as Q5_0 (its 896-wide
/// rows are not a multiple of the 256-wide k-quant blocks), and Candle runs
/// Q5_0 through a scalar loop; Q8_0 has an AVX2 path and is at least as
/// precise, so this costs a few seconds at load and memory, nothing in quality.
fn requantize_slow_blocks(
    ct: gguf_file::Content,
    file: &mut std::fs::File,
    device: &Device,
) -> Result<(gguf_file::Content, std::io::Cursor<Vec<u8>>)> {
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(ct.tensor_infos.len());
    let mut names: Vec<&String> = ct.tensor_infos.keys().collect();
    names.sort();
    for name in names {
        let qt = ct.tensor(file, name, device)?;
        let qt = if is_slow_on_cpu(qt.dtype()) {
            QTensor::quantize(&qt.dequantize(device)?, GgmlDType::Q8_0)?
        } else {
            qt
        };
        tensors.push((name.clone(), qt));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> =
        ct.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut cursor = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut cursor, &metadata, &refs)?;
    drop(tensors);
    cursor.set_position(0);
    let ct = gguf_file::Content::read(&mut cursor)?;
    Ok((ct, cursor))
}

/// Sampling settings (recorded with the data).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct SamplingParams {
    pub temperature: f64,
    pub top_p: f64,
    pub repeat_penalty: f32,
    pub repeat_last_n: usize,
    pub max_new_tokens: usize,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.8,
            top_p: 0.9,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            max_new_tokens: 400,
        }
    }
}

pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub new_tokens: usize,
    pub prefill_secs: f64,
    pub decode_secs: f64,
    /// Stopped at an end token (false: ran into `max_new_tokens`).
    pub finished: bool,
}

pub struct Llm {
    model: ModelWeights,
    /// A prompt prefix already run through the model: its text, its length in
    /// tokens and the model holding its KV cache (cloned for each prompt).
    prefix: Option<(String, usize, ModelWeights)>,
    pub tokenizer: Tokenizer,
    stop: Vec<u32>,
    device: Device,
}

impl Llm {
    pub fn load(path: &Path) -> Result<Llm> {
        let mut file = std::fs::File::open(path)
            .with_context(|| format!("opening {} (run scripts/fetch-llm)", path.display()))?;
        let ct = gguf_file::Content::read(&mut file)
            .with_context(|| format!("reading GGUF {}", path.display()))?;
        let arch = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "qwen2" {
            bail!("{}: architecture {arch:?}, expected qwen2", path.display());
        }
        let tokens = strings(&ct, "tokenizer.ggml.tokens")?;
        let merges = strings(&ct, "tokenizer.ggml.merges")?;
        let types: Vec<i32> = match ct.metadata.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()?
                .iter()
                .map(|x| x.to_i32().unwrap_or(1))
                .collect(),
            None => Vec::new(),
        };
        let tokenizer = tokenizer_from_parts(&tokens, &merges, &types)?;
        let stop: Vec<u32> = ["<|im_end|>", "<|endoftext|>"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect();
        if stop.is_empty() {
            bail!("{}: no <|im_end|> token in the vocabulary", path.display());
        }
        let device = Device::Cpu;
        let (ct, mut reader) = requantize_slow_blocks(ct, &mut file, &device)?;
        let model = ModelWeights::from_gguf(ct, &mut reader, &device)?;
        Ok(Llm {
            model,
            prefix: None,
            tokenizer,
            stop,
            device,
        })
    }

    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .tokenizer
            .encode(text, false)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?
            .get_ids()
            .to_vec())
    }

    /// Continues `prefix` + `prompt` (in the chat template) until an end
    /// token or `max_new_tokens`. The prefix (identical across calls, ending
    /// at a special-token boundary) is run once and its KV cache reused.
    pub fn generate(
        &mut self,
        prefix: &str,
        prompt: &str,
        params: &SamplingParams,
        seed: u64,
    ) -> Result<Generation> {
        let t0 = Instant::now();
        if self
            .prefix
            .as_ref()
            .is_none_or(|(text, _, _)| text != prefix)
        {
            let ids = self.encode(prefix)?;
            self.model.clear_kv_cache();
            let mut m = self.model.clone();
            if !ids.is_empty() {
                let input = Tensor::new(ids.as_slice(), &self.device)?.unsqueeze(0)?;
                m.forward(&input, 0)?;
            }
            self.prefix = Some((prefix.to_string(), ids.len(), m));
        }
        let (_, offset, cached) = self.prefix.as_ref().expect("set above");
        let offset = *offset;
        let mut model = cached.clone();
        let ids = self.encode(prompt)?;
        if ids.is_empty() {
            bail!("empty prompt");
        }
        let mut sampler = LogitsProcessor::from_sampling(
            seed,
            Sampling::TopP {
                p: params.top_p,
                temperature: params.temperature,
            },
        );
        let input = Tensor::new(ids.as_slice(), &self.device)?.unsqueeze(0)?;
        let logits = model.forward(&input, offset)?.squeeze(0)?;
        let mut next = sampler.sample(&logits)?;
        let prefill_secs = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let mut out: Vec<u32> = Vec::new();
        let mut finished = false;
        loop {
            if self.stop.contains(&next) {
                finished = true;
                break;
            }
            out.push(next);
            if out.len() >= params.max_new_tokens {
                break;
            }
            let input = Tensor::new(&[next], &self.device)?.unsqueeze(0)?;
            let logits = model
                .forward(&input, offset + ids.len() + out.len() - 1)?
                .squeeze(0)?;
            let logits = if params.repeat_penalty == 1.0 {
                logits
            } else {
                let start = out.len().saturating_sub(params.repeat_last_n);
                candle_transformers::utils::apply_repeat_penalty(
                    &logits,
                    params.repeat_penalty,
                    &out[start..],
                )?
            };
            next = sampler.sample(&logits)?;
        }
        let text = self
            .tokenizer
            .decode(&out, true)
            .map_err(|e| anyhow::anyhow!("decoding: {e}"))?;
        Ok(Generation {
            text,
            prompt_tokens: offset + ids.len(),
            new_tokens: out.len(),
            prefill_secs,
            decode_secs: t1.elapsed().as_secs_f64(),
            finished,
        })
    }
}

/// Candle decodes one sequence at a time, reusing the prefix's KV cache.
impl super::generate::Generator for Llm {
    fn generate_all(
        &mut self,
        prefix: &str,
        jobs: &mut dyn Iterator<Item = super::generate::Job>,
        params: &SamplingParams,
        done: &mut dyn FnMut(super::generate::Job, Generation) -> Result<bool>,
    ) -> Result<super::generate::TokenCounts> {
        let mut counts = super::generate::TokenCounts::default();
        for job in jobs {
            let g = self.generate(prefix, &job.prompt, params, job.seed)?;
            counts.prompt_tokens += g.prompt_tokens as u64;
            counts.new_tokens += g.new_tokens as u64;
            if !done(job, g)? {
                break;
            }
        }
        Ok(counts)
    }

    fn parallel(&self) -> usize {
        1
    }
}
