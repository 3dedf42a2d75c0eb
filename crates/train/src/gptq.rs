//! GPTQ (Frantar et al. 2022, arXiv 2210.17323) for the web bundle's weights.
//!
//! Each matrix is quantized one input column at a time (largest input energy
//! first); the rounding error of a column is spread over the columns not yet
//! quantized, weighted by the inverse of the inputs' second moments `XᵀX`, so
//! the layer's *outputs* on real text move as little as possible. Layers are
//! done in order, each calibrated on the outputs of the already-quantized
//! layers before it. The grid is the runtime's own: int8 codes with one f16
//! step per row ([`quantize_rows_with_step`]), so loading is exact.

use std::collections::HashMap;

use anyhow::{bail, Result};
use skillmark_model::engine::{Dense, LayerStack, TokenStates};
use skillmark_model::kernels::{matmul_f32, QMatrix};
use skillmark_model::weights::{quantize_rows_with_step, StoredTensor, TensorData};
use skillmark_model::{BertConfig, Precision, TensorStore};

/// Tokens per forward pass while calibrating (bounds the memory of the FFN buffers).
const CHUNK_TOKENS: usize = 2048;

/// The weight matrices fed by each dense input, relative to a layer prefix.
fn matrices(d: Dense) -> &'static [&'static str] {
    match d {
        Dense::Qkv => &[
            "attention.self.query.weight",
            "attention.self.key.weight",
            "attention.self.value.weight",
        ],
        Dense::AttnOut => &["attention.output.dense.weight"],
        Dense::FfnIn => &["intermediate.dense.weight"],
        Dense::FfnOut => &["output.dense.weight"],
    }
}

const DENSE: [Dense; 4] = [Dense::Qkv, Dense::AttnOut, Dense::FfnIn, Dense::FfnOut];

/// f32 tensors by full name (`encoder.layer.3.output.dense.weight`).
pub type Tensors = HashMap<String, (Vec<usize>, Vec<f32>)>;

/// Splits token states into passes of about [`CHUNK_TOKENS`] tokens.
fn chunks(s: &TokenStates) -> Vec<TokenStates> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.ranges.len() {
        let start = s.ranges[i].start;
        let mut j = i;
        while j < s.ranges.len() && (j == i || s.ranges[j].end - start <= CHUNK_TOKENS) {
            j += 1;
        }
        let end = s.ranges[j - 1].end;
        out.push(TokenStates {
            hidden: s.hidden,
            states: s.states[start * s.hidden..end * s.hidden].to_vec(),
            ranges: s.ranges[i..j]
                .iter()
                .map(|r| r.start - start..r.end - start)
                .collect(),
        });
        i = j;
    }
    out
}

fn one_layer(cfg: &BertConfig, tensors: &Tensors, prefix: &str) -> Result<LayerStack> {
    let mut store = TensorStore::default();
    for (name, (shape, data)) in tensors {
        if name.starts_with(&format!("{prefix}.")) {
            store.tensors.insert(
                name.clone(),
                StoredTensor {
                    shape: shape.clone(),
                    data: TensorData::F32(data.clone()),
                },
            );
        }
    }
    Ok(LayerStack::new(
        cfg.clone(),
        &mut store,
        &[prefix.to_string()],
        Precision::F32,
    )?)
}

/// `XᵀX` of each dense input of layer `prefix` over `states`, and the token count.
fn hessians(stack: &LayerStack, states: &TokenStates) -> ([Vec<f64>; 4], usize) {
    let mut h: [Vec<f64>; 4] = Default::default();
    let mut xt = Vec::new();
    let mut prod = Vec::new();
    let mut tokens = 0;
    for mut c in chunks(states) {
        let t = c.states.len() / c.hidden;
        tokens += t;
        stack.forward_observed(&mut c, &mut |_, d, x| {
            let slot = DENSE.iter().position(|&e| e == d).expect("known dense");
            let k = x.len() / t;
            xt.clear();
            xt.resize(k * t, 0.0);
            for (r, row) in x.chunks_exact(k).enumerate() {
                for (c, &v) in row.iter().enumerate() {
                    xt[c * t + r] = v;
                }
            }
            prod.clear();
            prod.resize(k * k, 0.0);
            matmul_f32(&xt, k, &xt, k, t, None, &mut prod);
            let acc = &mut h[slot];
            if acc.is_empty() {
                acc.resize(k * k, 0.0);
            }
            for (a, &p) in acc.iter_mut().zip(&prod) {
                *a += p as f64;
            }
        });
    }
    (h, tokens)
}

/// Lower Cholesky factor of the `n × n` row-major matrix `a`, in place.
fn cholesky(a: &mut [f64], n: usize) -> Result<()> {
    for j in 0..n {
        let row_j = &mut a[j * n..(j + 1) * n];
        let s = row_j[j] - row_j[..j].iter().map(|v| v * v).sum::<f64>();
        if s.is_nan() || s <= 0.0 || !s.is_finite() {
            bail!("matrix is not positive definite (column {j})");
        }
        row_j[j] = s.sqrt();
        row_j[j + 1..].iter_mut().for_each(|v| *v = 0.0);
        let (upto, from) = a.split_at_mut((j + 1) * n);
        let lj = &upto[j * n..j * n + j + 1];
        for row_i in from.chunks_exact_mut(n) {
            let dot: f64 = row_i[..j].iter().zip(&lj[..j]).map(|(x, y)| x * y).sum();
            row_i[j] = (row_i[j] - dot) / lj[j];
        }
    }
    Ok(())
}

/// The upper triangular `U` with `H⁻¹ = UᵀU` (what GPTQ walks along), from
/// the Cholesky factor of `H` with rows and columns reversed.
fn inverse_cholesky_upper(h: &[f64], n: usize) -> Result<Vec<f64>> {
    let mut r = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            r[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
        }
    }
    cholesky(&mut r, n)?;
    // M = L⁻¹ (lower), kept transposed so the inner products run along rows.
    let mut mt = vec![0f64; n * n];
    for i in 0..n {
        let lii = r[i * n + i];
        mt[i * n + i] = 1.0 / lii;
        for j in 0..i {
            let li = &r[i * n + j..i * n + i];
            let mj = &mt[j * n + j..j * n + i];
            let dot: f64 = li.iter().zip(mj).map(|(x, y)| x * y).sum();
            mt[j * n + i] = -dot / lii;
        }
    }
    // U = J M J: U[a][b] = M[n-1-a][n-1-b] = mt[n-1-b][n-1-a].
    let mut u = vec![0f64; n * n];
    for a in 0..n {
        for b in a..n {
            u[a * n + b] = mt[(n - 1 - b) * n + (n - 1 - a)];
        }
    }
    Ok(u)
}

/// GPTQ of `w` (`n × k`, row-major) on the grid `code × steps[row]`, given
/// the inputs' `XᵀX` (`k × k`). Returns the int8 codes (`n × k`).
pub fn gptq(w: &[f32], n: usize, k: usize, xtx: &[f64], steps: &[f32]) -> Result<Vec<i8>> {
    assert_eq!(w.len(), n * k);
    assert_eq!(xtx.len(), k * k);
    assert_eq!(steps.len(), n);
    let diag: Vec<f64> = (0..k).map(|i| xtx[i * k + i]).collect();
    // Largest input energy first ("act order"): free here, the grid has no groups.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| diag[b].total_cmp(&diag[a]).then(a.cmp(&b)));
    let mean = diag.iter().sum::<f64>() / k.max(1) as f64;
    let damp = 0.01 * if mean > 0.0 { mean } else { 1.0 };
    let mut h = vec![0f64; k * k];
    for (a, &oa) in order.iter().enumerate() {
        for (b, &ob) in order.iter().enumerate() {
            h[a * k + b] = xtx[oa * k + ob];
        }
        if h[a * k + a] <= 0.0 {
            h[a * k + a] = 1.0; // an input that is always zero
        }
        h[a * k + a] += damp;
    }
    let u = inverse_cholesky_upper(&h, k)?;
    let mut codes = vec![0i8; n * k];
    let mut row = vec![0f64; k];
    for r in 0..n {
        for (a, &o) in order.iter().enumerate() {
            row[a] = w[r * k + o] as f64;
        }
        let s = steps[r] as f64;
        for j in 0..k {
            let x = row[j];
            let q = if s > 0.0 {
                (x / s).round().clamp(-127.0, 127.0)
            } else {
                0.0
            };
            codes[r * k + order[j]] = q as i8;
            let err = (x - q * s) / u[j * k + j];
            let uj = &u[j * k + j + 1..(j + 1) * k];
            for (v, &c) in row[j + 1..].iter_mut().zip(uj) {
                *v -= err * c;
            }
        }
    }
    Ok(codes)
}

/// Quantizes the layers `prefixes` (in order) of `tensors` with GPTQ, each
/// calibrated on `states` as the already-quantized layers before it leave
/// them; `states` ends as the output of the last quantized layer. `rel_step`
/// sets each row's step (`rel × rms(row)`, see [`quantize_rows_with_step`]).
///
/// With `base`, a matrix that `base` also has is stored as its difference to
/// the base matrix (the base being exact, only the difference is rounded):
/// the small differences of a fine-tuned copy cost few bits on the same grid.
/// Returns the int8 rows stored for every quantized matrix, by full name.
pub fn quantize_layers(
    cfg: &BertConfig,
    tensors: &Tensors,
    prefixes: &[String],
    states: &mut TokenStates,
    rel_step: f32,
    base: Option<&Tensors>,
) -> Result<HashMap<String, QMatrix>> {
    let mut out = HashMap::new();
    let mut done = tensors.clone();
    for prefix in prefixes {
        let stack = one_layer(cfg, tensors, prefix)?;
        let (h, _tokens) = hessians(&stack, states);
        for (slot, d) in DENSE.iter().enumerate() {
            for m in matrices(*d) {
                let name = format!("{prefix}.{m}");
                let Some((shape, w)) = tensors.get(&name) else {
                    bail!("missing tensor {name}");
                };
                let (n, k) = (shape[0], shape[1]);
                let target: Vec<f32> = w
                    .chunks_exact(k)
                    .map(|row| {
                        rel_step * (row.iter().map(|v| v * v).sum::<f32>() / k as f32).sqrt()
                    })
                    .collect();
                let b = base.and_then(|b| b.get(&name));
                let x: Vec<f32> = match b {
                    Some((bs, bw)) if bs == shape => w.iter().zip(bw).map(|(a, b)| a - b).collect(),
                    Some((bs, _)) => bail!("{name}: shape {shape:?}, the base has {bs:?}"),
                    None => w.clone(),
                };
                let rtn = quantize_rows_with_step(&x, n, k, |r, _| target[r]);
                let steps: Vec<f32> = (0..n).map(|r| rtn.row(r).1).collect();
                let codes = gptq(&x, n, k, &h[slot], &steps)?;
                let q = QMatrix::from_parts(&codes, steps, n, k);
                let mut deq = vec![0f32; n * k];
                for (r, row) in deq.chunks_exact_mut(k).enumerate() {
                    q.dequantize_row(r, row);
                }
                if let Some((_, bw)) = b {
                    deq.iter_mut().zip(bw).for_each(|(v, b)| *v += b);
                }
                done.insert(name.clone(), (shape.clone(), deq));
                out.insert(name, q);
            }
        }
        // Move the calibration states through the quantized layer.
        let quantized = one_layer(cfg, &done, prefix)?;
        let mut next = Vec::with_capacity(states.states.len());
        for mut c in chunks(states) {
            quantized.forward(&mut c);
            next.extend_from_slice(&c.states);
        }
        states.states = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    #[test]
    fn inverse_cholesky_upper_factors_the_inverse() {
        let n = 7;
        let mut seed = 3;
        let a: Vec<f64> = (0..n * n).map(|_| lcg(&mut seed) as f64).collect();
        // H = AᵀA + I is symmetric positive definite.
        let mut h = vec![0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                h[i * n + j] = (0..n).map(|p| a[p * n + i] * a[p * n + j]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let u = inverse_cholesky_upper(&h, n).unwrap();
        // (UᵀU) H = I.
        for i in 0..n {
            for j in 0..i {
                assert_eq!(u[i * n + j], 0.0, "upper triangular");
            }
        }
        for i in 0..n {
            for j in 0..n {
                let v: f64 = (0..n)
                    .map(|p| {
                        let hinv_ip: f64 = (0..n).map(|q| u[q * n + i] * u[q * n + p]).sum();
                        hinv_ip * h[p * n + j]
                    })
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-9, "({i},{j}) = {v}");
            }
        }
        let mut bad = vec![0f64; 4];
        bad[0] = -1.0;
        assert!(cholesky(&mut bad, 2).is_err());
    }

    #[test]
    fn gptq_beats_rounding_on_the_outputs() {
        let (n, k, t) = (16, 48, 400);
        let mut seed = 11;
        // Correlated inputs: a few shared factors plus noise.
        let f: Vec<f32> = (0..4 * k).map(|_| lcg(&mut seed)).collect();
        let x: Vec<f32> = (0..t)
            .flat_map(|_| {
                let z: Vec<f32> = (0..4).map(|_| lcg(&mut seed) * 4.0).collect();
                let noise: Vec<f32> = (0..k).map(|_| lcg(&mut seed) * 0.3).collect();
                (0..k)
                    .map(|c| (0..4).map(|j| z[j] * f[j * k + c]).sum::<f32>() + noise[c])
                    .collect::<Vec<_>>()
            })
            .collect();
        let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let mut xtx = vec![0f64; k * k];
        for row in x.chunks_exact(k) {
            for i in 0..k {
                for j in 0..k {
                    xtx[i * k + j] += (row[i] * row[j]) as f64;
                }
            }
        }
        let steps = vec![0.15f32; n];
        let g = gptq(&w, n, k, &xtx, &steps).unwrap();
        let rtn: Vec<i8> = w
            .iter()
            .map(|v| (v / 0.15).round().clamp(-127.0, 127.0) as i8)
            .collect();
        let out_err = |codes: &[i8]| -> f64 {
            let mut e = 0.0;
            for row in x.chunks_exact(k) {
                for r in 0..n {
                    let d: f32 = (0..k)
                        .map(|c| (w[r * k + c] - codes[r * k + c] as f32 * 0.15) * row[c])
                        .sum();
                    e += (d * d) as f64;
                }
            }
            e
        };
        let (eg, er) = (out_err(&g), out_err(&rtn));
        assert!(eg < 0.7 * er, "GPTQ {eg} vs rounding {er}");
        // Every code is on the grid and near its weight.
        for (c, v) in g.iter().zip(&w) {
            assert!((*c as f32 * 0.15 - v).abs() < 1.0);
        }
    }
}
