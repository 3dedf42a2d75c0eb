//! Our encoders against vectors made by the original sentence-transformers
//! (tests/fixtures/reference_vectors.json, see its "how" field).

mod common;

#[cfg(feature = "candle")]
use candle_core::{DType, Device};
#[cfg(feature = "candle")]
use candle_nn::VarBuilder;
use common::*;
#[cfg(feature = "candle")]
use skillmark_model::candle_bert::CandleBert;
#[cfg(feature = "candle")]
use skillmark_model::sentence::WeightBytes;
#[cfg(feature = "candle")]
use skillmark_model::weights::write_gguf;
#[cfg(feature = "candle")]
use skillmark_model::{BertConfig, ExportType, TensorStore};
use skillmark_model::{Kernel, Precision, SentenceEncoder};

fn texts(f: &Fixture) -> Vec<&str> {
    f.sentences.iter().map(|s| s.as_str()).collect()
}

fn load(precision: Precision) -> SentenceEncoder {
    SentenceEncoder::load_dir(&base_model_dir(), precision).unwrap()
}

#[test]
fn tokenizer_matches_reference_ids() {
    let f = fixture();
    let enc = load(Precision::F32);
    for (s, want) in f.sentences.iter().zip(&f.token_ids) {
        assert_eq!(&enc.tokenizer.encode(s).unwrap().ids, want, "{s}");
    }
}

#[test]
fn f32_engine_matches_sentence_transformers() {
    let f = fixture();
    let got = load(Precision::F32).embed(&texts(&f)).unwrap();
    let c = min_cosine(&got, &f.vectors);
    eprintln!("f32 engine: min cosine {c}");
    assert!(c >= 0.9999, "min cosine {c}");
}

#[test]
fn int8_engine_is_close_on_every_kernel() {
    let f = fixture();
    for (precision, floor) in [(Precision::Int8, 0.996), (Precision::Int8All, 0.99)] {
        let mut enc = load(precision);
        let mut all = Vec::new();
        for name in ["scalar", "avx2", "avx512vnni", "simd128"] {
            let Some(k) = Kernel::from_name(name) else {
                continue;
            };
            enc.encoder.set_kernel(k).unwrap();
            let got = enc.embed(&texts(&f)).unwrap();
            let c = min_cosine(&got, &f.vectors);
            eprintln!("{precision:?} engine, {name} kernel: min cosine {c}");
            assert!(c >= floor, "{precision:?} {name}: min cosine {c}");
            all.push(got);
        }
        assert!(!all.is_empty());
        for other in &all[1..] {
            assert!(min_cosine(other, &all[0]) > 0.99999, "kernels disagree");
        }
    }
}

#[test]
fn vectors_do_not_depend_on_batching() {
    let f = fixture();
    let enc = load(Precision::Int8);
    let batched = enc.embed(&texts(&f)).unwrap();
    for (s, b) in f.sentences.iter().zip(&batched) {
        let alone = enc.embed(&[s.as_str()]).unwrap();
        assert_eq!(&alone[0], b, "{s}");
    }
}

// Writes with Candle.
#[cfg(feature = "candle")]
fn export_gguf(ty: ExportType) -> Vec<u8> {
    let dir = base_model_dir();
    let cfg = BertConfig::from_json(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let store =
        TensorStore::from_safetensors(&std::fs::read(dir.join("model.safetensors")).unwrap())
            .unwrap();
    let tensors = store.to_f32_sorted();
    let mut buf = std::io::Cursor::new(Vec::new());
    write_gguf(
        &mut buf,
        &cfg,
        &tensors,
        ty,
        &[("skillmark.test", "yes".into())],
    )
    .unwrap();
    buf.into_inner()
}

#[cfg(feature = "candle")]
#[test]
fn gguf_exports_round_trip() {
    let f = fixture();
    let tok = std::fs::read(base_model_dir().join("tokenizer.json")).unwrap();
    for (ty, precision, floor) in [
        (ExportType::Q8_0, Precision::Int8, 0.99),
        (ExportType::Q8_0, Precision::F32, 0.995),
        (ExportType::F16, Precision::F32, 0.9999),
        (ExportType::F32, Precision::F32, 0.9999),
    ] {
        let bytes = export_gguf(ty);
        let enc = SentenceEncoder::from_bytes(&tok, WeightBytes::Gguf(&bytes), precision).unwrap();
        let c = min_cosine(&enc.embed(&texts(&f)).unwrap(), &f.vectors);
        eprintln!("{ty:?} gguf as {precision:?}: min cosine {c}");
        assert!(c >= floor, "{ty:?} as {precision:?}: min cosine {c}");
    }
}

#[cfg(feature = "candle")]
#[test]
fn q8_0_gguf_loads_without_a_second_rounding() {
    // Rows we write share one (f16) scale, so the file's int8 weights are used
    // as they are; they differ from weights quantized at load only by that
    // f16 rounding, i.e. within int8 noise.
    let f = fixture();
    let tok = std::fs::read(base_model_dir().join("tokenizer.json")).unwrap();
    let bytes = export_gguf(ExportType::Q8_0);
    let from_file =
        SentenceEncoder::from_bytes(&tok, WeightBytes::Gguf(&bytes), Precision::Int8).unwrap();
    let got = from_file.embed(&texts(&f)).unwrap();
    let fresh = load(Precision::Int8).embed(&texts(&f)).unwrap();
    let c = min_cosine(&got, &fresh);
    assert!(c > 0.99, "file vs fresh: {c}");
}

#[cfg(feature = "candle")]
#[test]
fn candle_bert_matches_in_f32_and_f16_with_padding() {
    let f = fixture();
    let dir = base_model_dir();
    let cfg = BertConfig::from_json(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let enc = load(Precision::F32);
    let ids: Vec<Vec<u32>> = f
        .sentences
        .iter()
        .map(|s| enc.tokenizer.encode(s).unwrap().ids)
        .collect();
    let refs: Vec<&[u32]> = ids.iter().map(|v| v.as_slice()).collect();
    for (dtype, floor) in [(DType::F32, 0.9999), (DType::F16, 0.999)] {
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(
                &[dir.join("model.safetensors")],
                dtype,
                &Device::Cpu,
            )
            .unwrap()
        };
        let bert = CandleBert::load(vb, &cfg).unwrap();
        let (t, m) = bert.batch_tensors(&refs).unwrap();
        let got: Vec<Vec<f32>> = bert.embed(&t, &m).unwrap().to_vec2().unwrap();
        assert!(
            got.iter().flatten().all(|x| x.is_finite()),
            "{dtype:?} produced NaN"
        );
        let c = min_cosine(&got, &f.vectors);
        eprintln!("candle {dtype:?}: min cosine {c}");
        assert!(c >= floor, "{dtype:?}: min cosine {c}");
    }
}
