//! The span tagger's file and weights: a branch of the sentence encoder that
//! tags every word with Skill and Knowledge BIO tags (SkillSpan's two layers).
//!
//! A tagger file holds L transformer layers that continue from the encoder's
//! layer K (the branch layer), a linear classifier (6 logits: Skill B/I/O,
//! Knowledge B/I/O), optional letter-case embeddings
//! ([`crate::tokens::case_class`]) and decoding priors. Running it is
//! [`crate::encoder_pass`]'s job; decoding its output, [`crate::tags`]'.

use skillmark_model::engine::{LayerStack, TokenStates};
use skillmark_model::kernels::QMatrix;
use skillmark_model::weights::{quantize_rows_with_step, ByteSource, StoredTensor, TensorData};
use skillmark_model::{Precision, TensorStore};

use crate::assets::{AssetBytes, Manifest, ENCODER};
use crate::tags::{BioTransitions, TransitionPriors};
use crate::Error;

pub use crate::assets::TAGGER;
/// GGUF metadata keys of a tagger file.
pub const KEY_BRANCH_LAYER: &str = "skillmark.tagger.branch_layer";
pub const KEY_LAYERS: &str = "skillmark.tagger.layers";
pub const KEY_LABELS: &str = "skillmark.tagger.labels";
pub const KEY_ENCODER_SHA256: &str = "skillmark.tagger.encoder_sha256";
pub const KEY_TRAIN_CONFIG: &str = "skillmark.tagger.train_config";
pub const KEY_TRAIN_CONFIG_SHA256: &str = "skillmark.tagger.train_config_sha256";
/// Present in a compact (web) tagger whose layer matrices are stored as
/// differences to the same-named matrices of one encoder.gguf: its sha256.
/// The layers are then that encoder's matrices (as the runtime loads them)
/// plus the stored differences.
pub const KEY_DELTA_BASE_SHA256: &str = "skillmark.tagger.delta_base_sha256";
/// The classifier's outputs, in order.
pub const LABELS: [&str; 6] = [
    "B-Skill",
    "I-Skill",
    "O-Skill",
    "B-Knowledge",
    "I-Knowledge",
    "O-Knowledge",
];
/// Where each layer's O label is in [`LABELS`] (skill, knowledge).
pub const O_LABELS: [usize; 2] = [2, 5];
pub const CLASSIFIER_WEIGHT: &str = "classifier.weight";
pub const CLASSIFIER_BIAS: &str = "classifier.bias";
/// Optional JSON `{"skill": {"start": [B, I, O], "next": [[..]; 3]}, "knowledge": …}`:
/// log-scores added to the BIO path of each layer ([`TransitionPrior`]).
pub const KEY_TRANSITIONS: &str = "skillmark.tagger.transitions";
/// Optional: word pieces of the neighbouring sentences the tagger reads on
/// each side of a sentence ([`crate::tokens::align_document`]); absent = 0 (the sentence alone).
pub const KEY_CONTEXT: &str = "skillmark.tagger.context";
/// The most context a tagger file may ask for (the encoder reads 512 positions).
pub const MAX_CONTEXT: usize = 96;
/// Optional `[CASE_CLASSES, hidden]` tensor: one vector per [`crate::tokens::case_class`].
pub const CASE_EMBEDDINGS: &str = "tagger.case_embeddings";
pub const CASE_CLASSES: usize = 4;

pub struct Tagger {
    pub branch_layer: usize,
    layers: LayerStack,
    classifier: Vec<f32>,
    bias: Vec<f32>,
    /// `[CASE_CLASSES × hidden]`, when the tagger was trained with them.
    case_embeddings: Option<Vec<f32>>,
    /// Decoding of the skill and the knowledge layer.
    transitions: [BioTransitions; 2],
    hidden: usize,
    /// Word pieces of the neighbouring sentences read on each side ([`KEY_CONTEXT`]).
    pub context: usize,
    /// sha256 of the encoder.gguf the tagger was trained on.
    pub encoder_sha256: String,
}

/// Adds the base encoder's matrices to the stored differences of the layers
/// under `prefixes` (every 2-D tensor there is a difference). Row by row into
/// int8 rows (one scale per row, as the engine keeps them), so loading never
/// holds a layer in f32; the base is read one matrix at a time, which keeps
/// the peak (a wasm worker's memory never shrinks) one matrix above the result.
fn add_base<S: ByteSource + ?Sized>(
    store: &mut TensorStore,
    encoder: &S,
    prefixes: &[String],
) -> Result<(), Error> {
    let under = |n: &str| prefixes.iter().any(|p| n.starts_with(&format!("{p}.")));
    for (name, t) in store.tensors.iter_mut() {
        if !under(name) || t.shape.len() != 2 {
            continue;
        }
        let base = TensorStore::from_gguf_source(encoder, |n| n == name)?;
        let b = base.get(name)?;
        if b.shape != t.shape {
            return Err(Error::Mismatch(format!(
                "{name}: shape {:?}, the encoder's is {:?}",
                t.shape, b.shape
            )));
        }
        let (rows, cols) = (t.shape[0], t.shape[1]);
        let mut codes = Vec::with_capacity(rows * cols);
        let mut scales = Vec::with_capacity(rows);
        let (mut x, mut y) = (vec![0f32; cols], vec![0f32; cols]);
        for r in 0..rows {
            row_f32(t, r, &mut x);
            row_f32(b, r, &mut y);
            x.iter_mut().zip(&y).for_each(|(a, b)| *a += b);
            let q = quantize_rows_with_step(&x, 1, cols, |_, _| 0.0);
            let (c, s) = q.row(0);
            codes.extend_from_slice(c);
            scales.push(s);
        }
        t.data = TensorData::Q8(QMatrix::from_parts(&codes, scales, rows, cols));
    }
    Ok(())
}

/// Row `r` of a 2-D tensor as f32.
fn row_f32(t: &StoredTensor, r: usize, out: &mut [f32]) {
    match &t.data {
        TensorData::F32(v) => out.copy_from_slice(&v[r * out.len()..(r + 1) * out.len()]),
        TensorData::Q8(m) => m.dequantize_row(r, out),
    }
}

/// The encoder a delta-coded tagger ([`KEY_DELTA_BASE_SHA256`]) adds its layers to.
pub struct DeltaBase<'a, S: ?Sized = [u8]> {
    /// The encoder.gguf bytes (already verified against the manifest).
    pub bytes: &'a S,
    /// Their sha256, as the manifest lists it.
    pub sha256: &'a str,
}

// By hand: a derive would require `S: Copy`, which `[u8]` is not.
impl<S: ?Sized> Clone for DeltaBase<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ?Sized> Copy for DeltaBase<'_, S> {}

impl Tagger {
    /// A tagger whose layers are stored in full (what `skillmark-train spans` writes).
    pub fn from_gguf(bytes: &[u8], precision: Precision) -> Result<Self, Error> {
        Self::from_gguf_with_base::<_, [u8]>(bytes, None, precision)
    }

    /// A tagger in full or delta-coded against `base` (see
    /// [`KEY_DELTA_BASE_SHA256`]). Both files are read a tensor at a time.
    pub fn from_gguf_with_base<S, B>(
        bytes: &S,
        base: Option<DeltaBase<B>>,
        precision: Precision,
    ) -> Result<Self, Error>
    where
        S: ByteSource + ?Sized,
        B: ByteSource + ?Sized,
    {
        let bad = |m: String| Error::Asset {
            file: TAGGER.into(),
            message: m,
        };
        let mut store = TensorStore::from_gguf_source(bytes, |_| true)?;
        let cfg = store
            .config
            .clone()
            .ok_or_else(|| bad("carries no BERT config".into()))?;
        let meta = |k: &str| {
            store
                .metadata
                .get(k)
                .cloned()
                .ok_or_else(|| bad(format!("metadata {k} missing")))
        };
        let branch_layer: usize = meta(KEY_BRANCH_LAYER)?
            .parse()
            .map_err(|_| bad("bad branch layer".into()))?;
        let n: usize = meta(KEY_LAYERS)?
            .parse()
            .map_err(|_| bad("bad layer count".into()))?;
        let encoder_sha256 = meta(KEY_ENCODER_SHA256)?;
        if meta(KEY_LABELS)? != LABELS.join(",") {
            return Err(bad("unknown label set".into()));
        }
        let prefixes: Vec<String> = (branch_layer..branch_layer + n)
            .map(|l| format!("encoder.layer.{l}"))
            .collect();
        if let Some(want) = store.metadata.get(KEY_DELTA_BASE_SHA256).cloned() {
            let base = base.ok_or_else(|| {
                bad("its layers are differences to an encoder, and none was given".into())
            })?;
            if base.sha256 != want {
                return Err(Error::Mismatch(format!(
                    "tagger.gguf adds its layers to encoder {want}, but encoder.gguf is {}",
                    base.sha256
                )));
            }
            add_base(&mut store, base.bytes, &prefixes).map_err(|e| bad(e.to_string()))?;
        }
        let layers = LayerStack::new(cfg.clone(), &mut store, &prefixes, precision)?;
        let h = cfg.hidden_size;
        let classifier = store.take(CLASSIFIER_WEIGHT)?.to_f32();
        let bias = store.take(CLASSIFIER_BIAS)?.to_f32();
        if classifier.len() != LABELS.len() * h || bias.len() != LABELS.len() {
            return Err(bad("classifier has the wrong shape".into()));
        }
        let case_embeddings = store.tensors.remove(CASE_EMBEDDINGS).map(|t| t.to_f32());
        if case_embeddings
            .as_ref()
            .is_some_and(|c| c.len() != CASE_CLASSES * h)
        {
            return Err(bad(format!("{CASE_EMBEDDINGS} has the wrong shape")));
        }
        let transitions = match store.metadata.get(KEY_TRANSITIONS) {
            None => [BioTransitions::well_formed(), BioTransitions::well_formed()],
            Some(json) => {
                let p: TransitionPriors = serde_json::from_str(json)
                    .map_err(|e| bad(format!("metadata {KEY_TRANSITIONS}: {e}")))?;
                if !p.skill.is_finite() || !p.knowledge.is_finite() {
                    return Err(bad(format!("metadata {KEY_TRANSITIONS}: not finite")));
                }
                [p.skill.decoding(), p.knowledge.decoding()]
            }
        };
        let context = match store.metadata.get(KEY_CONTEXT) {
            None => 0,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|&c| c <= MAX_CONTEXT)
                .ok_or_else(|| {
                    bad(format!(
                        "metadata {KEY_CONTEXT}: {v:?} is not 0..={MAX_CONTEXT}"
                    ))
                })?,
        };
        Ok(Tagger {
            branch_layer,
            context,
            layers,
            classifier,
            bias,
            case_embeddings,
            transitions,
            hidden: h,
            encoder_sha256,
        })
    }

    pub fn layers(&self) -> usize {
        self.layers.len()
    }

    /// The decoding of each layer (skill, knowledge): well-formedness plus
    /// the stored transition priors, if any.
    pub fn transitions(&self) -> &[BioTransitions; 2] {
        &self.transitions
    }

    /// Whether the tagger reads letter case ([`crate::tokens::case_class`]).
    pub fn reads_case(&self) -> bool {
        self.case_embeddings.is_some()
    }

    /// Runs the tagger layers and the classifier over states after the branch
    /// layer (consumed); returns 6 probabilities per token (two softmaxes).
    /// `case` holds each token's [`crate::tokens::case_class`] (missing ones count as 0).
    pub fn probabilities(&self, mut states: TokenStates, case: &[u8]) -> Vec<[f32; 6]> {
        let h = self.hidden;
        if let Some(emb) = &self.case_embeddings {
            for (t, x) in states.states.chunks_exact_mut(h).enumerate() {
                let c = usize::from(case.get(t).copied().unwrap_or(0)).min(CASE_CLASSES - 1);
                x.iter_mut()
                    .zip(&emb[c * h..(c + 1) * h])
                    .for_each(|(a, b)| *a += b);
            }
        }
        self.layers.forward(&mut states);
        states
            .states
            .chunks_exact(h)
            .map(|x| {
                let mut z = [0f32; 6];
                for (k, zk) in z.iter_mut().enumerate() {
                    let w = &self.classifier[k * h..(k + 1) * h];
                    *zk = self.bias[k] + w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>();
                }
                for head in z.chunks_exact_mut(3) {
                    let m = head.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                    let mut sum = 0.0;
                    for v in head.iter_mut() {
                        *v = (*v - m).exp();
                        sum += *v;
                    }
                    head.iter_mut().for_each(|v| *v /= sum);
                }
                z
            })
            .collect()
    }
}

/// The bundle's span tagger, if it has one, checked against its encoder.
pub fn load_tagger(assets: &AssetBytes, precision: Precision) -> Result<Option<Tagger>, Error> {
    assets
        .optional(TAGGER)
        .map(|bytes| {
            tagger_for_encoder(
                &assets.manifest,
                bytes,
                assets.get(ENCODER),
                precision,
            )
        })
        .transpose()
}

/// The tagger file read against the bundle's encoder file: its delta base,
/// and the encoder it must have been trained on.
pub fn tagger_for_encoder<T, E>(
    manifest: &Manifest,
    tagger: &T,
    encoder: &E,
    precision: Precision,
) -> Result<Tagger, Error>
where
    T: ByteSource + ?Sized,
    E: ByteSource + ?Sized,
{
    let enc = &manifest
        .files
        .get(ENCODER)
        .ok_or_else(|| Error::Asset {
            file: ENCODER.into(),
            message: "not listed in manifest.json".into(),
        })?
        .sha256;
    let base = DeltaBase {
        bytes: encoder,
        sha256: enc,
    };
    let t = Tagger::from_gguf_with_base(tagger, Some(base), precision)?;
    // A web bundle re-encodes the encoder compactly; it names the
    // full encoder it was derived from, which the tagger knows.
    let derived_from = manifest
        .rest
        .get("web")
        .and_then(|w| w.get("full_encoder_sha256"))
        .and_then(|v| v.as_str());
    if &t.encoder_sha256 != enc && derived_from != Some(t.encoder_sha256.as_str()) {
        return Err(Error::Mismatch(format!(
            "tagger.gguf was trained on encoder {} but encoder.gguf is {enc}: retrain it with `skillmark-train spans --ship`",
            t.encoder_sha256
        )));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use crate::bio::Bio;
    use crate::tags::TransitionPrior;
    use super::*;
    use skillmark_model::weights::{write_gguf_tensors, GgmlDType, GgufTensor, GgufValue};
    use skillmark_model::BertConfig;

    /// A tiny BERT layer's tensors (`prefix.…`), deterministic from `seed`.
    fn layer(cfg: &BertConfig, prefix: &str, seed: u64) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let (h, f) = (cfg.hidden_size, cfg.intermediate_size);
        let mut s = seed;
        let mut rnd = move |n: usize, scale: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * scale
                })
                .collect()
        };
        let mut out = Vec::new();
        for (name, rows, cols) in [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", f, h),
            ("output.dense", h, f),
        ] {
            out.push((
                format!("{prefix}.{name}.weight"),
                vec![rows, cols],
                rnd(rows * cols, 0.5),
            ));
            out.push((format!("{prefix}.{name}.bias"), vec![rows], rnd(rows, 0.1)));
        }
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
            out.push((format!("{prefix}.{ln}.weight"), vec![h], vec![1.0; h]));
            out.push((format!("{prefix}.{ln}.bias"), vec![h], vec![0.0; h]));
        }
        out
    }

    fn gguf(
        cfg: &BertConfig,
        tensors: Vec<(String, Vec<usize>, GgufTensor)>,
        meta: &[(&str, String)],
    ) -> Vec<u8> {
        let meta = meta
            .iter()
            .map(|(k, v)| (k.to_string(), GgufValue::String(v.clone())))
            .collect();
        let mut out = std::io::Cursor::new(Vec::new());
        write_gguf_tensors(&mut out, cfg, &tensors, meta).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_delta_coded_tagger_adds_the_encoder_back() {
        let cfg = BertConfig::tiny(16);
        let h = cfg.hidden_size;
        // The encoder's layer 1 (int8 rows, as a web encoder stores it).
        let enc_layer = layer(&cfg, "encoder.layer.1", 1);
        let encoder = gguf(
            &cfg,
            enc_layer
                .iter()
                .map(|(n, s, v)| {
                    let t = if s.len() == 2 {
                        GgufTensor::Rows(quantize_rows_with_step(v, s[0], s[1], |_, _| 0.01))
                    } else {
                        GgufTensor::Values(v.clone(), GgmlDType::F32)
                    };
                    (n.clone(), s.clone(), t)
                })
                .collect(),
            &[],
        );
        let enc_store = TensorStore::from_gguf(&encoder).unwrap();
        // The tagger = that layer + a small difference; stored in full and as the difference.
        let diff = layer(&cfg, "encoder.layer.1", 2);
        let mut full = Vec::new();
        let mut delta = Vec::new();
        for ((n, s, d), (_, _, _)) in diff.iter().zip(&enc_layer) {
            let base = enc_store.get(n).unwrap().to_f32();
            if s.len() == 2 {
                let d: Vec<f32> = d.iter().map(|x| x * 0.1).collect();
                let q = quantize_rows_with_step(&d, s[0], s[1], |_, _| 0.002);
                let mut w = vec![0f32; d.len()];
                for (r, row) in w.chunks_exact_mut(s[1]).enumerate() {
                    q.dequantize_row(r, row);
                }
                w.iter_mut().zip(&base).for_each(|(a, b)| *a += b);
                full.push((n.clone(), s.clone(), GgufTensor::Values(w, GgmlDType::F32)));
                delta.push((n.clone(), s.clone(), GgufTensor::Rows(q)));
            } else {
                full.push((
                    n.clone(),
                    s.clone(),
                    GgufTensor::Values(base.clone(), GgmlDType::F32),
                ));
                delta.push((
                    n.clone(),
                    s.clone(),
                    GgufTensor::Values(base, GgmlDType::F32),
                ));
            }
        }
        for t in [&mut full, &mut delta] {
            t.push((
                CLASSIFIER_WEIGHT.into(),
                vec![6, h],
                GgufTensor::Values(layer(&cfg, "c", 3)[0].2[..6 * h].to_vec(), GgmlDType::F32),
            ));
            t.push((
                CLASSIFIER_BIAS.into(),
                vec![6],
                GgufTensor::Values(vec![0.0; 6], GgmlDType::F32),
            ));
        }
        let enc_sha = crate::assets::sha256_hex(&encoder);
        let meta = |delta: bool| {
            let mut m = vec![
                (KEY_BRANCH_LAYER, "1".to_string()),
                (KEY_LAYERS, "1".to_string()),
                (KEY_ENCODER_SHA256, "full".to_string()),
                (KEY_LABELS, LABELS.join(",")),
            ];
            if delta {
                m.push((KEY_DELTA_BASE_SHA256, enc_sha.clone()));
            }
            m
        };
        let full_tensors = full;
        let full = gguf(&cfg, full_tensors.clone(), &meta(false));
        let delta_tensors = delta;
        let delta = gguf(&cfg, delta_tensors.clone(), &meta(true));
        let base = DeltaBase {
            bytes: &encoder,
            sha256: &enc_sha,
        };
        let a = Tagger::from_gguf(&full, Precision::F32).unwrap();
        let b = Tagger::from_gguf_with_base(&delta, Some(base), Precision::F32).unwrap();
        let states = || TokenStates {
            hidden: h,
            states: layer(&cfg, "s", 4)[4].2[..5 * h].to_vec(),
            ranges: std::iter::once(0..5).collect(),
        };
        let (pa, pb) = (
            a.probabilities(states(), &[]),
            b.probabilities(states(), &[]),
        );
        // The same up to the int8 rounding of the sums (one scale per row).
        for (x, y) in pa.iter().flatten().zip(pb.iter().flatten()) {
            assert!((x - y).abs() < 3e-3, "{x} vs {y}");
        }
        // Without its encoder, with another encoder, truncated: errors, never panics.
        let err = |r: Result<Tagger, Error>| r.err().expect("an error").to_string();
        // Transition priors: none means well-formedness only; stored ones are
        // read back; a malformed entry is refused by name.
        let plain = BioTransitions::well_formed();
        assert_eq!(a.transitions, [plain.clone(), plain]);
        let priors = TransitionPriors {
            skill: TransitionPrior::estimate([[Bio::B, Bio::I, Bio::O].as_slice()], 0.25),
            knowledge: TransitionPrior::estimate([[Bio::O, Bio::B].as_slice()], 0.5),
        };
        let mut m = meta(false);
        m.push((KEY_TRANSITIONS, serde_json::to_string(&priors).unwrap()));
        let with =
            Tagger::from_gguf(&gguf(&cfg, full_tensors.clone(), &m), Precision::F32).unwrap();
        assert_eq!(
            with.transitions,
            [priors.skill.decoding(), priors.knowledge.decoding()]
        );
        let mut m = meta(false);
        m.push((KEY_TRANSITIONS, "{\"skill\": 1}".to_string()));
        assert!(err(Tagger::from_gguf(
            &gguf(&cfg, full_tensors, &m),
            Precision::F32
        ))
        .contains(KEY_TRANSITIONS));
        assert!(err(Tagger::from_gguf(&delta, Precision::Int8)).contains("differences"));
        let other = DeltaBase {
            bytes: &encoder,
            sha256: "0000",
        };
        assert!(err(Tagger::from_gguf_with_base(
            &delta,
            Some(other),
            Precision::Int8
        ))
        .contains("0000"));
        // An encoder without the layer the differences belong to.
        let empty = gguf(&cfg, Vec::new(), &[]);
        let empty_sha = crate::assets::sha256_hex(&empty);
        let mut m = meta(false);
        m.push((KEY_DELTA_BASE_SHA256, empty_sha.clone()));
        let on_empty = gguf(&cfg, delta_tensors.clone(), &m);
        let empty = DeltaBase {
            bytes: &empty,
            sha256: &empty_sha,
        };
        assert!(err(Tagger::from_gguf_with_base(
            &on_empty,
            Some(empty),
            Precision::Int8
        ))
        .contains("missing tensor"));
        for cut in [20, delta.len() / 2, delta.len() - 64] {
            assert!(
                Tagger::from_gguf_with_base(&delta[..cut], Some(base), Precision::Int8).is_err()
            );
        }
    }
}
