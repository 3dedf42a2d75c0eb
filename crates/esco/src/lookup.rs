//! Lookup tables built lazily by the queries of [`crate::Taxonomy`].
//!
//! Each table sits in its own [`OnceLock`], so a program that only asks for
//! URIs never pays for the label maps. The tables are not serialised and a
//! clone of a taxonomy starts without them.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::{fold, Occupation, Relation, Skill, SkillGroup, Taxonomy};

/// Preferred-label maps of the skills.
pub(crate) struct LabelIndex {
    /// Exact preferred label → first skill with it.
    pub exact: HashMap<String, u32>,
    /// Folded preferred label → first skill with it.
    pub folded: HashMap<String, u32>,
}

/// Occupation↔skill adjacency in compressed-row form.
pub(crate) struct RelationIndex {
    pub by_skill: Adjacency,
    pub by_occupation: Adjacency,
}

/// Compressed rows: the neighbours of row `i` are
/// `entries[offsets[i]..offsets[i + 1]]`.
pub(crate) struct Adjacency {
    offsets: Vec<u32>,
    entries: Vec<(u32, Relation)>,
}

impl Adjacency {
    /// Build from `(row, neighbour, relation)` triples, keeping their order
    /// within each row. Triples whose row is `>= rows` are ignored.
    fn build(rows: usize, triples: impl Iterator<Item = (u32, u32, Relation)> + Clone) -> Self {
        let mut counts = vec![0u32; rows + 1];
        for (row, _, _) in triples.clone() {
            if (row as usize) < rows {
                counts[row as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let offsets = counts;
        let mut fill: Vec<u32> = offsets[..rows].to_vec();
        let mut entries = vec![(0u32, Relation::Optional); offsets[rows] as usize];
        for (row, neighbour, relation) in triples {
            if let Some(slot) = fill.get_mut(row as usize) {
                entries[*slot as usize] = (neighbour, relation);
                *slot += 1;
            }
        }
        Adjacency { offsets, entries }
    }

    /// The neighbours of `row` (empty outside the table).
    pub fn get(&self, row: usize) -> &[(u32, Relation)] {
        match (self.offsets.get(row), self.offsets.get(row + 1)) {
            (Some(&a), Some(&b)) => &self.entries[a as usize..b as usize],
            _ => &[],
        }
    }
}

#[derive(Default)]
pub(crate) struct Lookups {
    skill_uri: OnceLock<HashMap<String, u32>>,
    skill_label: OnceLock<LabelIndex>,
    any_label: OnceLock<HashMap<String, Vec<u32>>>,
    group_uri: OnceLock<HashMap<String, u32>>,
    occupation_uri: OnceLock<HashMap<String, u32>>,
    relations: OnceLock<RelationIndex>,
}

impl Clone for Lookups {
    /// A clone starts empty: the tables are cheap to rebuild, and the clone
    /// may well be changed.
    fn clone(&self) -> Self {
        Lookups::default()
    }
}

/// Map each key to the index of its first occurrence.
fn first_index<'a>(keys: impl Iterator<Item = &'a str>) -> HashMap<String, u32> {
    let mut map = HashMap::new();
    for (i, key) in keys.enumerate() {
        map.entry(key.to_owned()).or_insert(i as u32);
    }
    map
}

impl Lookups {
    pub fn skill_uri(&self, skills: &[Skill]) -> &HashMap<String, u32> {
        self.skill_uri
            .get_or_init(|| first_index(skills.iter().map(|s| &s.uri[..])))
    }

    pub fn skill_label(&self, skills: &[Skill]) -> &LabelIndex {
        self.skill_label.get_or_init(|| {
            let exact = first_index(skills.iter().map(|s| &s.preferred_label[..]));
            let mut folded = HashMap::with_capacity(skills.len());
            for (i, s) in skills.iter().enumerate() {
                folded.entry(fold(&s.preferred_label)).or_insert(i as u32);
            }
            LabelIndex { exact, folded }
        })
    }

    pub fn any_label(&self, skills: &[Skill]) -> &HashMap<String, Vec<u32>> {
        self.any_label.get_or_init(|| {
            let mut map: HashMap<String, Vec<u32>> = HashMap::new();
            for (i, s) in skills.iter().enumerate() {
                let labels = std::iter::once(&s.preferred_label).chain(&s.alt_labels);
                for label in labels {
                    let skills = map.entry(fold(label)).or_default();
                    if skills.last() != Some(&(i as u32)) {
                        skills.push(i as u32);
                    }
                }
            }
            map
        })
    }

    pub fn group_uri(&self, groups: &[SkillGroup]) -> &HashMap<String, u32> {
        self.group_uri
            .get_or_init(|| first_index(groups.iter().map(|g| &g.uri[..])))
    }

    pub fn occupation_uri(&self, occupations: &[Occupation]) -> &HashMap<String, u32> {
        self.occupation_uri
            .get_or_init(|| first_index(occupations.iter().map(|o| &o.uri[..])))
    }

    pub fn relations(&self, taxonomy: &Taxonomy) -> &RelationIndex {
        self.relations.get_or_init(|| {
            let edges = taxonomy.occupation_skills.iter();
            RelationIndex {
                by_skill: Adjacency::build(
                    taxonomy.skills.len(),
                    edges.clone().map(|e| (e.skill, e.occupation, e.relation)),
                ),
                by_occupation: Adjacency::build(
                    taxonomy.occupations.len(),
                    edges.map(|e| (e.occupation, e.skill, e.relation)),
                ),
            }
        })
    }
}
