//! BERT in Candle: the trainable model (CPU or CUDA), and the f32/f16
//! reference the fast engine is checked against.
//!
//! Differences from candle-transformers' BERT that matter here: the padding
//! mask uses a large *finite* negative (−10⁴), so f16 never sees −inf − −inf =
//! NaN, and pooling is attention-masked mean pooling as in sentence-transformers.

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{embedding, linear, Embedding, Linear, VarBuilder};

use crate::BertConfig;

const MASK_NEG: f64 = -10_000.0;

/// LayerNorm from composed tensor ops: candle-nn's fused layer-norm kernel has
/// no backward pass, so gradients would stop at every LayerNorm.
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

fn layer_norm(size: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
    Ok(LayerNorm {
        weight: vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?,
        bias: vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?,
        eps,
    })
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let x = x.to_dtype(DType::F32)?;
        let h = x.dim(D::Minus1)? as f64;
        let centered = x.broadcast_sub(&(x.sum_keepdim(D::Minus1)? / h)?)?;
        let var = (centered.sqr()?.sum_keepdim(D::Minus1)? / h)?;
        let normed = centered.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed
            .to_dtype(dtype)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    ln: LayerNorm,
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
            ln: layer_norm(h, cfg.layer_norm_eps, vb.pp("output.LayerNorm"))?,
            heads: cfg.num_attention_heads,
            head_dim: cfg.head_dim(),
        })
    }

    fn forward(&self, x: &Tensor, mask_bias: &Tensor) -> Result<Tensor> {
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
        // Composed softmax: candle-nn's fused `softmax_last_dim` has no backward pass.
        let probs = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, l, h))?;
        self.ln.forward(&(self.out.forward(&ctx)? + x)?)
    }
}

/// One transformer layer (public so a branch, the span tagger, can own some).
pub struct Layer {
    attention: SelfAttention,
    ffn_in: Linear,
    ffn_out: Linear,
    ln: LayerNorm,
}

impl Layer {
    /// Loads the layer under `vb` (e.g. `vb.pp("encoder.layer.3")`).
    pub fn load(vb: VarBuilder, config: &BertConfig) -> Result<Self> {
        let h = config.hidden_size;
        Ok(Layer {
            attention: SelfAttention::load(vb.pp("attention"), config)?,
            ffn_in: linear(h, config.intermediate_size, vb.pp("intermediate.dense"))?,
            ffn_out: linear(config.intermediate_size, h, vb.pp("output.dense"))?,
            ln: layer_norm(h, config.layer_norm_eps, vb.pp("output.LayerNorm"))?,
        })
    }

    /// `x` `[batch, len, hidden]`; `mask_bias` from [`attention_bias`].
    pub fn forward(&self, x: &Tensor, mask_bias: &Tensor) -> Result<Tensor> {
        let a = self.attention.forward(x, mask_bias)?;
        let f = self
            .ffn_out
            .forward(&self.ffn_in.forward(&a)?.gelu_erf()?)?;
        self.ln.forward(&(f + a)?)
    }
}

pub struct CandleBert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    ln_emb: LayerNorm,
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
            ln_emb: layer_norm(h, config.layer_norm_eps, e.pp("LayerNorm"))?,
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
        let (_b, l) = input_ids.dims2()?;
        let positions = Tensor::arange(0u32, l as u32, &self.device)?.unsqueeze(0)?;
        let types = input_ids.zeros_like()?;
        let x = self
            .word
            .forward(input_ids)?
            .broadcast_add(&self.position.forward(&positions)?)?
            .add(&self.token_type.forward(&types)?)?;
        let mut x = self.ln_emb.forward(&x)?;
        let mask_bias = attention_bias(mask, self.dtype)?;
        for layer in &self.layers {
            x = layer.forward(&x, &mask_bias)?;
        }
        Ok(x)
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

/// `[b, 1, 1, l]` additive attention bias: 0 where attended, −10⁴ on padding.
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
