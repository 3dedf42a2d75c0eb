//! Weight files: safetensors (f32/f16/bf16) and GGUF (f32/f16/q8_0, int8
//! codes, q4_0/q4_1/q5_0/q5_1; k-quants with the `candle` feature), read into
//! one [`TensorStore`] by our own reader ([`crate::gguf`]); and, with the
//! `candle` feature, the GGUF writers the export tools use (Candle's).
//!
//! Tensor names follow Hugging Face BERT (`encoder.layer.0.attention.self.query.weight`);
//! a leading `bert.` is stripped so both checkpoint styles load.

#[cfg(feature = "candle")]
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

#[cfg(feature = "candle")]
use candle_core::quantized::{gguf_file, QStorage, QTensor};
#[cfg(feature = "candle")]
use candle_core::Device;

use crate::gguf::{self, read_range, Gguf};
use crate::kernels::QMatrix;
use crate::{BertConfig, ModelError};

/// A GGUF metadata value as the writers take it (Candle's; the reader's own is
/// [`gguf::GgufValue`]).
#[cfg(feature = "candle")]
pub use candle_core::quantized::gguf_file::Value as GgufValue;
/// A GGUF storage type as [`GgufTensor::Values`] takes it (Candle's; the
/// reader's own is [`gguf::GgmlDType`]).
#[cfg(feature = "candle")]
pub use candle_core::quantized::GgmlDType;

/// GGUF metadata key holding the BERT `config.json`.
pub const GGUF_CONFIG_KEY: &str = "skillmark.bert_config";
/// GGUF metadata key (array of u32): the token ids whose rows a pruned word
/// embedding table keeps, in row order. Absent: every id has its row.
pub const GGUF_VOCAB_ROWS_KEY: &str = "skillmark.vocab_rows";
/// GGUF metadata key (u32): the token id (normally `[UNK]`) whose row stands in
/// for ids a pruned table dropped.
pub const GGUF_VOCAB_FALLBACK_KEY: &str = "skillmark.vocab_fallback";
/// Name suffixes of an int8 matrix stored as its codes and per-row steps
/// (`GgufTensor::Rows`, feature `candle`): `X.codes` holds the `rows × cols` int8 codes, row-major
/// and contiguous (GGUF has no int8 type, so the bytes travel in an f16 tensor
/// of shape `[rows, cols / 2]`); `X.steps` (f32, `[rows]`) the step of each row.
/// The matrix `X` is `code × step`. Contiguous codes without per-block scales
/// between them are what lets brotli/gzip compress small codes to near their entropy.
pub const CODES_SUFFIX: &str = ".codes";
/// See [`CODES_SUFFIX`].
pub const STEPS_SUFFIX: &str = ".steps";
const Q8_0_BLOCK: usize = 32;
const Q8_0_BYTES: usize = 34;

/// Bytes read by position: a weight file is parsed from one of these a tensor
/// at a time, so a caller that holds the file elsewhere (a Web Worker's JS
/// `ArrayBuffer`) never copies it whole into its own memory.
pub trait ByteSource {
    fn size(&self) -> u64;
    /// Fills `buf` with the bytes at `offset..offset + buf.len()`; an
    /// out-of-range read is an `UnexpectedEof` error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;

    /// The whole content, when it is already in this memory: ranges are then
    /// borrowed instead of copied.
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }
}

impl ByteSource for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|a| self.get(a..a.checked_add(buf.len())?))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl ByteSource for Vec<u8> {
    fn size(&self) -> u64 {
        self.as_slice().size()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.as_slice().read_at(offset, buf)
    }

    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// `Read + Seek` over a [`ByteSource`] (what Candle's GGUF reader takes).
pub struct SourceReader<'a, S: ?Sized> {
    src: &'a S,
    pos: u64,
}

impl<'a, S: ByteSource + ?Sized> SourceReader<'a, S> {
    pub fn new(src: &'a S) -> Self {
        SourceReader { src, pos: 0 }
    }
}

impl<S: ByteSource + ?Sized> Read for SourceReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.src.size().saturating_sub(self.pos);
        let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        self.src.read_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: ByteSource + ?Sized> Seek for SourceReader<'_, S> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.src.size().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

pub enum TensorData {
    F32(Vec<f32>),
    /// int8 rows with one scale per row (from q8_0).
    Q8(QMatrix),
}

pub struct StoredTensor {
    pub shape: Vec<usize>,
    pub data: TensorData,
}

impl StoredTensor {
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::Q8(m) => {
                let mut out = vec![0.0; m.rows * m.cols];
                for (r, row) in out.chunks_exact_mut(m.cols.max(1)).enumerate() {
                    m.dequantize_row(r, row);
                }
                out
            }
        }
    }
}

/// Named tensors of one checkpoint, plus the config when the file carries it.
#[derive(Default)]
pub struct TensorStore {
    pub tensors: HashMap<String, StoredTensor>,
    pub config: Option<BertConfig>,
    /// Storage type of the big matrices, for reports ("f32", "f16", "q8_0").
    pub format: String,
    /// A pruned word embedding table: which token id each row belongs to, and
    /// the id whose row replaces dropped ones (see [`GGUF_VOCAB_ROWS_KEY`]).
    pub vocab_rows: Option<(Vec<u32>, u32)>,
    /// String metadata of a GGUF file (key → value).
    pub metadata: HashMap<String, String>,
}

fn canonical(name: &str) -> String {
    name.strip_prefix("bert.").unwrap_or(name).to_string()
}

impl TensorStore {
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ModelError> {
        let st = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| ModelError::Format(format!("safetensors: {e}")))?;
        let mut store = TensorStore::default();
        for (name, view) in st.tensors() {
            use safetensors::Dtype;
            let data = view.data();
            let values: Vec<f32> = match view.dtype() {
                Dtype::F32 => data
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                Dtype::F16 => data
                    .chunks_exact(2)
                    .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
                Dtype::BF16 => data
                    .chunks_exact(2)
                    .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
                _ => continue, // position_ids (i64) and the like are not weights
            };
            if store.format.is_empty() && view.shape().len() == 2 {
                store.format = format!("{:?}", view.dtype()).to_lowercase();
            }
            store.tensors.insert(
                canonical(&name),
                StoredTensor {
                    shape: view.shape().to_vec(),
                    data: TensorData::F32(values),
                },
            );
        }
        Ok(store)
    }

    pub fn from_gguf(bytes: &[u8]) -> Result<Self, ModelError> {
        Self::from_gguf_filtered(bytes, |_| true)
    }

    /// As [`Self::from_gguf`], reading only the tensors whose (canonical) name `keep` accepts.
    pub fn from_gguf_filtered(
        bytes: &[u8],
        keep: impl Fn(&str) -> bool,
    ) -> Result<Self, ModelError> {
        Self::from_gguf_source(bytes, keep)
    }

    /// As [`Self::from_gguf_filtered`], from a [`ByteSource`]: the file is read
    /// a tensor at a time and never held whole.
    pub fn from_gguf_source<S: ByteSource + ?Sized>(
        src: &S,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Self, ModelError> {
        let file = Gguf::read(src)?;
        let mut store = TensorStore::default();
        if let Some(v) = file.get(GGUF_CONFIG_KEY) {
            let json = v.to_string().map_err(context(GGUF_CONFIG_KEY))?;
            store.config = Some(BertConfig::from_json(json.as_bytes())?);
        }
        if let Some(v) = file.get(GGUF_VOCAB_ROWS_KEY) {
            let bad = context("vocab rows");
            let ids = v
                .to_vec()
                .map_err(&bad)?
                .iter()
                .map(|x| x.to_u32())
                .collect::<Result<Vec<u32>, _>>()
                .map_err(&bad)?;
            let fallback = file
                .get(GGUF_VOCAB_FALLBACK_KEY)
                .ok_or_else(|| ModelError::Format("gguf vocab rows without a fallback id".into()))?
                .to_u32()
                .map_err(&bad)?;
            store.vocab_rows = Some((ids, fallback));
        }
        for (k, v) in &file.metadata {
            if let gguf::GgufValue::String(text) = v {
                store.metadata.insert(k.clone(), text.clone());
            }
        }
        // Codes are read when their matrix is built, one matrix at a time.
        let mut codes: HashMap<String, (Vec<usize>, u64, usize)> = HashMap::new();
        let mut steps: HashMap<String, Vec<f32>> = HashMap::new();
        for info in &file.tensors {
            let name = &info.name;
            let cname = canonical(name);
            let (base, part) = match (
                cname.strip_suffix(CODES_SUFFIX),
                cname.strip_suffix(STEPS_SUFFIX),
            ) {
                (Some(b), _) => (b, Some(CODES_SUFFIX)),
                (_, Some(b)) => (b, Some(STEPS_SUFFIX)),
                _ => (cname.as_str(), None),
            };
            if !keep(base) {
                continue;
            }
            let shape = info.shape.clone();
            match (part, info.dtype) {
                (Some(CODES_SUFFIX), gguf::GgmlDType::F16) if shape.len() == 2 => {
                    codes.insert(base.to_string(), (shape, info.start, info.size));
                    continue;
                }
                (Some(STEPS_SUFFIX), gguf::GgmlDType::F32) if shape.len() == 1 => {
                    let v = file
                        .tensor_data(src, info)?
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect();
                    steps.insert(base.to_string(), v);
                    continue;
                }
                (Some(suffix), dtype) => {
                    return Err(ModelError::Format(format!(
                        "gguf tensor {name}: {suffix} must be {}, not {dtype:?} {shape:?}",
                        if suffix == CODES_SUFFIX {
                            "a 2-d f16 tensor"
                        } else {
                            "a 1-d f32 tensor"
                        }
                    )))
                }
                (None, _) => {}
            }
            let raw = file.tensor_data(src, info)?;
            let data = match info.dtype {
                gguf::GgmlDType::Q8_0 if shape.len() == 2 => {
                    TensorData::Q8(q8_0_to_rows(&raw, shape[0], shape[1])?)
                }
                // Smaller on-disk forms (q4_0, q5_0, …) become the engine's
                // per-row int8 straight away: memory never holds them in f32 all at once.
                gguf::GgmlDType::Q4_0
                | gguf::GgmlDType::Q4_1
                | gguf::GgmlDType::Q5_0
                | gguf::GgmlDType::Q5_1
                | gguf::GgmlDType::Q4K
                | gguf::GgmlDType::Q5K
                | gguf::GgmlDType::Q6K
                    if shape.len() == 2 =>
                {
                    let v = gguf::dequantize(info, &raw)?;
                    TensorData::Q8(QMatrix::quantize(&v, shape[0], shape[1]))
                }
                _ => TensorData::F32(gguf::dequantize(info, &raw)?),
            };
            drop(raw);
            if store.format.is_empty() && shape.len() == 2 {
                store.format = format!("{:?}", info.dtype).to_lowercase();
            }
            store.tensors.insert(cname, StoredTensor { shape, data });
        }
        for (name, (shape, offset, n)) in codes {
            let steps = steps.remove(&name).ok_or_else(|| {
                ModelError::Format(format!(
                    "gguf tensor {name}{CODES_SUFFIX} has no {STEPS_SUFFIX}"
                ))
            })?;
            let raw = read_range(src, offset, n, &format!("{name}{CODES_SUFFIX}"))?;
            let m = codes_to_rows(&raw, shape[0], shape[1] * 2, steps)
                .map_err(|e| ModelError::Format(format!("gguf tensor {name}: {e}")))?;
            if store.format.is_empty() {
                store.format = "int8 codes".into();
            }
            store.tensors.insert(
                name,
                StoredTensor {
                    shape: vec![m.rows, m.cols],
                    data: TensorData::Q8(m),
                },
            );
        }
        if let Some(name) = steps.keys().next() {
            return Err(ModelError::Format(format!(
                "gguf tensor {name}{STEPS_SUFFIX} has no {CODES_SUFFIX}"
            )));
        }
        Ok(store)
    }

    pub fn get(&self, name: &str) -> Result<&StoredTensor, ModelError> {
        self.tensors
            .get(name)
            .ok_or_else(|| ModelError::Format(format!("missing tensor {name}")))
    }

    pub fn take(&mut self, name: &str) -> Result<StoredTensor, ModelError> {
        self.tensors
            .remove(name)
            .ok_or_else(|| ModelError::Format(format!("missing tensor {name}")))
    }

    /// Every tensor as (name, shape, f32 values), sorted by name: what the
    /// GGUF writers take.
    pub fn to_f32_sorted(&self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut tensors: Vec<_> = self
            .tensors
            .iter()
            .map(|(k, t)| (k.clone(), t.shape.clone(), t.to_f32()))
            .collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        tensors
    }
}

/// Puts `what: ` before the message of a format error.
fn context(what: &str) -> impl Fn(ModelError) -> ModelError + '_ {
    move |e| match e {
        ModelError::Format(m) => ModelError::Format(format!("gguf {what}: {m}")),
        e => e,
    }
}

/// int8 codes (`rows × cols` bytes) and per-row steps → the engine's int8 rows, exactly.
fn codes_to_rows(raw: &[u8], rows: usize, cols: usize, steps: Vec<f32>) -> Result<QMatrix, String> {
    if rows.checked_mul(cols) != Some(raw.len()) || steps.len() != rows {
        return Err(format!(
            "{} code bytes and {} steps for a {rows} × {cols} matrix",
            raw.len(),
            steps.len()
        ));
    }
    if let Some(s) = steps.iter().find(|s| !s.is_finite() || **s < 0.0) {
        return Err(format!("row step {s} is not a finite value ≥ 0"));
    }
    // Reinterpreted in place: the codes of the word-embedding table are the
    // largest tensor, and a copy would raise a worker's memory high-water mark.
    let codes: &[i8] = bytemuck::cast_slice(raw);
    if codes.contains(&i8::MIN) {
        return Err("code −128 (codes are −127..=127)".into());
    }
    Ok(QMatrix::from_parts(codes, steps, rows, cols))
}

/// q8_0 blocks → int8 rows with one scale per row. Rows written by
/// `write_gguf` share one scale across their blocks and convert losslessly;
/// other files are re-quantized per row.
fn q8_0_to_rows(raw: &[u8], rows: usize, cols: usize) -> Result<QMatrix, ModelError> {
    if !cols.is_multiple_of(Q8_0_BLOCK) || raw.len() != rows * cols / Q8_0_BLOCK * Q8_0_BYTES {
        return Err(ModelError::Format(
            "q8_0 tensor has an unexpected size".into(),
        ));
    }
    let blocks = cols / Q8_0_BLOCK;
    let mut q = vec![0i8; rows * cols];
    let mut scale = vec![0f32; rows];
    let mut uniform = true;
    for r in 0..rows {
        let row = &raw[r * blocks * Q8_0_BYTES..(r + 1) * blocks * Q8_0_BYTES];
        let d0 = half::f16::from_le_bytes([row[0], row[1]]).to_f32();
        scale[r] = d0;
        for b in 0..blocks {
            let blk = &row[b * Q8_0_BYTES..(b + 1) * Q8_0_BYTES];
            let d = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
            uniform &= d == d0;
            for (i, &v) in blk[2..].iter().enumerate() {
                q[r * cols + b * Q8_0_BLOCK + i] = v as i8;
            }
        }
    }
    if uniform {
        return Ok(QMatrix::from_parts(&q, scale, rows, cols));
    }
    let mut f = vec![0f32; rows * cols];
    for r in 0..rows {
        let row = &raw[r * blocks * Q8_0_BYTES..(r + 1) * blocks * Q8_0_BYTES];
        for b in 0..blocks {
            let blk = &row[b * Q8_0_BYTES..(b + 1) * Q8_0_BYTES];
            let d = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
            for (i, &v) in blk[2..].iter().enumerate() {
                f[r * cols + b * Q8_0_BLOCK + i] = v as i8 as f32 * d;
            }
        }
    }
    Ok(QMatrix::quantize(&f, rows, cols))
}

/// Storage type for the matrices of an exported model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportType {
    F32,
    F16,
    Q8_0,
}

impl ExportType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "f32" => Some(Self::F32),
            "f16" => Some(Self::F16),
            "q8_0" => Some(Self::Q8_0),
            _ => None,
        }
    }
}

/// q8_0 with one scale per row (stored in every block of the row), so the
/// runtime's per-row int8 kernels read it without a second rounding.
#[cfg(feature = "candle")]
fn row_q8_0_bytes(w: &[f32], rows: usize, cols: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * cols / Q8_0_BLOCK * Q8_0_BYTES);
    for r in 0..rows {
        let row = &w[r * cols..(r + 1) * cols];
        let amax = row.iter().fold(0f32, |m, &v| m.max(v.abs()));
        let d = half::f16::from_f32(amax / 127.0);
        let df = d.to_f32();
        let inv = if df > 0.0 { 1.0 / df } else { 0.0 };
        for blk in row.chunks_exact(Q8_0_BLOCK) {
            out.extend_from_slice(&d.to_le_bytes());
            out.extend(
                blk.iter()
                    .map(|&v| (v * inv).round().clamp(-127.0, 127.0) as i8 as u8),
            );
        }
    }
    out
}

/// Writes a GGUF file: 2-D weights in `ty` (q8_0 where the width allows),
/// 1-D tensors in f32, and the BERT config as metadata.
#[cfg(feature = "candle")]
pub fn write_gguf<W: std::io::Write + std::io::Seek>(
    w: &mut W,
    config: &BertConfig,
    tensors: &[(String, Vec<usize>, Vec<f32>)],
    ty: ExportType,
    extra_metadata: &[(&str, String)],
) -> Result<(), ModelError> {
    let typed: Vec<_> = tensors
        .iter()
        .map(|(name, shape, data)| {
            let matrix = shape.len() == 2;
            let dtype = match ty {
                ExportType::Q8_0 if matrix && shape[1].is_multiple_of(Q8_0_BLOCK) => {
                    GgmlDType::Q8_0
                }
                ExportType::F16 if matrix => GgmlDType::F16,
                _ => GgmlDType::F32,
            };
            (name.clone(), shape.clone(), data.clone(), dtype)
        })
        .collect();
    let meta: Vec<_> = extra_metadata
        .iter()
        .map(|(k, v)| (k.to_string(), gguf_file::Value::String(v.clone())))
        .collect();
    write_gguf_typed(w, config, &typed, meta)
}

/// Writes a GGUF file with a storage type per tensor. q8_0 matrices get one
/// scale per row (see [`write_gguf`]); q4_0, q5_0, … use ggml's own blocks.
#[cfg(feature = "candle")]
pub fn write_gguf_typed<W: std::io::Write + std::io::Seek>(
    w: &mut W,
    config: &BertConfig,
    tensors: &[(String, Vec<usize>, Vec<f32>, GgmlDType)],
    extra_metadata: Vec<(String, gguf_file::Value)>,
) -> Result<(), ModelError> {
    let parts: Vec<_> = tensors
        .iter()
        .map(|(name, shape, data, dtype)| {
            (
                name.clone(),
                shape.clone(),
                GgufTensor::Values(data.clone(), *dtype),
            )
        })
        .collect();
    write_gguf_tensors(w, config, &parts, extra_metadata)
}

/// What [`write_gguf_tensors`] stores for one tensor.
#[cfg(feature = "candle")]
#[derive(Clone)]
pub enum GgufTensor {
    /// f32 values stored as the given type (q8_0: one scale per row).
    Values(Vec<f32>, GgmlDType),
    /// int8 rows written exactly as codes and per-row steps ([`CODES_SUFFIX`],
    /// see [`quantize_rows_with_step`]); loading gives back the same rows.
    Rows(QMatrix),
}

/// int8 rows whose step (scale) is `step(r, row)`, or `amax / 127` where that
/// is larger, so no value is clipped. A step finer than `amax / 127` cannot be
/// had; a coarser one leaves small codes that compress well.
pub fn quantize_rows_with_step(
    w: &[f32],
    rows: usize,
    cols: usize,
    step: impl Fn(usize, &[f32]) -> f32,
) -> QMatrix {
    assert_eq!(w.len(), rows * cols, "matrix size");
    let mut codes = vec![0i8; rows * cols];
    let mut steps = Vec::with_capacity(rows);
    for (r, row) in w.chunks_exact(cols.max(1)).enumerate() {
        let amax = row.iter().fold(0f32, |m, &v| m.max(v.abs()));
        let s = step(r, row).max(amax / 127.0);
        let inv = if s > 0.0 { 1.0 / s } else { 0.0 };
        for (c, &v) in codes[r * cols..(r + 1) * cols].iter_mut().zip(row) {
            *c = (v * inv).round().clamp(-127.0, 127.0) as i8;
        }
        steps.push(s);
    }
    QMatrix::from_parts(&codes, steps, rows, cols)
}

/// Writes a GGUF file from [`GgufTensor`]s and the BERT config.
#[cfg(feature = "candle")]
pub fn write_gguf_tensors<W: std::io::Write + std::io::Seek>(
    w: &mut W,
    config: &BertConfig,
    tensors: &[(String, Vec<usize>, GgufTensor)],
    extra_metadata: Vec<(String, gguf_file::Value)>,
) -> Result<(), ModelError> {
    let mut qtensors = Vec::with_capacity(tensors.len());
    for (name, shape, part) in tensors {
        let n: usize = shape.iter().product();
        let qt = match part {
            GgufTensor::Rows(m) => {
                if shape.len() != 2 || shape[0] != m.rows || shape[1] != m.cols || m.cols % 2 != 0 {
                    return Err(ModelError::Format(format!(
                        "tensor {name}: int8 rows need a 2-d shape with an even number of columns"
                    )));
                }
                let mut codes = Vec::with_capacity(n);
                let mut steps = Vec::with_capacity(m.rows * 4);
                for r in 0..m.rows {
                    let (q, s) = m.row(r);
                    codes.extend(q.iter().map(|&v| v as u8));
                    steps.extend_from_slice(&s.to_le_bytes());
                }
                let tensor = |bytes: Vec<u8>, dtype, shape: &[usize]| {
                    QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, dtype)
                        .and_then(|st| QTensor::new(st, shape))
                        .map_err(ModelError::Candle)
                };
                qtensors.push((
                    format!("{name}{CODES_SUFFIX}"),
                    tensor(codes, GgmlDType::F16, &[m.rows, m.cols / 2])?,
                ));
                qtensors.push((
                    format!("{name}{STEPS_SUFFIX}"),
                    tensor(steps, GgmlDType::F32, &[m.rows])?,
                ));
                continue;
            }
            GgufTensor::Values(data, dtype) => {
                if n != data.len() {
                    return Err(ModelError::Format(format!(
                        "tensor {name}: shape and data differ"
                    )));
                }
                match dtype {
                    GgmlDType::Q8_0 if shape.len() == 2 => {
                        let bytes = row_q8_0_bytes(data, shape[0], shape[1]);
                        let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, *dtype)
                            .map_err(ModelError::Candle)?;
                        QTensor::new(storage, shape.as_slice()).map_err(ModelError::Candle)?
                    }
                    GgmlDType::F32 | GgmlDType::F16 => {
                        let bytes: Vec<u8> = if *dtype == GgmlDType::F16 {
                            data.iter()
                                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                                .collect()
                        } else {
                            data.iter().flat_map(|&v| v.to_le_bytes()).collect()
                        };
                        let storage = QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, *dtype)
                            .map_err(ModelError::Candle)?;
                        QTensor::new(storage, shape.as_slice()).map_err(ModelError::Candle)?
                    }
                    other => {
                        let t =
                            candle_core::Tensor::from_slice(data, shape.as_slice(), &Device::Cpu)
                                .map_err(ModelError::Candle)?;
                        QTensor::quantize(&t, *other).map_err(ModelError::Candle)?
                    }
                }
            }
        };
        qtensors.push((name.clone(), qt));
    }
    let cfg_json = serde_json::to_string(config).expect("config serializes");
    let mut meta: Vec<(String, gguf_file::Value)> = vec![
        (
            "general.architecture".into(),
            gguf_file::Value::String("bert".into()),
        ),
        (GGUF_CONFIG_KEY.into(), gguf_file::Value::String(cfg_json)),
    ];
    meta.extend(extra_metadata);
    let meta_refs: Vec<(&str, &gguf_file::Value)> =
        meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = qtensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    gguf_file::write(w, &meta_refs, &t_refs).map_err(ModelError::Candle)
}

#[cfg(all(test, feature = "candle"))]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn write(tensors: &[(String, Vec<usize>, GgufTensor)]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        write_gguf_tensors(&mut out, &BertConfig::tiny(8), tensors, Vec::new()).unwrap();
        out.into_inner()
    }

    fn matrix() -> (Vec<f32>, QMatrix) {
        let w: Vec<f32> = (0..3 * 64)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 40.0)
            .collect();
        // A coarse step (small codes) for rows 0 and 1; row 2 asks for a step
        // finer than amax / 127, which is raised so nothing is clipped.
        let q = quantize_rows_with_step(&w, 3, 64, |r, _| [0.3, 0.05, 1e-6][r]);
        (w, q)
    }

    #[test]
    fn int8_rows_round_trip_exactly() {
        let (w, q) = matrix();
        assert_eq!(q.row(0).1, 0.3);
        assert!((q.row(2).1 - 1.25 / 127.0).abs() < 1e-7);
        for r in 0..3 {
            let (codes, step) = q.row(r);
            assert!(codes.iter().all(|&c| c != i8::MIN));
            for (c, v) in codes.iter().zip(&w[r * 64..(r + 1) * 64]) {
                assert!((*c as f32 * step - v).abs() <= step / 2.0 + 1e-6);
            }
        }
        let bytes = write(&[("m.weight".into(), vec![3, 64], GgufTensor::Rows(q.clone()))]);
        let store = TensorStore::from_gguf(&bytes).unwrap();
        let TensorData::Q8(back) = &store.get("m.weight").unwrap().data else {
            panic!("int8 rows load as int8 rows");
        };
        for r in 0..3 {
            assert_eq!(back.row(r), q.row(r));
        }
        // The filter applies to the matrix's name, not to its parts.
        let none = TensorStore::from_gguf_filtered(&bytes, |n| n != "m.weight").unwrap();
        assert!(none.tensors.is_empty());
    }

    #[test]
    fn broken_int8_rows_are_errors() {
        let (_, q) = matrix();
        let bytes = write(&[("m.weight".into(), vec![3, 64], GgufTensor::Rows(q.clone()))]);
        // Truncated anywhere: an error, never a panic.
        // (The last 32 bytes may be alignment padding after the last tensor.)
        for cut in [10, bytes.len() / 2, bytes.len() - 40] {
            assert!(
                TensorStore::from_gguf(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        // Codes without steps, steps without codes.
        let steps = QTensor::new(
            QStorage::from_data(Cow::Owned(vec![0u8; 12]), &Device::Cpu, GgmlDType::F32).unwrap(),
            &[3][..],
        )
        .unwrap();
        let codes = QTensor::new(
            QStorage::from_data(Cow::Owned(vec![1u8; 3 * 64]), &Device::Cpu, GgmlDType::F16)
                .unwrap(),
            &[3, 32][..],
        )
        .unwrap();
        let raw = |ts: &[(&str, &QTensor)]| {
            let mut out = Cursor::new(Vec::new());
            gguf_file::write(&mut out, &[], ts).unwrap();
            out.into_inner()
        };
        let err = |b: Vec<u8>| TensorStore::from_gguf(&b).err().unwrap().to_string();
        assert!(err(raw(&[("m.codes", &codes)])).contains("has no .steps"));
        assert!(err(raw(&[("m.steps", &steps)])).contains("has no .codes"));
        // Steps that are not finite, code −128, a row count that disagrees.
        let nan = QTensor::new(
            QStorage::from_data(
                Cow::Owned(f32::NAN.to_le_bytes().repeat(3)),
                &Device::Cpu,
                GgmlDType::F32,
            )
            .unwrap(),
            &[3][..],
        )
        .unwrap();
        assert!(err(raw(&[("m.codes", &codes), ("m.steps", &nan)])).contains("finite"));
        let min = QTensor::new(
            QStorage::from_data(
                Cow::Owned(vec![0x80u8; 3 * 64]),
                &Device::Cpu,
                GgmlDType::F16,
            )
            .unwrap(),
            &[3, 32][..],
        )
        .unwrap();
        assert!(err(raw(&[("m.codes", &min), ("m.steps", &steps)])).contains("−128"));
        let two = QTensor::new(
            QStorage::from_data(Cow::Owned(vec![0u8; 8]), &Device::Cpu, GgmlDType::F32).unwrap(),
            &[2][..],
        )
        .unwrap();
        assert!(err(raw(&[("m.codes", &codes), ("m.steps", &two)])).contains("2 steps"));
        // Codes in the wrong storage type.
        assert!(err(raw(&[("m.codes", &steps), ("m.steps", &steps)])).contains("f16"));
    }
}
