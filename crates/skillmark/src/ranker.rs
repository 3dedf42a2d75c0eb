//! Sentences → ranked ESCO skills: the encoder, the index and the taxonomy together.

use skillmark_model::sentence::WeightBytes;
use skillmark_model::{Precision, SentenceEncoder};

use crate::assets::{sha256_hex, AssetBytes, Manifest, ENCODER, INDEX, TAXONOMY, TOKENIZER};
use crate::index::{top_k, SkillIndex, SkillText};
use crate::lexical::LexicalMatcher;
use crate::Error;

pub use skillmark_schema::RankedSkill;

pub struct Ranker {
    pub encoder: SentenceEncoder,
    pub index: SkillIndex,
    pub taxonomy: esco::Taxonomy,
    pub manifest: Manifest,
    /// Added to the score of every skill a text names by one of its ESCO
    /// labels (hybrid ranking; `ranking.lexical_bonus` in the manifest, 0 = off).
    pub lexical_bonus: f32,
    lexical: std::sync::OnceLock<LexicalMatcher>,
}

impl Ranker {
    /// Builds from a verified bundle. `precision` picks int8 (shipped) or
    /// f32 compute over the same weights.
    pub fn from_assets(assets: &AssetBytes, precision: Precision) -> Result<Self, Error> {
        let encoder = SentenceEncoder::from_bytes(
            assets.get(TOKENIZER),
            WeightBytes::Gguf(assets.get(ENCODER)),
            precision,
        )?;
        let index = SkillIndex::from_bytes(assets.get(INDEX))?;
        let taxonomy = esco::Taxonomy::from_bytes(assets.get(TAXONOMY))?;
        Self::from_parts(encoder, index, taxonomy, &assets.manifest)
    }

    /// As [`Self::from_assets`], dropping each file as soon as it is read:
    /// in wasm, linear memory is the load's peak, since it never shrinks.
    pub fn from_asset_files(mut assets: AssetBytes, precision: Precision) -> Result<Self, Error> {
        let encoder = SentenceEncoder::from_bytes(
            assets.get(TOKENIZER),
            WeightBytes::Gguf(assets.get(ENCODER)),
            precision,
        )?;
        assets.files.remove(ENCODER);
        assets.files.remove(TOKENIZER);
        let index = SkillIndex::from_bytes(assets.get(INDEX))?;
        assets.files.remove(INDEX);
        let taxonomy = esco::Taxonomy::from_bytes(assets.get(TAXONOMY))?;
        assets.files.remove(TAXONOMY);
        Self::from_parts(encoder, index, taxonomy, &assets.manifest)
    }

    fn from_parts(
        encoder: SentenceEncoder,
        index: SkillIndex,
        taxonomy: esco::Taxonomy,
        manifest: &Manifest,
    ) -> Result<Self, Error> {
        let enc_sha = &manifest.files[ENCODER].sha256;
        if &index.encoder_sha256 != enc_sha {
            return Err(Error::Mismatch(format!(
                "skills.index was built with encoder {} but encoder.gguf is {enc_sha}: run `skillmark index build`",
                index.encoder_sha256
            )));
        }
        Self::check(&index, &taxonomy, encoder.dim())?;
        let lexical_bonus = manifest
            .rest
            .get("ranking")
            .and_then(|r| r.get("lexical_bonus"))
            .and_then(|b| b.as_f64())
            .unwrap_or(0.0) as f32;
        Ok(Ranker {
            encoder,
            index,
            taxonomy,
            manifest: manifest.clone(),
            lexical_bonus,
            lexical: std::sync::OnceLock::new(),
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path, precision: Precision) -> Result<Self, Error> {
        Self::from_assets(&AssetBytes::read_dir(dir)?, precision)
    }

    fn check(index: &SkillIndex, taxonomy: &esco::Taxonomy, dim: usize) -> Result<(), Error> {
        if index.dim != dim {
            return Err(Error::Mismatch(format!(
                "skill index has {}-d vectors, the encoder makes {dim}-d",
                index.dim
            )));
        }
        if index.rows() == 0 {
            return Err(Error::Mismatch("skill index is empty".into()));
        }
        let top = index.n_skills();
        if top > taxonomy.skills.len() {
            return Err(Error::Mismatch(format!(
                "skill index refers to {top} skills, the taxonomy has {}",
                taxonomy.skills.len()
            )));
        }
        Ok(())
    }

    /// Scores of every skill for each text (dense, plus the lexical bonus).
    pub fn score_all(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        let v = self.encoder.embed(texts)?;
        let mut scores = self.index.score_all(&v);
        self.add_lexical_bonus(texts, &mut scores, self.lexical_bonus);
        Ok(scores)
    }

    /// The ESCO label matcher (built on first use: ~100k labels).
    pub fn lexical(&self) -> &LexicalMatcher {
        self.lexical
            .get_or_init(|| LexicalMatcher::new(&self.taxonomy))
    }

    /// Adds `bonus` to the skills each text names outright.
    pub fn add_lexical_bonus(&self, texts: &[&str], scores: &mut [Vec<f32>], bonus: f32) {
        if bonus == 0.0 {
            return;
        }
        for (t, s) in texts.iter().zip(scores) {
            self.lexical().boost(t, s, bonus);
        }
    }

    /// The `k` best skills for each text, best first.
    pub fn rank(&self, texts: &[&str], k: usize) -> Result<Vec<Vec<RankedSkill>>, Error> {
        Ok(self
            .score_all(texts)?
            .iter()
            .map(|s| {
                top_k(s, k)
                    .into_iter()
                    .map(|h| self.ranked(h.skill, h.score))
                    .collect()
            })
            .collect())
    }

    pub fn ranked(&self, skill: u32, score: f32) -> RankedSkill {
        let s = &self.taxonomy.skills[skill as usize];
        RankedSkill {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            score: shown_score(score),
        }
    }
}

/// A score as results show it: in [0, 1]. Cosines below 0 (unrelated) show
/// as 0; int8 rounding can lift a cosine a hair above 1.
pub fn shown_score(score: f32) -> f32 {
    score.clamp(0.0, 1.0)
}

/// Embeds the skill texts of `taxonomy` and builds an index.
pub fn build_index(
    encoder: &SentenceEncoder,
    taxonomy: &esco::Taxonomy,
    skill_text: SkillText,
    encoder_bytes: &[u8],
    progress: impl FnMut(usize, usize),
) -> Result<SkillIndex, Error> {
    let texts = skill_text.texts(taxonomy);
    let strs: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
    let total = strs.len();
    let mut progress = progress;
    let vectors = encoder.embed_with_progress(&strs, |done| progress(done, total))?;
    let index = SkillIndex::from_vectors(
        &vectors,
        texts.iter().map(|(s, _)| *s).collect(),
        skill_text,
        sha256_hex(encoder_bytes),
    );
    Ok(if skill_text.merges_rows() {
        index.merge_rows(skill_text, crate::index::MEAN_LABEL_WEIGHT)
    } else {
        index
    })
}
