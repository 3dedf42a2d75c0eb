//! A GGUF reader of our own (no Candle): the header (versions 2 and 3), the
//! metadata of every GGUF value type, the tensor infos, `general.alignment`,
//! and tensor data as byte ranges of a [`ByteSource`], so a file is read a
//! tensor at a time and never copied whole.
//!
//! Hostile files are errors, never panics or huge allocations: every count and
//! size is checked against the bytes the file has left before anything is
//! allocated for it, and every tensor's byte range is checked against the file
//! when the header is read.
//!
//! It reads what Candle's `gguf_file::Content::read` reads, with the same
//! metadata strings (trailing NULs dropped, invalid UTF-8 replaced), the same
//! shapes (row-major: the file's dimension order reversed), the same data
//! offset, and later duplicates of a key or tensor name replacing earlier ones.
//! [`dequantize`] gives Candle's values bit for bit for f32, f16, bf16, q8_0,
//! q4_0, q4_1, q5_0 and q5_1; the k-quants are dequantized by Candle when the
//! `candle` feature is on and are an error otherwise.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::weights::ByteSource;
use crate::ModelError;

/// `general.alignment` when a file does not set it.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Metadata key of the tensor data alignment.
pub const ALIGNMENT_KEY: &str = "general.alignment";
// Caps as Candle's and llama.cpp's readers have them.
const MAX_STRING_LENGTH: u64 = 1 << 30;
const MAX_ARRAY_ELEMENTS: u64 = 1 << 30;
const MAX_DIMS: u32 = 4;
const MAX_VALUE_DEPTH: usize = 64;
/// Bytes fetched at a time from a source that is not in memory.
const WINDOW: usize = 1 << 16;

fn format_err(msg: impl std::fmt::Display) -> ModelError {
    ModelError::Format(format!("gguf: {msg}"))
}

/// A GGUF tensor storage type (ggml's numbering; the variant names are Candle's).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GgmlDType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
    Q8K,
}

impl GgmlDType {
    /// All types, in ggml's numbering order.
    pub const ALL: [GgmlDType; 15] = [
        Self::F32,
        Self::F16,
        Self::Q4_0,
        Self::Q4_1,
        Self::Q5_0,
        Self::Q5_1,
        Self::Q8_0,
        Self::Q8_1,
        Self::Q2K,
        Self::Q3K,
        Self::Q4K,
        Self::Q5K,
        Self::Q6K,
        Self::Q8K,
        Self::BF16,
    ];

    /// The type with ggml's number `u`.
    pub fn from_u32(u: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.to_u32() == u)
    }

    /// ggml's number of the type.
    pub fn to_u32(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::Q8_1 => 9,
            Self::Q2K => 10,
            Self::Q3K => 11,
            Self::Q4K => 12,
            Self::Q5K => 13,
            Self::Q6K => 14,
            Self::Q8K => 15,
            Self::BF16 => 30,
        }
    }

    /// Values per block.
    pub fn block_size(self) -> usize {
        match self {
            Self::F32 | Self::F16 | Self::BF16 => 1,
            Self::Q4_0 | Self::Q4_1 | Self::Q5_0 | Self::Q5_1 | Self::Q8_0 | Self::Q8_1 => 32,
            Self::Q2K | Self::Q3K | Self::Q4K | Self::Q5K | Self::Q6K | Self::Q8K => 256,
        }
    }

    /// Bytes per block.
    pub fn type_size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::BF16 => 2,
            Self::Q4_0 => 18,
            Self::Q4_1 => 20,
            Self::Q5_0 => 22,
            Self::Q5_1 => 24,
            Self::Q8_0 => 34,
            Self::Q8_1 => 36,
            Self::Q2K => 84,
            Self::Q3K => 110,
            Self::Q4K => 144,
            Self::Q5K => 176,
            Self::Q6K => 210,
            Self::Q8K => 292,
        }
    }
}

/// A GGUF metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum GgufValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    /// Elements of one type (the file stores the type once).
    Array(Vec<GgufValue>),
}

macro_rules! accessor {
    ($name:ident, $variant:ident, $t:ty, $what:literal) => {
        #[doc = concat!("The value if it is ", $what, ".")]
        pub fn $name(&self) -> Result<$t, ModelError> {
            match self {
                Self::$variant(v) => Ok(*v),
                v => Err(v.not($what)),
            }
        }
    };
}

impl GgufValue {
    /// "not `what`: <the value>" (an array by its length only).
    fn not(&self, what: &str) -> ModelError {
        match self {
            Self::Array(v) => ModelError::Format(format!("not {what}: an array of {}", v.len())),
            v => ModelError::Format(format!("not {what}: {v:?}")),
        }
    }

    accessor!(to_u8, U8, u8, "a u8");
    accessor!(to_i8, I8, i8, "an i8");
    accessor!(to_u16, U16, u16, "a u16");
    accessor!(to_i16, I16, i16, "an i16");
    accessor!(to_u32, U32, u32, "a u32");
    accessor!(to_i32, I32, i32, "an i32");
    accessor!(to_i64, I64, i64, "an i64");
    accessor!(to_f32, F32, f32, "an f32");
    accessor!(to_f64, F64, f64, "an f64");
    accessor!(to_bool, Bool, bool, "a bool");

    /// The value if it is a u64, or an unsigned integer or bool that widens to one.
    pub fn to_u64(&self) -> Result<u64, ModelError> {
        match self {
            Self::U64(v) => Ok(*v),
            Self::U8(v) => Ok(u64::from(*v)),
            Self::U16(v) => Ok(u64::from(*v)),
            Self::U32(v) => Ok(u64::from(*v)),
            Self::Bool(v) => Ok(u64::from(*v)),
            v => Err(v.not("a u64")),
        }
    }

    /// The value if it is a string.
    pub fn to_string(&self) -> Result<&String, ModelError> {
        match self {
            Self::String(v) => Ok(v),
            v => Err(v.not("a string")),
        }
    }

    /// The elements if it is an array.
    pub fn to_vec(&self) -> Result<&Vec<GgufValue>, ModelError> {
        match self {
            Self::Array(v) => Ok(v),
            v => Err(v.not("an array")),
        }
    }
}

/// The value types of the file format (their numbers are the file's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    fn from_u32(v: u32) -> Option<Self> {
        use ValueType::*;
        [
            U8, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64,
        ]
        .get(v as usize)
        .copied()
    }

    /// The fewest bytes a value of this type takes in a file.
    fn min_size(self) -> u64 {
        match self {
            Self::U8 | Self::I8 | Self::Bool => 1,
            Self::U16 | Self::I16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::U64 | Self::I64 | Self::F64 | Self::String => 8,
            Self::Array => 12,
        }
    }
}

/// One tensor of a GGUF file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: GgmlDType,
    /// Row-major (the file lists the dimensions innermost first).
    pub shape: Vec<usize>,
    /// Offset of the data from the start of the data section, as in the file.
    pub offset: u64,
    /// Where the data starts in the file.
    pub start: u64,
    /// Bytes of data.
    pub size: usize,
}

impl TensorInfo {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The header of a GGUF file: metadata and tensor infos. The tensor data stays
/// in the source; [`Gguf::tensor_data`] reads one tensor's bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Gguf {
    pub version: u32,
    /// Key → value, in file order.
    pub metadata: Vec<(String, GgufValue)>,
    /// In file order. Every one's bytes lie within the file.
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Where the data section starts in the file.
    pub data_offset: u64,
}

impl Gguf {
    /// Reads the header of the GGUF file in `src`.
    pub fn read<S: ByteSource + ?Sized>(src: &S) -> Result<Self, ModelError> {
        let mut r = Reader::new(src);
        let magic = r.array::<4>("magic")?;
        if &magic != b"GGUF" {
            return Err(format_err(format_args!(
                "not a GGUF file (magic {magic:02x?})"
            )));
        }
        let version = r.u32("version")?;
        if !matches!(version, 2 | 3) {
            return Err(format_err(format_args!(
                "unsupported version {version} (2 and 3 are read)"
            )));
        }
        let tensor_count = r.u64("tensor count")?;
        let kv_count = r.u64("metadata count")?;
        // The least each entry takes: a key or name length, a value type and
        // a one-byte value; a name length, n_dims, a type and an offset.
        let needed = kv_count
            .saturating_mul(8 + 4 + 1)
            .saturating_add(tensor_count.saturating_mul(8 + 4 + 4 + 8));
        if needed > r.remaining() {
            return Err(format_err(format_args!(
                "the header declares {tensor_count} tensors and {kv_count} metadata entries, \
                 which need at least {needed} bytes; the file has {} left",
                r.remaining()
            )));
        }

        let mut metadata: Vec<(String, GgufValue)> = Vec::new();
        let mut keys: HashMap<String, usize> = HashMap::new();
        for _ in 0..kv_count {
            let key = r.string("metadata key")?;
            let ty = r.u32("metadata value type")?;
            let ty = ValueType::from_u32(ty)
                .ok_or_else(|| format_err(format_args!("{key}: unknown value type {ty}")))?;
            let value = r.value(ty, 0, &key)?;
            // A later duplicate replaces the earlier one (as Candle's map does).
            match keys.get(&key) {
                Some(&i) => metadata[i].1 = value,
                None => {
                    keys.insert(key.clone(), metadata.len());
                    metadata.push((key, value));
                }
            }
        }

        let mut tensors: Vec<TensorInfo> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for _ in 0..tensor_count {
            let name = r.string("tensor name")?;
            let n_dims = r.u32("tensor dimension count")?;
            if n_dims == 0 || n_dims > MAX_DIMS {
                return Err(format_err(format_args!(
                    "tensor {name}: {n_dims} dimensions (1 to {MAX_DIMS} are read)"
                )));
            }
            let mut shape = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                let d = r.u64("tensor dimension")?;
                shape.push(usize::try_from(d).map_err(|_| {
                    format_err(format_args!("tensor {name}: dimension {d} is too large"))
                })?);
            }
            shape.reverse();
            let ty = r.u32("tensor type")?;
            let dtype = GgmlDType::from_u32(ty)
                .ok_or_else(|| format_err(format_args!("tensor {name}: unknown type {ty}")))?;
            let offset = r.u64("tensor offset")?;
            let info = TensorInfo {
                name,
                dtype,
                shape,
                offset,
                start: 0,
                size: 0,
            };
            match names.get(&info.name) {
                Some(&i) => tensors[i] = info,
                None => {
                    names.insert(info.name.clone(), tensors.len());
                    tensors.push(info);
                }
            }
        }

        let alignment = match metadata.iter().find(|(k, _)| k == ALIGNMENT_KEY) {
            Some((_, GgufValue::U8(v))) => u64::from(*v),
            Some((_, GgufValue::U16(v))) => u64::from(*v),
            Some((_, GgufValue::U32(v))) => u64::from(*v),
            Some((_, GgufValue::I8(v))) if *v >= 0 => *v as u64,
            Some((_, GgufValue::I16(v))) if *v >= 0 => *v as u64,
            Some((_, GgufValue::I32(v))) if *v >= 0 => *v as u64,
            _ => DEFAULT_ALIGNMENT,
        };
        if alignment == 0 {
            return Err(format_err("alignment 0"));
        }
        let data_offset = r
            .pos
            .div_ceil(alignment)
            .checked_mul(alignment)
            .ok_or_else(|| format_err(format_args!("alignment {alignment}")))?;

        let file_size = src.size();
        for t in &mut tensors {
            let block = t.dtype.block_size();
            let too_large = || format_err(format_args!("tensor {}: too large", t.name));
            let elements = t
                .shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
                .ok_or_else(too_large)?;
            if t.shape[t.shape.len() - 1] % block != 0 {
                return Err(format_err(format_args!(
                    "tensor {}: {:?} {:?} has rows that are not whole blocks of {block}",
                    t.name, t.dtype, t.shape
                )));
            }
            let size = (elements / block as u64)
                .checked_mul(t.dtype.type_size() as u64)
                .ok_or_else(too_large)?;
            let start = data_offset.checked_add(t.offset).ok_or_else(too_large)?;
            if start.checked_add(size).is_none_or(|end| end > file_size) {
                return Err(format_err(format_args!(
                    "tensor {}: {size} bytes at offset {start} lie beyond the end of the file \
                     ({file_size} bytes)",
                    t.name
                )));
            }
            t.start = start;
            t.size = usize::try_from(size).map_err(|_| too_large())?;
        }
        Ok(Gguf {
            version,
            metadata,
            tensors,
            alignment,
            data_offset,
        })
    }

    /// The value of metadata key `key`.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The bytes of tensor `t` (borrowed when `src` is in memory).
    pub fn tensor_data<'s, S: ByteSource + ?Sized>(
        &self,
        src: &'s S,
        t: &TensorInfo,
    ) -> Result<Cow<'s, [u8]>, ModelError> {
        read_range(src, t.start, t.size, &t.name)
    }
}

/// `len` bytes of `src` from `offset` (borrowed when `src` is in memory), or
/// a format error naming tensor `what`.
pub fn read_range<'s, S: ByteSource + ?Sized>(
    src: &'s S,
    offset: u64,
    len: usize,
    what: &str,
) -> Result<Cow<'s, [u8]>, ModelError> {
    let truncated = || ModelError::Format(format!("gguf tensor {what}: truncated"));
    let end = offset
        .checked_add(len as u64)
        .filter(|&end| end <= src.size())
        .ok_or_else(truncated)?;
    if let Some(all) = src.as_slice() {
        return Ok(Cow::Borrowed(&all[offset as usize..end as usize]));
    }
    let mut buf = vec![0u8; len];
    src.read_at(offset, &mut buf).map_err(|_| truncated())?;
    Ok(Cow::Owned(buf))
}

/// Reads the header front to back; a source not in memory is fetched
/// [`WINDOW`] bytes at a time.
struct Reader<'a, S: ?Sized> {
    src: &'a S,
    size: u64,
    pos: u64,
    window: Vec<u8>,
    window_at: u64,
}

impl<'a, S: ByteSource + ?Sized> Reader<'a, S> {
    fn new(src: &'a S) -> Self {
        Reader {
            src,
            size: src.size(),
            pos: 0,
            window: Vec::new(),
            window_at: 0,
        }
    }

    fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    fn fill(&mut self, out: &mut [u8], what: &str) -> Result<(), ModelError> {
        if out.len() as u64 > self.remaining() {
            return Err(format_err(format_args!(
                "truncated: {what} needs {} bytes at {}, the file has {}",
                out.len(),
                self.pos,
                self.size
            )));
        }
        if let Some(all) = self.src.as_slice() {
            let at = self.pos as usize;
            out.copy_from_slice(&all[at..at + out.len()]);
            self.pos += out.len() as u64;
            return Ok(());
        }
        let mut done = 0;
        while done < out.len() {
            let end = self.window_at + self.window.len() as u64;
            if self.pos < self.window_at || self.pos >= end {
                let n = self.remaining().min(WINDOW as u64) as usize;
                self.window.resize(n, 0);
                self.src
                    .read_at(self.pos, &mut self.window)
                    .map_err(|e| format_err(format_args!("reading {what}: {e}")))?;
                self.window_at = self.pos;
            }
            let off = (self.pos - self.window_at) as usize;
            let n = (self.window.len() - off).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.window[off..off + n]);
            done += n;
            self.pos += n as u64;
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ModelError> {
        let mut b = [0u8; N];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &str) -> Result<u64, ModelError> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn string(&mut self, what: &str) -> Result<String, ModelError> {
        let len = self.u64(what)?;
        if len > MAX_STRING_LENGTH || len > self.remaining() {
            return Err(format_err(format_args!(
                "{what}: a string of {len} bytes at {}, the file has {} left",
                self.pos,
                self.remaining()
            )));
        }
        let mut v = vec![0u8; len as usize];
        self.fill(&mut v, what)?;
        // Strings are not meant to end in NULs, but some files have them.
        while v.last() == Some(&0) {
            v.pop();
        }
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    fn value(&mut self, ty: ValueType, depth: usize, key: &str) -> Result<GgufValue, ModelError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(format_err(format_args!(
                "{key}: arrays nested more than {MAX_VALUE_DEPTH} deep"
            )));
        }
        Ok(match ty {
            ValueType::U8 => GgufValue::U8(u8::from_le_bytes(self.array(key)?)),
            ValueType::I8 => GgufValue::I8(i8::from_le_bytes(self.array(key)?)),
            ValueType::U16 => GgufValue::U16(u16::from_le_bytes(self.array(key)?)),
            ValueType::I16 => GgufValue::I16(i16::from_le_bytes(self.array(key)?)),
            ValueType::U32 => GgufValue::U32(u32::from_le_bytes(self.array(key)?)),
            ValueType::I32 => GgufValue::I32(i32::from_le_bytes(self.array(key)?)),
            ValueType::U64 => GgufValue::U64(u64::from_le_bytes(self.array(key)?)),
            ValueType::I64 => GgufValue::I64(i64::from_le_bytes(self.array(key)?)),
            ValueType::F32 => GgufValue::F32(f32::from_le_bytes(self.array(key)?)),
            ValueType::F64 => GgufValue::F64(f64::from_le_bytes(self.array(key)?)),
            ValueType::Bool => match self.array::<1>(key)?[0] {
                0 => GgufValue::Bool(false),
                1 => GgufValue::Bool(true),
                b => return Err(format_err(format_args!("{key}: bool value {b}"))),
            },
            ValueType::String => GgufValue::String(self.string(key)?),
            ValueType::Array => {
                let t = self.u32(key)?;
                let elem = ValueType::from_u32(t).ok_or_else(|| {
                    format_err(format_args!("{key}: unknown array element type {t}"))
                })?;
                let len = self.u64(key)?;
                let needed = len.saturating_mul(elem.min_size());
                if len > MAX_ARRAY_ELEMENTS || needed > self.remaining() {
                    return Err(format_err(format_args!(
                        "{key}: an array of {len} elements needs at least {needed} bytes, \
                         the file has {} left",
                        self.remaining()
                    )));
                }
                // Grown as elements are read: each takes at least a byte of the file.
                let mut v = Vec::with_capacity(len.min(4096) as usize);
                for _ in 0..len {
                    v.push(self.value(elem, depth + 1, key)?);
                }
                GgufValue::Array(v)
            }
        })
    }
}

/// The values of tensor `t` from its bytes `raw` (as [`Gguf::tensor_data`]
/// gives them), as Candle's `QTensor::dequantize` computes them.
pub fn dequantize(t: &TensorInfo, raw: &[u8]) -> Result<Vec<f32>, ModelError> {
    if raw.len() != t.size {
        return Err(format_err(format_args!(
            "tensor {}: {} bytes, not {}",
            t.name,
            raw.len(),
            t.size
        )));
    }
    let block = t.dtype.type_size();
    let mut out = Vec::with_capacity(t.elements());
    match t.dtype {
        GgmlDType::F32 => out.extend(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        GgmlDType::F16 => out.extend(raw.chunks_exact(2).map(|c| f16(c, 0))),
        GgmlDType::BF16 => out.extend(
            raw.chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()),
        ),
        GgmlDType::Q8_0 => {
            for b in raw.chunks_exact(block) {
                let d = f16(b, 0);
                out.extend(b[2..].iter().map(|&q| q as i8 as f32 * d));
            }
        }
        GgmlDType::Q4_0 => {
            for b in raw.chunks_exact(block) {
                let (d, qs) = (f16(b, 0), &b[2..18]);
                out.extend(qs.iter().map(|&q| ((q & 0x0F) as i16 - 8) as f32 * d));
                out.extend(qs.iter().map(|&q| ((q >> 4) as i16 - 8) as f32 * d));
            }
        }
        GgmlDType::Q4_1 => {
            for b in raw.chunks_exact(block) {
                let (d, m, qs) = (f16(b, 0), f16(b, 2), &b[4..20]);
                out.extend(qs.iter().map(|&q| (q & 0x0F) as f32 * d + m));
                out.extend(qs.iter().map(|&q| (q >> 4) as f32 * d + m));
            }
        }
        GgmlDType::Q5_0 => {
            for b in raw.chunks_exact(block) {
                let d = f16(b, 0);
                let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
                let qs = &b[6..22];
                out.extend(qs.iter().enumerate().map(|(j, &q)| {
                    let h = (((qh >> j) << 4) & 0x10) as u8;
                    (((q & 0x0F) | h) as i32 - 16) as f32 * d
                }));
                out.extend(qs.iter().enumerate().map(|(j, &q)| {
                    let h = ((qh >> (j + 12)) & 0x10) as u8;
                    (((q >> 4) | h) as i32 - 16) as f32 * d
                }));
            }
        }
        GgmlDType::Q5_1 => {
            for b in raw.chunks_exact(block) {
                let (d, m) = (f16(b, 0), f16(b, 2));
                let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                let qs = &b[8..24];
                out.extend(qs.iter().enumerate().map(|(j, &q)| {
                    let h = (((qh >> j) << 4) & 0x10) as u8;
                    ((q & 0x0F) | h) as f32 * d + m
                }));
                out.extend(qs.iter().enumerate().map(|(j, &q)| {
                    let h = ((qh >> (j + 12)) & 0x10) as u8;
                    ((q >> 4) | h) as f32 * d + m
                }));
            }
        }
        GgmlDType::Q2K | GgmlDType::Q3K | GgmlDType::Q4K | GgmlDType::Q5K | GgmlDType::Q6K => {
            return k_quant(t, raw);
        }
        GgmlDType::Q8_1 | GgmlDType::Q8K => {
            return Err(format_err(format_args!(
                "tensor {}: type {:?} is not supported; re-export the model as q8_0",
                t.name, t.dtype
            )));
        }
    }
    debug_assert_eq!(out.len(), t.elements());
    Ok(out)
}

/// The f16 at `b[at..at + 2]`, as f32.
fn f16(b: &[u8], at: usize) -> f32 {
    half::f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

#[cfg(feature = "candle")]
fn k_quant(t: &TensorInfo, raw: &[u8]) -> Result<Vec<f32>, ModelError> {
    use candle_core::quantized::{QStorage, QTensor};
    use candle_core::Device;
    // Candle reads the blocks in place and needs them aligned.
    let mut aligned = vec![0u64; raw.len().div_ceil(8)];
    let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut aligned)[..raw.len()];
    bytes.copy_from_slice(raw);
    QStorage::from_data(Cow::Borrowed(bytes), &Device::Cpu, t.dtype.into())
        .and_then(|storage| QTensor::new(storage, t.shape.as_slice()))
        .and_then(|qt| qt.dequantize(&Device::Cpu))
        .and_then(|v| v.flatten_all()?.to_vec1::<f32>())
        .map_err(|e| format_err(format_args!("tensor {}: {e}", t.name)))
}

#[cfg(not(feature = "candle"))]
fn k_quant(t: &TensorInfo, _raw: &[u8]) -> Result<Vec<f32>, ModelError> {
    Err(ModelError::Format(format!(
        "tensor {}: type {:?} needs the `candle` feature; re-export the model as q8_0",
        t.name, t.dtype
    )))
}

#[cfg(feature = "candle")]
mod candle_types {
    use super::{GgmlDType, GgufValue};
    use candle_core::quantized::gguf_file::Value;
    use candle_core::quantized::GgmlDType as CandleDType;

    impl From<GgmlDType> for CandleDType {
        fn from(t: GgmlDType) -> Self {
            match t {
                GgmlDType::F32 => Self::F32,
                GgmlDType::F16 => Self::F16,
                GgmlDType::BF16 => Self::BF16,
                GgmlDType::Q4_0 => Self::Q4_0,
                GgmlDType::Q4_1 => Self::Q4_1,
                GgmlDType::Q5_0 => Self::Q5_0,
                GgmlDType::Q5_1 => Self::Q5_1,
                GgmlDType::Q8_0 => Self::Q8_0,
                GgmlDType::Q8_1 => Self::Q8_1,
                GgmlDType::Q2K => Self::Q2K,
                GgmlDType::Q3K => Self::Q3K,
                GgmlDType::Q4K => Self::Q4K,
                GgmlDType::Q5K => Self::Q5K,
                GgmlDType::Q6K => Self::Q6K,
                GgmlDType::Q8K => Self::Q8K,
            }
        }
    }

    impl From<CandleDType> for GgmlDType {
        fn from(t: CandleDType) -> Self {
            GgmlDType::ALL
                .into_iter()
                .find(|&ours| CandleDType::from(ours) == t)
                .expect("every Candle type has ours")
        }
    }

    impl From<&Value> for GgufValue {
        fn from(v: &Value) -> Self {
            match v {
                Value::U8(v) => Self::U8(*v),
                Value::I8(v) => Self::I8(*v),
                Value::U16(v) => Self::U16(*v),
                Value::I16(v) => Self::I16(*v),
                Value::U32(v) => Self::U32(*v),
                Value::I32(v) => Self::I32(*v),
                Value::U64(v) => Self::U64(*v),
                Value::I64(v) => Self::I64(*v),
                Value::F32(v) => Self::F32(*v),
                Value::F64(v) => Self::F64(*v),
                Value::Bool(v) => Self::Bool(*v),
                Value::String(v) => Self::String(v.clone()),
                Value::Array(v) => Self::Array(v.iter().map(Self::from).collect()),
            }
        }
    }

    impl From<&GgufValue> for Value {
        fn from(v: &GgufValue) -> Self {
            match v {
                GgufValue::U8(v) => Self::U8(*v),
                GgufValue::I8(v) => Self::I8(*v),
                GgufValue::U16(v) => Self::U16(*v),
                GgufValue::I16(v) => Self::I16(*v),
                GgufValue::U32(v) => Self::U32(*v),
                GgufValue::I32(v) => Self::I32(*v),
                GgufValue::U64(v) => Self::U64(*v),
                GgufValue::I64(v) => Self::I64(*v),
                GgufValue::F32(v) => Self::F32(*v),
                GgufValue::F64(v) => Self::F64(*v),
                GgufValue::Bool(v) => Self::Bool(*v),
                GgufValue::String(v) => Self::String(v.clone()),
                GgufValue::Array(v) => Self::Array(v.iter().map(Self::from).collect()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TensorStore;

    /// A source that is not in memory as one slice (as the worker's JS
    /// buffers are): every read is counted.
    pub(crate) struct Remote {
        pub bytes: Vec<u8>,
        pub largest_read: std::cell::Cell<usize>,
    }

    impl Remote {
        pub fn new(bytes: &[u8]) -> Self {
            Remote {
                bytes: bytes.to_vec(),
                largest_read: 0.into(),
            }
        }
    }

    impl ByteSource for Remote {
        fn size(&self) -> u64 {
            self.bytes.len() as u64
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
            self.largest_read
                .set(self.largest_read.get().max(buf.len()));
            self.bytes.as_slice().read_at(offset, buf)
        }
    }

    fn string(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    /// Writes GGUF files byte by byte, with no padding after the last tensor
    /// (so that cutting off any byte loses data).
    struct Builder {
        version: u32,
        kv: Vec<u8>,
        n_kv: u64,
        infos: Vec<u8>,
        n_tensors: u64,
        data: Vec<u8>,
        alignment: usize,
    }

    impl Builder {
        fn new() -> Self {
            Builder {
                version: 3,
                kv: Vec::new(),
                n_kv: 0,
                infos: Vec::new(),
                n_tensors: 0,
                data: Vec::new(),
                alignment: 32,
            }
        }

        fn kv(mut self, key: &str, ty: u32, value: &[u8]) -> Self {
            self.kv.extend(string(key.as_bytes()));
            self.kv.extend(ty.to_le_bytes());
            self.kv.extend_from_slice(value);
            self.n_kv += 1;
            self
        }

        fn tensor(mut self, name: &str, dtype: GgmlDType, shape: &[usize], data: &[u8]) -> Self {
            while !self.data.len().is_multiple_of(self.alignment) {
                self.data.push(0);
            }
            self.infos.extend(string(name.as_bytes()));
            self.infos.extend((shape.len() as u32).to_le_bytes());
            for &d in shape.iter().rev() {
                self.infos.extend((d as u64).to_le_bytes());
            }
            self.infos.extend(dtype.to_u32().to_le_bytes());
            self.infos.extend((self.data.len() as u64).to_le_bytes());
            self.data.extend_from_slice(data);
            self.n_tensors += 1;
            self
        }

        fn build(&self) -> Vec<u8> {
            let mut out = b"GGUF".to_vec();
            out.extend(self.version.to_le_bytes());
            out.extend(self.n_tensors.to_le_bytes());
            out.extend(self.n_kv.to_le_bytes());
            out.extend(&self.kv);
            out.extend(&self.infos);
            while !out.len().is_multiple_of(self.alignment) {
                out.push(0);
            }
            out.extend(&self.data);
            out
        }
    }

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn f16_bytes(v: &[f32]) -> Vec<u8> {
        v.iter()
            .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
            .collect()
    }

    /// A small file as the runtime reads them: config, f32, f16, q8_0, q4_0
    /// and int8 codes with their steps.
    fn small_file() -> Vec<u8> {
        let cfg = serde_json::to_string(&crate::BertConfig::tiny(8)).unwrap();
        let mut q8 = Vec::new();
        for r in 0..2u8 {
            q8.extend(half::f16::from_f32(0.5).to_le_bytes());
            q8.extend((0..32).map(|i| (i as i8 - 16 + r as i8) as u8));
        }
        let mut q4 = half::f16::from_f32(0.25).to_le_bytes().to_vec();
        q4.extend((0..16u8).map(|i| i | ((15 - i) << 4)));
        Builder::new()
            .kv("general.architecture", 8, &string(b"bert"))
            .kv("skillmark.bert_config", 8, &string(cfg.as_bytes()))
            .tensor(
                "a.bias",
                GgmlDType::F32,
                &[3],
                &f32_bytes(&[1.0, -2.0, 0.5]),
            )
            .tensor(
                "b.weight",
                GgmlDType::F16,
                &[2, 2],
                &f16_bytes(&[1.0, 2.0, 3.0, -4.0]),
            )
            .tensor("c.weight", GgmlDType::Q8_0, &[2, 32], &q8)
            .tensor("d.weight", GgmlDType::Q4_0, &[1, 32], &q4)
            .tensor(
                "e.weight.steps",
                GgmlDType::F32,
                &[2],
                &f32_bytes(&[0.1, 0.2]),
            )
            .tensor(
                "e.weight.codes",
                GgmlDType::F16,
                &[2, 2],
                &[1, 2, 3, 0xff, 5, 6, 7, 8],
            )
            .build()
    }

    #[test]
    fn reads_a_small_file() {
        let bytes = small_file();
        let g = Gguf::read(bytes.as_slice()).unwrap();
        assert_eq!(g.version, 3);
        assert_eq!(g.alignment, 32);
        assert!(g.data_offset.is_multiple_of(32));
        assert_eq!(
            g.get("general.architecture").unwrap().to_string().unwrap(),
            "bert"
        );
        let names: Vec<_> = g.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "a.bias",
                "b.weight",
                "c.weight",
                "d.weight",
                "e.weight.steps",
                "e.weight.codes"
            ]
        );
        let b = g.tensor("b.weight").unwrap();
        assert_eq!(
            (b.dtype, b.shape.as_slice(), b.size),
            (GgmlDType::F16, &[2, 2][..], 8)
        );
        let v = dequantize(b, &g.tensor_data(bytes.as_slice(), b).unwrap()).unwrap();
        assert_eq!(v, [1.0, 2.0, 3.0, -4.0]);
        // The same through a source that is not one slice.
        let remote = Remote::new(&bytes);
        assert_eq!(Gguf::read(&remote).unwrap(), g);

        let store = TensorStore::from_gguf(&bytes).unwrap();
        let cfg = crate::BertConfig::tiny(8);
        assert_eq!(store.config.as_ref().unwrap().hidden_size, cfg.hidden_size);
        assert_eq!(store.metadata["general.architecture"], "bert");
        assert_eq!(store.format, "f16");
        assert_eq!(store.get("a.bias").unwrap().to_f32(), [1.0, -2.0, 0.5]);
        assert_eq!(
            store.get("b.weight").unwrap().to_f32(),
            [1.0, 2.0, 3.0, -4.0]
        );
        let c = store.get("c.weight").unwrap().to_f32();
        assert_eq!(c[..3], [-8.0, -7.5, -7.0]);
        assert_eq!(c[32..35], [-7.5, -7.0, -6.5]);
        let TensorData::Q8(e) = &store.get("e.weight").unwrap().data else {
            panic!("codes load as int8 rows");
        };
        assert_eq!(e.row(0), (&[1i8, 2, 3, -1][..], 0.1));
        assert_eq!(e.row(1), (&[5i8, 6, 7, 8][..], 0.2));
        let d = store.get("d.weight").unwrap().to_f32();
        assert!(
            (d[0] + 2.0).abs() < 0.02 && (d[16] - 1.75).abs() < 0.02,
            "{d:?}"
        );
    }

    use crate::weights::TensorData;

    #[test]
    fn reads_every_value_type() {
        let mut arr = 4u32.to_le_bytes().to_vec(); // u32 elements
        arr.extend(3u64.to_le_bytes());
        for x in [7u32, 8, 9] {
            arr.extend(x.to_le_bytes());
        }
        let mut nested = 9u32.to_le_bytes().to_vec(); // arrays of strings
        nested.extend(2u64.to_le_bytes());
        for s in [&["a", "bc"][..], &[]] {
            nested.extend(8u32.to_le_bytes());
            nested.extend((s.len() as u64).to_le_bytes());
            for x in s {
                nested.extend(string(x.as_bytes()));
            }
        }
        let bytes = Builder::new()
            .kv("u8", 0, &[200])
            .kv("i8", 1, &[0xfe])
            .kv("u16", 2, &60000u16.to_le_bytes())
            .kv("i16", 3, &(-300i16).to_le_bytes())
            .kv("u32", 4, &4_000_000_000u32.to_le_bytes())
            .kv("i32", 5, &(-5i32).to_le_bytes())
            .kv("f32", 6, &1.5f32.to_le_bytes())
            .kv("bool", 7, &[1])
            .kv("string", 8, &string(b"caf\xc3\xa9\xff\0\0"))
            .kv("array", 9, &arr)
            .kv("u64", 10, &u64::MAX.to_le_bytes())
            .kv("i64", 11, &i64::MIN.to_le_bytes())
            .kv("f64", 12, &(-0.25f64).to_le_bytes())
            .kv("nested", 9, &nested)
            .kv("u8", 0, &[201]) // a later duplicate wins
            .build();
        let g = Gguf::read(bytes.as_slice()).unwrap();
        use GgufValue as V;
        let want = [
            ("u8", V::U8(201)),
            ("i8", V::I8(-2)),
            ("u16", V::U16(60000)),
            ("i16", V::I16(-300)),
            ("u32", V::U32(4_000_000_000)),
            ("i32", V::I32(-5)),
            ("f32", V::F32(1.5)),
            ("bool", V::Bool(true)),
            ("string", V::String("café\u{fffd}".into())),
            ("array", V::Array(vec![V::U32(7), V::U32(8), V::U32(9)])),
            ("u64", V::U64(u64::MAX)),
            ("i64", V::I64(i64::MIN)),
            ("f64", V::F64(-0.25)),
            (
                "nested",
                V::Array(vec![
                    V::Array(vec![V::String("a".into()), V::String("bc".into())]),
                    V::Array(vec![]),
                ]),
            ),
        ];
        assert_eq!(g.metadata.len(), want.len());
        for ((k, v), (wk, wv)) in g.metadata.iter().zip(&want) {
            assert_eq!((k.as_str(), v), (*wk, wv));
        }
        assert_eq!(g.get("u8").unwrap().to_u8().unwrap(), 201);
        assert_eq!(g.get("u8").unwrap().to_u64().unwrap(), 201);
        assert_eq!(g.get("u32").unwrap().to_u32().unwrap(), 4_000_000_000);
        assert!(g.get("bool").unwrap().to_bool().unwrap());
        assert_eq!(g.get("i64").unwrap().to_i64().unwrap(), i64::MIN);
        assert_eq!(g.get("array").unwrap().to_vec().unwrap().len(), 3);
        let err = g.get("array").unwrap().to_u32().unwrap_err().to_string();
        assert!(err.contains("not a u32: an array of 3"), "{err}");
        assert!(g.get("i32").unwrap().to_u64().is_err());
        assert!(g.get("u8").unwrap().to_string().is_err());
        assert!(g.tensors.is_empty());
    }

    #[test]
    fn types_number_and_size_as_ggml() {
        for t in GgmlDType::ALL {
            assert_eq!(GgmlDType::from_u32(t.to_u32()), Some(t));
        }
        assert_eq!(GgmlDType::from_u32(4), None);
        assert_eq!(GgmlDType::from_u32(30), Some(GgmlDType::BF16));
        assert_eq!(format!("{:?}", GgmlDType::Q4_0).to_lowercase(), "q4_0");
    }

    fn one(dtype: GgmlDType, cols: usize, block: &[u8]) -> Vec<f32> {
        let t = TensorInfo {
            name: "t".into(),
            dtype,
            shape: vec![1, cols],
            offset: 0,
            start: 0,
            size: block.len(),
        };
        dequantize(&t, block).unwrap()
    }

    #[test]
    fn q4_and_q5_blocks_dequantize_as_ggml_defines_them() {
        let qs: Vec<u8> = (0..16u8).map(|i| i | ((15 - i) << 4)).collect();
        let low = |j: usize| qs[j] & 15;
        let high = |j: usize| qs[j] >> 4;
        let d = half::f16::from_f32(0.5);
        let m = half::f16::from_f32(-1.25);
        let qh: u32 = 0xA5C3_0F96;
        let bit = |k: usize| ((qh >> k) & 1) as u8;

        let mut b = d.to_le_bytes().to_vec();
        b.extend(&qs);
        let v = one(GgmlDType::Q4_0, 32, &b);
        for j in 0..16 {
            assert_eq!(v[j], (low(j) as f32 - 8.0) * 0.5);
            assert_eq!(v[j + 16], (high(j) as f32 - 8.0) * 0.5);
        }

        let mut b = d.to_le_bytes().to_vec();
        b.extend(m.to_le_bytes());
        b.extend(&qs);
        let v = one(GgmlDType::Q4_1, 32, &b);
        for j in 0..16 {
            assert_eq!(v[j], low(j) as f32 * 0.5 - 1.25);
            assert_eq!(v[j + 16], high(j) as f32 * 0.5 - 1.25);
        }

        let mut b = d.to_le_bytes().to_vec();
        b.extend(qh.to_le_bytes());
        b.extend(&qs);
        let v = one(GgmlDType::Q5_0, 32, &b);
        for j in 0..16 {
            assert_eq!(v[j], ((low(j) | bit(j) << 4) as f32 - 16.0) * 0.5);
            assert_eq!(
                v[j + 16],
                ((high(j) | bit(j + 16) << 4) as f32 - 16.0) * 0.5
            );
        }

        let mut b = d.to_le_bytes().to_vec();
        b.extend(m.to_le_bytes());
        b.extend(qh.to_le_bytes());
        b.extend(&qs);
        let v = one(GgmlDType::Q5_1, 32, &b);
        for j in 0..16 {
            assert_eq!(v[j], (low(j) | bit(j) << 4) as f32 * 0.5 - 1.25);
            assert_eq!(v[j + 16], (high(j) | bit(j + 16) << 4) as f32 * 0.5 - 1.25);
        }

        let mut b = d.to_le_bytes().to_vec();
        b.extend((0..32).map(|i| (i * 8 - 128) as i8 as u8));
        let v = one(GgmlDType::Q8_0, 32, &b);
        assert_eq!(v[0], -64.0);
        assert_eq!(v[31], 60.0);

        let bf: Vec<u8> = [1.0f32, -3.5]
            .iter()
            .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
            .collect();
        assert_eq!(one(GgmlDType::BF16, 2, &bf), [1.0, -3.5]);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = small_file();
        for cut in 0..bytes.len() {
            let part = &bytes[..cut];
            assert!(Gguf::read(part).is_err(), "cut at {cut}");
            assert!(Gguf::read(&Remote::new(part)).is_err(), "cut at {cut}");
            assert!(TensorStore::from_gguf(part).is_err(), "cut at {cut}");
        }
        assert!(TensorStore::from_gguf(&bytes).is_ok());
    }

    /// The error reading `bytes`, as text.
    fn error(bytes: &[u8]) -> String {
        let e = Gguf::read(bytes)
            .expect_err("a hostile file reads")
            .to_string();
        assert_eq!(
            Gguf::read(&Remote::new(bytes)).unwrap_err().to_string(),
            e,
            "the same error from a remote source"
        );
        e
    }

    fn header(version: u32, tensors: u64, kvs: u64) -> Vec<u8> {
        let mut v = b"GGUF".to_vec();
        v.extend(version.to_le_bytes());
        v.extend(tensors.to_le_bytes());
        v.extend(kvs.to_le_bytes());
        v
    }

    /// A file with one tensor whose info is `info` (after its name).
    fn one_tensor(info: &[u8]) -> Vec<u8> {
        let mut v = header(3, 1, 0);
        v.extend(string(b"t"));
        v.extend_from_slice(info);
        v.resize(v.len().next_multiple_of(32) + 64, 0);
        v
    }

    fn info(dims: &[u64], dtype: u32, offset: u64) -> Vec<u8> {
        let mut v = (dims.len() as u32).to_le_bytes().to_vec();
        for d in dims {
            v.extend(d.to_le_bytes());
        }
        v.extend(dtype.to_le_bytes());
        v.extend(offset.to_le_bytes());
        v
    }

    #[test]
    fn hostile_headers_are_errors() {
        let pad = |mut v: Vec<u8>| {
            v.resize(v.len() + 100, 0);
            v
        };
        assert!(error(b"GGML\x03\0\0\0").contains("not a GGUF file"));
        assert!(error(&pad(header(1, 0, 0))).contains("unsupported version 1"));
        assert!(error(&pad(header(4, 0, 0))).contains("unsupported version 4"));
        assert!(error(&pad(header(3, u64::MAX, 0))).contains("declares"));
        assert!(error(&pad(header(3, 0, u64::MAX))).contains("declares"));
        assert!(error(&pad(header(2, 1 << 40, 1 << 40))).contains("declares"));

        // A key, a string value and an array longer than the file.
        let mut v = header(3, 0, 1);
        v.extend(u64::MAX.to_le_bytes());
        assert!(error(&pad(v)).contains("string of 18446744073709551615 bytes"));
        let mut v = header(3, 0, 1);
        v.extend(string(b"k"));
        v.extend(8u32.to_le_bytes());
        v.extend((1u64 << 29).to_le_bytes());
        assert!(error(&pad(v)).contains("string of 536870912 bytes"));
        let mut v = header(3, 0, 1);
        v.extend(string(b"k"));
        v.extend(9u32.to_le_bytes());
        v.extend(10u32.to_le_bytes());
        v.extend((1u64 << 40).to_le_bytes());
        assert!(error(&pad(v)).contains("array of 1099511627776 elements"));
        // Unknown value types, a bool that is neither 0 nor 1.
        let kv = |ty: u32, value: &[u8]| {
            let mut v = header(3, 0, 1);
            v.extend(string(b"k"));
            v.extend(ty.to_le_bytes());
            v.extend_from_slice(value);
            pad(v)
        };
        assert!(error(&kv(13, &[])).contains("unknown value type 13"));
        assert!(error(&kv(9, &77u32.to_le_bytes())).contains("unknown array element type 77"));
        assert!(error(&kv(7, &[2])).contains("bool value 2"));
        // Arrays nested deeper than any file needs: an error, not a stack overflow.
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend(9u32.to_le_bytes());
            deep.extend(1u64.to_le_bytes());
        }
        deep.extend(0u32.to_le_bytes());
        deep.extend(0u64.to_le_bytes());
        assert!(error(&kv(9, &deep)).contains("nested"));

        // Tensor infos: dimension counts, dimensions, types and data out of bounds.
        assert!(error(&one_tensor(&info(&[], 0, 0))).contains("0 dimensions"));
        assert!(error(&one_tensor(&info(&[1; 5], 0, 0))).contains("5 dimensions"));
        let mut absurd = u32::MAX.to_le_bytes().to_vec();
        absurd.resize(64, 0);
        assert!(error(&one_tensor(&absurd)).contains("4294967295 dimensions"));
        assert!(error(&one_tensor(&info(&[u64::MAX, 2], 0, 0))).contains("too large"));
        assert!(error(&one_tensor(&info(&[1 << 40, 1 << 40], 0, 0))).contains("too large"));
        assert!(error(&one_tensor(&info(&[4], 5, 0))).contains("unknown type 5"));
        assert!(error(&one_tensor(&info(&[16], 0, u64::MAX))).contains("too large"));
        assert!(error(&one_tensor(&info(&[16], 0, 1 << 40))).contains("beyond the end"));
        assert!(error(&one_tensor(&info(&[17], 0, 0))).contains("beyond the end"));
        assert!(error(&one_tensor(&info(&[1 << 30, 1 << 30], 0, 0))).contains("beyond the end"));
        assert!(error(&one_tensor(&info(&[16, 2], 8, 0))).contains("whole blocks of 32"));
        assert!(one_tensor(&info(&[16], 0, 0)).len() > 64);
        Gguf::read(one_tensor(&info(&[16], 0, 0)).as_slice()).unwrap();
    }

    #[test]
    fn alignment_is_read_and_zero_is_an_error() {
        let with = |ty: u32, value: &[u8]| {
            Builder::new()
                .kv(ALIGNMENT_KEY, ty, value)
                .tensor("t", GgmlDType::F32, &[1], &[0; 4])
                .build()
        };
        let zero = with(4, &0u32.to_le_bytes());
        assert!(error(&zero).contains("alignment 0"));
        // 64 as u32: the data section starts at a multiple of 64.
        let mut b = Builder::new().kv(ALIGNMENT_KEY, 4, &64u32.to_le_bytes());
        b.alignment = 64;
        let bytes = b.tensor("t", GgmlDType::F32, &[1], &[0; 4]).build();
        let g = Gguf::read(bytes.as_slice()).unwrap();
        assert_eq!(g.alignment, 64);
        assert_eq!(g.data_offset, bytes.len() as u64 - 4);
        assert_eq!(g.data_offset % 64, 0);
        // A type the spec does not allow: the default.
        let g = Gguf::read(with(6, &64f32.to_le_bytes()).as_slice()).unwrap();
        assert_eq!(g.alignment, DEFAULT_ALIGNMENT);
    }

    #[cfg(not(feature = "candle"))]
    #[test]
    fn k_quants_need_the_candle_feature() {
        let bytes = Builder::new()
            .tensor("x.weight", GgmlDType::Q4K, &[1, 256], &[0; 144])
            .build();
        let g = Gguf::read(bytes.as_slice()).unwrap();
        assert_eq!(g.tensors[0].size, 144);
        let e = TensorStore::from_gguf(&bytes).err().unwrap().to_string();
        assert!(
            e.contains(
                "tensor x.weight: type Q4K needs the `candle` feature; re-export the model as q8_0"
            ),
            "{e}"
        );
    }

    fn asset(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// The shipped files read the same from memory and from a remote source,
    /// which is never read whole.
    #[test]
    fn shipped_assets_read_from_any_source() {
        for name in [
            "encoder.gguf",
            "tagger.gguf",
            "web/encoder.gguf",
            "web/tagger.gguf",
        ] {
            let bytes = asset(name);
            let g = Gguf::read(bytes.as_slice()).unwrap();
            let remote = Remote::new(&bytes);
            assert_eq!(Gguf::read(&remote).unwrap(), g, "{name}");
            assert!(remote.largest_read.get() <= WINDOW, "{name}");
            let a = TensorStore::from_gguf(&bytes).unwrap();
            let b = TensorStore::from_gguf_source(&remote, |_| true).unwrap();
            let largest = g.tensors.iter().map(|t| t.size).max().unwrap();
            assert!(remote.largest_read.get() <= largest.max(WINDOW), "{name}");
            assert!(remote.largest_read.get() < bytes.len() * 3 / 4, "{name}");
            assert_eq!(a.format, b.format);
            assert_eq!(a.metadata, b.metadata);
            assert_eq!(a.vocab_rows, b.vocab_rows);
            assert_eq!(a.tensors.len(), b.tensors.len());
            assert!(!a.tensors.is_empty());
            for (n, t) in &a.tensors {
                let u = &b.tensors[n];
                assert_eq!(t.shape, u.shape, "{name} {n}");
                assert_eq!(
                    t.to_f32().iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    u.to_f32().iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    "{name} {n}"
                );
            }
        }
    }
}
