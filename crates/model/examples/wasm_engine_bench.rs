//! A bare wasm32 entry into the runtime encoder, for measuring the engine in
//! Node or a browser without wasm-bindgen (see `scripts/bench-wasm-engine`).
//! Token ids go in, so the tokenizer stays out of the measurement.
//!
//! Build: `RUSTFLAGS="-C target-feature=+simd128" cargo build --release
//! --target wasm32-unknown-unknown -p skillmark-model --example wasm_engine_bench`.
//! Native builds compile an empty library.

#[cfg(target_arch = "wasm32")]
mod entry {
    use skillmark_model::{Encoder, Kernel, Precision, TensorStore};
    use std::cell::RefCell;

    thread_local! {
        static ENCODER: RefCell<Option<Encoder>> = const { RefCell::new(None) };
        static OUT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    }

    /// Allocates `len` bytes the host fills (never freed: the host allocates once per input).
    #[no_mangle]
    pub extern "C" fn sm_alloc(len: usize) -> *mut u8 {
        let mut v = vec![0u8; len];
        let p = v.as_mut_ptr();
        std::mem::forget(v);
        p
    }

    /// Loads a GGUF encoder; precision 0 = int8 (shipped), 1 = int8-all, 2 = f32;
    /// kernel 0 = best, 1 = scalar. Returns 0 on success.
    #[no_mangle]
    pub extern "C" fn sm_load(ptr: *const u8, len: usize, precision: u32, kernel: u32) -> i32 {
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        let p = match precision {
            0 => Precision::Int8,
            1 => Precision::Int8All,
            _ => Precision::F32,
        };
        let Ok(store) = TensorStore::from_gguf(bytes) else {
            return 1;
        };
        let Some(cfg) = store.config.clone() else {
            return 2;
        };
        let Ok(mut enc) = Encoder::new(cfg, store, p) else {
            return 3;
        };
        if kernel == 1 && enc.set_kernel(Kernel::Scalar).is_err() {
            return 4;
        }
        ENCODER.with(|e| *e.borrow_mut() = Some(enc));
        0
    }

    /// Compares the wasm SIMD activation quantizer with the portable one on
    /// awkward rows (ties, NaN, infinities, zeros, odd lengths); returns the
    /// number of rows that differ (0 expected).
    #[no_mangle]
    pub extern "C" fn sm_selftest() -> u32 {
        use skillmark_model::kernels::{quantize_act_row, quantize_act_row_portable};
        let mut seed = 9u64;
        let mut bad = 0;
        for case in 0..400usize {
            let n = [384, 1536, 16, 7, 35, 1][case % 6];
            let mut row: Vec<f32> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 9.0
                })
                .collect();
            match case % 5 {
                // amax 127 makes the scale 1, so x.5 values are exact ties.
                1 => row
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, v)| *v = (i % 254) as f32 - 126.5),
                2 => row[n / 2] = f32::NAN,
                3 => row[0] = f32::INFINITY,
                4 => row.iter_mut().for_each(|v| *v = 0.0),
                _ => {}
            }
            if case % 5 == 1 {
                row[0] = 127.0;
            }
            let (mut a, mut b) = (vec![1u8; n], vec![2u8; n]);
            let sa = quantize_act_row(&row, &mut a, Kernel::detect());
            let sb = quantize_act_row_portable(&row, &mut b);
            if a != b || sa.to_bits() != sb.to_bits() {
                bad += 1;
            }
        }
        bad
    }

    /// Embeds `n_seqs` sequences whose token ids lie back to back at `ids`
    /// (`lens[i]` ids each). Returns a pointer to `n_seqs × hidden` floats.
    #[no_mangle]
    pub extern "C" fn sm_embed(ids: *const u32, lens: *const u32, n_seqs: usize) -> *const f32 {
        let lens = unsafe { std::slice::from_raw_parts(lens, n_seqs) };
        let total: usize = lens.iter().map(|&l| l as usize).sum();
        let ids = unsafe { std::slice::from_raw_parts(ids, total) };
        let mut seqs = Vec::with_capacity(n_seqs);
        let mut at = 0;
        for &l in lens {
            seqs.push(&ids[at..at + l as usize]);
            at += l as usize;
        }
        ENCODER.with(|e| {
            let e = e.borrow();
            let enc = e.as_ref().expect("sm_load first");
            let v = enc.embed(&seqs).expect("valid ids");
            OUT.with(|o| {
                let mut o = o.borrow_mut();
                o.clear();
                o.extend(v.into_iter().flatten());
                o.as_ptr()
            })
        })
    }
}
