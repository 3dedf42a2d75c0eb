//! The span tagger: a branch of the sentence encoder that tags every word
//! with Skill and Knowledge BIO tags (SkillSpan's two layers).
//!
//! The encoder runs its layers `0..K` once (K = the branch layer); the tagger
//! continues from those token states with its own L layers and a linear
//! classifier (6 logits: Skill B/I/O, Knowledge B/I/O), while the ranker
//! continues with the encoder's layers `K..`. Each word's tags come from its
//! first word piece ([`align_words`], shared with the trainer).
//!
//! The tokenizer lowercases, so a tagger may also carry one learned vector per
//! letter-case class ([`case_class`]: lower, Capitalized, ALL CAPS, miXed),
//! added to each piece's state at the branch point: "Apache Kafka" and "GIT"
//! look different from "apache kafka" and "git" again.

use skillmark_model::engine::{LayerStack, TokenStates};
use skillmark_model::kernels::QMatrix;
use skillmark_model::sentence::length_sorted_passes;
use skillmark_model::weights::{quantize_rows_with_step, ByteSource, StoredTensor, TensorData};
use skillmark_model::{Encoder, Precision, TensorStore, TextTokenizer};

use crate::bio::Bio;
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
/// each side of a sentence ([`align_document`]); absent = 0 (the sentence alone).
pub const KEY_CONTEXT: &str = "skillmark.tagger.context";
/// The most context a tagger file may ask for (the encoder reads 512 positions).
pub const MAX_CONTEXT: usize = 96;
/// Optional `[CASE_CLASSES, hidden]` tensor: one vector per [`case_class`].
pub const CASE_EMBEDDINGS: &str = "tagger.case_embeddings";
pub const CASE_CLASSES: usize = 4;
/// Tokens per tagger pass.
const TOKENS_PER_PASS: usize = 4096;

/// Word pieces of a word sequence and the first piece of each word.
#[derive(Clone, Debug, PartialEq)]
pub struct AlignedWords {
    pub ids: Vec<u32>,
    /// Token index of each word's first piece; `None` when the word produced
    /// no piece or fell past truncation.
    pub first_token: Vec<Option<usize>>,
    /// Letter-case class of each token ([`token_case_classes`]).
    pub case: Vec<u8>,
}

/// The letter case of a word: 0 = lower case or no letters, 1 = Capitalized
/// (or a single capital), 2 = ALL CAPS (two or more letters), 3 = miXed
/// ("iOS", "JavaScript", "PhD").
pub fn case_class(word: &str) -> u8 {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let Some(first) = letters.next() else {
        return 0;
    };
    let (mut upper, mut lower, mut n) = (0usize, 0usize, 0usize);
    for c in letters {
        n += 1;
        upper += usize::from(c.is_uppercase());
        lower += usize::from(c.is_lowercase());
    }
    match (first.is_uppercase(), upper, lower) {
        (false, 0, _) => 0,
        (true, 0, _) => 1,
        (true, u, 0) if u == n => 2,
        _ => 3,
    }
}

/// The [`case_class`] of each token: that of the run of letters and digits
/// its first character falls in (0 for `[CLS]`, `[SEP]` and punctuation).
/// A run, not the word, so that words split at punctuation (CoNLL's
/// "GIT)", the highlighter's "GIT" ")") give the same classes.
pub fn token_case_classes(text: &str, offsets: &[(usize, usize)]) -> Vec<u8> {
    // The run the previous token fell in: tokens come in text order, so each
    // run is measured once, not once per piece (a long run is many pieces).
    let mut run: Option<(std::ops::Range<usize>, u8)> = None;
    offsets
        .iter()
        .map(|&(s, e)| {
            let starts_run = text
                .get(s..)
                .and_then(|t| t.chars().next())
                .is_some_and(char::is_alphanumeric);
            if s == e || !starts_run {
                return 0;
            }
            if let Some((r, class)) = &run {
                if r.contains(&s) {
                    return *class;
                }
            }
            let start = text[..s]
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_alphanumeric())
                .last()
                .map_or(s, |(i, _)| i);
            let end = text[s..]
                .char_indices()
                .find(|(_, c)| !c.is_alphanumeric())
                .map_or(text.len(), |(i, _)| s + i);
            let class = case_class(&text[start..end]);
            run = Some((start..end, class));
            class
        })
        .collect()
}

/// Tokenizes `words` joined by single spaces and maps each word to its first
/// word piece. Trainer and runtime both tokenize through here.
pub fn align_words(tok: &TextTokenizer, words: &[&str]) -> Result<AlignedWords, Error> {
    let mut text = String::new();
    let mut starts = Vec::with_capacity(words.len());
    for w in words {
        if !text.is_empty() {
            text.push(' ');
        }
        starts.push(text.len());
        text.push_str(w);
    }
    let enc = tok.encode(&text)?;
    let mut first_token = vec![None; words.len()];
    let case = token_case_classes(&text, &enc.offsets);
    for (t, &(s, e)) in enc.offsets.iter().enumerate() {
        if s == e {
            continue; // [CLS], [SEP]
        }
        let w = starts.partition_point(|&x| x <= s).saturating_sub(1);
        if let Some(slot) = first_token.get_mut(w) {
            slot.get_or_insert(t);
        }
    }
    Ok(AlignedWords {
        ids: enc.ids,
        first_token,
        case,
    })
}

/// Aligns the word sequences of one document (in order), each read between
/// the last `context` pieces of the sequences before it and the first
/// `context` pieces of those after it (fewer where the sequence is so long
/// that both would not fit in the tokenizer's maximum); `first_token` points
/// into the sequence's own pieces. With `context` 0 this is [`align_words`]
/// on each. Trainer and runtime both align through here, so they read the
/// same input.
pub fn align_document(
    tok: &TextTokenizer,
    sentences: &[Vec<&str>],
    context: usize,
) -> Result<Vec<AlignedWords>, Error> {
    let aligned: Vec<AlignedWords> = sentences
        .iter()
        .map(|w| align_words(tok, w))
        .collect::<Result<_, _>>()?;
    Ok(with_context(aligned, context, tok.max_tokens()))
}

/// See [`align_document`]: `aligned` are the sequences alone, `max_tokens`
/// the longest sequence the encoder takes.
fn with_context(
    aligned: Vec<AlignedWords>,
    context: usize,
    max_tokens: usize,
) -> Vec<AlignedWords> {
    if context == 0 {
        return aligned;
    }
    // Pieces without [CLS] and [SEP].
    let inner = |a: &AlignedWords| 1..a.ids.len().saturating_sub(1).max(1);
    aligned
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let each = context.min(max_tokens.saturating_sub(a.ids.len()) / 2);
            let mut left: Vec<(u32, u8)> = Vec::new();
            for b in aligned[..i].iter().rev() {
                if left.len() >= each {
                    break;
                }
                let r = inner(b);
                left.splice(0..0, r.map(|t| (b.ids[t], b.case[t])));
            }
            left.drain(..left.len().saturating_sub(each));
            let mut right: Vec<(u32, u8)> = Vec::new();
            for b in &aligned[i + 1..] {
                if right.len() >= each {
                    break;
                }
                let r = inner(b);
                right.extend(r.map(|t| (b.ids[t], b.case[t])));
            }
            right.truncate(each);
            let mid = inner(a);
            let piece = |t: usize| (a.ids[t], a.case[t]);
            let (ids, case) = (0..mid.start)
                .map(piece)
                .chain(left.iter().copied())
                .chain(mid.clone().map(piece))
                .chain(right.iter().copied())
                .chain((mid.end..a.ids.len()).map(piece))
                .unzip();
            AlignedWords {
                ids,
                case,
                first_token: a
                    .first_token
                    .iter()
                    .map(|t| t.map(|t| t + left.len()))
                    .collect(),
            }
        })
        .collect()
}

impl Tagger {
    /// Each word's six probabilities ([`word_probabilities`]) for word
    /// sequences read as one document (with the tagger's own context), one
    /// sequence at a time: for measuring and combining taggers.
    pub fn sentence_word_probabilities(
        &self,
        encoder: &Encoder,
        tok: &TextTokenizer,
        sentences: &[Vec<&str>],
    ) -> Result<Vec<Vec<[f32; 6]>>, Error> {
        align_document(tok, sentences, self.context)?
            .into_iter()
            .map(|a| {
                let mut s = encoder.embed_tokens(&[a.ids.as_slice()])?;
                encoder.run_layers(&mut s, 0..self.branch_layer);
                Ok(word_probabilities(
                    &self.probabilities(s, &a.case),
                    &a.first_token,
                ))
            })
            .collect()
    }
}

/// The mean of several taggers' word probabilities (same sentences, same
/// words; see [`Tagger::sentence_word_probabilities`]).
pub fn mean_word_probabilities(each: &[Vec<Vec<[f32; 6]>>]) -> Vec<Vec<[f32; 6]>> {
    let Some(first) = each.first() else {
        return Vec::new();
    };
    let n = each.len() as f32;
    first
        .iter()
        .enumerate()
        .map(|(i, words)| {
            (0..words.len())
                .map(|w| {
                    let mut m = [0f32; 6];
                    for p in each {
                        m.iter_mut().zip(&p[i][w]).for_each(|(a, b)| *a += b / n);
                    }
                    m
                })
                .collect()
        })
        .collect()
}

/// Both BIO layers (skill, knowledge) of one sentence from its words'
/// probabilities, with `o_offsets` added to each layer's O logit.
pub fn decode_words(
    words: &[[f32; 6]],
    o_offsets: [f32; 2],
    t: &[BioTransitions; 2],
) -> (Vec<Bio>, Vec<Bio>) {
    let layer = |l: usize| {
        let d = o_offsets[l].exp();
        let p: Vec<[f32; 3]> = words
            .iter()
            .map(|p| [p[3 * l], p[3 * l + 1], p[3 * l + 2] * d])
            .collect();
        best_bio_sequence_with(&p, &t[l])
    };
    (layer(0), layer(1))
}

/// Tags of one word sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct WordTags {
    pub skill: Vec<Bio>,
    pub knowledge: Vec<Bio>,
    /// Per word: probability of its skill tag and of its knowledge tag.
    pub skill_prob: Vec<f32>,
    pub knowledge_prob: Vec<f32>,
}

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

    /// Whether the tagger reads letter case ([`case_class`]).
    pub fn reads_case(&self) -> bool {
        self.case_embeddings.is_some()
    }

    /// Runs the tagger layers and the classifier over states after the branch
    /// layer (consumed); returns 6 probabilities per token (two softmaxes).
    /// `case` holds each token's [`case_class`] (missing ones count as 0).
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

    /// Tags word sequences. With `ranker_states`, each result also holds the
    /// encoder's last-layer token states (the ranker branch of the same pass).
    pub fn tag(
        &self,
        encoder: &Encoder,
        tok: &TextTokenizer,
        sentences: &[Vec<&str>],
        ranker_states: bool,
    ) -> Result<Vec<Tagged>, Error> {
        run_passes(encoder, tok, sentences, Some(self), ranker_states)
    }
}

/// One word sequence after a pass: word tags (when a tagger ran), the first
/// piece of each word, and the last-layer token states (when asked for).
#[derive(Clone, Debug)]
pub struct Tagged {
    pub tags: Option<WordTags>,
    pub first_token: Vec<Option<usize>>,
    pub tokens: usize,
    pub states: Vec<f32>,
}

/// Encoder passes over word sequences: layers `0..K`, the tagger's branch
/// (if any), then the encoder's remaining layers (if `ranker_states`).
pub fn run_passes(
    encoder: &Encoder,
    tok: &TextTokenizer,
    sentences: &[Vec<&str>],
    tagger: Option<&Tagger>,
    ranker_states: bool,
) -> Result<Vec<Tagged>, Error> {
    let plain = align_document(tok, sentences, 0)?;
    let Some(t) = tagger.filter(|t| t.context > 0) else {
        return run_aligned(encoder, &plain, tagger, ranker_states);
    };
    // The tagger reads each sentence among its neighbours, the ranker
    // alone: two passes, and the tags go with the sentence's own pieces.
    let read = with_context(plain.clone(), t.context, tok.max_tokens());
    let tagged = run_aligned(encoder, &read, tagger, false)?;
    if ranker_states {
        let mut ranked = run_aligned(encoder, &plain, None, true)?;
        for (r, t) in ranked.iter_mut().zip(tagged) {
            r.tags = t.tags;
        }
        return Ok(ranked);
    }
    Ok(tagged
        .into_iter()
        .zip(plain)
        .map(|(t, a)| Tagged {
            tokens: a.ids.len(),
            first_token: a.first_token,
            ..t
        })
        .collect())
}

/// Encoder passes over aligned sequences ([`align_document`]), see [`run_passes`].
pub fn run_aligned(
    encoder: &Encoder,
    aligned: &[AlignedWords],
    tagger: Option<&Tagger>,
    ranker_states: bool,
) -> Result<Vec<Tagged>, Error> {
    let ids: Vec<&[u32]> = aligned.iter().map(|a| a.ids.as_slice()).collect();
    let h = encoder.hidden_size();
    let n = encoder.num_layers();
    let k = tagger.map_or(n, |t| t.branch_layer.min(n));
    let mut out: Vec<Option<Tagged>> = vec![None; aligned.len()];
    for pass in length_sorted_passes(&ids, TOKENS_PER_PASS) {
        let batch: Vec<&[u32]> = pass.iter().map(|&i| ids[i]).collect();
        let mut states = encoder.embed_tokens(&batch)?;
        encoder.run_layers(&mut states, 0..k);
        let ranges = states.ranges.clone();
        let mut case = Vec::new();
        if tagger.is_some_and(Tagger::reads_case) {
            for (&i, r) in pass.iter().zip(&ranges) {
                let c = &aligned[i].case;
                case.extend((0..r.len()).map(|t| c.get(t).copied().unwrap_or(0)));
            }
        }
        let probs = match (tagger, ranker_states) {
            (Some(t), true) => Some(t.probabilities(states.clone(), &case)),
            (Some(t), false) => Some(t.probabilities(
                std::mem::replace(
                    &mut states,
                    TokenStates {
                        hidden: h,
                        states: Vec::new(),
                        ranges: Vec::new(),
                    },
                ),
                &case,
            )),
            (None, _) => None,
        };
        if ranker_states {
            encoder.run_layers(&mut states, k..n);
        }
        for (&i, r) in pass.iter().zip(&ranges) {
            let a = &aligned[i];
            out[i] = Some(Tagged {
                tags: probs
                    .as_ref()
                    .zip(tagger)
                    .map(|(p, t)| word_tags_with(&p[r.clone()], &a.first_token, &t.transitions)),
                first_token: a.first_token.clone(),
                tokens: r.end - r.start,
                states: if ranker_states {
                    states.states[r.start * h..r.end * h].to_vec()
                } else {
                    Vec::new()
                },
            });
        }
    }
    Ok(out
        .into_iter()
        .map(|t| t.expect("every sentence ran"))
        .collect())
}

/// Word tags from token probabilities: each word reads its first piece's
/// probabilities, and each layer takes the most probable *well-formed* BIO
/// sequence (an `I` only after a `B` or an `I`), found by Viterbi. Per-word
/// argmax would let a stray `I` open or split spans; exact-match scoring
/// punishes every such boundary.
pub fn word_tags(probs: &[[f32; 6]], first_token: &[Option<usize>]) -> WordTags {
    let well_formed = [BioTransitions::well_formed(), BioTransitions::well_formed()];
    word_tags_with(probs, first_token, &well_formed)
}

/// [`word_tags`] with each layer's path also scored by `transitions`
/// (skill, knowledge).
pub fn word_tags_with(
    probs: &[[f32; 6]],
    first_token: &[Option<usize>],
    transitions: &[BioTransitions; 2],
) -> WordTags {
    let word_probs = word_probabilities(probs, first_token);
    let layer = |offset: usize| {
        let p: Vec<[f32; 3]> = word_probs
            .iter()
            .map(|w| [w[offset], w[offset + 1], w[offset + 2]])
            .collect();
        let tags = best_bio_sequence_with(&p, &transitions[offset / 3]);
        let tag_probs = tags.iter().zip(&p).map(|(t, w)| w[t.index()]).collect();
        (tags, tag_probs)
    };
    let (skill, skill_prob) = layer(0);
    let (knowledge, knowledge_prob) = layer(3);
    WordTags {
        skill,
        knowledge,
        skill_prob,
        knowledge_prob,
    }
}

/// Each word's probabilities: its first piece's (a word without pieces is O).
pub fn word_probabilities(probs: &[[f32; 6]], first_token: &[Option<usize>]) -> Vec<[f32; 6]> {
    first_token
        .iter()
        .map(|f| {
            f.and_then(|i| probs.get(i))
                .copied()
                .unwrap_or([0.0, 0.0, 1.0, 0.0, 0.0, 1.0])
        })
        .collect()
}

/// Log-scores added to a BIO path: `start[t]` for the first word's tag,
/// `next[a][b]` between consecutive tags (`[B, I, O]` order). Forbidden
/// steps are `f64::NEG_INFINITY`.
#[derive(Clone, Debug, PartialEq)]
pub struct BioTransitions {
    pub start: [f64; 3],
    pub next: [[f64; 3]; 3],
}

impl BioTransitions {
    /// Only well-formedness: no `I` first or after an `O`.
    pub fn well_formed() -> Self {
        let no = f64::NEG_INFINITY;
        BioTransitions {
            start: [0.0, no, 0.0],
            next: [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, no, 0.0]],
        }
    }
}

/// A layer's transition log-priors (estimated on training tags, scaled by a
/// weight chosen on dev), stored in a tagger file under [`KEY_TRANSITIONS`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitionPrior {
    pub start: [f64; 3],
    pub next: [[f64; 3]; 3],
}

impl TransitionPrior {
    /// Log relative frequencies of the first tag and of each tag after each
    /// tag in `sequences` (add-one smoothed), times `weight`.
    pub fn estimate<'a>(sequences: impl IntoIterator<Item = &'a [Bio]>, weight: f64) -> Self {
        let mut start = [1.0f64; 3];
        let mut next = [[1.0f64; 3]; 3];
        for tags in sequences {
            if let Some(f) = tags.first() {
                start[f.index()] += 1.0;
            }
            for w in tags.windows(2) {
                next[w[0].index()][w[1].index()] += 1.0;
            }
        }
        let log_share = |r: [f64; 3]| {
            let sum: f64 = r.iter().sum();
            r.map(|v| weight * (v / sum).ln())
        };
        TransitionPrior {
            start: log_share(start),
            next: next.map(log_share),
        }
    }

    fn is_finite(&self) -> bool {
        self.start
            .iter()
            .chain(self.next.iter().flatten())
            .all(|v| v.is_finite())
    }

    /// The prior on top of well-formedness.
    pub fn decoding(&self) -> BioTransitions {
        let mut t = BioTransitions::well_formed();
        for a in 0..3 {
            t.start[a] += self.start[a];
            for b in 0..3 {
                t.next[a][b] += self.next[a][b];
            }
        }
        t
    }
}

/// What [`KEY_TRANSITIONS`] holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitionPriors {
    pub skill: TransitionPrior,
    pub knowledge: TransitionPrior,
}

/// The path maximising the sum of log probabilities plus `t`'s scores.
pub fn best_bio_sequence_with(probs: &[[f32; 3]], t: &BioTransitions) -> Vec<Bio> {
    let log = |p: f32| (p.max(1e-12) as f64).ln();
    let Some(first) = probs.first() else {
        return Vec::new();
    };
    let mut score: [f64; 3] = std::array::from_fn(|c| t.start[c] + log(first[c]));
    let mut back: Vec<[usize; 3]> = vec![[2; 3]; probs.len()];
    for (w, p) in probs.iter().enumerate().skip(1) {
        let mut next = [f64::NEG_INFINITY; 3];
        for cur in 0..3 {
            let (arg, best) = (0..3)
                .map(|prev| (prev, score[prev] + t.next[prev][cur]))
                .fold((2, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            back[w][cur] = arg;
            next[cur] = best + log(p[cur]);
        }
        score = next;
    }
    let mut c = (0..3).fold(2, |a, c| if score[c] > score[a] { c } else { a });
    let mut out = vec![Bio::O; probs.len()];
    for w in (0..probs.len()).rev() {
        out[w] = Bio::from_index(c);
        c = back[w][c];
    }
    out
}

/// The BIO sequence with the highest product of per-word probabilities
/// (`[B, I, O]` each) among those where every `I` follows a `B` or an `I`.
pub fn best_bio_sequence(probs: &[[f32; 3]]) -> Vec<Bio> {
    best_bio_sequence_with(probs, &BioTransitions::well_formed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark_model::weights::{write_gguf_tensors, GgmlDType, GgufTensor, GgufValue};
    use skillmark_model::BertConfig;

    #[test]
    fn averaged_word_probabilities_decode_per_layer_with_the_o_offsets() {
        let a = vec![vec![
            [0.6, 0.1, 0.3, 0.1, 0.1, 0.8],
            [0.1, 0.7, 0.2, 0.2, 0.1, 0.7],
        ]];
        let b = vec![vec![
            [0.2, 0.1, 0.7, 0.5, 0.1, 0.4],
            [0.1, 0.5, 0.4, 0.2, 0.5, 0.3],
        ]];
        let m = mean_word_probabilities(&[a, b]);
        let expected = [
            [0.4, 0.1, 0.5, 0.3, 0.1, 0.6],
            [0.1, 0.6, 0.3, 0.2, 0.3, 0.5],
        ];
        for (got, want) in m[0].iter().flatten().zip(expected.iter().flatten()) {
            assert!((got - want).abs() < 1e-6, "{m:?}");
        }
        assert!(mean_word_probabilities(&[]).is_empty());
        let wf = [BioTransitions::well_formed(), BioTransitions::well_formed()];
        let layer = |l: usize| -> Vec<[f32; 3]> {
            m[0].iter()
                .map(|w| [w[3 * l], w[3 * l + 1], w[3 * l + 2]])
                .collect()
        };
        assert_eq!(
            decode_words(&m[0], [0.0, 0.0], &wf),
            (best_bio_sequence(&layer(0)), best_bio_sequence(&layer(1)))
        );
        // The skill layer's O (0.5 then 0.3) wins once its logit gains 1.
        let (skill, knowledge) = decode_words(&m[0], [1.0, 0.0], &wf);
        assert_eq!(skill, [Bio::O, Bio::O]);
        assert_eq!(knowledge, best_bio_sequence(&layer(1)));
    }

    #[test]
    fn transition_priors_decode_like_viterbi_and_keep_spans_whole() {
        // The decoder finds the best-scoring path: checked against every one
        // of the 3^5 paths, with and without a prior.
        let path_score = |probs: &[[f32; 3]], t: &BioTransitions, path: &[Bio]| {
            let log = |p: f32| (p.max(1e-12) as f64).ln();
            path.iter().enumerate().fold(0.0, |acc, (w, tag)| {
                let step = match w {
                    0 => t.start[tag.index()],
                    _ => t.next[path[w - 1].index()][tag.index()],
                };
                acc + step + log(probs[w][tag.index()])
            })
        };
        let some_prior = TransitionPrior::estimate(
            [[Bio::B, Bio::I, Bio::I, Bio::O, Bio::B, Bio::O].as_slice()],
            0.4,
        )
        .decoding();
        let mut x = 12345u64;
        for round in 0..300 {
            let probs: Vec<[f32; 3]> = (0..5)
                .map(|_| {
                    let mut r = || {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((x >> 33) % 1000) as f32 / 1000.0 + 1e-3
                    };
                    [r(), r(), r()]
                })
                .collect();
            let t = if round % 2 == 0 {
                BioTransitions::well_formed()
            } else {
                some_prior.clone()
            };
            let best = (0..3usize.pow(5))
                .map(|code| {
                    let path: Vec<Bio> = (0..5)
                        .map(|w| Bio::from_index(code / 3usize.pow(w) % 3))
                        .collect();
                    path_score(&probs, &t, &path)
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let found = best_bio_sequence_with(&probs, &t);
            assert!(
                (path_score(&probs, &t, &found) - best).abs() < 1e-9,
                "{found:?}"
            );
        }
        // "Apache Kafka": the second word leans B (a new span), but in the
        // training tags a B rarely follows a B, so the prior keeps one span.
        let probs = [[0.8, 0.0, 0.2], [0.5, 0.45, 0.05]];
        assert_eq!(best_bio_sequence(&probs), vec![Bio::B, Bio::B]);
        let train: Vec<Vec<Bio>> = (0..50)
            .map(|_| vec![Bio::B, Bio::I, Bio::O, Bio::O])
            .collect();
        let prior = TransitionPrior::estimate(train.iter().map(|t| t.as_slice()), 0.25);
        assert!(prior.next[0][1] > prior.next[0][0]);
        assert_eq!(
            best_bio_sequence_with(&probs, &prior.decoding()),
            vec![Bio::B, Bio::I]
        );
        // Still well-formed: an I never follows an O or starts a sentence.
        let probs = [[0.1, 0.8, 0.1], [0.0, 0.9, 0.1]];
        assert_eq!(best_bio_sequence_with(&probs, &prior.decoding())[0], Bio::B);
        let o_then_i = [[0.0, 0.0, 1.0], [0.1, 0.8, 0.1]];
        assert_ne!(
            best_bio_sequence_with(&o_then_i, &prior.decoding())[1],
            Bio::I
        );
    }

    #[test]
    fn words_get_their_letter_case_class() {
        for (word, class) in [
            ("java", 0),
            ("3.5", 0),
            ("", 0),
            ("(", 0),
            ("Java", 1),
            ("C", 1),
            ("(Kafka)", 1),
            ("Élan", 1),
            ("SQL", 2),
            ("AWS/GCP", 2),
            ("ÉTÉ", 2),
            ("PhD", 3),
            ("iOS", 3),
            ("JavaScript", 3),
            ("node.JS", 3),
            ("日本語", 0),
        ] {
            assert_eq!(case_class(word), class, "{word:?}");
        }
    }

    fn shipped_tokenizer() -> TextTokenizer {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/tokenizer.json");
        TextTokenizer::from_bytes(&std::fs::read(path).unwrap(), 64).unwrap()
    }

    #[test]
    fn every_piece_carries_the_case_class_of_its_letter_run() {
        let tok = shipped_tokenizer();
        let words = ["Experience", "with", "PostgreSQL", "and", "AWS", "(GIT)"];
        let a = align_words(&tok, &words).unwrap();
        assert_eq!(a.case.len(), a.ids.len());
        assert_eq!(a.case[0], 0, "[CLS]");
        assert_eq!(*a.case.last().unwrap(), 0, "[SEP]");
        let word_of = |t: usize| {
            a.first_token
                .iter()
                .rposition(|f| f.is_some_and(|f| f <= t))
        };
        let want = [1u8, 0, 3, 0, 2];
        for t in 1..a.first_token[5].unwrap() {
            assert_eq!(a.case[t], want[word_of(t).unwrap()], "token {t}");
        }
        // "PostgreSQL" is several pieces, all of them miXed.
        let pg = a.first_token[2].unwrap()..a.first_token[3].unwrap();
        assert!(pg.len() > 1);
        // "(GIT)": the brackets are 0, "git" is ALL CAPS, as if split into words.
        let git = &a.case[a.first_token[5].unwrap()..a.ids.len() - 1];
        assert!(git.len() >= 3, "{git:?}");
        assert_eq!(git[0], 0);
        assert_eq!(git[git.len() - 1], 0);
        assert!(git[1..git.len() - 1].iter().all(|&c| c == 2), "{git:?}");
        let split = align_words(&tok, &["(", "GIT", ")"]).unwrap();
        assert_eq!(&split.case[1..split.ids.len() - 1], git);
    }

    #[test]
    fn a_sentence_is_read_between_its_neighbours_pieces() {
        let tok = shipped_tokenizer();
        let doc: Vec<Vec<&str>> = vec![
            vec!["QUALIFICATIONS"],
            vec!["Ok"],
            vec![],
            vec!["Experience", "with", "PostgreSQL", "and", "AWS"],
            vec!["Kubernetes", "is", "a", "plus"],
        ];
        let plain = align_document(&tok, &doc, 0).unwrap();
        for (a, w) in plain.iter().zip(&doc) {
            assert_eq!(a, &align_words(&tok, w).unwrap());
        }
        let inner = |a: &AlignedWords| a.ids[1..a.ids.len() - 1].to_vec();
        let inner_case = |a: &AlignedWords| a.case[1..a.case.len() - 1].to_vec();
        let ctx = align_document(&tok, &doc, 3).unwrap();
        assert_eq!(ctx.len(), doc.len());
        for (i, (c, p)) in ctx.iter().zip(&plain).enumerate() {
            // Pieces before and after, as many as there are up to 3, crossing
            // short and empty sentences; [CLS] and [SEP] stay at the ends.
            let before: Vec<u32> = plain[..i].iter().flat_map(inner).collect();
            let after: Vec<u32> = plain[i + 1..].iter().flat_map(inner).collect();
            let left = &before[before.len().saturating_sub(3)..];
            let right = &after[..after.len().min(3)];
            let want: Vec<u32> = [
                &p.ids[..1],
                left,
                &inner(p),
                right,
                &p.ids[p.ids.len() - 1..],
            ]
            .concat();
            assert_eq!(c.ids, want, "sentence {i}");
            let before_case: Vec<u8> = plain[..i].iter().flat_map(inner_case).collect();
            let after_case: Vec<u8> = plain[i + 1..].iter().flat_map(inner_case).collect();
            let want_case: Vec<u8> = [
                &p.case[..1],
                &before_case[before_case.len().saturating_sub(3)..],
                &inner_case(p),
                &after_case[..after_case.len().min(3)],
                &p.case[p.case.len() - 1..],
            ]
            .concat();
            assert_eq!(c.case, want_case, "sentence {i}");
            let shifted: Vec<Option<usize>> = p
                .first_token
                .iter()
                .map(|t| t.map(|t| t + left.len()))
                .collect();
            assert_eq!(c.first_token, shifted, "sentence {i}");
            for (w, t) in c.first_token.iter().enumerate() {
                assert_eq!(c.ids[t.unwrap()], p.ids[p.first_token[w].unwrap()]);
            }
        }
        assert_eq!(ctx[0].ids.len(), plain[0].ids.len() + 3, "no left context");
        // A sequence that fills the tokenizer's 64 tokens reads no context;
        // one with room for a little reads that much, on both sides.
        let long: Vec<String> = (0..70).map(|i| format!("w{i}")).collect();
        let mut doc = doc.clone();
        doc.insert(1, long.iter().map(String::as_str).collect());
        doc.insert(1, long[..29].iter().map(String::as_str).collect());
        let ctx = align_document(&tok, &doc, 30).unwrap();
        let alone = align_document(&tok, &doc, 0).unwrap();
        assert!(ctx.iter().all(|a| a.ids.len() <= 64));
        assert_eq!(ctx[2], alone[2], "a full sequence reads no context");
        let room = (64 - alone[1].ids.len()) / 2;
        assert!(room > 0 && room < 30);
        let before = alone[0].ids.len() - 2;
        assert_eq!(
            ctx[1].ids.len(),
            alone[1].ids.len() + room.min(before) + room
        );
        // Sentence 3 reads "ok" and "qualifications" (pieces of two earlier sentences).
        assert!(ctx[3].first_token[0].unwrap() > 1);
    }

    #[test]
    fn first_piece_carries_the_word() {
        let p = [
            [0.1, 0.1, 0.8, 0.0, 0.0, 1.0],
            [0.7, 0.2, 0.1, 0.0, 0.6, 0.4],
            [0.0, 0.9, 0.1, 0.0, 0.0, 1.0],
        ];
        let t = word_tags(&p, &[Some(1), None, Some(2), Some(0)]);
        // Word 2's argmax (I) follows an O and its B has probability 0: O.
        assert_eq!(t.skill, vec![Bio::B, Bio::O, Bio::O, Bio::O]);
        // Word 0's argmax is I, which cannot open a sentence: O (0.4) beats B (0.0).
        assert_eq!(t.knowledge, vec![Bio::O, Bio::O, Bio::O, Bio::O]);
        assert!((t.skill_prob[0] - 0.7).abs() < 1e-6);
    }

    #[test]
    fn decoding_keeps_bio_well_formed() {
        let p = |b: f32, i: f32, o: f32| [b, i, o];
        // Argmax: O I I O. The I run after O must become B I (0.3·0.6 > O O).
        let t = best_bio_sequence(&[
            p(0.1, 0.1, 0.8),
            p(0.4, 0.5, 0.1),
            p(0.1, 0.6, 0.3),
            p(0.1, 0.1, 0.8),
        ]);
        assert_eq!(t, vec![Bio::O, Bio::B, Bio::I, Bio::O]);
        // A weak I after O is dropped rather than opened as a span.
        let t = best_bio_sequence(&[p(0.1, 0.1, 0.8), p(0.05, 0.5, 0.45)]);
        assert_eq!(t, vec![Bio::O, Bio::O]);
        // The first word can never be I.
        assert_eq!(best_bio_sequence(&[p(0.2, 0.7, 0.1)]), vec![Bio::B]);
        // Well-formed argmax sequences are kept as they are.
        let t = best_bio_sequence(&[p(0.7, 0.2, 0.1), p(0.2, 0.7, 0.1), p(0.6, 0.3, 0.1)]);
        assert_eq!(t, vec![Bio::B, Bio::I, Bio::B]);
        assert!(best_bio_sequence(&[]).is_empty());
        // No word gets a tag the constraint forbids, whatever the input.
        let mut x = 7u64;
        for _ in 0..200 {
            let probs: Vec<[f32; 3]> = (0..9)
                .map(|_| {
                    let mut r = || {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x % 1000) as f32 / 1000.0
                    };
                    [r(), r(), r()]
                })
                .collect();
            let t = best_bio_sequence(&probs);
            assert_eq!(t.len(), 9);
            for w in 0..9 {
                if t[w] == Bio::I {
                    assert!(w > 0 && t[w - 1] != Bio::O, "{t:?}");
                }
            }
        }
    }

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
