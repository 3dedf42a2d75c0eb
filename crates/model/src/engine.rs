//! The runtime encoder: a BERT forward pass over plain buffers with int8 or
//! f32 matrices (see [`crate::kernels`]).
//!
//! Sequences of a batch are never padded: their tokens are stacked into one
//! `T × hidden` matrix for every dense layer, and attention runs per sequence
//! over its own tokens. So batching costs no wasted work and a sentence's
//! vector does not depend on what it is batched with.

use crate::kernels::{matmul_f32, matmul_f32_packed, matmul_q8, Kernel, PackedF32, QActs, QMatrix};
use crate::weights::{StoredTensor, TensorData, TensorStore};
use crate::{BertConfig, ModelError};

/// How the dense layers compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f32 weights, f32 math.
    F32,
    /// int8 weights (one scale per row) with activations quantized per row on
    /// the fly, except the query/key/value projections, which run in f32.
    Int8,
    /// Every dense layer in int8 (fastest, least accurate).
    Int8All,
}

enum Matrix {
    F32 {
        w: Vec<f32>,
        rows: usize,
        cols: usize,
    },
    /// f32 laid out for the FMA kernels (same results as `F32`).
    F32Packed(PackedF32),
    Q8(QMatrix),
}

impl Matrix {
    fn rows(&self) -> usize {
        match self {
            Matrix::F32 { rows, .. } => *rows,
            Matrix::F32Packed(p) => p.rows(),
            Matrix::Q8(m) => m.rows,
        }
    }
    fn cols(&self) -> usize {
        match self {
            Matrix::F32 { cols, .. } => *cols,
            Matrix::F32Packed(p) => p.cols(),
            Matrix::Q8(m) => m.cols,
        }
    }
    fn size_bytes(&self) -> usize {
        match self {
            Matrix::F32 { w, .. } => w.len() * 4,
            Matrix::F32Packed(p) => p.size_bytes(),
            Matrix::Q8(m) => m.size_bytes(),
        }
    }

    /// f32 weights packed for the FMA kernels where they apply.
    fn packed(self) -> Matrix {
        match self {
            Matrix::F32 { w, rows, cols } => match PackedF32::new(&w, rows, cols) {
                Some(p) => Matrix::F32Packed(p),
                None => Matrix::F32 { w, rows, cols },
            },
            m => m,
        }
    }
}

struct Linear {
    w: Matrix,
    b: Vec<f32>,
}

impl Linear {
    fn forward(
        &self,
        x: &[f32],
        m: usize,
        out: &mut Vec<f32>,
        scratch: &mut QActs,
        kernel: Kernel,
    ) {
        let n = self.w.rows();
        let k = self.w.cols();
        out.clear();
        out.resize(m * n, 0.0);
        match &self.w {
            Matrix::F32 { w, .. } => matmul_f32(x, m, w, n, k, Some(&self.b), out),
            Matrix::F32Packed(p) => matmul_f32_packed(x, m, p, Some(&self.b), out),
            Matrix::Q8(q) => {
                scratch.quantize(x, m, k, kernel);
                matmul_q8(scratch, q, Some(&self.b), out, kernel);
            }
        }
    }
}

struct LayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    fn apply(&self, x: &mut [f32]) {
        let h = self.gamma.len();
        for row in x.chunks_exact_mut(h) {
            let mean = row.iter().sum::<f32>() / h as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
            let inv = 1.0 / (var + self.eps).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
                *v = (*v - mean) * inv * g + b;
            }
        }
    }
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    ln_attn: LayerNorm,
    ffn_in: Linear,
    ffn_out: Linear,
    ln_ffn: LayerNorm,
}

enum Table {
    F32(Vec<f32>),
    Q8(QMatrix),
}

/// Token states of a batch: row `t` of `states` (`hidden` wide) is token `t`;
/// sequence `i` owns rows `ranges[i]`.
#[derive(Clone, Debug)]
pub struct TokenStates {
    pub hidden: usize,
    pub states: Vec<f32>,
    pub ranges: Vec<std::ops::Range<usize>>,
}

impl TokenStates {
    /// Mean over each sequence's tokens, L2-normalised.
    pub fn mean_pooled(&self) -> Vec<Vec<f32>> {
        self.ranges
            .iter()
            .map(|r| {
                mean_pool(
                    &self.states[r.start * self.hidden..r.end * self.hidden],
                    self.hidden,
                )
            })
            .collect()
    }
}

/// Mean of the rows of `rows` (`hidden` wide), L2-normalised.
pub fn mean_pool(rows: &[f32], hidden: usize) -> Vec<f32> {
    let mut v = vec![0f32; hidden];
    let n = rows.len() / hidden.max(1);
    for row in rows.chunks_exact(hidden) {
        for (a, b) in v.iter_mut().zip(row) {
            *a += b;
        }
    }
    if n > 0 {
        v.iter_mut().for_each(|a| *a /= n as f32);
    }
    l2_normalize(&mut v);
    v
}

pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

pub struct Encoder {
    cfg: BertConfig,
    precision: Precision,
    kernel: Kernel,
    word: Table,
    /// Token id → row of `word`, when the table is pruned (dropped ids share the fallback's row).
    word_row: Option<Vec<u32>>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    ln_emb: LayerNorm,
    layers: Vec<Layer>,
}

fn matrix(t: StoredTensor, precision: Precision, name: &str) -> Result<Matrix, ModelError> {
    if t.shape.len() != 2 {
        return Err(ModelError::Format(format!("{name}: expected a matrix")));
    }
    let (rows, cols) = (t.shape[0], t.shape[1]);
    Ok(match (t.data, precision) {
        (TensorData::Q8(q), Precision::Int8 | Precision::Int8All) => Matrix::Q8(q.for_matmul()),
        (TensorData::F32(w), Precision::Int8 | Precision::Int8All) => {
            Matrix::Q8(QMatrix::quantize(&w, rows, cols).for_matmul())
        }
        (data, Precision::F32) => Matrix::F32 {
            w: StoredTensor {
                shape: vec![rows, cols],
                data,
            }
            .to_f32(),
            rows,
            cols,
        },
    })
}

fn vector(store: &mut TensorStore, name: &str, len: usize) -> Result<Vec<f32>, ModelError> {
    let v = store.take(name)?.to_f32();
    if v.len() != len {
        return Err(ModelError::Format(format!(
            "{name}: expected {len} values, found {}",
            v.len()
        )));
    }
    Ok(v)
}

fn load_ln(
    store: &mut TensorStore,
    prefix: &str,
    h: usize,
    eps: f32,
) -> Result<LayerNorm, ModelError> {
    Ok(LayerNorm {
        gamma: vector(store, &format!("{prefix}.weight"), h)?,
        beta: vector(store, &format!("{prefix}.bias"), h)?,
        eps,
    })
}

fn load_linear(
    store: &mut TensorStore,
    prefix: &str,
    rows: usize,
    cols: usize,
    precision: Precision,
) -> Result<Linear, ModelError> {
    let name = format!("{prefix}.weight");
    let t = store.take(&name)?;
    if t.shape != [rows, cols] {
        return Err(ModelError::Format(format!(
            "{name}: shape {:?}, expected [{rows}, {cols}]",
            t.shape
        )));
    }
    // Per-token int8 quantization of the LayerNorm output that feeds
    // the attention projections costs ~3 RP@5 points on validation
    // (min cosine 0.993 → 0.997 with them in f32), so `Int8` keeps
    // those in f32; `Int8All` quantizes every layer.
    let p = match precision {
        Precision::Int8 if prefix.contains("attention.self") => Precision::F32,
        Precision::Int8All => Precision::Int8,
        p => p,
    };
    Ok(Linear {
        w: matrix(t, p, &name)?,
        b: vector(store, &format!("{prefix}.bias"), rows)?,
    })
}

/// One transformer layer stored under `prefix` (`encoder.layer.3`).
fn load_layer(
    store: &mut TensorStore,
    p: &str,
    cfg: &BertConfig,
    precision: Precision,
) -> Result<Layer, ModelError> {
    let h = cfg.hidden_size;
    let eps = cfg.layer_norm_eps as f32;
    let q = load_linear(store, &format!("{p}.attention.self.query"), h, h, precision)?;
    let k = load_linear(store, &format!("{p}.attention.self.key"), h, h, precision)?;
    let v = load_linear(store, &format!("{p}.attention.self.value"), h, h, precision)?;
    let layer = Layer {
        qkv: fuse_qkv(q, k, v, precision),
        attn_out: load_linear(
            store,
            &format!("{p}.attention.output.dense"),
            h,
            h,
            precision,
        )?,
        ln_attn: load_ln(store, &format!("{p}.attention.output.LayerNorm"), h, eps)?,
        ffn_in: load_linear(
            store,
            &format!("{p}.intermediate.dense"),
            cfg.intermediate_size,
            h,
            precision,
        )?,
        ffn_out: load_linear(
            store,
            &format!("{p}.output.dense"),
            h,
            cfg.intermediate_size,
            precision,
        )?,
        ln_ffn: load_ln(store, &format!("{p}.output.LayerNorm"), h, eps)?,
    };
    let pack = |l: Linear| Linear {
        w: l.w.packed(),
        b: l.b,
    };
    Ok(Layer {
        qkv: pack(layer.qkv),
        attn_out: pack(layer.attn_out),
        ffn_in: pack(layer.ffn_in),
        ffn_out: pack(layer.ffn_out),
        ..layer
    })
}

impl Encoder {
    /// Builds the encoder from loaded weights. `Int8` quantizes f32 weights per
    /// row; q8_0 weights stay int8. `F32` dequantizes q8_0 weights.
    pub fn new(
        cfg: BertConfig,
        mut store: TensorStore,
        precision: Precision,
    ) -> Result<Self, ModelError> {
        cfg.validate()?;
        let h = cfg.hidden_size;
        let eps = cfg.layer_norm_eps as f32;
        let word_t = store.take("embeddings.word_embeddings.weight")?;
        let word_row = match store.vocab_rows.take() {
            Some((ids, fallback)) => Some(vocab_row_map(&ids, fallback, cfg.vocab_size)?),
            None => None,
        };
        let table_rows = word_row.as_ref().map_or(cfg.vocab_size, |m| {
            1 + m.iter().copied().max().unwrap_or(0) as usize
        });
        if word_t.shape != [table_rows, h] {
            return Err(ModelError::Format(format!(
                "word embeddings: shape {:?}, expected [{table_rows}, {h}]",
                word_t.shape
            )));
        }
        let word = match (word_t.data, precision) {
            (TensorData::Q8(q), Precision::Int8 | Precision::Int8All) => Table::Q8(q),
            (TensorData::F32(w), Precision::Int8 | Precision::Int8All) => {
                Table::Q8(QMatrix::quantize(&w, table_rows, h))
            }
            (data, Precision::F32) => Table::F32(
                StoredTensor {
                    shape: vec![table_rows, h],
                    data,
                }
                .to_f32(),
            ),
        };
        let position = store
            .take("embeddings.position_embeddings.weight")?
            .to_f32();
        if position.len() != cfg.max_position_embeddings * h {
            return Err(ModelError::Format("position embeddings: wrong size".into()));
        }
        let token_type = store
            .take("embeddings.token_type_embeddings.weight")?
            .to_f32();
        if token_type.len() < h {
            return Err(ModelError::Format(
                "token type embeddings: wrong size".into(),
            ));
        }
        let ln_emb = load_ln(&mut store, "embeddings.LayerNorm", h, eps)?;
        let layers = (0..cfg.num_hidden_layers)
            .map(|l| load_layer(&mut store, &format!("encoder.layer.{l}"), &cfg, precision))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Encoder {
            token_type0: token_type[..h].to_vec(),
            cfg,
            precision,
            kernel: Kernel::detect(),
            word,
            word_row,
            position,
            ln_emb,
            layers,
        })
    }

    pub fn config(&self) -> &BertConfig {
        &self.cfg
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Chooses the int8 kernel (tests compare kernels; unsupported ones are refused).
    pub fn set_kernel(&mut self, kernel: Kernel) -> Result<(), ModelError> {
        if !kernel.supported() {
            return Err(ModelError::Format(format!(
                "kernel {} not supported here",
                kernel.name()
            )));
        }
        self.kernel = kernel;
        Ok(())
    }

    pub fn hidden_size(&self) -> usize {
        self.cfg.hidden_size
    }

    /// Bytes held by the weights.
    pub fn weight_bytes(&self) -> usize {
        let table = match &self.word {
            Table::F32(v) => v.len() * 4,
            Table::Q8(q) => q.size_bytes(),
        };
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                [&l.qkv, &l.attn_out, &l.ffn_in, &l.ffn_out]
                    .iter()
                    .map(|lin| lin.w.size_bytes() + lin.b.len() * 4)
                    .sum::<usize>()
            })
            .sum();
        table + layers + self.position.len() * 4
    }

    /// Sentence vectors (masked mean pooling, L2-normalised), one per sequence of token ids.
    pub fn embed(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, ModelError> {
        Ok(self.token_states(batch)?.mean_pooled())
    }

    /// Embedding-layer output (before the first transformer layer) for a
    /// batch of token-id sequences.
    pub fn embed_tokens(&self, batch: &[&[u32]]) -> Result<TokenStates, ModelError> {
        let h = self.cfg.hidden_size;
        let mut ranges = Vec::with_capacity(batch.len());
        let mut t = 0;
        for ids in batch {
            if ids.len() > self.cfg.max_position_embeddings {
                return Err(ModelError::Input(format!(
                    "sequence of {} tokens is longer than the model's {} positions",
                    ids.len(),
                    self.cfg.max_position_embeddings
                )));
            }
            if let Some(&bad) = ids.iter().find(|&&id| id as usize >= self.cfg.vocab_size) {
                return Err(ModelError::Input(format!(
                    "token id {bad} is outside the vocabulary"
                )));
            }
            ranges.push(t..t + ids.len());
            t += ids.len();
        }
        let mut x = vec![0f32; t * h];
        for (ids, r) in batch.iter().zip(&ranges) {
            for (pos, &id) in ids.iter().enumerate() {
                let id = self.word_row.as_ref().map_or(id, |m| m[id as usize]);
                let row = &mut x[(r.start + pos) * h..(r.start + pos + 1) * h];
                match &self.word {
                    Table::F32(w) => {
                        row.copy_from_slice(&w[id as usize * h..(id as usize + 1) * h])
                    }
                    Table::Q8(q) => q.dequantize_row(id as usize, row),
                }
                let p = &self.position[pos * h..(pos + 1) * h];
                for ((v, a), b) in row.iter_mut().zip(p).zip(&self.token_type0) {
                    *v += a + b;
                }
            }
        }
        self.ln_emb.apply(&mut x);
        Ok(TokenStates {
            hidden: h,
            states: x,
            ranges,
        })
    }

    /// The last layer's token states for a batch of token-id sequences.
    pub fn token_states(&self, batch: &[&[u32]]) -> Result<TokenStates, ModelError> {
        let mut states = self.embed_tokens(batch)?;
        self.run_layers(&mut states, 0..self.layers.len());
        Ok(states)
    }

    /// Runs layers `layers` (a sub-range of `0..num_layers`) over `states`:
    /// with [`Self::embed_tokens`] this lets a branch (the span tagger) fork
    /// off after any layer and the rest of the encoder continue.
    pub fn run_layers(&self, states: &mut TokenStates, layers: std::ops::Range<usize>) {
        let mut bufs = Buffers::default();
        for layer in &self.layers[layers] {
            layer_forward(layer, &self.cfg, self.kernel, states, &mut bufs, None);
        }
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }
}

/// Transformer layers without embeddings, continuing from another encoder's
/// token states (the span tagger's own layers).
pub struct LayerStack {
    cfg: BertConfig,
    kernel: Kernel,
    layers: Vec<Layer>,
}

impl LayerStack {
    /// Loads the layers stored under `prefixes` (e.g. `encoder.layer.3`).
    pub fn new(
        cfg: BertConfig,
        store: &mut TensorStore,
        prefixes: &[String],
        precision: Precision,
    ) -> Result<Self, ModelError> {
        cfg.validate()?;
        let layers = prefixes
            .iter()
            .map(|p| load_layer(store, p, &cfg, precision))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LayerStack {
            cfg,
            kernel: Kernel::detect(),
            layers,
        })
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    pub fn forward(&self, states: &mut TokenStates) {
        let mut bufs = Buffers::default();
        for layer in &self.layers {
            layer_forward(layer, &self.cfg, self.kernel, states, &mut bufs, None);
        }
    }

    /// As [`Self::forward`], showing `observe` the input of every dense layer
    /// before it runs (layer number in the stack, which one, `tokens × in`
    /// values): calibration data for weight quantization (GPTQ).
    pub fn forward_observed(
        &self,
        states: &mut TokenStates,
        observe: &mut dyn FnMut(usize, Dense, &[f32]),
    ) {
        let mut bufs = Buffers::default();
        for (i, layer) in self.layers.iter().enumerate() {
            let mut at = |d: Dense, x: &[f32]| observe(i, d, x);
            layer_forward(
                layer,
                &self.cfg,
                self.kernel,
                states,
                &mut bufs,
                Some(&mut at),
            );
        }
    }
}

/// Sees the input of each dense layer before it runs (calibration, GPTQ).
type DenseObserver<'a> = dyn FnMut(Dense, &[f32]) + 'a;

/// The dense layers of a transformer layer, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dense {
    /// Query, key and value projections (one input).
    Qkv,
    /// Attention output projection.
    AttnOut,
    /// Feed-forward up projection.
    FfnIn,
    /// Feed-forward down projection.
    FfnOut,
}

fn layer_forward(
    layer: &Layer,
    cfg: &BertConfig,
    kernel: Kernel,
    s: &mut TokenStates,
    b: &mut Buffers,
    mut observe: Option<&mut DenseObserver>,
) {
    let h = cfg.hidden_size;
    let t = s.states.len() / h.max(1);
    let x = &mut s.states;
    let mut see = |d: Dense, v: &[f32]| {
        if let Some(o) = observe.as_mut() {
            o(d, v)
        }
    };
    see(Dense::Qkv, x);
    layer.qkv.forward(x, t, &mut b.qkv, &mut b.acts, kernel);
    b.ctx.clear();
    b.ctx.resize(t * h, 0.0);
    attention(&b.qkv, &mut b.ctx, &s.ranges, cfg.num_attention_heads, h);
    see(Dense::AttnOut, &b.ctx);
    layer
        .attn_out
        .forward(&b.ctx, t, &mut b.tmp, &mut b.acts, kernel);
    for (o, r) in b.tmp.iter_mut().zip(x.iter()) {
        *o += r;
    }
    layer.ln_attn.apply(&mut b.tmp);
    see(Dense::FfnIn, &b.tmp);
    layer
        .ffn_in
        .forward(&b.tmp, t, &mut b.ffn, &mut b.acts, kernel);
    b.ffn.iter_mut().for_each(|v| *v = gelu(*v));
    see(Dense::FfnOut, &b.ffn);
    layer.ffn_out.forward(&b.ffn, t, x, &mut b.acts, kernel);
    for (o, r) in x.iter_mut().zip(&b.tmp) {
        *o += r;
    }
    layer.ln_ffn.apply(x);
}

/// Token id → table row for a pruned table that keeps the rows of `kept`
/// (in that order); every other id reads the row of `fallback`.
fn vocab_row_map(kept: &[u32], fallback: u32, vocab: usize) -> Result<Vec<u32>, ModelError> {
    let bad = |m: String| ModelError::Format(format!("pruned vocabulary: {m}"));
    let mut map = vec![u32::MAX; vocab];
    for (row, &id) in kept.iter().enumerate() {
        let slot = map
            .get_mut(id as usize)
            .ok_or_else(|| bad(format!("token id {id} is outside the vocabulary")))?;
        if *slot != u32::MAX {
            return Err(bad(format!("token id {id} is listed twice")));
        }
        *slot = row as u32;
    }
    let fb = *map
        .get(fallback as usize)
        .filter(|&&r| r != u32::MAX)
        .ok_or_else(|| bad(format!("fallback id {fallback} has no row")))?;
    map.iter_mut()
        .filter(|r| **r == u32::MAX)
        .for_each(|r| *r = fb);
    Ok(map)
}

#[derive(Default)]
struct Buffers {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    ffn: Vec<f32>,
    acts: QActs,
}

/// Stacks the query, key and value projections into one `3h × h` layer.
fn fuse_qkv(q: Linear, k: Linear, v: Linear, precision: Precision) -> Linear {
    let b: Vec<f32> = [q.b, k.b, v.b].concat();
    let w = match (q.w, k.w, v.w, precision) {
        (
            Matrix::F32 { w: qw, rows, cols },
            Matrix::F32 { w: kw, .. },
            Matrix::F32 { w: vw, .. },
            _,
        ) => Matrix::F32 {
            w: [qw, kw, vw].concat(),
            rows: rows * 3,
            cols,
        },
        (Matrix::Q8(qm), Matrix::Q8(km), Matrix::Q8(vm), _) => {
            let (rows, cols) = (qm.rows, qm.cols);
            let mut qs = Vec::with_capacity(3 * rows * cols);
            let mut scales = Vec::with_capacity(3 * rows);
            for m in [&qm, &km, &vm] {
                for r in 0..rows {
                    let (row, s) = m.row(r);
                    qs.extend_from_slice(row);
                    scales.push(s);
                }
            }
            Matrix::Q8(QMatrix::from_parts(&qs, scales, 3 * rows, cols).for_matmul())
        }
        _ => unreachable!("q, k and v share one precision"),
    };
    Linear { w, b }
}

/// Multi-head self-attention per sequence. `qkv` rows are `[q | k | v]`
/// (`3h` wide); writes the context vectors into `ctx` (`h` wide).
fn attention(
    qkv: &[f32],
    ctx: &mut [f32],
    ranges: &[std::ops::Range<usize>],
    heads: usize,
    h: usize,
) {
    let d = h / heads;
    let scale = 1.0 / (d as f32).sqrt();
    let ctx_ptr = CtxPtr(ctx.as_mut_ptr());
    let one = |(r, head): (&std::ops::Range<usize>, usize)| {
        // SAFETY: each (sequence, head) task writes only its own rows × head columns.
        let out = |i: usize| unsafe {
            std::slice::from_raw_parts_mut(ctx_ptr.at((r.start + i) * h + head * d), d)
        };
        attend_head(qkv, r.clone(), head * d, d, h, scale, out);
    };
    let tasks = ranges
        .iter()
        .flat_map(|r| (0..heads).map(move |hd| (r, hd)));
    #[cfg(not(target_arch = "wasm32"))]
    {
        let work: usize = ranges
            .iter()
            .map(|r| (r.end - r.start).pow(2))
            .sum::<usize>()
            * h;
        if work > 100_000 && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let tasks: Vec<_> = tasks.collect();
            tasks.into_par_iter().for_each(one);
            return;
        }
    }
    tasks.for_each(one);
}

/// Attention of one head (columns `off..off + d` of q, k and v) over one
/// sequence (rows `r` of `qkv`); `out(i)` is where token `i`'s context goes.
fn attend_head<'a>(
    qkv: &[f32],
    r: std::ops::Range<usize>,
    off: usize,
    d: usize,
    h: usize,
    scale: f32,
    out: impl FnMut(usize) -> &'a mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature.
            return unsafe { attend_head_avx512(qkv, r, off, d, h, scale, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has the feature.
            return unsafe { attend_head_avx2(qkv, r, off, d, h, scale, out) };
        }
    }
    attend_head_body(qkv, r, off, d, h, scale, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn attend_head_avx512<'a>(
    qkv: &[f32],
    r: std::ops::Range<usize>,
    off: usize,
    d: usize,
    h: usize,
    scale: f32,
    out: impl FnMut(usize) -> &'a mut [f32],
) {
    attend_head_body(qkv, r, off, d, h, scale, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn attend_head_avx2<'a>(
    qkv: &[f32],
    r: std::ops::Range<usize>,
    off: usize,
    d: usize,
    h: usize,
    scale: f32,
    out: impl FnMut(usize) -> &'a mut [f32],
) {
    attend_head_body(qkv, r, off, d, h, scale, out)
}

/// The work of [`attend_head`], compiled for each instruction set.
///
/// Natively q·k runs over keys in SIMD lanes from a transposed copy of K,
/// each lane adding its d products in order from −0.0 as `Iterator::sum`
/// does: the same bits as the ordered dot product, and every other step is
/// elementwise or in order too (no FMA contraction in Rust), so the vectors
/// do not change. In wasm q·k is [`dot_lanes`].
#[inline(always)]
fn attend_head_body<'a>(
    qkv: &[f32],
    r: std::ops::Range<usize>,
    off: usize,
    d: usize,
    h: usize,
    scale: f32,
    mut out: impl FnMut(usize) -> &'a mut [f32],
) {
    let len = r.end - r.start;
    let row = |j: usize| &qkv[(r.start + j) * 3 * h..(r.start + j + 1) * 3 * h];
    let mut scores = vec![0f32; len];
    let mut acc = vec![0f32; d];
    #[cfg(not(target_arch = "wasm32"))]
    let kt = {
        let mut kt = vec![0f32; d * len];
        for j in 0..len {
            for (t, &v) in row(j)[h + off..h + off + d].iter().enumerate() {
                kt[t * len + j] = v;
            }
        }
        kt
    };
    for i in 0..len {
        let qi = &row(i)[off..off + d];
        #[cfg(not(target_arch = "wasm32"))]
        {
            scores.iter_mut().for_each(|s| *s = -0.0);
            for (&q, kt) in qi.iter().zip(kt.chunks_exact(len)) {
                for (s, &k) in scores.iter_mut().zip(kt) {
                    *s += q * k;
                }
            }
            scores.iter_mut().for_each(|s| *s *= scale);
        }
        #[cfg(target_arch = "wasm32")]
        for (j, s) in scores.iter_mut().enumerate() {
            *s = dot_lanes(qi, &row(j)[h + off..h + off + d]) * scale;
        }
        let mut max = f32::NEG_INFINITY;
        for &s in &scores {
            max = max.max(s);
        }
        let mut sum = 0.0;
        for s in scores.iter_mut() {
            *s = softmax_exp(*s - max);
            sum += *s;
        }
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (j, &p) in scores.iter().enumerate() {
            let vj = &row(j)[2 * h + off..2 * h + off + d];
            for (a, v) in acc.iter_mut().zip(vj) {
                *a += p * v;
            }
        }
        let inv = 1.0 / sum;
        for (o, a) in out(i).iter_mut().zip(&acc) {
            *o = a * inv;
        }
    }
}

/// `e^x` for the softmax's x ≤ 0 (relative error < 1e-5, most of it from
/// rounding x·log2 e in f32; 0 below −87): 2^(x·log2 e) as an exponent-bits
/// power of two times a degree-7 polynomial. wasm has no `exp` instruction, and libm's `expf` was 4.6 %
/// of a browser highlight.
pub fn exp_nonpositive(x: f32) -> f32 {
    if x < -87.0 || x.is_nan() {
        return 0.0;
    }
    let t = x.min(0.0) * std::f32::consts::LOG2_E;
    let i = t.floor();
    let f = t - i; // in [0, 1)
                   // 2^f on [0, 1): Taylor coefficients of e^(f ln 2), Horner form.
    const C: [f32; 8] = [
        1.0,
        std::f32::consts::LN_2,
        0.240_226_5,
        0.055_504_11,
        0.009_618_129,
        0.001_333_355_8,
        0.000_154_035_3,
        0.000_015_252_73,
    ];
    let mut p = C[7];
    for c in C[..7].iter().rev() {
        p = p * f + c;
    }
    p * f32::from_bits((((i as i32) + 127) as u32) << 23)
}

/// The attention's `e^x`. Natively libm's, so native vectors stay bit-exact
/// with those the shipped skill index was built from (a test rebuilds it);
/// in wasm the polynomial, which is several times faster there.
fn softmax_exp(x: f32) -> f32 {
    #[cfg(target_arch = "wasm32")]
    return exp_nonpositive(x);
    #[cfg(not(target_arch = "wasm32"))]
    x.exp()
}

/// Dot product in eight independent lanes, which the compiler turns into
/// SIMD (a plain `.sum()` must add in order, so it stays scalar).
pub fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[derive(Clone, Copy)]
struct CtxPtr(*mut f32);
unsafe impl Send for CtxPtr {}
unsafe impl Sync for CtxPtr {}

impl CtxPtr {
    /// # Safety
    /// `offset` must lie inside the buffer this pointer came from.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        self.0.add(offset)
    }
}

/// GELU, erf form (as BERT's "gelu").
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf as a rational function of x² (the fast f32 form used by Eigen and
/// XLA): no `exp`, so it vectorizes; |error| < 1e-6.
fn erf(x: f32) -> f32 {
    const A: [f32; 7] = [
        -2.726_142_3e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ];
    const B: [f32; 5] = [
        -1.456_607_2e-5,
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329_2e-3,
        -1.426_474e-2,
    ];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = A[0];
    for a in &A[1..] {
        p = p * x2 + a;
    }
    let mut q = B[0];
    for b in &B[1..] {
        q = q * x2 + b;
    }
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in f64 (Numerical Recipes' erfc fit, |error| < 1.2e-7), the yardstick.
    fn erf_reference(x: f64) -> f64 {
        let z = x.abs();
        let t = 1.0 / (1.0 + 0.5 * z);
        let poly = [
            -1.26551223,
            1.00002368,
            0.37409196,
            0.09678418,
            -0.18628806,
            0.27886807,
            -1.13520398,
            1.48851587,
            -0.82215223,
            0.17087277,
        ];
        let mut acc = 0.0;
        for c in poly.iter().rev() {
            acc = acc * t + c;
        }
        let e = 1.0 - t * (-z * z + acc).exp();
        if x >= 0.0 {
            e
        } else {
            -e
        }
    }

    #[test]
    fn fast_erf_is_accurate_everywhere() {
        for i in -8000..=8000 {
            let x = i as f64 / 1000.0;
            let d = (erf(x as f32) as f64 - erf_reference(x)).abs();
            assert!(d < 1e-6, "erf({x}): off by {d}");
        }
    }

    #[test]
    fn pruned_vocabulary_maps_dropped_ids_to_the_fallback_row() {
        let map = vocab_row_map(&[0, 3, 100, 7], 100, 120).unwrap();
        assert_eq!((map[0], map[3], map[100], map[7]), (0, 1, 2, 3));
        assert_eq!((map[1], map[119]), (2, 2));
        assert!(
            vocab_row_map(&[0, 3], 5, 10).is_err(),
            "fallback without a row"
        );
        assert!(vocab_row_map(&[0, 0], 0, 10).is_err(), "id listed twice");
        assert!(
            vocab_row_map(&[0, 10], 0, 10).is_err(),
            "id outside the vocabulary"
        );
    }

    #[test]
    fn dot_in_lanes_matches_the_ordered_sum() {
        for n in [0, 1, 7, 8, 9, 32, 33] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot_lanes(&a, &b) - want).abs() < 1e-5, "{n}");
        }
    }

    #[test]
    fn fast_exp_is_accurate_on_the_softmax_range() {
        let mut worst = 0f64;
        let mut x = -90.0f32;
        while x <= 0.0 {
            let want = (x as f64).exp();
            let got = exp_nonpositive(x) as f64;
            if want > 1e-30 {
                worst = worst.max((got - want).abs() / want);
            } else {
                assert!(got < 1e-30, "{x}: {got}");
            }
            x += 0.001_3;
        }
        assert!(worst < 1e-5, "relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpositive(f32::NAN), 0.0);
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.5204999),
            (1.0, 0.8427008),
            (-2.0, -0.9953223),
            (3.5, 0.9999993),
        ] {
            assert!((erf(x) - want).abs() < 1e-6, "erf({x}) = {}", erf(x));
        }
    }
}
