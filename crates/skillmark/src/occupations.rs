//! ESCO occupations for a text, from three kinds of evidence, weighted
//! differently for documents and job titles ([`weights`]):
//!
//! - **the skill–occupation graph**: the text's skills (for a document, the
//!   highlighter's skill list; for a job title, the skills its vector ranks
//!   highest — JobBERT's "job titles through skills") against each
//!   occupation's essential (weight 1) and optional (0.5) skills, every skill
//!   weighted by how specific it is (`ln(occupations / occupations that
//!   require it)`): the cosine of the two sparse vectors;
//! - **the text's own vector** against each occupation's preferred label;
//! - for a job title, **its words** against every label of the occupation
//!   (preferred and alternative: 35,811 in ESCO v1.1.1), each word weighted
//!   by how rare it is among the labels ("senior", "developer" little,
//!   "java" much): the best weighted Jaccard overlap.
//!
//! The occupation vectors come from the bundle's `occupations.index` (built
//! by `skillmark index occupations`); a bundle without it embeds the 3,007
//! labels on first use (a few seconds natively, several in a browser).

use std::collections::HashMap;
use std::sync::OnceLock;

use esco::Relation;
use skillmark_schema::{
    DocumentSkill, OccupationOptions, OccupationSkillRef, OccupationSuggestion,
};

use crate::assets::{sha256_hex, ENCODER, OCCUPATIONS};
use crate::index::{top_k, SkillIndex, SkillText};
use crate::ranker::{shown_score, Ranker};
use crate::Error;

/// Weight of an optional skill relative to an essential one.
const OPTIONAL_WEIGHT: f32 = 0.5;
/// Skills a job title implies (its best-ranked skills).
const TITLE_SKILLS: usize = 20;
/// Weights of the evidence, chosen on JobBERT's title validation split
/// (docs/OCCUPATIONS.md): (vector, graph, words) for titles and documents.
const TITLE_WEIGHTS: (f32, f32, f32) = (0.5, 0.0, 0.5);
const DOCUMENT_WEIGHTS: (f32, f32, f32) = (0.5, 0.5, 0.0);

/// The graph and vectors of every occupation, built once per engine.
pub struct OccupationIndex {
    /// Per occupation: (skill, relation weight × specificity, essential),
    /// and the norm of those weights.
    edges: Vec<Vec<(u32, f32, bool)>>,
    norms: Vec<f32>,
    /// Per skill: (occupation, relation weight × specificity).
    by_skill: Vec<Vec<(u32, f32)>>,
    /// Specificity of every skill.
    idf: Vec<f32>,
    /// Unit vectors of the preferred labels, row-major.
    label_vecs: Vec<f32>,
    dim: usize,
    /// Every label's words (ids) and its occupation.
    labels: Vec<(Vec<u32>, u32)>,
    /// Word → id, its weight (inverse label frequency), the labels with it.
    words: HashMap<String, u32>,
    word_idf: Vec<f32>,
    /// The largest word weight: what a title word no label has counts.
    unknown_word_idf: f32,
    labels_with: Vec<Vec<u32>>,
}

/// The evidence weights (vector, graph, words) of a title or a document.
pub fn weights(title: bool) -> (f32, f32, f32) {
    if title {
        TITLE_WEIGHTS
    } else {
        DOCUMENT_WEIGHTS
    }
}

/// Whether ranking a title (or a document) reads its skills at all.
pub fn ranks_by_skills(title: bool) -> bool {
    weights(title).1 > 0.0
}

/// Every occupation's preferred label embedded by `encoder`: the bundle's
/// `occupations.index` (one row per occupation, taxonomy order).
pub fn build_occupation_vectors(
    encoder: &skillmark_model::SentenceEncoder,
    taxonomy: &esco::Taxonomy,
    encoder_bytes: &[u8],
    progress: impl FnMut(usize),
) -> Result<SkillIndex, Error> {
    let labels: Vec<&str> = taxonomy
        .occupations
        .iter()
        .map(|o| o.preferred_label.as_str())
        .collect();
    let vectors = encoder.embed_with_progress(&labels, progress)?;
    Ok(SkillIndex::from_vectors(
        &vectors,
        (0..labels.len() as u32).collect(),
        SkillText::Label,
        sha256_hex(encoder_bytes),
    ))
}

/// Checks that stored occupation vectors belong to this bundle: its encoder,
/// one row per occupation of its taxonomy in order, the encoder's width.
pub fn check_occupation_vectors(stored: &SkillIndex, ranker: &Ranker) -> Result<(), Error> {
    let bad = |m: String| Err(Error::Mismatch(format!("{OCCUPATIONS}: {m}")));
    let enc_sha = &ranker.manifest.files[ENCODER].sha256;
    if &stored.encoder_sha256 != enc_sha {
        return bad(format!(
            "built with encoder {} but encoder.gguf is {enc_sha}: run `skillmark index occupations`",
            stored.encoder_sha256
        ));
    }
    let n = ranker.taxonomy.occupations.len();
    let in_order = stored.row_skills().iter().enumerate().all(|(i, &o)| o as usize == i);
    if stored.rows() != n || !in_order {
        return bad(format!(
            "{} rows for the taxonomy's {n} occupations: run `skillmark index occupations`",
            stored.rows()
        ));
    }
    if stored.dim != ranker.encoder.dim() {
        return bad(format!(
            "vectors of width {}, the encoder's are {}",
            stored.dim,
            ranker.encoder.dim()
        ));
    }
    Ok(())
}

impl OccupationIndex {
    /// Builds from the ranker's taxonomy, with the occupations' label
    /// vectors from `stored` (checked by [`check_occupation_vectors`]) or,
    /// without it, embedded now.
    pub fn new(ranker: &Ranker, stored: Option<&SkillIndex>) -> Result<Self, Error> {
        let tax = &ranker.taxonomy;
        let n_occ = tax.occupations.len();
        if n_occ == 0 {
            return Err(Error::Mismatch(
                "this bundle's taxonomy has no occupations (a web bundle exported with --no-occupations)".into(),
            ));
        }
        let mut required_by = vec![0u32; tax.skills.len()];
        for e in &tax.occupation_skills {
            required_by[e.skill as usize] += 1;
        }
        let idf: Vec<f32> = required_by
            .iter()
            .map(|&n| ((n_occ as f32 + 1.0) / (n as f32 + 1.0)).ln())
            .collect();
        let mut edges = vec![Vec::new(); n_occ];
        let mut by_skill = vec![Vec::new(); tax.skills.len()];
        for e in &tax.occupation_skills {
            let essential = e.relation == Relation::Essential;
            let w = if essential { 1.0 } else { OPTIONAL_WEIGHT } * idf[e.skill as usize];
            edges[e.occupation as usize].push((e.skill, w, essential));
            by_skill[e.skill as usize].push((e.occupation, w));
        }
        let norms = edges
            .iter()
            .map(|e| e.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt())
            .collect();
        let labels: Vec<&str> = tax
            .occupations
            .iter()
            .map(|o| o.preferred_label.as_str())
            .collect();
        let dim = ranker.encoder.dim();
        let label_vecs = match stored {
            Some(stored) => {
                check_occupation_vectors(stored, ranker)?;
                let mut v = stored.vectors();
                for row in v.chunks_exact_mut(dim.max(1)) {
                    let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                    if norm > 0.0 {
                        row.iter_mut().for_each(|x| *x /= norm);
                    }
                }
                v
            }
            None => ranker.encoder.embed(&labels)?.into_iter().flatten().collect(),
        };
        let mut words: HashMap<String, u32> = HashMap::new();
        let mut labels = Vec::new();
        for (i, o) in tax.occupations.iter().enumerate() {
            for l in std::iter::once(&o.preferred_label).chain(&o.alt_labels) {
                let mut ids: Vec<u32> = title_words(l)
                    .map(|w| {
                        let next = words.len() as u32;
                        *words.entry(w).or_insert(next)
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                if !ids.is_empty() {
                    labels.push((ids, i as u32));
                }
            }
        }
        let mut labels_with = vec![Vec::new(); words.len()];
        for (k, (ids, _)) in labels.iter().enumerate() {
            for &w in ids {
                labels_with[w as usize].push(k as u32);
            }
        }
        let n_labels = labels.len() as f32;
        let word_idf: Vec<f32> = labels_with
            .iter()
            .map(|l| (n_labels / l.len() as f32).ln().max(0.0) + 1.0)
            .collect();
        let unknown_word_idf = word_idf.iter().copied().fold(0.0, f32::max);
        Ok(OccupationIndex {
            edges,
            norms,
            by_skill,
            idf,
            label_vecs,
            dim,
            labels,
            words,
            word_idf,
            unknown_word_idf,
            labels_with,
        })
    }

    /// The score of every occupation (taxonomy order) for a text, given its
    /// vector, its skills (skill, score) and, for a title, the title.
    pub fn scores(&self, vector: &[f32], skills: &[(u32, f32)], title: Option<&str>) -> Vec<f32> {
        self.scores_of(vector, &self.skill_vector(skills), title)
    }

    /// As [`Self::scores`], from the text's sparse skill vector.
    fn scores_of(&self, vector: &[f32], x: &HashMap<u32, f32>, title: Option<&str>) -> Vec<f32> {
        let (wv, wg, ww) = weights(title.is_some());
        let n = self.edges.len();
        let x_norm = x.values().map(|v| v * v).sum::<f32>().sqrt();
        let mut graph = vec![0.0f32; n];
        if wg > 0.0 && x_norm > 0.0 {
            for (&s, &w) in x {
                for &(o, ow) in &self.by_skill[s as usize] {
                    graph[o as usize] += w * ow;
                }
            }
            for (g, norm) in graph.iter_mut().zip(&self.norms) {
                *g = if *norm > 0.0 { *g / (x_norm * norm) } else { 0.0 };
            }
        }
        let words = title.map(|t| self.word_overlap(t)).unwrap_or_default();
        (0..n)
            .map(|o| {
                let row = &self.label_vecs[o * self.dim..(o + 1) * self.dim];
                let cos: f32 = row.iter().zip(vector).map(|(a, b)| a * b).sum();
                let lex = words.get(o).copied().unwrap_or(0.0);
                wv * shown_score(cos) + wg * graph[o] + ww * lex
            })
            .collect()
    }

    /// Per occupation: the best weighted Jaccard overlap of the title's
    /// words with one of its labels (all zeros when no word is shared).
    fn word_overlap(&self, title: &str) -> Vec<f32> {
        let mut ids: Vec<u32> = title_words(title)
            .filter_map(|w| self.words.get(&w).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        // Title words no label has still count in the union.
        let unknown = title_words(title)
            .filter(|w| !self.words.contains_key(w))
            .count() as f32;
        let weight = |w: u32| self.word_idf[w as usize];
        let title_weight: f32 = ids.iter().map(|&w| weight(w)).sum::<f32>()
            + unknown * self.unknown_word_idf;
        let mut out = vec![0.0f32; self.edges.len()];
        let mut seen = std::collections::HashSet::new();
        for &w in &ids {
            for &k in &self.labels_with[w as usize] {
                if !seen.insert(k) {
                    continue;
                }
                let (lw, o) = &self.labels[k as usize];
                let shared: f32 = lw
                    .iter()
                    .filter(|x| ids.binary_search(x).is_ok())
                    .map(|&x| weight(x))
                    .sum();
                let label_weight: f32 = lw.iter().map(|&x| weight(x)).sum();
                let j = shared / (title_weight + label_weight - shared);
                let best = &mut out[*o as usize];
                *best = best.max(j);
            }
        }
        out
    }

    /// The text's sparse skill vector: score × specificity.
    fn skill_vector(&self, skills: &[(u32, f32)]) -> HashMap<u32, f32> {
        let mut x: HashMap<u32, f32> = HashMap::new();
        for &(s, score) in skills {
            let w = score.max(0.0) * self.idf.get(s as usize).copied().unwrap_or(0.0);
            let e = x.entry(s).or_default();
            *e = e.max(w);
        }
        x
    }

    /// The best occupations for a text (as [`Self::scores`]), with the
    /// skills that support each and its essential skills the text lacks.
    pub fn suggest(
        &self,
        ranker: &Ranker,
        vector: &[f32],
        skills: &[(u32, f32)],
        title: Option<&str>,
        opts: &OccupationOptions,
    ) -> Vec<OccupationSuggestion> {
        let x = self.skill_vector(skills);
        let scores = self.scores_of(vector, &x, title);
        let tax = &ranker.taxonomy;
        top_k(&scores, opts.top_k)
            .into_iter()
            .map(|h| {
                let o = h.skill as usize;
                let occ = &tax.occupations[o];
                let skill_ref = |s: u32, essential: bool| OccupationSkillRef {
                    uri: tax.skills[s as usize].uri.clone(),
                    label: tax.skills[s as usize].preferred_label.clone(),
                    essential,
                };
                let edges = if opts.max_skills == 0 {
                    &[][..]
                } else {
                    &self.edges[o][..]
                };
                let mut supporting: Vec<(f32, OccupationSkillRef)> = edges
                    .iter()
                    .filter_map(|&(s, w, ess)| x.get(&s).map(|v| (v * w, skill_ref(s, ess))))
                    .collect();
                supporting.sort_by(|a, b| b.0.total_cmp(&a.0));
                let mut missing: Vec<(f32, OccupationSkillRef)> = edges
                    .iter()
                    .filter(|&&(s, _, ess)| ess && !x.contains_key(&s))
                    .map(|&(s, w, _)| (w, skill_ref(s, true)))
                    .collect();
                missing.sort_by(|a, b| b.0.total_cmp(&a.0));
                OccupationSuggestion {
                    uri: occ.uri.clone(),
                    label: occ.preferred_label.clone(),
                    isco_group: occ.isco_group.clone(),
                    score: shown_score(h.score),
                    supporting: supporting
                        .into_iter()
                        .take(opts.max_skills)
                        .map(|x| x.1)
                        .collect(),
                    missing_essential: missing
                        .into_iter()
                        .take(opts.max_skills)
                        .map(|x| x.1)
                        .collect(),
                }
            })
            .collect()
    }
}

/// A title's words for matching labels: lower case, letters and digits,
/// without gender marks ("m/w/d").
fn title_words(t: &str) -> impl Iterator<Item = String> + '_ {
    const MARKS: [&str; 5] = ["m", "w", "d", "f", "h"];
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !MARKS.contains(&w.as_str()))
}

/// The skills a title implies: its best-ranked skills and their scores.
pub fn title_skills(scores: &[f32]) -> Vec<(u32, f32)> {
    top_k(scores, TITLE_SKILLS)
        .into_iter()
        .map(|h| (h.skill, h.score))
        .collect()
}

/// A document's skills from its highlights: each listed skill and its best score.
pub fn document_skills(ranker: &Ranker, skills: &[DocumentSkill]) -> Vec<(u32, f32)> {
    skills
        .iter()
        .filter_map(|d| {
            ranker
                .taxonomy
                .skill_by_uri(&d.uri)
                .map(|i| (i as u32, d.best_score))
        })
        .collect()
}

/// The engine's occupation index, built on first use (from the bundle's
/// stored vectors, when it has them).
#[derive(Default)]
pub struct LazyOccupations {
    index: OnceLock<OccupationIndex>,
    stored: Option<SkillIndex>,
}

impl LazyOccupations {
    /// With the bundle's `occupations.index`, checked against `ranker` now
    /// (a mismatched file is refused at load, not on first use).
    pub fn with_stored(stored: Option<SkillIndex>, ranker: &Ranker) -> Result<Self, Error> {
        if let Some(s) = &stored {
            check_occupation_vectors(s, ranker)?;
        }
        Ok(LazyOccupations {
            index: OnceLock::new(),
            stored,
        })
    }

    pub fn get(&self, ranker: &Ranker) -> Result<&OccupationIndex, Error> {
        if let Some(i) = self.index.get() {
            return Ok(i);
        }
        let built = OccupationIndex::new(ranker, self.stored.as_ref())?;
        Ok(self.index.get_or_init(|| built))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_words_drop_gender_marks_and_punctuation() {
        let w: Vec<String> = title_words("  Software-Developer (m/w/d) C++ ").collect();
        assert_eq!(w, vec!["software", "developer", "c"]);
        assert_eq!(title_words("").count(), 0);
    }
}
