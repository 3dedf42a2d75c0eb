//! The skill index: one or more vectors per ESCO skill, int8 with one scale
//! per row, searched exactly (every row scored) with the encoder's int8 kernels.
//!
//! A skill can own several rows (its preferred label, each alt label, …); its
//! score is the best of its rows.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use skillmark_model::kernels::{matmul_f32, matmul_q8, Kernel, QActs, QMatrix};
use skillmark_model::weights::quantize_rows_with_step;
use skillmark_schema::ParseError;

use crate::Error;

const MAGIC: &[u8; 8] = b"SMINDEX\0";
const FORMAT_VERSION: u32 = 1;
/// The compact form: 4-bit vectors (two per byte), expanded to int8 at load.
const FORMAT_VERSION_4BIT: u32 = 2;
/// Largest magnitude of a 4-bit value (symmetric, so −8 is never used).
const Q4_MAX: f32 = 7.0;
/// The entropy-coded form: standardized rows as int8 codes of a coarse step
/// (small codes, which the host's brotli/gzip compress to near their entropy).
const FORMAT_VERSION_STEP: u32 = 3;

/// The weight of the label's vector in a [`SkillText::LabelDescriptionMean`]
/// row (the description's gets the rest). Chosen on the TECH/HOUSE validation
/// sets with SkillSkape dev as a check (docs/BENCHMARKS.md, "Web bundle").
pub const MEAN_LABEL_WEIGHT: f32 = 0.7;

/// What text stands for a skill in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkillText {
    /// The preferred label alone.
    Label,
    /// The preferred label and every alt label, one row each (best row wins).
    LabelAndAltLabels,
    /// "label: description", one row.
    LabelWithDescription,
    /// The preferred label (one row) plus "label: description" (another row).
    LabelAndDescriptionRows,
    /// Preferred + alt labels as rows, plus "label: description".
    All,
    /// One row per skill: [`MEAN_LABEL_WEIGHT`] × the `label` vector +
    /// the rest × the `label: description` vector, renormalized.
    LabelDescriptionMean,
}

impl SkillText {
    pub const ALL: [SkillText; 6] = [
        SkillText::Label,
        SkillText::LabelAndAltLabels,
        SkillText::LabelWithDescription,
        SkillText::LabelAndDescriptionRows,
        SkillText::All,
        SkillText::LabelDescriptionMean,
    ];

    /// How each choice is written (`FromStr`, `Display`: CLI flags,
    /// manifest.json), in the order of [`Self::ALL`].
    const NAMES: [&'static str; 6] = [
        "label",
        "label+alt",
        "label:description",
        "label|label:description",
        "label+alt|label:description",
        "0.7 label+0.3 label:description",
    ];

    /// Whether a skill's text vectors are averaged into one row
    /// ([`SkillIndex::merge_rows`]) rather than kept as rows of their own.
    pub fn merges_rows(self) -> bool {
        self == SkillText::LabelDescriptionMean
    }

    /// The texts (and the skill each belongs to) this choice puts in the index.
    pub fn texts(self, taxonomy: &esco::Taxonomy) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        for (i, s) in taxonomy.skills.iter().enumerate() {
            let i = i as u32;
            let with_desc = || {
                let d = first_sentence(&s.description);
                if d.is_empty() {
                    s.preferred_label.clone()
                } else {
                    format!("{}: {}", s.preferred_label, d)
                }
            };
            match self {
                SkillText::Label => out.push((i, s.preferred_label.clone())),
                SkillText::LabelWithDescription => out.push((i, with_desc())),
                SkillText::LabelAndAltLabels | SkillText::All => {
                    out.push((i, s.preferred_label.clone()));
                    let mut seen = std::collections::HashSet::new();
                    seen.insert(s.preferred_label.to_lowercase());
                    for a in &s.alt_labels {
                        if seen.insert(a.to_lowercase()) {
                            out.push((i, a.clone()));
                        }
                    }
                    if self == SkillText::All {
                        out.push((i, with_desc()));
                    }
                }
                SkillText::LabelAndDescriptionRows | SkillText::LabelDescriptionMean => {
                    out.push((i, s.preferred_label.clone()));
                    out.push((i, with_desc()));
                }
            }
        }
        out
    }
}

impl std::str::FromStr for SkillText {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        SkillText::NAMES
            .iter()
            .position(|&n| n == s)
            .map(|i| SkillText::ALL[i])
            .ok_or_else(|| ParseError {
                what: "skill text",
                got: s.to_string(),
                expected: &SkillText::NAMES,
            })
    }
}

impl std::fmt::Display for SkillText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = SkillText::ALL.iter().position(|t| t == self);
        f.pad(SkillText::NAMES[i.expect("every choice is in ALL")])
    }
}

/// The first sentence of a description, at most ~300 characters.
fn first_sentence(d: &str) -> String {
    let d = d.trim();
    let end = d
        .char_indices()
        .find(|&(i, c)| c == '.' && d[i + 1..].starts_with(char::is_whitespace))
        .map(|(i, _)| i + 1)
        .unwrap_or(d.len());
    let mut s: String = d[..end].chars().take(300).collect();
    s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    dim: u32,
    rows: u32,
    skill_text: SkillText,
    /// sha256 of the encoder file the vectors came from.
    encoder_sha256: String,
    row_skill: Vec<u32>,
    scales: Vec<f32>,
    values: Vec<i8>,
}

/// The compact index file: as [`IndexFile`] but each value is a 4-bit
/// signed integer (low nibble first) times its row's scale.
#[derive(Serialize, Deserialize)]
struct IndexFile4 {
    dim: u32,
    rows: u32,
    skill_text: SkillText,
    encoder_sha256: String,
    row_skill: Vec<u32>,
    standardized: Standardization,
    scales: Vec<f32>,
    nibbles: Vec<u8>,
}

/// The entropy-coded index file: standardized vectors (see
/// [`SkillIndex::standardized`]) as int8 codes times a per-row step.
#[derive(Serialize, Deserialize)]
struct IndexFileStep {
    dim: u32,
    rows: u32,
    skill_text: SkillText,
    encoder_sha256: String,
    row_skill: Vec<u32>,
    standardized: Standardization,
    steps: Vec<f32>,
    codes: Vec<i8>,
}

pub struct SkillIndex {
    pub dim: usize,
    pub skill_text: SkillText,
    pub encoder_sha256: String,
    row_skill: Vec<u32>,
    matrix: QMatrix,
    n_skills: usize,
    kernel: Kernel,
    /// Compact indexes store standardized vectors `u = (v − center) / spread`
    /// (per dimension), so a few outlier dimensions do not eat the 4-bit range.
    /// A query `q` then scores `(q ⊙ spread) · u + q · center`, which equals `q · v`.
    standardized: Option<Standardization>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Standardization {
    center: Vec<f32>,
    spread: Vec<f32>,
}

/// One scored skill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub skill: u32,
    pub score: f32,
}

impl SkillIndex {
    /// Builds from f32 vectors (`row_skill[i]` owns `vectors[i]`).
    pub fn from_vectors(
        vectors: &[Vec<f32>],
        row_skill: Vec<u32>,
        skill_text: SkillText,
        encoder_sha256: String,
    ) -> Self {
        let dim = vectors.first().map_or(0, |v| v.len());
        let flat: Vec<f32> = vectors.iter().flatten().copied().collect();
        let matrix = QMatrix::quantize(&flat, vectors.len(), dim);
        let n_skills = row_skill.iter().map(|&s| s as usize + 1).max().unwrap_or(0);
        SkillIndex {
            dim,
            skill_text,
            encoder_sha256,
            row_skill,
            matrix,
            n_skills,
            kernel: Kernel::detect(),
            standardized: None,
        }
    }

    pub fn rows(&self) -> usize {
        self.row_skill.len()
    }

    /// How many skills the index covers (one past the highest skill number).
    pub fn n_skills(&self) -> usize {
        self.n_skills
    }

    /// The manifest's description of this index.
    pub fn manifest_entry(&self, taxonomy_skills: usize) -> serde_json::Value {
        serde_json::json!({
            "skill_text": self.skill_text.to_string(),
            "rows": self.rows(),
            "skills": taxonomy_skills,
            "vectors": "int8, one f32 scale per row",
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        if self.standardized.is_some() {
            let mut flat = vec![0f32; self.rows() * self.dim];
            for (r, v) in flat.chunks_exact_mut(self.dim.max(1)).enumerate() {
                self.vector(r, v);
            }
            let vectors: Vec<Vec<f32>> = flat
                .chunks_exact(self.dim.max(1))
                .map(|v| v.to_vec())
                .collect();
            return Self::from_vectors(
                &vectors,
                self.row_skill.clone(),
                self.skill_text,
                self.encoder_sha256.clone(),
            )
            .to_bytes();
        }
        let (values, scales) = self.matrix.to_parts();
        let file = IndexFile {
            dim: self.dim as u32,
            rows: self.rows() as u32,
            skill_text: self.skill_text,
            encoder_sha256: self.encoder_sha256.clone(),
            row_skill: self.row_skill.clone(),
            scales,
            values,
        };
        with_header(FORMAT_VERSION, &file)
    }

    /// Every row as the f32 vector it stands for, row-major (`rows × dim`).
    pub fn vectors(&self) -> Vec<f32> {
        let mut flat = vec![0f32; self.rows() * self.dim];
        for (r, v) in flat.chunks_exact_mut(self.dim.max(1)).enumerate() {
            self.vector(r, v);
        }
        flat
    }

    /// The skill each row belongs to.
    pub fn row_skills(&self) -> &[u32] {
        &self.row_skill
    }

    /// A unit vector per skill asked for (the mean of its rows), for
    /// comparing skills with each other; skills without rows are left out.
    pub fn skill_vectors(&self, skills: &[u32]) -> HashMap<u32, Vec<f32>> {
        let mut out: HashMap<u32, Vec<f32>> = skills
            .iter()
            .map(|&s| (s, vec![0f32; self.dim]))
            .collect();
        let mut row = vec![0f32; self.dim];
        for (r, s) in self.row_skill.iter().enumerate() {
            if let Some(v) = out.get_mut(s) {
                self.vector(r, &mut row);
                v.iter_mut().zip(&row).for_each(|(a, b)| *a += b);
            }
        }
        out.retain(|_, v| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= n.max(1e-12));
            n > 0.0
        });
        out
    }

    /// Row `r` as the f32 vector it stands for.
    fn vector(&self, r: usize, out: &mut [f32]) {
        self.matrix.dequantize_row(r, out);
        if let Some(st) = &self.standardized {
            for ((o, c), s) in out.iter_mut().zip(&st.center).zip(&st.spread) {
                *o = *o * s + c;
            }
        }
    }

    /// Per-dimension centre and spread of the rows, and the standardized rows.
    fn standardize(&self) -> (Standardization, Vec<f32>) {
        let (dim, rows) = (self.dim, self.rows());
        let mut vectors = self.vectors();
        let mut center = vec![0f32; dim];
        for v in vectors.chunks_exact(dim.max(1)) {
            center
                .iter_mut()
                .zip(v)
                .for_each(|(c, x)| *c += x / rows as f32);
        }
        let mut spread = vec![0f32; dim];
        for v in vectors.chunks_exact(dim.max(1)) {
            for ((s, x), c) in spread.iter_mut().zip(v).zip(&center) {
                *s += (x - c) * (x - c) / rows as f32;
            }
        }
        spread
            .iter_mut()
            .for_each(|s| *s = if *s > 0.0 { s.sqrt() } else { 1.0 });
        for v in vectors.chunks_exact_mut(dim.max(1)) {
            for ((x, c), s) in v.iter_mut().zip(&center).zip(&spread) {
                *x = (*x - c) / s;
            }
        }
        (Standardization { center, spread }, vectors)
    }

    /// The entropy-coded form (format 3): vectors standardized per dimension,
    /// then int8 codes of the step `rel_step × rms(row)` (at least `amax / 127`,
    /// so nothing is clipped). A coarse step leaves small codes: 0.6 gives
    /// about 2.8 bits per value after brotli. [`Self::from_bytes`] loads the
    /// codes as the int8 rows exactly.
    pub fn to_bytes_step(&self, rel_step: f32) -> Vec<u8> {
        let (stand, u) = self.standardize();
        let dim = self.dim.max(1);
        let m = quantize_rows_with_step(&u, self.rows(), self.dim, |_, row| {
            rel_step * (row.iter().map(|v| v * v).sum::<f32>() / dim as f32).sqrt()
        });
        let (codes, steps) = m.to_parts();
        let file = IndexFileStep {
            dim: self.dim as u32,
            rows: self.rows() as u32,
            skill_text: self.skill_text,
            encoder_sha256: self.encoder_sha256.clone(),
            row_skill: self.row_skill.clone(),
            standardized: stand,
            steps,
            codes,
        };
        with_header(FORMAT_VERSION_STEP, &file)
    }

    /// One row per skill: the weighted mean of its rows (the first, its label,
    /// weighs `label_weight`; the others share the rest), renormalized,
    /// recorded as `skill_text`. A skill with one row keeps it.
    pub fn merge_rows(&self, skill_text: SkillText, label_weight: f32) -> SkillIndex {
        let dim = self.dim.max(1);
        let all = self.vectors();
        let mut rows_of = vec![Vec::new(); self.n_skills];
        for (r, &s) in self.row_skill.iter().enumerate() {
            rows_of[s as usize].push(r);
        }
        let mut vectors = Vec::new();
        let mut row_skill = Vec::new();
        for (s, rows) in rows_of.iter().enumerate() {
            let Some((&first, rest)) = rows.split_first() else {
                continue;
            };
            let (w0, wr) = if rest.is_empty() {
                (1.0, 0.0)
            } else {
                (label_weight, (1.0 - label_weight) / rest.len() as f32)
            };
            let mut v: Vec<f32> = all[first * dim..(first + 1) * dim]
                .iter()
                .map(|x| w0 * x)
                .collect();
            for &r in rest {
                for (a, x) in v.iter_mut().zip(&all[r * dim..(r + 1) * dim]) {
                    *a += wr * x;
                }
            }
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut()
                .for_each(|x| *x = if n > 0.0 { *x / n } else { 0.0 });
            vectors.push(v);
            row_skill.push(s as u32);
        }
        SkillIndex::from_vectors(&vectors, row_skill, skill_text, self.encoder_sha256.clone())
    }

    /// The compact form (format 2): vectors standardized per dimension, then
    /// 4 bits per value with one scale per row; [`Self::from_bytes`] expands the
    /// values to int8 rows exactly.
    pub fn to_bytes_4bit(&self) -> Vec<u8> {
        let (dim, rows) = (self.dim, self.rows());
        let (Standardization { center, spread }, vectors) = self.standardize();
        let mut nibbles = vec![0u8; (rows * dim).div_ceil(2)];
        let mut scales = Vec::with_capacity(rows);
        for (r, u) in vectors.chunks_exact(dim.max(1)).enumerate() {
            let amax = u.iter().fold(0f32, |m, &v| m.max(v.abs()));
            let sc = if amax > 0.0 { amax / Q4_MAX } else { 0.0 };
            let inv = if sc > 0.0 { 1.0 / sc } else { 0.0 };
            scales.push(sc);
            for (c, &x) in u.iter().enumerate() {
                let q = (x * inv).round().clamp(-Q4_MAX, Q4_MAX) as i8;
                let at = r * dim + c;
                nibbles[at / 2] |= ((q as u8) & 0x0f) << (4 * (at % 2));
            }
        }
        let file = IndexFile4 {
            dim: dim as u32,
            rows: rows as u32,
            skill_text: self.skill_text,
            encoder_sha256: self.encoder_sha256.clone(),
            row_skill: self.row_skill.clone(),
            standardized: Standardization { center, spread },
            scales,
            nibbles,
        };
        with_header(FORMAT_VERSION_4BIT, &file)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_file_bytes(bytes, crate::assets::INDEX)
    }

    /// As [`Self::from_bytes`], naming `file` in errors (the occupations'
    /// vectors use the same format).
    pub fn from_file_bytes(bytes: &[u8], file: &str) -> Result<Self, Error> {
        let bad = |m: String| Error::Asset {
            file: file.into(),
            message: m,
        };
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(bad("not a vector index (bad magic)".into()));
        }
        let v = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if v == FORMAT_VERSION_4BIT {
            let f: IndexFile4 =
                postcard::from_bytes(&bytes[12..]).map_err(|e| bad(format!("corrupt: {e}")))?;
            let (rows, dim) = (f.rows as usize, f.dim as usize);
            if rows.checked_mul(dim).map(|n| n.div_ceil(2)) != Some(f.nibbles.len())
                || f.scales.len() != rows
                || f.row_skill.len() != rows
                || f.standardized.center.len() != dim
                || f.standardized.spread.len() != dim
            {
                return Err(bad("inconsistent sizes".into()));
            }
            let values: Vec<i8> = (0..rows * dim)
                .map(|at| (((f.nibbles[at / 2] >> (4 * (at % 2))) << 4) as i8) >> 4)
                .collect();
            let mut index = Self::from_rows(
                &values,
                f.scales,
                rows,
                dim,
                f.row_skill,
                f.skill_text,
                f.encoder_sha256,
            );
            index.standardized = Some(f.standardized);
            return Ok(index);
        }
        if v == FORMAT_VERSION_STEP {
            let f: IndexFileStep =
                postcard::from_bytes(&bytes[12..]).map_err(|e| bad(format!("corrupt: {e}")))?;
            let (rows, dim) = (f.rows as usize, f.dim as usize);
            if rows.checked_mul(dim) != Some(f.codes.len())
                || f.steps.len() != rows
                || f.row_skill.len() != rows
                || f.standardized.center.len() != dim
                || f.standardized.spread.len() != dim
            {
                return Err(bad("inconsistent sizes".into()));
            }
            if f.codes.contains(&i8::MIN) {
                return Err(bad("code −128 (codes are −127..=127)".into()));
            }
            if f.steps.iter().any(|s| !s.is_finite() || *s < 0.0)
                || f.standardized.center.iter().any(|v| !v.is_finite())
                || f.standardized.spread.iter().any(|v| !v.is_finite())
            {
                return Err(bad("non-finite step or standardization".into()));
            }
            let mut index = Self::from_rows(
                &f.codes,
                f.steps,
                rows,
                dim,
                f.row_skill,
                f.skill_text,
                f.encoder_sha256,
            );
            index.standardized = Some(f.standardized);
            return Ok(index);
        }
        if v != FORMAT_VERSION {
            return Err(bad(format!(
                "index format {v}, this build reads {FORMAT_VERSION}, {FORMAT_VERSION_4BIT} and {FORMAT_VERSION_STEP}"
            )));
        }
        let f: IndexFile =
            postcard::from_bytes(&bytes[12..]).map_err(|e| bad(format!("corrupt: {e}")))?;
        let (rows, dim) = (f.rows as usize, f.dim as usize);
        if rows.checked_mul(dim) != Some(f.values.len())
            || f.scales.len() != rows
            || f.row_skill.len() != rows
        {
            return Err(bad("inconsistent sizes".into()));
        }
        Ok(Self::from_rows(
            &f.values,
            f.scales,
            rows,
            dim,
            f.row_skill,
            f.skill_text,
            f.encoder_sha256,
        ))
    }

    fn from_rows(
        values: &[i8],
        scales: Vec<f32>,
        rows: usize,
        dim: usize,
        row_skill: Vec<u32>,
        skill_text: SkillText,
        encoder_sha256: String,
    ) -> Self {
        let matrix = QMatrix::from_parts(values, scales, rows, dim);
        let n_skills = row_skill.iter().map(|&s| s as usize + 1).max().unwrap_or(0);
        SkillIndex {
            dim,
            skill_text,
            encoder_sha256,
            row_skill,
            matrix,
            n_skills,
            kernel: Kernel::detect(),
            standardized: None,
        }
    }

    /// A copy that records another encoder (the compact web bundle re-embeds nothing:
    /// its index is the full one requantized, checked against the web encoder).
    pub fn with_encoder_sha256(mut self, sha: String) -> Self {
        self.encoder_sha256 = sha;
        self
    }

    /// Best score of every skill for every query: `queries.len() × n_skills`.
    pub fn score_all(&self, queries: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let m = queries.len();
        if m == 0 || self.rows() == 0 {
            return vec![Vec::new(); m];
        }
        let (flat, base) = self.prepare_queries(queries);
        let mut acts = QActs::new();
        acts.quantize(&flat, m, self.dim, self.kernel);
        let mut row_scores = vec![0f32; m * self.rows()];
        matmul_q8(&acts, &self.matrix, None, &mut row_scores, self.kernel);
        self.reduce_rows(&row_scores, &base)
    }

    /// Queries as the stored rows expect them, flattened, and the score each
    /// query adds to every row (see [`SkillIndex::standardized`]).
    fn prepare_queries(&self, queries: &[Vec<f32>]) -> (Vec<f32>, Vec<f32>) {
        let mut flat: Vec<f32> = queries.iter().flatten().copied().collect();
        let Some(st) = &self.standardized else {
            return (flat, vec![0.0; queries.len()]);
        };
        let base = queries
            .iter()
            .map(|q| q.iter().zip(&st.center).map(|(a, b)| a * b).sum())
            .collect();
        for q in flat.chunks_exact_mut(self.dim.max(1)) {
            q.iter_mut().zip(&st.spread).for_each(|(x, s)| *x *= s);
        }
        (flat, base)
    }

    /// As [`Self::score_all`] with f32 math over dequantized rows (the reference for int8 search).
    pub fn score_all_f32(&self, queries: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let m = queries.len();
        let mut w = vec![0f32; self.rows() * self.dim];
        for (r, row) in w.chunks_exact_mut(self.dim.max(1)).enumerate() {
            self.matrix.dequantize_row(r, row);
        }
        let (flat, base) = self.prepare_queries(queries);
        let mut row_scores = vec![0f32; m * self.rows()];
        matmul_f32(&flat, m, &w, self.rows(), self.dim, None, &mut row_scores);
        self.reduce_rows(&row_scores, &base)
    }

    fn reduce_rows(&self, row_scores: &[f32], base: &[f32]) -> Vec<Vec<f32>> {
        let rows = self.rows();
        base.iter()
            .enumerate()
            .map(|(q, &add)| {
                let mut best = vec![f32::NEG_INFINITY; self.n_skills];
                for (r, &s) in row_scores[q * rows..(q + 1) * rows].iter().enumerate() {
                    let b = &mut best[self.row_skill[r] as usize];
                    if s > *b {
                        *b = s;
                    }
                }
                if add != 0.0 {
                    best.iter_mut()
                        .filter(|b| b.is_finite())
                        .for_each(|b| *b += add);
                }
                best
            })
            .collect()
    }

    /// The `k` best skills for each query, best first.
    pub fn search(&self, queries: &[Vec<f32>], k: usize) -> Vec<Vec<Hit>> {
        self.score_all(queries)
            .iter()
            .map(|s| top_k(s, k))
            .collect()
    }
}

/// Indices of the `k` largest scores, best first (ties: lower index first).
pub fn top_k(scores: &[f32], k: usize) -> Vec<Hit> {
    let k = k.min(scores.len());
    if k == 0 {
        return Vec::new();
    }
    let mut idx: Vec<u32> = (0..scores.len() as u32).collect();
    let cmp = |a: &u32, b: &u32| {
        scores[*b as usize]
            .total_cmp(&scores[*a as usize])
            .then(a.cmp(b))
    };
    if k < idx.len() {
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_by(cmp);
    idx.into_iter()
        .map(|i| Hit {
            skill: i,
            score: scores[i as usize],
        })
        .collect()
}

/// 1-based rank of `target` among `scores` (ties count in its favour).
pub fn rank_of(scores: &[f32], target: usize) -> usize {
    let s = scores[target];
    1 + scores.iter().filter(|&&x| x > s).count()
}

/// An index file: magic, format version, then the postcard body.
fn with_header(version: u32, file: &impl Serialize) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend(postcard::to_allocvec(file).expect("index serializes"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn search_takes_the_best_row_of_each_skill() {
        let vecs = vec![
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
            unit(&[1.0, 1.0, 0.0]),
        ];
        let idx = SkillIndex::from_vectors(
            &vecs,
            vec![0, 1, 1, 2],
            SkillText::LabelAndAltLabels,
            "x".into(),
        );
        let hits = idx.search(&[unit(&[0.0, 0.1, 1.0])], 3);
        assert_eq!(hits[0][0].skill, 1, "skill 1 wins through its second row");
        assert_eq!(hits[0].len(), 3);
        assert!(hits[0][0].score > 0.98);
        let exact = idx.score_all_f32(&[unit(&[0.0, 0.1, 1.0])]);
        let approx = idx.score_all(&[unit(&[0.0, 0.1, 1.0])]);
        for (a, b) in exact[0].iter().zip(&approx[0]) {
            assert!((a - b).abs() < 0.02);
        }
    }

    #[test]
    fn skill_texts_read_what_they_write() {
        for t in SkillText::ALL {
            assert_eq!(t.to_string().parse::<SkillText>(), Ok(t));
        }
        assert_eq!(SkillText::Label.to_string(), "label");
        assert_eq!(
            SkillText::LabelDescriptionMean.to_string(),
            "0.7 label+0.3 label:description"
        );
        let e = "labels".parse::<SkillText>().unwrap_err().to_string();
        assert!(
            e.contains("\"labels\"") && e.contains("label|label:description"),
            "{e}"
        );
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let vecs = vec![unit(&[1.0, 2.0]), unit(&[-1.0, 0.5])];
        let idx = SkillIndex::from_vectors(&vecs, vec![0, 1], SkillText::Label, "abc".into());
        let bytes = idx.to_bytes();
        let back = SkillIndex::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.encoder_sha256, "abc");
        assert!(SkillIndex::from_bytes(&bytes[..bytes.len() - 3]).is_err());
        assert!(SkillIndex::from_bytes(b"garbage").is_err());
        let mut wrong = bytes.clone();
        wrong[8] = 99;
        assert!(SkillIndex::from_bytes(&wrong).is_err());
    }

    /// 64 pseudo-random unit rows of 128 dimensions (seeded), with `shift`
    /// added to dimension `outlier` of every row before normalizing.
    fn random_rows(seed: u64, outlier: usize, shift: f32) -> Vec<Vec<f32>> {
        let mut seed = seed;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..64)
            .map(|_| {
                let mut v: Vec<f32> = (0..128).map(|_| rnd()).collect();
                v[outlier] += shift;
                unit(&v)
            })
            .collect()
    }

    #[test]
    fn four_bit_form_keeps_scores_and_loads() {
        // An outlier dimension shared by all rows, as sentence encoders have.
        let vecs = random_rows(5, 3, 4.0);
        let skills: Vec<u32> = (0..64).map(|i| i / 2).collect();
        let idx = SkillIndex::from_vectors(&vecs, skills, SkillText::Label, "e".into());
        let small = idx.to_bytes_4bit();
        assert!(
            small.len() * 10 < idx.to_bytes().len() * 7,
            "{}",
            small.len()
        );
        let back = SkillIndex::from_bytes(&small).unwrap();
        assert_eq!((back.rows(), back.dim), (64, 128));
        let q: Vec<Vec<f32>> = vecs[..4].to_vec();
        let (want, got) = (idx.score_all_f32(&q), back.score_all(&q));
        for (w, g) in want.iter().zip(&got) {
            for (a, b) in w.iter().zip(g) {
                assert!((a - b).abs() < 0.05, "{a} vs {b}");
            }
        }
        for (i, g) in got.iter().enumerate() {
            assert_eq!(
                top_k(g, 1)[0].skill,
                i as u32 / 2,
                "a row finds its own skill"
            );
        }
        // The int8 form of a compact index stands for the same vectors.
        let again = SkillIndex::from_bytes(&back.to_bytes()).unwrap();
        for (a, b) in got[0].iter().zip(&again.score_all_f32(&q[..1])[0]) {
            assert!((a - b).abs() < 0.02);
        }
        assert!(SkillIndex::from_bytes(&small[..small.len() - 1]).is_err());
    }

    #[test]
    fn step_form_keeps_scores_and_rejects_broken_files() {
        let vecs = random_rows(9, 7, -3.0);
        let idx = SkillIndex::from_vectors(&vecs, (0..64).collect(), SkillText::Label, "e".into());
        let coarse = idx.to_bytes_step(0.7);
        let back = SkillIndex::from_bytes(&coarse).unwrap();
        assert_eq!((back.rows(), back.dim, back.n_skills()), (64, 128, 64));
        assert_eq!(back.encoder_sha256, "e");
        let (want, got) = (idx.score_all_f32(&vecs), back.score_all(&vecs));
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            for (a, b) in w.iter().zip(g) {
                assert!((a - b).abs() < 0.08, "{a} vs {b}");
            }
            assert_eq!(top_k(g, 1)[0].skill, i as u32, "a row finds its own skill");
        }
        // A finer step is closer.
        let fine = SkillIndex::from_bytes(&idx.to_bytes_step(0.2)).unwrap();
        let err = |x: &SkillIndex| -> f32 {
            x.score_all(&vecs)
                .iter()
                .zip(&want)
                .flat_map(|(g, w)| g.iter().zip(w).map(|(a, b)| (a - b).abs()))
                .sum()
        };
        assert!(err(&fine) < 0.6 * err(&back));
        // Truncated or corrupted: errors, never panics.
        for cut in [4, 12, 40, coarse.len() / 2, coarse.len() - 1] {
            assert!(SkillIndex::from_bytes(&coarse[..cut]).is_err(), "cut {cut}");
        }
        let mut flipped = coarse.clone();
        let at = coarse.len() - 10;
        flipped[at] = 0x80; // a code of −128
        assert!(SkillIndex::from_bytes(&flipped).is_err());
    }

    #[test]
    fn merged_rows_weigh_the_label() {
        let vecs = vec![
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        let idx = SkillIndex::from_vectors(
            &vecs,
            vec![0, 0, 1],
            SkillText::LabelAndDescriptionRows,
            "e".into(),
        );
        let m = idx.merge_rows(SkillText::LabelDescriptionMean, 0.75);
        assert_eq!((m.rows(), m.n_skills()), (2, 2));
        assert_eq!(m.skill_text, SkillText::LabelDescriptionMean);
        let v = m.vectors();
        let want = unit(&[0.75, 0.25, 0.0]);
        for (a, b) in v[..3].iter().zip(&want) {
            assert!((a - b).abs() < 0.01, "{v:?}");
        }
        // A skill with one row keeps it.
        assert!((v[5] - 1.0).abs() < 0.01);
    }

    #[test]
    fn top_k_and_rank() {
        let s = [0.1, 0.9, 0.5, 0.9];
        let t = top_k(&s, 3);
        assert_eq!(t.iter().map(|h| h.skill).collect::<Vec<_>>(), vec![1, 3, 2]);
        assert_eq!(rank_of(&s, 2), 3);
        assert_eq!(rank_of(&s, 3), 1);
        assert!(top_k(&s, 0).is_empty());
        assert_eq!(top_k(&s, 10).len(), 4);
    }

    #[test]
    fn first_sentence_is_cut_and_cleaned() {
        assert_eq!(first_sentence("Write code.  Also more. "), "Write code.");
        assert_eq!(first_sentence(" no   dot\nhere "), "no dot here");
        assert_eq!(first_sentence("v1.2 is used. Next"), "v1.2 is used.");
    }
}
