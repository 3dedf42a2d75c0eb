//! A taxonomy's occupations apart from its skills ([`OccupationPart`]): the
//! web bundle ships its taxonomy without them and fetches this file only
//! when occupations are first asked for (a résumé comparison), so pages that
//! only highlight download less.
//!
//! The file is framed as the taxonomy's binary form (magic
//! `b"ESCOOCC\0"`, version, length, checksum, postcard). Its edges point at
//! skills by index, so it records the skills it was cut from (their count
//! and a hash of their URIs, in order) and [`Taxonomy::add_occupations`]
//! refuses a part cut from other skills.

use serde::{Deserialize, Serialize};

use crate::binary::{decode_all, frame, unframe};
use crate::{EscoError, Occupation, OccupationSkill, Taxonomy};

/// The first eight bytes of an occupation part.
pub const PART_MAGIC: [u8; 8] = *b"ESCOOCC\0";
/// The version of its layout.
pub const PART_FORMAT_VERSION: u32 = 1;

/// Occupations and their skill edges, cut from a taxonomy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OccupationPart {
    /// The taxonomy's version, e.g. `ESCO v1.1.1`.
    pub version: String,
    /// How many skills the edges may point at.
    pub skills: u32,
    /// FNV-1a of those skills' URIs, in order.
    pub skills_hash: u64,
    /// The occupations, in the taxonomy's order.
    pub occupations: Vec<Occupation>,
    /// Their skill edges (occupation and skill indices).
    pub occupation_skills: Vec<OccupationSkill>,
}

/// FNV-1a over the skills' URIs in order (each ended by a NUL).
fn skills_hash(taxonomy: &Taxonomy) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for s in &taxonomy.skills {
        for &b in s.uri.as_bytes().iter().chain(&[0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

impl OccupationPart {
    /// Encodes the part (header + postcard).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EscoError> {
        let payload = postcard::to_allocvec(self).map_err(|e| EscoError::Encode(e.to_string()))?;
        Ok(frame(&PART_MAGIC, PART_FORMAT_VERSION, &payload))
    }

    /// Decodes what [`Self::to_bytes`] wrote; never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<OccupationPart, EscoError> {
        let payload = unframe(
            bytes,
            &PART_MAGIC,
            PART_FORMAT_VERSION,
            "an ESCO occupations file",
        )?;
        decode_all(payload, "occupations")
    }
}

impl Taxonomy {
    /// This taxonomy's occupations and edges as a part of their own.
    pub fn occupation_part(&self) -> OccupationPart {
        OccupationPart {
            version: self.version.clone(),
            skills: self.skills.len() as u32,
            skills_hash: skills_hash(self),
            occupations: self.occupations.clone(),
            occupation_skills: self.occupation_skills.clone(),
        }
    }

    /// Puts a part's occupations and edges into this taxonomy (which must
    /// have none yet), after checking that it was cut from the same skills.
    /// On error the taxonomy is unchanged.
    pub fn add_occupations(&mut self, part: OccupationPart) -> Result<(), EscoError> {
        if !self.occupations.is_empty() || !self.occupation_skills.is_empty() {
            return Err(EscoError::Invalid(
                "the taxonomy has occupations already".into(),
            ));
        }
        if part.version != self.version
            || part.skills as usize != self.skills.len()
            || part.skills_hash != skills_hash(self)
        {
            return Err(EscoError::Invalid(format!(
                "the occupations were cut from another taxonomy ({}, {} skills), not this one ({}, {} skills)",
                part.version,
                part.skills,
                self.version,
                self.skills.len()
            )));
        }
        self.occupations = part.occupations;
        self.occupation_skills = part.occupation_skills;
        self.reset_lookups();
        if let Err(e) = self.validate() {
            self.remove_occupations();
            return Err(e);
        }
        Ok(())
    }

    /// Drops every occupation and edge (the skills stay).
    pub fn remove_occupations(&mut self) {
        self.occupations.clear();
        self.occupation_skills.clear();
        self.reset_lookups();
    }
}
