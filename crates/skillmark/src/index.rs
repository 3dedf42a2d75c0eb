//! The skill index: one or more vectors per ESCO skill, int8 with one scale
//! per row, searched exactly (every row scored) with the encoder's int8 kernels.
//!
//! A skill can own several rows (its preferred label, each alt label, …); its
//! score is the best of its rows.

use serde::{Deserialize, Serialize};
use skillmark_model::kernels::{matmul_f32, matmul_q8, Kernel, QActs, QMatrix};

use crate::SkillmarkError;

const MAGIC: &[u8; 8] = b"SMINDEX\0";
const FORMAT_VERSION: u32 = 1;

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
}

impl SkillText {
    pub const ALL: [SkillText; 5] = [
        SkillText::Label,
        SkillText::LabelAndAltLabels,
        SkillText::LabelWithDescription,
        SkillText::LabelAndDescriptionRows,
        SkillText::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SkillText::Label => "label",
            SkillText::LabelAndAltLabels => "label+alt",
            SkillText::LabelWithDescription => "label:description",
            SkillText::LabelAndDescriptionRows => "label|label:description",
            SkillText::All => "label+alt|label:description",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == s)
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
                SkillText::LabelAndDescriptionRows => {
                    out.push((i, s.preferred_label.clone()));
                    out.push((i, with_desc()));
                }
            }
        }
        out
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

pub struct SkillIndex {
    pub dim: usize,
    pub skill_text: SkillText,
    pub encoder_sha256: String,
    row_skill: Vec<u32>,
    matrix: QMatrix,
    n_skills: usize,
    kernel: Kernel,
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
            "skill_text": self.skill_text.name(),
            "rows": self.rows(),
            "skills": taxonomy_skills,
            "vectors": "int8, one f32 scale per row",
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut values = Vec::with_capacity(self.rows() * self.dim);
        let mut scales = Vec::with_capacity(self.rows());
        for r in 0..self.rows() {
            let (q, s) = self.matrix.row(r);
            values.extend_from_slice(q);
            scales.push(s);
        }
        let file = IndexFile {
            dim: self.dim as u32,
            rows: self.rows() as u32,
            skill_text: self.skill_text,
            encoder_sha256: self.encoder_sha256.clone(),
            row_skill: self.row_skill.clone(),
            scales,
            values,
        };
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend(postcard::to_allocvec(&file).expect("index serializes"));
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SkillmarkError> {
        let bad = |m: String| SkillmarkError::Asset {
            file: "skills.index".into(),
            message: m,
        };
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(bad("not a skill index (bad magic)".into()));
        }
        let v = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if v != FORMAT_VERSION {
            return Err(bad(format!(
                "index format {v}, this build reads {FORMAT_VERSION}"
            )));
        }
        let f: IndexFile =
            postcard::from_bytes(&bytes[12..]).map_err(|e| bad(format!("corrupt: {e}")))?;
        let (rows, dim) = (f.rows as usize, f.dim as usize);
        if f.values.len() != rows * dim || f.scales.len() != rows || f.row_skill.len() != rows {
            return Err(bad("inconsistent sizes".into()));
        }
        let matrix = QMatrix::from_parts(&f.values, f.scales, rows, dim);
        let n_skills = f
            .row_skill
            .iter()
            .map(|&s| s as usize + 1)
            .max()
            .unwrap_or(0);
        Ok(SkillIndex {
            dim,
            skill_text: f.skill_text,
            encoder_sha256: f.encoder_sha256,
            row_skill: f.row_skill,
            matrix,
            n_skills,
            kernel: Kernel::detect(),
        })
    }

    /// Best score of every skill for every query: `queries.len() × n_skills`.
    pub fn score_all(&self, queries: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let m = queries.len();
        if m == 0 || self.rows() == 0 {
            return vec![Vec::new(); m];
        }
        let flat: Vec<f32> = queries.iter().flatten().copied().collect();
        let mut acts = QActs::new();
        acts.quantize(&flat, m, self.dim, self.kernel);
        let mut row_scores = vec![0f32; m * self.rows()];
        matmul_q8(&acts, &self.matrix, None, &mut row_scores, self.kernel);
        self.reduce_rows(&row_scores, m)
    }

    /// As [`Self::score_all`] with f32 math over dequantized rows (the reference for int8 search).
    pub fn score_all_f32(&self, queries: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let m = queries.len();
        let mut w = vec![0f32; self.rows() * self.dim];
        for (r, row) in w.chunks_exact_mut(self.dim.max(1)).enumerate() {
            self.matrix.dequantize_row(r, row);
        }
        let flat: Vec<f32> = queries.iter().flatten().copied().collect();
        let mut row_scores = vec![0f32; m * self.rows()];
        matmul_f32(&flat, m, &w, self.rows(), self.dim, None, &mut row_scores);
        self.reduce_rows(&row_scores, m)
    }

    fn reduce_rows(&self, row_scores: &[f32], m: usize) -> Vec<Vec<f32>> {
        let rows = self.rows();
        (0..m)
            .map(|q| {
                let mut best = vec![f32::NEG_INFINITY; self.n_skills];
                for (r, &s) in row_scores[q * rows..(q + 1) * rows].iter().enumerate() {
                    let b = &mut best[self.row_skill[r] as usize];
                    if s > *b {
                        *b = s;
                    }
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
