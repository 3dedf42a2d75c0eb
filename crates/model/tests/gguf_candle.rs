//! Our GGUF reader ([`skillmark_model::gguf`]) against Candle's, which wrote
//! and read every file before it: the same metadata, shapes, offsets, tensor
//! bytes and dequantized values (bit for bit). Needs the `candle` feature.

use std::io::Cursor;

use candle_core::quantized::{gguf_file, GgmlDType as CandleDType, QTensor};
use candle_core::{Device, Tensor};
use skillmark_model::gguf::{self, Gguf, GgufValue};
use skillmark_model::weights::{
    quantize_rows_with_step, write_gguf_tensors, GgmlDType, GgufTensor, GgufValue as Value,
    TensorData,
};
use skillmark_model::{BertConfig, TensorStore};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Checks that ours reads from `bytes` what Candle reads; the number of tensors.
fn agree(bytes: &[u8]) -> usize {
    let ours = Gguf::read(bytes).unwrap();
    let mut cursor = Cursor::new(bytes);
    let theirs = gguf_file::Content::read(&mut cursor).unwrap();
    assert_eq!(ours.metadata.len(), theirs.metadata.len());
    for (k, v) in &theirs.metadata {
        assert_eq!(ours.get(k), Some(&GgufValue::from(v)), "metadata {k}");
    }
    assert_eq!(ours.data_offset, theirs.tensor_data_offset);
    assert_eq!(ours.tensors.len(), theirs.tensor_infos.len());
    for t in &ours.tensors {
        let info = &theirs.tensor_infos[&t.name];
        assert_eq!(t.shape, info.shape.dims(), "{}", t.name);
        assert_eq!(CandleDType::from(t.dtype), info.ggml_dtype, "{}", t.name);
        assert_eq!(t.offset, info.offset, "{}", t.name);
        let raw = ours.tensor_data(bytes, t).unwrap();
        let qt = theirs.tensor(&mut cursor, &t.name, &Device::Cpu).unwrap();
        assert_eq!(&raw[..], &qt.data().unwrap()[..], "{} bytes", t.name);
        let want = qt
            .dequantize(&Device::Cpu)
            .and_then(|v| v.flatten_all()?.to_vec1::<f32>())
            .unwrap();
        let got = gguf::dequantize(t, &raw).unwrap();
        assert_eq!(bits(&got), bits(&want), "{} {:?} values", t.name, t.dtype);
    }
    ours.tensors.len()
}

/// Values of every size and sign, zeros and a row of one value among them.
fn values(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..rows * cols)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            match (i / cols) % 4 {
                0 => u * 0.1,
                1 => u * 40.0 + 3.0,
                2 if i % 7 == 0 => 0.0,
                2 => u,
                _ => 0.75,
            }
        })
        .collect()
}

#[test]
fn agrees_with_candle_on_a_written_mixed_file() {
    let cfg = BertConfig::tiny(8);
    let w = |r, c, seed| values(r, c, seed);
    let rows = quantize_rows_with_step(&w(3, 64, 4), 3, 64, |r, _| [0.3, 0.05, 1e-6][r]);
    let mut tensors = vec![
        (
            "a.bias".to_string(),
            vec![64],
            GgufTensor::Values(w(1, 64, 1), GgmlDType::F32),
        ),
        (
            "b.weight".into(),
            vec![4, 64],
            GgufTensor::Values(w(4, 64, 2), GgmlDType::F16),
        ),
        (
            "c.weight".into(),
            vec![4, 64],
            GgufTensor::Values(w(4, 64, 3), GgmlDType::Q8_0),
        ),
        (
            "d.weight".into(),
            vec![3, 64],
            GgufTensor::Rows(rows.clone()),
        ),
        (
            "e.weight".into(),
            vec![8, 32],
            GgufTensor::Values(w(8, 32, 5), GgmlDType::F32),
        ),
    ];
    for (i, t) in [
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q5_0,
        GgmlDType::Q5_1,
        GgmlDType::Q4K,
    ]
    .into_iter()
    .enumerate()
    {
        tensors.push((
            format!("q{i}.weight"),
            vec![4, 256],
            GgufTensor::Values(w(4, 256, 10 + i as u64), t),
        ));
    }
    let meta = vec![
        ("m.u8".to_string(), Value::U8(7)),
        ("m.i8".into(), Value::I8(-7)),
        ("m.u16".into(), Value::U16(65535)),
        ("m.i16".into(), Value::I16(-32768)),
        ("m.u32".into(), Value::U32(123456789)),
        ("m.i32".into(), Value::I32(-123456789)),
        ("m.u64".into(), Value::U64(u64::MAX)),
        ("m.i64".into(), Value::I64(i64::MIN)),
        ("m.f32".into(), Value::F32(-1.5e-7)),
        ("m.f64".into(), Value::F64(std::f64::consts::PI)),
        ("m.bool".into(), Value::Bool(false)),
        ("m.string".into(), Value::String("ünïcode ✓".into())),
        (
            "m.array".into(),
            Value::Array((0..1000).map(Value::U32).collect()),
        ),
        (
            "m.strings".into(),
            Value::Array(vec![Value::String("a".into()), Value::String("".into())]),
        ),
        (
            "m.nested".into(),
            Value::Array(vec![
                Value::Array(vec![Value::F64(1.0)]),
                Value::Array(vec![Value::F64(2.0), Value::F64(3.0)]),
            ]),
        ),
        ("m.empty".into(), Value::Array(vec![])),
    ];
    let mut out = Cursor::new(Vec::new());
    write_gguf_tensors(&mut out, &cfg, &tensors, meta).unwrap();
    let bytes = out.into_inner();
    // Rows are two tensors (codes and steps).
    assert_eq!(agree(&bytes), tensors.len() + 1);

    let store = TensorStore::from_gguf(&bytes).unwrap();
    assert_eq!(store.config.as_ref().unwrap().hidden_size, cfg.hidden_size);
    assert_eq!(store.metadata["m.string"], "ünïcode ✓");
    let TensorData::Q8(d) = &store.get("d.weight").unwrap().data else {
        panic!("int8 rows load as int8 rows");
    };
    for r in 0..3 {
        assert_eq!(d.row(r), rows.row(r));
    }
    for (name, _, t) in &tensors {
        let got = store.get(name).unwrap();
        match (t, &got.data) {
            (GgufTensor::Values(_, GgmlDType::F32 | GgmlDType::F16), TensorData::F32(_)) => {}
            (GgufTensor::Values(_, _) | GgufTensor::Rows(_), TensorData::Q8(_)) => {}
            _ => panic!("{name} loads in the wrong form"),
        }
    }
}

#[test]
fn q4_q5_and_k_quants_dequantize_as_candle_does() {
    let (rows, cols) = (8, 512);
    let mut qts = Vec::new();
    for (i, t) in [
        CandleDType::Q4_0,
        CandleDType::Q4_1,
        CandleDType::Q5_0,
        CandleDType::Q5_1,
        CandleDType::Q8_0,
        CandleDType::Q2K,
        CandleDType::Q3K,
        CandleDType::Q4K,
        CandleDType::Q5K,
        CandleDType::Q6K,
        CandleDType::F16,
        CandleDType::BF16,
        CandleDType::F32,
    ]
    .into_iter()
    .enumerate()
    {
        let v = values(rows, cols, 100 + i as u64);
        let x = Tensor::from_vec(v, (rows, cols), &Device::Cpu).unwrap();
        qts.push((format!("t{i}.{t:?}"), QTensor::quantize(&x, t).unwrap()));
    }
    // A 1-d q4_0 tensor too: read as f32 values.
    let x = Tensor::from_vec(values(1, 64, 7), 64, &Device::Cpu).unwrap();
    qts.push((
        "one_d".into(),
        QTensor::quantize(&x, CandleDType::Q4_0).unwrap(),
    ));
    let refs: Vec<(&str, &QTensor)> = qts.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &[], &refs).unwrap();
    let bytes = out.into_inner();
    assert_eq!(agree(&bytes), qts.len());
    // Each type's values are what the engine's int8 rows (or f32) are made of.
    let store = TensorStore::from_gguf(&bytes).unwrap();
    for (name, qt) in &qts {
        let want = qt
            .dequantize(&Device::Cpu)
            .and_then(|v| v.flatten_all()?.to_vec1::<f32>())
            .unwrap();
        let t = store.get(name).unwrap();
        match &t.data {
            TensorData::F32(v) => assert_eq!(bits(v), bits(&want), "{name}"),
            TensorData::Q8(m) => {
                let step = (0..m.rows).map(|r| m.row(r).1).fold(0f32, f32::max);
                for (a, b) in t.to_f32().iter().zip(&want) {
                    assert!((a - b).abs() <= step, "{name}: {a} vs {b}");
                }
            }
        }
    }
}

#[test]
fn shipped_assets_read_as_candle_reads_them() {
    for name in [
        "encoder.gguf",
        "tagger.gguf",
        "web/encoder.gguf",
        "web/tagger.gguf",
    ] {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets")
            .join(name);
        let bytes = std::fs::read(&p).unwrap();
        assert!(agree(&bytes) > 10, "{name}");
    }
}
