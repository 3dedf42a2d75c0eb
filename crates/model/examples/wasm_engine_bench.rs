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

