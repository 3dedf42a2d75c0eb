//! Matrix kernels for encoder inference.
//!
//! The encoder spends nearly all of its time in `x · Wᵀ` products with a
//! few dozen rows of `x` (the tokens of a sentence or batch). Candle's
//! quantized matmul is built for one-row LLM decoding and loses to f32 there,
//! so the int8 path has its own kernels:
//!
//! * weights are int8 with one f32 scale per output row ([`QMatrix`]);
//! * activations are quantized on the fly to int8 with one scale per row
//!   ([`QActs`]);
//! * the integer dot products run on AVX-512 VNNI (`vpdpbusd`), AVX2
//!   (`vpmaddubsw` with the sign trick), wasm `simd128` (`i32x4.dot_i16x8`),
//!   wasm relaxed SIMD (`i32x4.relaxed_dot_i8x16_i7x16_add`, in a module
//!   built with `+relaxed-simd`: weights are then 7-bit, see
//!   [`matmul_weight_max`]), or portable scalar code, chosen once at run time;
//! * 4×4 (VNNI) or 2×4 (AVX2, wasm) register tiles reuse every load, and
//!   the output columns are split across threads natively.
//!
//! The f32 path uses the `gemm` crate (the same one Candle uses).

/// Inner dimension padding: every int8 row is padded with zeros to this many
/// bytes so the SIMD loops need no tails. Zero weights make padding inert.
pub const K_ALIGN: usize = 64;
/// Activation rows are padded to a multiple of this (the tallest tile).
const M_ALIGN: usize = 4;

pub fn round_up(x: usize, to: usize) -> usize {
    x.div_ceil(to) * to
}

/// An int8 weight matrix `[rows × cols]` (rows = output features), one scale per row.
#[derive(Clone, Debug)]
pub struct QMatrix {
    pub rows: usize,
    pub cols: usize,
    kpad: usize,
    q: Vec<i8>,
    scale: Vec<f32>,
    /// Σ q over each row; corrects the +128 offset of unsigned activations (VNNI).
    row_sum: Vec<i32>,
    /// Largest |q|: the relaxed-SIMD kernel needs ≤ 63.
    max_abs: u8,
    /// The same codes for the AVX-512 VNNI kernel, when packed
    /// ([`Self::for_matmul`] on a CPU that has it): panels of 16 rows
    /// (zero-padded), each `kpad / 4` groups of 16 rows × 4 consecutive
    /// codes, so one 64-byte load feeds `vpdpbusd` for 16 outputs and no
    /// horizontal sums are needed. Empty otherwise.
    vnni: Vec<i8>,
}

/// Largest |weight| of the matrices the encoder multiplies with: 127, or 63
/// in a wasm module built with relaxed SIMD, whose dot product takes one
/// operand as 7 bits (the weights, offset by 64 to 1..=127). Natively
/// `SKILLMARK_WEIGHT_BITS=7` gives the same 7-bit weights (to measure their
/// accuracy with the native kernels).
pub fn matmul_weight_max() -> i8 {
    if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
        return 63;
    }
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var("SKILLMARK_WEIGHT_BITS").as_deref() == Ok("7") {
        return 63;
    }
    127
}

fn max_abs(q: &[i8]) -> u8 {
    q.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0)
}

impl QMatrix {
    /// Quantizes a row-major f32 matrix, symmetric per row.
    pub fn quantize(w: &[f32], rows: usize, cols: usize) -> Self {
        assert_eq!(w.len(), rows * cols, "matrix size");
        let kpad = round_up(cols.max(1), K_ALIGN);
        let mut q = vec![0i8; rows * kpad];
        let mut scale = vec![0f32; rows];
        let mut row_sum = vec![0i32; rows];
        for r in 0..rows {
            let src = &w[r * cols..(r + 1) * cols];
            let (s, sum) = quantize_row(src, &mut q[r * kpad..r * kpad + cols]);
            scale[r] = s;
            row_sum[r] = sum;
        }
        let max_abs = max_abs(&q);
        QMatrix {
            rows,
            cols,
            kpad,
            q,
            scale,
            row_sum,
            max_abs,
            vnni: Vec::new(),
        }
    }

    /// Builds from already-quantized rows (`q` is `rows × cols`) with one scale per row.
    pub fn from_parts(q_rows: &[i8], scale: Vec<f32>, rows: usize, cols: usize) -> Self {
        assert_eq!(q_rows.len(), rows * cols);
        assert_eq!(scale.len(), rows);
        let kpad = round_up(cols.max(1), K_ALIGN);
        let mut q = vec![0i8; rows * kpad];
        let mut row_sum = vec![0i32; rows];
        for r in 0..rows {
            let src = &q_rows[r * cols..(r + 1) * cols];
            q[r * kpad..r * kpad + cols].copy_from_slice(src);
            row_sum[r] = src.iter().map(|&v| v as i32).sum();
        }
        let max_abs = max_abs(&q);
        QMatrix {
            rows,
            cols,
            kpad,
            q,
            scale,
            row_sum,
            max_abs,
            vnni: Vec::new(),
        }
    }

    /// The same matrix with |q| ≤ `max` per row (rounded to the nearest
    /// level of the coarser grid, scale adjusted); itself when it fits.
    pub fn narrowed(self, max: i8) -> Self {
        if self.max_abs <= max as u8 {
            return self;
        }
        let mut q = vec![0i8; self.rows * self.cols];
        let mut scale = self.scale.clone();
        for r in 0..self.rows {
            let (row, s) = self.row(r);
            let m = max_abs(row);
            let dst = &mut q[r * self.cols..(r + 1) * self.cols];
            if m <= max as u8 {
                dst.copy_from_slice(row);
                continue;
            }
            let f = max as f32 / m as f32;
            for (d, &v) in dst.iter_mut().zip(row) {
                *d = (v as f32 * f).round() as i8;
            }
            scale[r] = s / f;
        }
        QMatrix::from_parts(&q, scale, self.rows, self.cols)
    }

    /// [`Self::narrowed`] to what the matrix kernels of this build take
    /// ([`matmul_weight_max`]).
    pub fn for_matmul(self) -> Self {
        let m = self.narrowed(matmul_weight_max());
        #[cfg(target_arch = "x86_64")]
        if Kernel::Avx512Vnni.supported() {
            return m.packed_for_vnni();
        }
        m
    }

    /// Adds the VNNI panel layout (see the `vnni` field).
    pub fn packed_for_vnni(mut self) -> Self {
        let panels = self.rows.div_ceil(16);
        let groups = self.kpad / 4;
        let mut v = vec![0i8; panels * groups * 64];
        for r in 0..self.rows {
            let (p, c) = (r / 16, r % 16);
            let row = &self.q[r * self.kpad..(r + 1) * self.kpad];
            for (g, quad) in row.chunks_exact(4).enumerate() {
                let at = (p * groups + g) * 64 + c * 4;
                v[at..at + 4].copy_from_slice(quad);
            }
        }
        self.vnni = v;
        self
    }

    /// Row `r` as f32 (used for embedding look-ups).
    pub fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        let s = self.scale[r];
        let row = &self.q[r * self.kpad..r * self.kpad + self.cols];
        for (o, &v) in out.iter_mut().zip(row) {
            *o = v as f32 * s;
        }
    }

    /// The quantized row `r` (without padding) and its scale.
    /// The codes row by row without padding, and the per-row scales: what
    /// [`Self::from_parts`] takes.
    pub fn to_parts(&self) -> (Vec<i8>, Vec<f32>) {
        let mut codes = Vec::with_capacity(self.rows * self.cols);
        for r in 0..self.rows {
            codes.extend_from_slice(self.row(r).0);
        }
        (codes, self.scale.clone())
    }

    pub fn row(&self, r: usize) -> (&[i8], f32) {
        (
            &self.q[r * self.kpad..r * self.kpad + self.cols],
            self.scale[r],
        )
    }

    pub fn size_bytes(&self) -> usize {
        self.q.len() + self.vnni.len() + self.scale.len() * 4 + self.row_sum.len() * 4
    }
}

/// Symmetric int8 quantization of one row; returns (scale, Σq).
fn quantize_row(src: &[f32], dst: &mut [i8]) -> (f32, i32) {
    let amax = src.iter().fold(0f32, |m, &v| m.max(v.abs()));
    if amax == 0.0 || !amax.is_finite() {
        dst.iter_mut().for_each(|d| *d = 0);
        return (0.0, 0);
    }
    let inv = 127.0 / amax;
    let mut sum = 0i32;
    for (d, &v) in dst.iter_mut().zip(src) {
        let q = (v * inv).round().clamp(-127.0, 127.0) as i8;
        sum += q as i32;
        *d = q;
    }
    (amax / 127.0, sum)
}

/// Activations quantized per row, laid out for the selected kernel.
pub struct QActs {
    rows: usize,
    kpad: usize,
    /// `mpad × kpad` bytes: i8 values, or i8 + 128 stored as u8 for VNNI.
    q: Vec<u8>,
    scale: Vec<f32>,
    /// Σ q over each row (only for the relaxed-SIMD kernel: it corrects the
    /// +64 offset of its 7-bit weights).
    sum: Vec<i32>,
}

impl QActs {
    pub fn new() -> Self {
        QActs {
            rows: 0,
            kpad: 0,
            q: Vec::new(),
            scale: Vec::new(),
            sum: Vec::new(),
        }
    }

    /// Quantizes `x` (`rows × cols`, row-major) for `kernel`, reusing the buffers.
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize, kernel: Kernel) {
        let kpad = round_up(cols.max(1), K_ALIGN);
        let mpad = round_up(rows.max(1), M_ALIGN);
        self.rows = rows;
        self.kpad = kpad;
        let flip = if kernel.offset_acts() { 0x80 } else { 0 };
        self.q.clear();
        self.q.resize(mpad * kpad, flip);
        self.scale.clear();
        self.scale.resize(mpad, 0.0);
        let one = |(r, (dst, scale)): (usize, (&mut [u8], &mut f32))| {
            *scale = quantize_act_row_flipped(
                &x[r * cols..(r + 1) * cols],
                &mut dst[..cols],
                kernel,
                flip,
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        if rows * cols >= PAR_ELEMENTS && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            self.q
                .par_chunks_exact_mut(kpad)
                .zip(self.scale.par_iter_mut())
                .take(rows)
                .enumerate()
                .for_each(one);
        } else {
            let rows_iter = self.q.chunks_exact_mut(kpad).zip(self.scale.iter_mut());
            rows_iter.take(rows).enumerate().for_each(one);
        }
        #[cfg(target_arch = "wasm32")]
        {
            let rows_iter = self.q.chunks_exact_mut(kpad).zip(self.scale.iter_mut());
            rows_iter.take(rows).enumerate().for_each(one);
        }
        self.sum.clear();
        if kernel.offset_weights() {
            self.sum.extend(
                self.q
                    .chunks_exact(kpad)
                    .take(rows)
                    .map(|r| r.iter().map(|&v| v as i8 as i32).sum::<i32>()),
            );
        }
    }
}

/// Elementwise work over at least this many values is split across threads
/// (below it, waking the pool costs more than it saves).
pub const PAR_ELEMENTS: usize = 48 * 1024;

/// [`quantize_act_row`] with every byte XORed with `flip` (0x80 turns i8 into
/// the u8 + 128 that VNNI reads).
fn quantize_act_row_flipped(src: &[f32], dst: &mut [u8], kernel: Kernel, flip: u8) -> f32 {
    #[cfg(target_arch = "x86_64")]
    match kernel {
        // SAFETY: the kernel is only selected where the CPU has these features.
        Kernel::Avx512Vnni => return unsafe { x86::quantize_act_row_avx512(src, dst, flip) },
        Kernel::Avx2 => return unsafe { x86::quantize_act_row_avx2(src, dst, flip) },
        _ => {}
    }
    let s = quantize_act_row(src, dst, kernel);
    if flip != 0 {
        dst.iter_mut().for_each(|d| *d ^= flip);
    }
    s
}

/// Symmetric int8 quantization of one activation row into `dst` (i8 values as
/// bytes); returns the scale. Rounds half to even, so the wasm SIMD version
/// (`f32x4.nearest`) computes the same bytes as the portable one.
pub fn quantize_act_row(src: &[f32], dst: &mut [u8], kernel: Kernel) -> f32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if kernel.is_wasm_simd() {
        // SAFETY: simd128 is enabled at compile time; `dst` is as long as `src`.
        return unsafe { wasm::quantize_act_row(src, dst) };
    }
    #[cfg(target_arch = "x86_64")]
    if matches!(kernel, Kernel::Avx512Vnni | Kernel::Avx2) {
        return quantize_act_row_flipped(src, dst, kernel, 0);
    }
    let _ = kernel;
    quantize_act_row_portable(src, dst)
}

pub fn quantize_act_row_portable(src: &[f32], dst: &mut [u8]) -> f32 {
    let amax = src
        .iter()
        .fold(0f32, |m, &v| if v.abs() > m { v.abs() } else { m });
    if amax == 0.0 || !amax.is_finite() {
        dst.iter_mut().for_each(|d| *d = 0);
        return 0.0;
    }
    let inv = 127.0 / amax;
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8 as u8;
    }
    amax / 127.0
}

impl Default for QActs {
    fn default() -> Self {
        Self::new()
    }
}

/// Which integer dot-product kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512Vnni,
    #[cfg(target_arch = "wasm32")]
    WasmSimd,
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    WasmRelaxed,
}

impl Kernel {
    /// The fastest kernel this CPU supports (`SKILLMARK_KERNEL=scalar|avx2` overrides, for tests and benchmarks).
    pub fn detect() -> Kernel {
        #[cfg(not(target_arch = "wasm32"))]
        if let Ok(v) = std::env::var("SKILLMARK_KERNEL") {
            if let Some(k) = Kernel::from_name(&v) {
                return k;
            }
        }
        Self::best()
    }

    fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Kernel::Avx512Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        {
            return Kernel::WasmRelaxed;
        }
        #[cfg(all(
            target_arch = "wasm32",
            target_feature = "simd128",
            not(target_feature = "relaxed-simd")
        ))]
        {
            return Kernel::WasmSimd;
        }
        #[allow(unreachable_code)]
        Kernel::Scalar
    }

    /// Parses a kernel name; `None` when unknown or not supported by this CPU.
    pub fn from_name(name: &str) -> Option<Kernel> {
        let k = match name {
            "scalar" => Kernel::Scalar,
            #[cfg(target_arch = "x86_64")]
            "avx2" => Kernel::Avx2,
            #[cfg(target_arch = "x86_64")]
            "avx512vnni" => Kernel::Avx512Vnni,
            #[cfg(target_arch = "wasm32")]
            "simd128" => Kernel::WasmSimd,
            #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
            "relaxed-simd" => Kernel::WasmRelaxed,
            _ => return None,
        };
        k.supported().then_some(k)
    }

    pub fn supported(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Vnni => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(target_arch = "wasm32")]
            Kernel::WasmSimd => cfg!(target_feature = "simd128"),
            #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
            Kernel::WasmRelaxed => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => "avx2",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Vnni => "avx512vnni",
            #[cfg(target_arch = "wasm32")]
            Kernel::WasmSimd => "simd128",
            #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
            Kernel::WasmRelaxed => "relaxed-simd",
        }
    }

    /// One of the wasm SIMD kernels (they share the activation quantizer).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn is_wasm_simd(self) -> bool {
        #[cfg(target_feature = "relaxed-simd")]
        if self == Kernel::WasmRelaxed {
            return true;
        }
        self == Kernel::WasmSimd
    }

    /// Whether this kernel reads weights offset by +64 (7-bit, unsigned).
    fn offset_weights(self) -> bool {
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        if self == Kernel::WasmRelaxed {
            return true;
        }
        false
    }

    fn offset_acts(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self == Kernel::Avx512Vnni {
            return true;
        }
        false
    }
}

/// `out[m][n] = Σ_k x[m][k]·w[n][k] · sx[m]·sw[n] + bias[n]` for the int8 path.
/// `out` is `a.rows × w.rows`, row-major.
pub fn matmul_q8(a: &QActs, w: &QMatrix, bias: Option<&[f32]>, out: &mut [f32], kernel: Kernel) {
    assert_eq!(a.kpad, w.kpad, "inner dimensions");
    assert!(out.len() >= a.rows * w.rows);
    if let Some(b) = bias {
        assert!(b.len() >= w.rows);
    }
    #[cfg(target_arch = "x86_64")]
    if kernel == Kernel::Avx512Vnni && !w.vnni.is_empty() {
        return matmul_q8_vnni(a, w, bias, out);
    }
    let n = w.rows;
    let out_ptr = SendPtr(out.as_mut_ptr());
    // Work unit: a block of output columns; each unit writes only its own columns.
    let cols_per_unit = 64usize;
    let units = n.div_ceil(cols_per_unit);
    let run = |u: usize| {
        let n0 = u * cols_per_unit;
        let n1 = (n0 + cols_per_unit).min(n);
        // SAFETY: units write disjoint column ranges of `out`.
        unsafe { matmul_q8_cols(a, w, bias, out_ptr, n0, n1, kernel) }
    };
    #[cfg(not(target_arch = "wasm32"))]
    {
        let flops = a.rows * n * w.cols;
        if units > 1 && flops > 200_000 && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            (0..units).into_par_iter().for_each(run);
            return;
        }
    }
    (0..units).for_each(run);
}

/// [`matmul_q8`] on the VNNI panel layout: register tiles of up to 12
/// activation rows × 32 outputs, column groups split across threads.
#[cfg(target_arch = "x86_64")]
fn matmul_q8_vnni(a: &QActs, w: &QMatrix, bias: Option<&[f32]>, out: &mut [f32]) {
    let (m, n, kpad) = (a.rows, w.rows, a.kpad);
    if m == 0 {
        return;
    }
    let tiles = m.div_ceil(12);
    let (base, rem) = (m / tiles, m % tiles);
    let bounds: Vec<(usize, usize)> = (0..tiles)
        .map(|t| (t * base + t.min(rem), base + usize::from(t < rem)))
        .collect();
    // Each tile's activations group-major (`[kpad / 4][rows]` of 4 bytes), so
    // the kernel broadcasts them from one pointer at fixed offsets.
    let groups = kpad / 4;
    let mut at = vec![0u8; m * kpad];
    for &(r0, rows) in &bounds {
        let dst = &mut at[r0 * kpad..(r0 + rows) * kpad];
        for r in 0..rows {
            let src = &a.q[(r0 + r) * kpad..(r0 + r + 1) * kpad];
            for (g, quad) in src.chunks_exact(4).enumerate() {
                let o = (g * rows + r) * 4;
                dst[o..o + 4].copy_from_slice(quad);
            }
        }
    }
    let out_ptr = SendPtr(out.as_mut_ptr());
    let units = n.div_ceil(32);
    let run = |u: usize| {
        let c0 = u * 32;
        let cols = 32.min(n - c0);
        let wp = w.vnni[c0 / 16 * groups * 64..].as_ptr();
        for &(r0, rows) in &bounds {
            let e = x86::Epilogue {
                a_scale: a.scale[r0..].as_ptr(),
                w_scale: w.scale[c0..].as_ptr(),
                row_sum: w.row_sum[c0..].as_ptr(),
                bias: bias.map_or(std::ptr::null(), |b| b[c0..].as_ptr()),
                out: out_ptr.get().wrapping_add(r0 * n + c0),
                stride: n,
                cols,
            };
            // SAFETY: units write disjoint columns; the pointers cover `rows`
            // activation rows, `cols` weight rows and `groups` groups.
            unsafe { x86::q8_tile_vnni(rows, cols > 16, at[r0 * kpad..].as_ptr(), wp, groups, &e) }
        }
    };
    let flops = m * n * w.cols;
    if units > 1 && flops > 200_000 && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        (0..units).into_par_iter().for_each(run);
        return;
    }
    (0..units).for_each(run);
}

#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// # Safety
/// `out` must point at `a.rows × w.rows` floats; columns `n0..n1` are written.
unsafe fn matmul_q8_cols(
    a: &QActs,
    w: &QMatrix,
    bias: Option<&[f32]>,
    out: SendPtr,
    n0: usize,
    n1: usize,
    kernel: Kernel,
) {
    let n = w.rows;
    let m = a.rows;
    let kpad = a.kpad;
    let offset = kernel.offset_acts();
    let store = |mi: usize, ni: usize, acc: i32| {
        let acc = if offset {
            acc - 128 * w.row_sum[ni]
        } else {
            acc
        };
        let v = acc as f32 * a.scale[mi] * w.scale[ni] + bias.map_or(0.0, |b| b[ni]);
        *out.0.add(mi * n + ni) = v;
    };
    let tm = match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512Vnni => 4,
        _ => 2,
    };
    let mut ni = n0;
    while ni + 4 <= n1 {
        let mut mi = 0;
        while mi < m {
            let ap = a.q.as_ptr().add(mi * kpad);
            let wp = w.q.as_ptr().add(ni * kpad);
            let mut acc = [[0i32; 4]; 4];
            match kernel {
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx512Vnni => x86::tile4x4_vnni(ap, wp, kpad, &mut acc),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2 => x86::tile2x4_avx2(ap as *const i8, wp, kpad, &mut acc),
                #[cfg(target_arch = "wasm32")]
                Kernel::WasmSimd => wasm::tile2x4(ap as *const i8, wp, kpad, &mut acc),
                #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
                Kernel::WasmRelaxed if w.max_abs <= 63 => {
                    wasm::tile2x4_relaxed(ap as *const i8, wp, kpad, &mut acc);
                    for (i, row) in acc.iter_mut().enumerate().take(2.min(m - mi)) {
                        let fix = 64 * a.sum[mi + i];
                        row.iter_mut().for_each(|v| *v -= fix);
                    }
                }
                #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
                Kernel::WasmRelaxed => wasm::tile2x4(ap as *const i8, wp, kpad, &mut acc),
                Kernel::Scalar => scalar_tile(ap as *const i8, wp, kpad, tm, &mut acc),
            }
            for (i, row) in acc.iter().enumerate().take(tm.min(m - mi)) {
                for (j, &v) in row.iter().enumerate() {
                    store(mi + i, ni + j, v);
                }
            }
            mi += tm;
        }
        ni += 4;
    }
    // Remaining columns (n not a multiple of 4): plain dot products.
    for nj in ni..n1 {
        let wrow = std::slice::from_raw_parts(w.q.as_ptr().add(nj * kpad), kpad);
        for mi in 0..m {
            let arow = std::slice::from_raw_parts(a.q.as_ptr().add(mi * kpad), kpad);
            let acc: i32 = if offset {
                arow.iter()
                    .zip(wrow)
                    .map(|(&x, &y)| x as i32 * y as i32)
                    .sum()
            } else {
                arow.iter()
                    .zip(wrow)
                    .map(|(&x, &y)| x as i8 as i32 * y as i32)
                    .sum()
            };
            store(mi, nj, acc);
        }
    }
}

unsafe fn scalar_tile(a: *const i8, w: *const i8, kpad: usize, tm: usize, acc: &mut [[i32; 4]; 4]) {
    for (i, acc_row) in acc.iter_mut().enumerate().take(tm) {
        let ar = std::slice::from_raw_parts(a.add(i * kpad), kpad);
        for (j, acc_ij) in acc_row.iter_mut().enumerate() {
            let wr = std::slice::from_raw_parts(w.add(j * kpad), kpad);
            *acc_ij = ar.iter().zip(wr).map(|(&x, &y)| x as i32 * y as i32).sum();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// `R` rows × 32 columns: FMA chains over `k` (see [`super::PackedF32`]).
    #[target_feature(enable = "avx512f")]
    pub unsafe fn f32_tile_avx512<const R: usize>(
        x: *const f32,
        panel: *const f32,
        k: usize,
        out: *mut f32,
        n: usize,
        bias: Option<&[f32]>,
        cols: usize,
    ) {
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        for kk in 0..k {
            let w0 = _mm512_loadu_ps(panel.add(kk * 32));
            let w1 = _mm512_loadu_ps(panel.add(kk * 32 + 16));
            let xk = x.add(kk * R);
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = _mm512_set1_ps(*xk.add(r));
                acc[0] = _mm512_fmadd_ps(a, w0, acc[0]);
                acc[1] = _mm512_fmadd_ps(a, w1, acc[1]);
            }
        }
        let mask = |from: usize| -> __mmask16 {
            let c = cols.saturating_sub(from).min(16);
            ((1u32 << c) - 1) as u16
        };
        let (m0, m1) = (mask(0), mask(16));
        let (b0, b1) = match bias {
            Some(b) => (
                _mm512_maskz_loadu_ps(m0, b.as_ptr()),
                _mm512_maskz_loadu_ps(m1, b.as_ptr().add(16)),
            ),
            None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
        };
        for (r, acc) in acc.iter().enumerate() {
            let (v0, v1) = match bias {
                Some(_) => (_mm512_add_ps(b0, acc[0]), _mm512_add_ps(b1, acc[1])),
                None => (acc[0], acc[1]),
            };
            let o = out.add(r * n);
            _mm512_mask_storeu_ps(o, m0, v0);
            _mm512_mask_storeu_ps(o.add(16), m1, v1);
        }
    }

    /// `R` rows × 32 columns as two halves of 16 with AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn f32_tile_avx2<const R: usize>(
        x: *const f32,
        panel: *const f32,
        k: usize,
        out: *mut f32,
        n: usize,
        bias: Option<&[f32]>,
        cols: usize,
    ) {
        for half in 0..2 {
            let c0 = half * 16;
            if c0 >= cols {
                break;
            }
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            for kk in 0..k {
                let w0 = _mm256_loadu_ps(panel.add(kk * 32 + c0));
                let w1 = _mm256_loadu_ps(panel.add(kk * 32 + c0 + 8));
                let xk = x.add(kk * R);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a = _mm256_set1_ps(*xk.add(r));
                    acc[0] = _mm256_fmadd_ps(a, w0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(a, w1, acc[1]);
                }
            }
            let mut buf = [0f32; 16];
            for (r, acc) in acc.iter().enumerate() {
                _mm256_storeu_ps(buf.as_mut_ptr(), acc[0]);
                _mm256_storeu_ps(buf.as_mut_ptr().add(8), acc[1]);
                let o = out.add(r * n + c0);
                for (c, &v) in buf.iter().enumerate().take(cols - c0) {
                    *o.add(c) = match bias {
                        Some(b) => b[c0 + c] + v,
                        None => v,
                    };
                }
            }
        }
    }

    /// [`super::quantize_act_row_portable`] sixteen lanes at a time, the same
    /// bytes (rounding half to even with the default MXCSR mode, NaN to 0),
    /// each XORed with `flip`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub unsafe fn quantize_act_row_avx512(src: &[f32], dst: &mut [u8], flip: u8) -> f32 {
        let n = src.len();
        assert!(dst.len() >= n);
        let p = src.as_ptr();
        let body = n - n % 16;
        let tail: __mmask16 = ((1u32 << (n % 16)) - 1) as u16;
        // max(|v|, m) keeps `m` when v is NaN, as the portable fold does.
        let (mut m0, mut m1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        let mut i = 0;
        while i + 32 <= body {
            m0 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(p.add(i))), m0);
            m1 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(p.add(i + 16))), m1);
            i += 32;
        }
        if i < body {
            m0 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(p.add(i))), m0);
        }
        if tail != 0 {
            let v = _mm512_maskz_loadu_ps(tail, p.add(body));
            m1 = _mm512_max_ps(_mm512_abs_ps(v), m1);
        }
        let amax = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
        if amax == 0.0 || !amax.is_finite() {
            dst[..n].iter_mut().for_each(|d| *d = flip);
            return 0.0;
        }
        let inv = 127.0 / amax;
        let vinv = _mm512_set1_ps(inv);
        // Clamped as floats first: with a subnormal `amax`, `inv` is infinite.
        let (hi, lo) = (_mm512_set1_ps(127.0), _mm512_set1_ps(-127.0));
        let fl = _mm512_set1_epi32(flip as i32);
        let d = dst.as_mut_ptr();
        let mut i = 0;
        while i < body {
            let x = _mm512_mul_ps(_mm512_loadu_ps(p.add(i)), vinv);
            let ord = _mm512_cmp_ps_mask::<_CMP_ORD_Q>(x, x);
            let q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(x, lo), hi));
            let q = _mm512_xor_si512(_mm512_maskz_mov_epi32(ord, q), fl);
            _mm_storeu_si128(d.add(i) as *mut __m128i, _mm512_cvtepi32_epi8(q));
            i += 16;
        }
        if tail != 0 {
            let x = _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, p.add(body)), vinv);
            let ord = _mm512_cmp_ps_mask::<_CMP_ORD_Q>(x, x);
            let q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(x, lo), hi));
            let q = _mm512_xor_si512(_mm512_maskz_mov_epi32(ord, q), fl);
            _mm512_mask_cvtepi32_storeu_epi8(d.add(body) as *mut _, tail, q);
        }
        amax / 127.0
    }

    /// As [`quantize_act_row_avx512`] with AVX2, thirty-two values a step.
    #[target_feature(enable = "avx2")]
    pub unsafe fn quantize_act_row_avx2(src: &[f32], dst: &mut [u8], flip: u8) -> f32 {
        let n = src.len();
        assert!(dst.len() >= n);
        let p = src.as_ptr();
        let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
        let body8 = n - n % 8;
        let mut m = _mm256_setzero_ps();
        let mut i = 0;
        while i < body8 {
            m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(p.add(i)), abs), m);
            i += 8;
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), m);
        let mut amax = 0f32;
        for &v in lanes.iter().chain(&src[body8..]) {
            if v.abs() > amax {
                amax = v.abs();
            }
        }
        if amax == 0.0 || !amax.is_finite() {
            dst[..n].iter_mut().for_each(|d| *d = flip);
            return 0.0;
        }
        let inv = 127.0 / amax;
        let vinv = _mm256_set1_ps(inv);
        let (hi, lo) = (_mm256_set1_ps(127.0), _mm256_set1_ps(-127.0));
        let q8 = |at: usize| {
            let x = _mm256_mul_ps(_mm256_loadu_ps(p.add(at)), vinv);
            let ord = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_ORD_Q>(x, x));
            let q = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(x, lo), hi));
            _mm256_and_si256(q, ord)
        };
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        let fl = _mm256_set1_epi8(flip as i8);
        let body32 = n - n % 32;
        let d = dst.as_mut_ptr();
        let mut i = 0;
        while i < body32 {
            let a = _mm256_packs_epi32(q8(i), q8(i + 8));
            let b = _mm256_packs_epi32(q8(i + 16), q8(i + 24));
            let bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), order);
            _mm256_storeu_si256(d.add(i) as *mut __m256i, _mm256_xor_si256(bytes, fl));
            i += 32;
        }
        for (o, &v) in dst[body32..n].iter_mut().zip(&src[body32..]) {
            *o = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8 as u8 ^ flip;
        }
        amax / 127.0
    }

    /// Where a VNNI tile's sums go: `out[r][c] = (acc − 128·Σw[c]) · sa[r] ·
    /// sw[c] + bias[c]`, the scalar store's formula in the same order.
    pub struct Epilogue {
        pub a_scale: *const f32,
        pub w_scale: *const f32,
        pub row_sum: *const i32,
        /// Null for no bias (then + 0.0, as the scalar store adds).
        pub bias: *const f32,
        pub out: *mut f32,
        pub stride: usize,
        /// Valid output columns from `out` (1..=32).
        pub cols: usize,
    }

    /// `rows` (1..=12) activation rows × one or two 16-column panels.
    ///
    /// # Safety
    /// `a` holds `groups × rows` group-major quads, `w` one or two panels of
    /// `groups × 64` bytes; the epilogue's pointers cover `rows` and `cols`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub unsafe fn q8_tile_vnni(
        rows: usize,
        two: bool,
        a: *const u8,
        w: *const i8,
        groups: usize,
        e: &Epilogue,
    ) {
        macro_rules! by_rows {
            ($p:literal, $($r:literal)*) => {
                match rows {
                    $($r => q8_tile_vnni_rp::<$r, $p>(a, w, groups, e),)*
                    _ => unreachable!("tile of {rows} rows"),
                }
            };
        }
        if two {
            by_rows!(2, 1 2 3 4 5 6 7 8 9 10 11 12)
        } else {
            by_rows!(1, 1 2 3 4 5 6 7 8 9 10 11 12)
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn q8_tile_vnni_rp<const R: usize, const P: usize>(
        a: *const u8,
        w: *const i8,
        groups: usize,
        e: &Epilogue,
    ) {
        let mut acc = [[_mm512_setzero_si512(); P]; R];
        let panel = groups * 64;
        for g in 0..groups {
            let mut wv = [_mm512_setzero_si512(); P];
            for (p, wv) in wv.iter_mut().enumerate() {
                *wv = _mm512_loadu_si512(w.add(p * panel + g * 64) as *const _);
            }
            let ag = a.add(g * R * 4);
            for (r, acc) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_epi32((ag.add(r * 4) as *const i32).read_unaligned());
                for (acc, &wv) in acc.iter_mut().zip(&wv) {
                    *acc = _mm512_dpbusd_epi32(*acc, av, wv);
                }
            }
        }
        for p in 0..P {
            let c0 = p * 16;
            let mask: __mmask16 = ((1u32 << e.cols.saturating_sub(c0).min(16)) - 1) as u16;
            let corr = _mm512_slli_epi32::<7>(_mm512_maskz_loadu_epi32(mask, e.row_sum.add(c0)));
            let sw = _mm512_maskz_loadu_ps(mask, e.w_scale.add(c0));
            let b = if e.bias.is_null() {
                _mm512_setzero_ps()
            } else {
                _mm512_maskz_loadu_ps(mask, e.bias.add(c0))
            };
            for (r, acc) in acc.iter().enumerate() {
                let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[p], corr));
                let v = _mm512_mul_ps(_mm512_mul_ps(v, _mm512_set1_ps(*e.a_scale.add(r))), sw);
                _mm512_mask_storeu_ps(e.out.add(r * e.stride + c0), mask, _mm512_add_ps(v, b));
            }
        }
    }

    /// 4 activation rows × 4 weight rows with `vpdpbusd` (u8 × i8 → i32).
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub unsafe fn tile4x4_vnni(a: *const u8, w: *const i8, kpad: usize, out: &mut [[i32; 4]; 4]) {
        let z = _mm512_setzero_si512();
        let (mut c00, mut c01, mut c02, mut c03) = (z, z, z, z);
        let (mut c10, mut c11, mut c12, mut c13) = (z, z, z, z);
        let (mut c20, mut c21, mut c22, mut c23) = (z, z, z, z);
        let (mut c30, mut c31, mut c32, mut c33) = (z, z, z, z);
        let mut k = 0;
        while k < kpad {
            let a0 = _mm512_loadu_si512(a.add(k) as *const _);
            let a1 = _mm512_loadu_si512(a.add(kpad + k) as *const _);
            let a2 = _mm512_loadu_si512(a.add(2 * kpad + k) as *const _);
            let a3 = _mm512_loadu_si512(a.add(3 * kpad + k) as *const _);
            let w0 = _mm512_loadu_si512(w.add(k) as *const _);
            c00 = _mm512_dpbusd_epi32(c00, a0, w0);
            c10 = _mm512_dpbusd_epi32(c10, a1, w0);
            c20 = _mm512_dpbusd_epi32(c20, a2, w0);
            c30 = _mm512_dpbusd_epi32(c30, a3, w0);
            let w1 = _mm512_loadu_si512(w.add(kpad + k) as *const _);
            c01 = _mm512_dpbusd_epi32(c01, a0, w1);
            c11 = _mm512_dpbusd_epi32(c11, a1, w1);
            c21 = _mm512_dpbusd_epi32(c21, a2, w1);
            c31 = _mm512_dpbusd_epi32(c31, a3, w1);
            let w2 = _mm512_loadu_si512(w.add(2 * kpad + k) as *const _);
            c02 = _mm512_dpbusd_epi32(c02, a0, w2);
            c12 = _mm512_dpbusd_epi32(c12, a1, w2);
            c22 = _mm512_dpbusd_epi32(c22, a2, w2);
            c32 = _mm512_dpbusd_epi32(c32, a3, w2);
            let w3 = _mm512_loadu_si512(w.add(3 * kpad + k) as *const _);
            c03 = _mm512_dpbusd_epi32(c03, a0, w3);
            c13 = _mm512_dpbusd_epi32(c13, a1, w3);
            c23 = _mm512_dpbusd_epi32(c23, a2, w3);
            c33 = _mm512_dpbusd_epi32(c33, a3, w3);
            k += 64;
        }
        *out = [
            [
                _mm512_reduce_add_epi32(c00),
                _mm512_reduce_add_epi32(c01),
                _mm512_reduce_add_epi32(c02),
                _mm512_reduce_add_epi32(c03),
            ],
            [
                _mm512_reduce_add_epi32(c10),
                _mm512_reduce_add_epi32(c11),
                _mm512_reduce_add_epi32(c12),
                _mm512_reduce_add_epi32(c13),
            ],
            [
                _mm512_reduce_add_epi32(c20),
                _mm512_reduce_add_epi32(c21),
                _mm512_reduce_add_epi32(c22),
                _mm512_reduce_add_epi32(c23),
            ],
            [
                _mm512_reduce_add_epi32(c30),
                _mm512_reduce_add_epi32(c31),
                _mm512_reduce_add_epi32(c32),
                _mm512_reduce_add_epi32(c33),
            ],
        ];
    }

    #[target_feature(enable = "avx2")]
    unsafe fn hsum256(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    }

    /// 2 activation rows × 4 weight rows, both signed: |a| · sign(w, a) with
    /// `vpmaddubsw` (|a|, |w| ≤ 127, so pairs never saturate i16).
    #[target_feature(enable = "avx2")]
    pub unsafe fn tile2x4_avx2(a: *const i8, w: *const i8, kpad: usize, out: &mut [[i32; 4]; 4]) {
        let ones = _mm256_set1_epi16(1);
        let z = _mm256_setzero_si256();
        let mut c = [[z; 4]; 2];
        let mut k = 0;
        while k < kpad {
            let a0 = _mm256_loadu_si256(a.add(k) as *const _);
            let a1 = _mm256_loadu_si256(a.add(kpad + k) as *const _);
            let abs0 = _mm256_sign_epi8(a0, a0);
            let abs1 = _mm256_sign_epi8(a1, a1);
            for (j, _) in [0; 4].iter().enumerate() {
                let wj = _mm256_loadu_si256(w.add(j * kpad + k) as *const _);
                let p0 = _mm256_maddubs_epi16(abs0, _mm256_sign_epi8(wj, a0));
                let p1 = _mm256_maddubs_epi16(abs1, _mm256_sign_epi8(wj, a1));
                c[0][j] = _mm256_add_epi32(c[0][j], _mm256_madd_epi16(p0, ones));
                c[1][j] = _mm256_add_epi32(c[1][j], _mm256_madd_epi16(p1, ones));
            }
            k += 32;
        }
        for i in 0..2 {
            for j in 0..4 {
                out[i][j] = hsum256(c[i][j]);
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    /// 2 activation rows × 4 weight rows with `i32x4.dot_i16x8_s`.
    #[cfg(target_feature = "simd128")]
    // `j` indexes the weight rows and both accumulator rows at once.
    #[allow(clippy::needless_range_loop)]
    pub unsafe fn tile2x4(a: *const i8, w: *const i8, kpad: usize, out: &mut [[i32; 4]; 4]) {
        use core::arch::wasm32::*;
        let mut c = [[i32x4_splat(0); 4]; 2];
        let mut k = 0;
        while k < kpad {
            let a0 = v128_load(a.add(k) as *const v128);
            let a1 = v128_load(a.add(kpad + k) as *const v128);
            let (a0l, a0h) = (i16x8_extend_low_i8x16(a0), i16x8_extend_high_i8x16(a0));
            let (a1l, a1h) = (i16x8_extend_low_i8x16(a1), i16x8_extend_high_i8x16(a1));
            for j in 0..4 {
                let wj = v128_load(w.add(j * kpad + k) as *const v128);
                let (wl, wh) = (i16x8_extend_low_i8x16(wj), i16x8_extend_high_i8x16(wj));
                c[0][j] = i32x4_add(
                    c[0][j],
                    i32x4_add(i32x4_dot_i16x8(a0l, wl), i32x4_dot_i16x8(a0h, wh)),
                );
                c[1][j] = i32x4_add(
                    c[1][j],
                    i32x4_add(i32x4_dot_i16x8(a1l, wl), i32x4_dot_i16x8(a1h, wh)),
                );
            }
            k += 16;
        }
        horizontal_sums(&c, out);
    }

    /// Each accumulator's four lanes added up, into `out[0..2][0..4]`.
    #[cfg(target_feature = "simd128")]
    fn horizontal_sums(c: &[[core::arch::wasm32::v128; 4]; 2], out: &mut [[i32; 4]; 4]) {
        use core::arch::wasm32::*;
        for (acc, o) in c.iter().zip(out.iter_mut()) {
            for (&v, o) in acc.iter().zip(o.iter_mut()) {
                *o = i32x4_extract_lane::<0>(v)
                    + i32x4_extract_lane::<1>(v)
                    + i32x4_extract_lane::<2>(v)
                    + i32x4_extract_lane::<3>(v);
            }
        }
    }

    /// 2 activation rows × 4 weight rows with relaxed SIMD's
    /// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: activations signed, weights
    /// (|w| ≤ 63) offset to 1..=127, so every engine computes the same exact
    /// sums (`pmaddubsw` cannot saturate: 2 · 127 · 127 < 2¹⁵). The caller
    /// subtracts 64 · Σa per activation row.
    #[cfg(target_feature = "relaxed-simd")]
    #[allow(clippy::needless_range_loop)]
    pub unsafe fn tile2x4_relaxed(
        a: *const i8,
        w: *const i8,
        kpad: usize,
        out: &mut [[i32; 4]; 4],
    ) {
        use core::arch::wasm32::*;
        let off = i8x16_splat(64);
        let mut c = [[i32x4_splat(0); 4]; 2];
        let mut k = 0;
        while k < kpad {
            let a0 = v128_load(a.add(k) as *const v128);
            let a1 = v128_load(a.add(kpad + k) as *const v128);
            for j in 0..4 {
                let wj = i8x16_add(v128_load(w.add(j * kpad + k) as *const v128), off);
                c[0][j] = i32x4_relaxed_dot_i8x16_i7x16_add(a0, wj, c[0][j]);
                c[1][j] = i32x4_relaxed_dot_i8x16_i7x16_add(a1, wj, c[1][j]);
            }
            k += 16;
        }
        horizontal_sums(&c, out);
    }

    /// [`super::quantize_act_row_portable`] four lanes at a time; the same bytes.
    #[cfg(target_feature = "simd128")]
    pub unsafe fn quantize_act_row(src: &[f32], dst: &mut [u8]) -> f32 {
        use core::arch::wasm32::*;
        let n = src.len();
        let body = n - n % 16;
        let p = src.as_ptr();
        let mut m = f32x4_splat(0.0);
        let mut i = 0;
        while i < body {
            for j in 0..4 {
                let v = f32x4_abs(v128_load(p.add(i + 4 * j) as *const v128));
                // pmax keeps `m` when `v` is NaN, as the portable fold does.
                m = f32x4_pmax(m, v);
            }
            i += 16;
        }
        let mut amax = f32x4_extract_lane::<0>(m);
        for a in [
            f32x4_extract_lane::<1>(m),
            f32x4_extract_lane::<2>(m),
            f32x4_extract_lane::<3>(m),
        ] {
            if a > amax {
                amax = a;
            }
        }
        for &v in &src[body..] {
            if v.abs() > amax {
                amax = v.abs();
            }
        }
        if amax == 0.0 || !amax.is_finite() {
            dst.iter_mut().for_each(|d| *d = 0);
            return 0.0;
        }
        let inv = 127.0 / amax;
        let (vinv, hi, lo) = (f32x4_splat(inv), f32x4_splat(127.0), f32x4_splat(-127.0));
        let q4 = |at: usize| {
            let v = f32x4_nearest(f32x4_mul(v128_load(p.add(at) as *const v128), vinv));
            i32x4_trunc_sat_f32x4(f32x4_pmax(f32x4_pmin(v, hi), lo))
        };
        let mut i = 0;
        while i < body {
            let a = i16x8_narrow_i32x4(q4(i), q4(i + 4));
            let b = i16x8_narrow_i32x4(q4(i + 8), q4(i + 12));
            v128_store(
                dst.as_mut_ptr().add(i) as *mut v128,
                i8x16_narrow_i16x8(a, b),
            );
            i += 16;
        }
        for (d, &v) in dst[body..].iter_mut().zip(&src[body..]) {
            *d = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i8 as u8;
        }
        amax / 127.0
    }

    #[cfg(not(target_feature = "simd128"))]
    pub unsafe fn tile2x4(a: *const i8, w: *const i8, kpad: usize, out: &mut [[i32; 4]; 4]) {
        super::scalar_tile(a, w, kpad, 2, out)
    }
}

/// `out = x · wᵀ + bias` in f32; `x` is `m × k`, `w` is `n × k`, `out` is `m × n`.
pub fn matmul_f32(
    x: &[f32],
    m: usize,
    w: &[f32],
    n: usize,
    k: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    assert!(x.len() >= m * k && w.len() >= n * k && out.len() >= m * n);
    if let Some(b) = bias {
        for row in out[..m * n].chunks_exact_mut(n) {
            row.copy_from_slice(&b[..n]);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let par = if m * n * k > 500_000 && rayon::current_num_threads() > 1 {
        gemm::Parallelism::Rayon(rayon::current_num_threads())
    } else {
        gemm::Parallelism::None
    };
    #[cfg(target_arch = "wasm32")]
    let par = gemm::Parallelism::None;
    // SAFETY: the slices hold the sizes asserted above; strides describe row-major
    // `x` (m×k), `wᵀ` read from row-major `w` (n×k), and row-major `out` (m×n).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            bias.is_some(),
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

/// An f32 weight matrix `[n × k]` (rows = output features) packed for the
/// x86 FMA kernels of [`matmul_f32_packed`]: panels of 32 output columns
/// (the last one padded with zeros), each `k × 32`, row-major.
///
/// The kernels compute every output as one FMA chain over `k` in order,
/// starting from zero, and add the bias last: exactly what `gemm` computes
/// for these shapes (one depth block, `kc = k`, while `k ≤ 512`), so
/// switching between the two changes no bit. [`PackedF32::new`] refuses the
/// other cases (and CPUs without FMA), which keep using [`matmul_f32`].
pub struct PackedF32 {
    n: usize,
    k: usize,
    panels: Vec<f32>,
    isa: F32Isa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum F32Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

const F32_PANEL: usize = 32;
/// The deepest `k` for which `gemm` runs one FMA chain per output.
const F32_MAX_K: usize = 512;

impl PackedF32 {
    /// Packs row-major `w` (`n × k`); `None` where the packed kernels do not
    /// apply (see the type's documentation).
    pub fn new(w: &[f32], n: usize, k: usize) -> Option<Self> {
        Self::with_isa(w, n, k, Self::isa()?)
    }

    fn with_isa(w: &[f32], n: usize, k: usize, isa: F32Isa) -> Option<Self> {
        assert_eq!(w.len(), n * k, "matrix size");
        if k == 0 || k > F32_MAX_K || n == 0 {
            return None;
        }
        let np = n.div_ceil(F32_PANEL);
        let mut panels = vec![0f32; np * k * F32_PANEL];
        for (j, row) in w.chunks_exact(k).enumerate() {
            let (p, c) = (j / F32_PANEL, j % F32_PANEL);
            for (kk, &v) in row.iter().enumerate() {
                panels[(p * k + kk) * F32_PANEL + c] = v;
            }
        }
        Some(PackedF32 { n, k, panels, isa })
    }

    fn isa() -> Option<F32Isa> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::env::var("SKILLMARK_F32_KERNEL").as_deref() == Ok("gemm") {
                return None;
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Some(F32Isa::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Some(F32Isa::Avx2Fma);
            }
        }
        None
    }

    pub fn rows(&self) -> usize {
        self.n
    }

    pub fn cols(&self) -> usize {
        self.k
    }

    pub fn size_bytes(&self) -> usize {
        self.panels.len() * 4
    }

    /// The most activation rows one register tile takes.
    fn tile_rows(&self) -> usize {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            F32Isa::Avx512 => 12,
            #[cfg(target_arch = "x86_64")]
            F32Isa::Avx2Fma => 6,
        }
    }
}

/// `out = x · wᵀ + bias` with packed weights; `x` is `m × k`, `out` is `m × n`.
/// Bit for bit what [`matmul_f32`] computes (see [`PackedF32`]).
pub fn matmul_f32_packed(
    x: &[f32],
    m: usize,
    w: &PackedF32,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let (n, k) = (w.n, w.k);
    assert!(x.len() >= m * k && out.len() >= m * n);
    if let Some(b) = bias {
        assert!(b.len() >= n);
    }
    if m == 0 {
        return;
    }
    // Row tiles of near-equal height; each tile's rows are stored k-major
    // (`tile[kk * rows + r]`) so the kernel broadcasts from one pointer.
    let tiles = m.div_ceil(w.tile_rows());
    let (base, rem) = (m / tiles, m % tiles);
    let bounds: Vec<(usize, usize)> = (0..tiles)
        .map(|t| {
            let r0 = t * base + t.min(rem);
            (r0, base + usize::from(t < rem))
        })
        .collect();
    let mut xt = vec![0f32; m * k];
    for &(r0, rows) in &bounds {
        let dst = &mut xt[r0 * k..(r0 + rows) * k];
        for r in 0..rows {
            for (kk, &v) in x[(r0 + r) * k..(r0 + r + 1) * k].iter().enumerate() {
                dst[kk * rows + r] = v;
            }
        }
    }
    let out_ptr = SendPtr(out.as_mut_ptr());
    let panels = n.div_ceil(F32_PANEL);
    let run = |p: usize| {
        let c0 = p * F32_PANEL;
        let cols = F32_PANEL.min(n - c0);
        let panel = &w.panels[p * k * F32_PANEL..(p + 1) * k * F32_PANEL];
        for &(r0, rows) in &bounds {
            // SAFETY: panels write disjoint columns of `out`; the tile and
            // panel slices hold `rows × k` and `k × 32` values.
            unsafe {
                f32_tile(
                    w.isa,
                    rows,
                    xt[r0 * k..].as_ptr(),
                    panel.as_ptr(),
                    k,
                    out_ptr.get().add(r0 * n + c0),
                    n,
                    bias.map(|b| &b[c0..c0 + cols]),
                    cols,
                )
            }
        }
    };
    #[cfg(not(target_arch = "wasm32"))]
    if m * n * k > 500_000 && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        (0..panels).into_par_iter().for_each(run);
        return;
    }
    (0..panels).for_each(run);
}

/// One register tile: `rows` activation rows (k-major at `x`) × one panel.
///
/// # Safety
/// As [`matmul_f32_packed`] sets up: `out` holds `rows` rows of stride `n`
/// with `cols` writable columns; the CPU has the features of `isa`.
#[allow(clippy::too_many_arguments)]
unsafe fn f32_tile(
    isa: F32Isa,
    rows: usize,
    x: *const f32,
    panel: *const f32,
    k: usize,
    out: *mut f32,
    n: usize,
    bias: Option<&[f32]>,
    cols: usize,
) {
    // Elsewhere `F32Isa` has no variants and nothing below runs.
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (rows, x, panel, k, out, n, bias, cols);
    #[cfg(target_arch = "x86_64")]
    macro_rules! by_rows {
        ($f:ident, $($r:literal)*) => {
            match rows {
                $($r => x86::$f::<$r>(x, panel, k, out, n, bias, cols),)*
                _ => unreachable!("tile of {rows} rows"),
            }
        };
    }
    match isa {
        #[cfg(target_arch = "x86_64")]
        F32Isa::Avx512 => by_rows!(f32_tile_avx512, 1 2 3 4 5 6 7 8 9 10 11 12),
        #[cfg(target_arch = "x86_64")]
        F32Isa::Avx2Fma => by_rows!(f32_tile_avx2, 1 2 3 4 5 6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    }

    fn reference(x: &[f32], m: usize, w: &[f32], n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|t| x[i * k + t] * w[j * k + t]).sum();
            }
        }
        out
    }

    fn f32_isas() -> Vec<F32Isa> {
        #[allow(unused_mut)]
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                v.push(F32Isa::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                v.push(F32Isa::Avx2Fma);
            }
        }
        v
    }

    fn kernels() -> Vec<Kernel> {
        ["scalar", "avx2", "avx512vnni", "simd128"]
            .iter()
            .filter_map(|n| Kernel::from_name(n))
            .collect()
    }

    #[test]
    fn int8_kernels_agree_with_f32_on_odd_shapes() {
        let mut seed = 7;
        for &(m, n, k) in &[
            (1, 4, 32),
            (5, 7, 100),
            (13, 64, 384),
            (4, 130, 65),
            (3, 3, 1),
            (30, 50, 384),
            (25, 96, 1536),
        ] {
            let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
            let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
            let bias: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
            let mut want = reference(&x, m, &w, n, k);
            for (i, v) in want.iter_mut().enumerate() {
                *v += bias[i % n];
            }
            let qw = QMatrix::quantize(&w, n, k);
            // The VNNI kernel on both layouts (rows, and panels).
            let packed = qw.clone().packed_for_vnni();
            let mut results = Vec::new();
            for kernel in kernels() {
                for qw in [&qw, &packed] {
                    let mut qa = QActs::new();
                    qa.quantize(&x, m, k, kernel);
                    for b in [Some(bias.as_slice()), None] {
                        let mut out = vec![f32::NAN; m * n];
                        matmul_q8(&qa, qw, b, &mut out, kernel);
                        let tol = 0.03 * (k as f32).sqrt();
                        for (i, (g, e)) in out.iter().zip(&want).enumerate() {
                            let e = e - b.map_or(bias[i % n], |_| 0.0);
                            assert!((g - e).abs() < tol, "{kernel:?} {m}x{n}x{k}: {g} vs {e}");
                        }
                        results.push(out);
                    }
                }
            }
            // All kernels compute the same integer sums, so they agree exactly.
            // (with bias, without bias) per kernel and layout.
            for (i, r) in results.iter().enumerate() {
                assert_eq!(r, &results[i % 2], "{m}x{n}x{k} result {i}");
            }
        }
    }

    #[test]
    fn simd_activation_quantizers_give_the_portable_bytes() {
        let mut seed = 9u64;
        for case in 0..600usize {
            let n = [384, 1536, 16, 7, 35, 1, 33, 64, 65][case % 9];
            let mut row: Vec<f32> = (0..n).map(|_| lcg(&mut seed) * 4.5).collect();
            match case % 6 {
                // amax 127 makes the scale 1, so x.5 values are exact ties.
                1 => row
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, v)| *v = (i % 254) as f32 - 126.5),
                2 => row[n / 2] = f32::NAN,
                3 => row[n - 1] = f32::NEG_INFINITY,
                4 => row.iter_mut().for_each(|v| *v = 0.0),
                5 => row.iter_mut().for_each(|v| *v *= 1e-40),
                _ => {}
            }
            if case % 6 == 1 {
                row[0] = 127.0;
            }
            let mut want = vec![1u8; n];
            let sw = quantize_act_row_portable(&row, &mut want);
            for kernel in kernels() {
                for flip in [0u8, 0x80] {
                    let mut got = vec![2u8; n];
                    let sg = quantize_act_row_flipped(&row, &mut got, kernel, flip);
                    let want: Vec<u8> = want.iter().map(|&b| b ^ flip).collect();
                    assert_eq!(got, want, "{kernel:?} case {case} flip {flip}");
                    assert_eq!(sg.to_bits(), sw.to_bits(), "{kernel:?} case {case}");
                }
            }
        }
    }

    #[test]
    fn narrowed_weights_fit_seven_bits_and_stay_close() {
        let mut seed = 11;
        let (n, k) = (9, 100);
        let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let wide = QMatrix::quantize(&w, n, k);
        assert!(wide.max_abs > 63);
        let narrow = wide.clone().narrowed(63);
        assert!(narrow.max_abs <= 63);
        let (mut a, mut b) = (vec![0f32; k], vec![0f32; k]);
        for r in 0..n {
            wide.dequantize_row(r, &mut a);
            narrow.dequantize_row(r, &mut b);
            let amax = a.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (x, y) in a.iter().zip(&b) {
                // Half a 7-bit step of the row's range.
                assert!((x - y).abs() <= amax / 63.0 * 0.5 + 1e-6, "{x} vs {y}");
            }
        }
        // Already narrow: unchanged; and Σq stays consistent for VNNI.
        let again = narrow.clone().narrowed(63);
        assert_eq!(again.q, narrow.q);
        for r in 0..n {
            let sum: i32 = narrow.row(r).0.iter().map(|&v| v as i32).sum();
            assert_eq!(sum, narrow.row_sum[r]);
        }
    }

    #[test]
    fn f32_matmul_matches_reference() {
        let mut seed = 3;
        let (m, n, k) = (9, 33, 70);
        let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
        let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let want = reference(&x, m, &w, n, k);
        let mut out = vec![0.0; m * n];
        matmul_f32(&x, m, &w, n, k, None, &mut out);
        for (g, e) in out.iter().zip(&want) {
            assert!((g - e).abs() < 1e-4);
        }
    }

    #[test]
    fn packed_f32_matmul_is_gemm_bit_for_bit() {
        let mut seed = 5;
        // gemm runs FMA chains for m ≥ 2, k ≥ 3 and m·n > 256 (below that it
        // has gemv and horizontal kernels, which the encoder never reaches).
        for &(m, n, k) in &[
            (2, 1152, 384),
            (25, 1152, 384),
            (13, 130, 65),
            (7, 40, 512),
            (40, 33, 3),
            (97, 96, 384),
        ] {
            let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
            let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
            let bias: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
            for isa in f32_isas() {
                let p = PackedF32::with_isa(&w, n, k, isa).unwrap();
                for b in [Some(bias.as_slice()), None] {
                    let mut want = vec![0.0; m * n];
                    matmul_f32(&x, m, &w, n, k, b, &mut want);
                    let mut got = vec![f32::NAN; m * n];
                    matmul_f32_packed(&x, m, &p, b, &mut got);
                    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "{isa:?} {m}x{n}x{k}");
                }
            }
        }
        assert!(PackedF32::new(&[0.0; 513], 1, 513).is_none(), "k > 512");
    }

    #[test]
    fn zero_rows_quantize_safely() {
        let qw = QMatrix::quantize(&[0.0; 8], 2, 4);
        let mut qa = QActs::new();
        qa.quantize(&[0.0; 4], 1, 4, Kernel::Scalar);
        let mut out = vec![1.0; 2];
        matmul_q8(&qa, &qw, None, &mut out, Kernel::Scalar);
        assert_eq!(out, vec![0.0, 0.0]);
    }
}
