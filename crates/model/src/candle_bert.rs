//! BERT in Candle: the trainable model (CPU or CUDA), and the f32/f16
//! reference the fast engine is checked against.
//!
//! Differences from candle-transformers' BERT that matter here: the padding
//! mask uses a large *finite* negative (−10⁴), so f16 never sees −inf − −inf =
//! NaN, and pooling is attention-masked mean pooling as in sentence-transformers.
//!
//! candle-nn's fused softmax and LayerNorm kernels record no backward pass
//! (`apply_op*_no_bwd`): gradients silently stop at them. Layers therefore run
//! in one of two modes: [`Mode::Inference`] (fused kernels) and
//! [`Mode::Train`] (the same maths from differentiable primitives).

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{embedding, layer_norm, linear, Embedding, LayerNorm, Linear, VarBuilder};

use crate::BertConfig;

const MASK_NEG: f64 = -10_000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Inference,
    Train,
}

/// LayerNorm that knows its epsilon (candle-nn's does not expose it).
struct Norm {
    ln: LayerNorm,
    eps: f32,
}

impl Norm {
    fn load(h: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        Ok(Norm {
            ln: layer_norm(h, eps, vb)?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        match (mode, self.ln.bias()) {
            (Mode::Train, Some(bias)) => {
                candle_nn::ops::layer_norm_slow(x, self.ln.weight(), bias, self.eps)
            }
            _ => self.ln.forward(x),
        }
    }
}

struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    ln: Norm,
    heads: usize,
    head_dim: usize,
}

impl SelfAttention {
    fn load(vb: VarBuilder, cfg: &BertConfig) -> Result<Self> {
        let h = cfg.hidden_size;
        Ok(SelfAttention {
            query: linear(h, h, vb.pp("self.query"))?,
            key: linear(h, h, vb.pp("self.key"))?,
            value: linear(h, h, vb.pp("self.value"))?,
            out: linear(h, h, vb.pp("output.dense"))?,
            ln: Norm::load(h, cfg.layer_norm_eps, vb.pp("output.LayerNorm"))?,
            heads: cfg.num_attention_heads,
            head_dim: cfg.head_dim(),
        })
    }

    fn forward(
        &self,
        x: &Tensor,
        mask_bias: &Tensor,
        mode: Mode,
        drop: &mut Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let (b, l, h) = x.dims3()?;
        let split = |t: Tensor| -> Result<Tensor> {
            t.reshape((b, l, self.heads, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(mask_bias)?;
        let probs = match mode {
            Mode::Inference => candle_nn::ops::softmax_last_dim(&scores)?,
            Mode::Train => candle_nn::ops::softmax(&scores, D::Minus1)?,
        };
        let probs = apply_dropout(drop, probs)?;
        let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, l, h))?;
        let out = apply_dropout(drop, self.out.forward(&ctx)?)?;
        self.ln.forward(&(out + x)?, mode)
    }
}

/// One transformer layer (public so a branch, the span tagger, can own some).
pub struct Layer {
    attention: SelfAttention,
    ffn_in: Linear,
    ffn_out: Linear,
    ln: Norm,
}

impl Layer {
    /// Loads the layer under `vb` (e.g. `vb.pp("encoder.layer.3")`).
    pub fn load(vb: VarBuilder, config: &BertConfig) -> Result<Self> {
        let h = config.hidden_size;
        Ok(Layer {
            attention: SelfAttention::load(vb.pp("attention"), config)?,
            ffn_in: linear(h, config.intermediate_size, vb.pp("intermediate.dense"))?,
            ffn_out: linear(config.intermediate_size, h, vb.pp("output.dense"))?,
            ln: Norm::load(h, config.layer_norm_eps, vb.pp("output.LayerNorm"))?,
        })
    }

    /// `x` `[batch, len, hidden]`; `mask_bias` from [`attention_bias`].
    pub fn forward(&self, x: &Tensor, mask_bias: &Tensor, mode: Mode) -> Result<Tensor> {
        self.forward_dropout(x, mask_bias, mode, None)
    }

    /// [`Layer::forward`] with BERT's training dropout (attention
    /// probabilities, attention output, feed-forward output) when `drop` is given.
    pub fn forward_dropout(
        &self,
        x: &Tensor,
        mask_bias: &Tensor,
        mode: Mode,
        mut drop: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let a = self.attention.forward(x, mask_bias, mode, &mut drop)?;
        let f = self
            .ffn_out
            .forward(&self.ffn_in.forward(&a)?.gelu_erf()?)?;
        let f = apply_dropout(&mut drop, f)?;
        self.ln.forward(&(f + a)?, mode)
    }
}

/// Inverted dropout with masks from a seeded generator (splitmix64), so a
/// training run repeats exactly; candle's own dropout draws from an unseeded one.
pub struct Dropout {
    pub p: f32,
    state: u64,
}

impl Dropout {
    pub fn new(p: f32, seed: u64) -> Self {
        Dropout { p, state: seed }
    }

    /// `x` with each element zeroed with probability `p`, the rest scaled by 1 / (1 − p).
    pub fn apply(&mut self, x: &Tensor) -> Result<Tensor> {
        if self.p <= 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 / (1.0 - self.p);
        let threshold = (self.p as f64 * u32::MAX as f64) as u32;
        let n = x.elem_count();
        let mut mask = Vec::with_capacity(n);
        while mask.len() < n {
            let r = splitmix64(&mut self.state);
            for half in [r as u32, (r >> 32) as u32] {
                if mask.len() < n {
                    mask.push(if half < threshold { 0.0f32 } else { keep });
                }
            }
        }
        let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
        x * mask
    }
}

/// splitmix64: the small seeded generator the trainers shuffle and drop out with.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn apply_dropout(drop: &mut Option<&mut Dropout>, x: Tensor) -> Result<Tensor> {
    match drop {
        Some(d) => d.apply(&x),
        None => Ok(x),
    }
}

pub struct CandleBert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    ln_emb: Norm,
    layers: Vec<Layer>,
    pub config: BertConfig,
    dtype: DType,
    device: Device,
}

impl CandleBert {
    /// Builds the model from a `VarBuilder` whose names follow Hugging Face BERT
    /// (no `bert.` prefix): a safetensors checkpoint or a trainer's `VarMap`.
    pub fn load(vb: VarBuilder, config: &BertConfig) -> Result<Self> {
        let h = config.hidden_size;
        let e = vb.pp("embeddings");
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            layers.push(Layer::load(vb.pp(format!("encoder.layer.{l}")), config)?);
        }
        Ok(CandleBert {
            word: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            position: embedding(
                config.max_position_embeddings,
                h,
                e.pp("position_embeddings"),
            )?,
            token_type: embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?,
            ln_emb: Norm::load(h, config.layer_norm_eps, e.pp("LayerNorm"))?,
            layers,
            config: config.clone(),
            dtype: vb.dtype(),
            device: vb.device().clone(),
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Token states `[batch, len, hidden]` for `input_ids` `[batch, len]` (u32)
    /// and `mask` `[batch, len]` (1 for tokens, 0 for padding; any dtype).
    pub fn forward(&self, input_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let x = self.embed_tokens(input_ids, Mode::Inference)?;
        let bias = self.mask_bias(mask)?;
        self.forward_layers(x, &bias, 0..self.layers.len(), Mode::Inference)
    }

    /// Embedding layer output (word + position + type, LayerNorm).
    pub fn embed_tokens(&self, input_ids: &Tensor, mode: Mode) -> Result<Tensor> {
        let (_b, l) = input_ids.dims2()?;
        let positions = Tensor::arange(0u32, l as u32, &self.device)?.unsqueeze(0)?;
        let types = input_ids.zeros_like()?;
        let x = self
            .word
            .forward(input_ids)?
            .broadcast_add(&self.position.forward(&positions)?)?
            .add(&self.token_type.forward(&types)?)?;
        self.ln_emb.forward(&x, mode)
    }

    /// Additive attention bias `[b, 1, 1, l]`: 0 where attended, −10⁴ on padding.
    pub fn mask_bias(&self, mask: &Tensor) -> Result<Tensor> {
        attention_bias(mask, self.dtype)
    }

    /// Runs the transformer layers in `layers` on hidden states `x`. Training
    /// with a frozen trunk runs `0..k`, detaches, then runs `k..n`.
    pub fn forward_layers(
        &self,
        mut x: Tensor,
        mask_bias: &Tensor,
        layers: std::ops::Range<usize>,
        mode: Mode,
    ) -> Result<Tensor> {
        for layer in &self.layers[layers] {
            x = layer.forward(&x, mask_bias, mode)?;
        }
        Ok(x)
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Sentence vectors `[batch, hidden]` (f32): masked mean pooling, L2-normalised.
    pub fn embed(&self, input_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let states = self.forward(input_ids, mask)?.to_dtype(DType::F32)?;
        masked_mean_normalized(&states, mask)
    }

    /// Pads token-id sequences into `(ids, mask)` tensors on this model's device.
    pub fn batch_tensors(&self, batch: &[&[u32]]) -> Result<(Tensor, Tensor)> {
        pad_batch(batch, &self.device)
    }
}

/// Additive attention bias `[b, 1, 1, l]` in `dtype`: 0 where attended, −10⁴ on padding.
pub fn attention_bias(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    let m = mask.to_dtype(dtype)?;
    ((m.ones_like()? - m)? * MASK_NEG)?
        .unsqueeze(1)?
        .unsqueeze(1)
}

/// Masked mean over `[batch, len, hidden]` then L2 normalisation.
pub fn masked_mean_normalized(states: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let m = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
    let sum = states.broadcast_mul(&m)?.sum(1)?;
    let count = m.sum(1)?.clamp(1e-9, f64::MAX)?;
    let mean = sum.broadcast_div(&count)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    mean.broadcast_div(&norm)
}

/// Right-pads with 0 (`[PAD]`) to the longest sequence.
pub fn pad_batch(batch: &[&[u32]], device: &Device) -> Result<(Tensor, Tensor)> {
    let len = batch.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let mut ids = vec![0u32; batch.len() * len];
    let mut mask = vec![0u32; batch.len() * len];
    for (i, s) in batch.iter().enumerate() {
        ids[i * len..i * len + s.len()].copy_from_slice(s);
        mask[i * len..i * len + s.len()]
            .iter_mut()
            .for_each(|m| *m = 1);
    }
    Ok((
        Tensor::from_vec(ids, (batch.len(), len), device)?,
        Tensor::from_vec(mask, (batch.len(), len), device)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_zeroes_about_p_scales_the_rest_and_repeats_per_seed() -> Result<()> {
        let x = Tensor::ones((64, 100), DType::F32, &Device::Cpu)?;
        let a: Vec<f32> = Dropout::new(0.1, 7).apply(&x)?.flatten_all()?.to_vec1()?;
        let zeros = a.iter().filter(|&&v| v == 0.0).count();
        assert!((500..800).contains(&zeros), "{zeros} of 6400 dropped");
        assert!(a.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.9).abs() < 1e-6));
        let b: Vec<f32> = Dropout::new(0.1, 7).apply(&x)?.flatten_all()?.to_vec1()?;
        assert_eq!(a, b);
        let c: Vec<f32> = Dropout::new(0.1, 8).apply(&x)?.flatten_all()?.to_vec1()?;
        assert_ne!(a, c);
        let off: Vec<f32> = Dropout::new(0.0, 7).apply(&x)?.flatten_all()?.to_vec1()?;
        assert!(off.iter().all(|&v| v == 1.0));
        // Gradients pass through the kept elements.
        let v = candle_core::Var::ones((4, 4), DType::F32, &Device::Cpu)?;
        let y = Dropout::new(0.5, 1).apply(v.as_tensor())?.sum_all()?;
        let g: Vec<f32> = y.backward()?.get(&v).unwrap().flatten_all()?.to_vec1()?;
        assert!(g.iter().all(|&v| v == 0.0 || v == 2.0) && g.contains(&2.0));
        Ok(())
    }
}
