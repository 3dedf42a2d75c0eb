//! The ESCO skills taxonomy, as skillmark uses it.
//!
//! [ESCO](https://esco.ec.europa.eu/) (European Skills, Competences,
//! Qualifications and Occupations) is the European Commission's multilingual
//! classification of ~13.9k skills and ~3k occupations. skillmark links every
//! skill mention it finds in a job post to one ESCO skill, so every other
//! crate needs the same view of the taxonomy: the skills with their URI,
//! labels, type (skill/competence or knowledge), reuse level and description;
//! where each skill sits in the skills pillar (broader skills and skill groups
//! up to the four pillar roots); and which occupations need which skills.
//! This crate is that view and nothing else.
//!
//! # Two ways in
//!
//! * **The official CSV export** (feature `csv-import`, native only):
//!   `Taxonomy::from_esco_csv` reads a folder holding the two zips ESCO
//!   publishes (`esco-v1.1.1-classification-en-csv.zip`,
//!   `esco-v1.1.1-relations-csv.zip`) or a folder with the CSV files unzipped.
//!   It is strict: a missing file, a missing column, a row with the wrong
//!   number of fields, a bad enum value, invalid UTF-8 or a relation to an
//!   unknown skill is an [`EscoError`] naming the file and the line, because
//!   a silently half-read taxonomy would skew training and evaluation. Only
//!   the training side (`skillmark-train`) uses this.
//! * **The compact binary form** ([`Taxonomy::to_bytes`] /
//!   [`Taxonomy::from_bytes`]): a small header (magic bytes, format version,
//!   payload length, checksum) followed by the taxonomy in
//!   [postcard](https://docs.rs/postcard). This is what ships in `assets/`
//!   and what the runtime, the CLI and the browser load: no CSV parser, no
//!   zip reader, no file I/O, so the crate without features builds for
//!   `wasm32-unknown-unknown`. Decoding never panics: truncated, corrupt or
//!   foreign bytes give [`EscoError::Decode`].
//!
//! # Model
//!
//! Everything is addressed by index: `skills[i]`, `groups[j]`,
//! `occupations[k]`. Skill indices follow the row order of `skills_en.csv`,
//! so they are stable for a given ESCO release and can be stored in vector
//! indices built next to the taxonomy. The hierarchy is a DAG (in ESCO 1.1.1
//! a third of the skills have several broader concepts) whose edges are
//! [`NodeRef`]s in [`Skill::broader`] and [`SkillGroup::broader`];
//! [`Taxonomy::ancestry`] walks it defensively (cycles are cut, the number of
//! paths is capped), because the binary form may come from anywhere.
//!
//! Lookups by URI or label ([`Taxonomy::skill_by_uri`],
//! [`Taxonomy::skill_by_label`], ...) and the occupation relations
//! ([`Taxonomy::occupations_of`], [`Taxonomy::skills_of`]) build hash maps or
//! adjacency lists on first use and keep them in the taxonomy (they are not
//! serialised). The fields are public for easy reading; if you *change* a
//! taxonomy after a lookup, call [`Taxonomy::invalidate_lookups`]. (The
//! lookup tables are a private field, so other crates build a taxonomy with
//! [`Taxonomy::new`] rather than a struct literal.)
//!
//! ```
//! use esco::{NodeRef, ReuseLevel, Skill, SkillGroup, SkillType, Taxonomy};
//!
//! let knowledge = SkillGroup {
//!     uri: "http://data.europa.eu/esco/skill/c46fcb45-5c14-4ffa-abed-5a43f104bb22".into(),
//!     preferred_label: "knowledge".into(),
//!     code: "K".into(),
//!     description: String::new(),
//!     broader: vec![],
//! };
//! let python = Skill {
//!     uri: "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d".into(),
//!     preferred_label: "Python (computer programming)".into(),
//!     alt_labels: vec!["Python3".into()],
//!     skill_type: SkillType::Knowledge,
//!     reuse_level: ReuseLevel::SectorSpecific,
//!     description: "The techniques and principles of software development…".into(),
//!     broader: vec![NodeRef::Group(0)],
//! };
//! let taxonomy = Taxonomy::new("ESCO v1.1.1", vec![python], vec![knowledge], vec![], vec![]);
//!
//! // What ships in assets/ and what the runtime loads:
//! let bytes = taxonomy.to_bytes()?;
//! let loaded = Taxonomy::from_bytes(&bytes)?;
//! assert_eq!(loaded, taxonomy);
//!
//! let i = loaded.skill_by_label("python (computer programming)").unwrap();
//! assert_eq!(loaded.skills[i].skill_type, SkillType::Knowledge);
//! assert_eq!(loaded.ancestry(i), vec![vec![NodeRef::Group(0)]]);
//! assert_eq!(loaded.pillar_roots(i), vec![0]);
//! assert!(Taxonomy::from_bytes(&bytes[..bytes.len() / 2]).is_err());
//! # Ok::<(), esco::EscoError>(())
//! ```
//!
//! # Attribution
//!
//! ESCO data © European Union, ESCO (European Skills, Competences,
//! Qualifications and Occupations), reused under the EC reuse policy
//! (Decision 2011/833/EU), CC BY 4.0. Attribute "ESCO, European Commission".

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binary;
mod error;
#[cfg(feature = "csv-import")]
mod import;
mod lookup;
mod occupation_part;

use serde::{Deserialize, Serialize};

pub use binary::{FORMAT_VERSION, MAGIC};
pub use error::EscoError;
#[cfg(feature = "csv-import")]
pub use import::ImportReport;
pub use occupation_part::{OccupationPart, PART_FORMAT_VERSION, PART_MAGIC};

use lookup::Lookups;

/// Upper bound on the number of paths [`Taxonomy::ancestry`] returns for one
/// skill. ESCO 1.1.1 needs at most 31; the cap only protects against
/// adversarial hierarchies whose path count grows exponentially.
pub const MAX_ANCESTRY_PATHS: usize = 4096;

/// ESCO's `skillType`: is the concept something one *does* or something one
/// *knows*?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SkillType {
    /// `skill/competence`: the ability to apply knowledge (e.g. "manage staff").
    SkillCompetence,
    /// `knowledge`: a body of facts or principles (e.g. "Python (computer programming)").
    Knowledge,
    /// Empty in the export (ESCO 1.1.1 has 6 such concepts, mostly DigComp headings).
    Unknown,
}

impl SkillType {
    /// The value as written in the ESCO CSV export (`""` for [`SkillType::Unknown`]).
    pub fn as_esco_str(self) -> &'static str {
        match self {
            SkillType::SkillCompetence => "skill/competence",
            SkillType::Knowledge => "knowledge",
            SkillType::Unknown => "",
        }
    }

    /// Parse an ESCO `skillType` value: `skill/competence`, `knowledge`, or
    /// empty (→ `Unknown`). ASCII case and surrounding whitespace are ignored;
    /// the concept URIs of the RDF export (`.../skill-type/skill`,
    /// `.../skill-type/knowledge`) are accepted too. `None` for anything else.
    pub fn from_esco_str(value: &str) -> Option<SkillType> {
        let v = value.trim();
        let v = v
            .strip_prefix("http://data.europa.eu/esco/skill-type/")
            .unwrap_or(v);
        if v.is_empty() {
            Some(SkillType::Unknown)
        } else if v.eq_ignore_ascii_case("skill/competence")
            || v.eq_ignore_ascii_case("skill")
            || v.eq_ignore_ascii_case("competence")
        {
            Some(SkillType::SkillCompetence)
        } else if v.eq_ignore_ascii_case("knowledge") {
            Some(SkillType::Knowledge)
        } else {
            None
        }
    }
}

impl std::fmt::Display for SkillType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkillType::Unknown => "unknown",
            other => other.as_esco_str(),
        })
    }
}

/// ESCO's `reuseLevel`: how widely a skill applies across jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReuseLevel {
    /// Relevant to (almost) any job ("show initiative").
    Transversal,
    /// Relevant across several sectors.
    CrossSector,
    /// Specific to one sector.
    SectorSpecific,
    /// Specific to one occupation.
    OccupationSpecific,
    /// Empty in the export (5 concepts in ESCO 1.1.1).
    Unknown,
}

impl ReuseLevel {
    /// The value as written in the ESCO CSV export (`""` for [`ReuseLevel::Unknown`]).
    pub fn as_esco_str(self) -> &'static str {
        match self {
            ReuseLevel::Transversal => "transversal",
            ReuseLevel::CrossSector => "cross-sector",
            ReuseLevel::SectorSpecific => "sector-specific",
            ReuseLevel::OccupationSpecific => "occupation-specific",
            ReuseLevel::Unknown => "",
        }
    }

    /// Parse an ESCO `reuseLevel` value (`transversal`, `cross-sector`,
    /// `sector-specific`, `occupation-specific`, or empty → `Unknown`).
    /// ASCII case, surrounding whitespace and a URI prefix
    /// (`.../skill-reuse-level/sector-specific`) are ignored. `None` for
    /// anything else.
    pub fn from_esco_str(value: &str) -> Option<ReuseLevel> {
        let v = value.trim();
        let v = v.rsplit('/').next().unwrap_or(v);
        let levels = [
            ReuseLevel::Transversal,
            ReuseLevel::CrossSector,
            ReuseLevel::SectorSpecific,
            ReuseLevel::OccupationSpecific,
            ReuseLevel::Unknown,
        ];
        levels
            .into_iter()
            .find(|l| l.as_esco_str().eq_ignore_ascii_case(v))
    }
}

impl std::fmt::Display for ReuseLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReuseLevel::Unknown => "unknown",
            other => other.as_esco_str(),
        })
    }
}

/// How strongly an occupation needs a skill (`relationType` of
/// `occupationSkillRelations.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Relation {
    /// The skill is essential for the occupation.
    Essential,
    /// The skill is optional (useful, not required).
    Optional,
}

impl Relation {
    /// The value as written in the ESCO CSV export.
    pub fn as_esco_str(self) -> &'static str {
        match self {
            Relation::Essential => "essential",
            Relation::Optional => "optional",
        }
    }

    /// Parse `essential` / `optional` (ASCII case and whitespace ignored).
    pub fn from_esco_str(value: &str) -> Option<Relation> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("essential") {
            Some(Relation::Essential)
        } else if v.eq_ignore_ascii_case("optional") {
            Some(Relation::Optional)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_esco_str())
    }
}

/// A node of the skills pillar: a skill or a skill group, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NodeRef {
    /// Index into [`Taxonomy::skills`].
    Skill(u32),
    /// Index into [`Taxonomy::groups`].
    Group(u32),
}

/// One ESCO skill (a `KnowledgeSkillCompetence` concept of `skills_en.csv`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// Concept URI, e.g. `http://data.europa.eu/esco/skill/ccd0a1d9-…`.
    pub uri: String,
    /// The preferred label (unique in ESCO 1.1.1, also case-insensitively).
    pub preferred_label: String,
    /// Alternative labels, in export order (the export keeps them
    /// newline-separated in one field; empty lines are dropped). May contain
    /// the preferred label itself.
    pub alt_labels: Vec<String>,
    /// Skill/competence or knowledge.
    pub skill_type: SkillType,
    /// Transversal … occupation-specific.
    pub reuse_level: ReuseLevel,
    /// The ESCO description (surrounding whitespace trimmed).
    pub description: String,
    /// Direct broader concepts: skill groups and/or broader skills, in the
    /// order of `broaderRelationsSkillPillar.csv`.
    pub broader: Vec<NodeRef>,
}

/// A skill group of the skills pillar (`skillGroups_en.csv`), e.g.
/// "computer programming" or the pillar root "knowledge".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillGroup {
    /// Concept URI (`…/esco/skill/<uuid>` or `…/esco/isced-f/<code>`).
    pub uri: String,
    /// The preferred label.
    pub preferred_label: String,
    /// The ESCO code, e.g. `S1.2` or `K`. ESCO leaves it empty for the
    /// ISCED-F knowledge groups; the import then uses the ISCED-F code from
    /// the URI (`…/isced-f/0613` → `0613`).
    pub code: String,
    /// The ESCO description (may be empty).
    pub description: String,
    /// Direct broader groups (empty for the four pillar roots).
    pub broader: Vec<NodeRef>,
}

/// An ESCO occupation (`occupations_en.csv`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occupation {
    /// Concept URI, e.g. `http://data.europa.eu/esco/occupation/<uuid>`.
    pub uri: String,
    /// The preferred label, e.g. "technical director".
    pub preferred_label: String,
    /// Alternative labels, in export order.
    pub alt_labels: Vec<String>,
    /// The 4-digit ISCO-08 unit group code, e.g. `2654`.
    pub isco_group: String,
    /// The ESCO description.
    pub description: String,
}

/// One edge of `occupationSkillRelations.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OccupationSkill {
    /// Index into [`Taxonomy::occupations`].
    pub occupation: u32,
    /// Index into [`Taxonomy::skills`].
    pub skill: u32,
    /// Essential or optional.
    pub relation: Relation,
}

/// The whole taxonomy: skills, skill groups, occupations and their relations.
///
/// Build it with `Taxonomy::from_esco_csv` (feature `csv-import`),
/// [`Taxonomy::from_bytes`] or [`Taxonomy::new`]. Equality compares the data
/// only, never the lazily built lookups.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Taxonomy {
    /// E.g. `ESCO v1.1.1`.
    pub version: String,
    /// All skills, in the row order of `skills_en.csv`.
    pub skills: Vec<Skill>,
    /// All skill groups, in the row order of `skillGroups_en.csv` (groups
    /// only named in `skillsHierarchy_en.csv` follow at the end).
    pub groups: Vec<SkillGroup>,
    /// All occupations, in the row order of `occupations_en.csv`.
    pub occupations: Vec<Occupation>,
    /// Occupation→skill edges, in the row order of `occupationSkillRelations.csv`.
    pub occupation_skills: Vec<OccupationSkill>,
    #[serde(skip)]
    lookups: Lookups,
}

impl PartialEq for Taxonomy {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.skills == other.skills
            && self.groups == other.groups
            && self.occupations == other.occupations
            && self.occupation_skills == other.occupation_skills
    }
}

impl Eq for Taxonomy {}

impl std::fmt::Debug for Taxonomy {
    /// A summary (version and counts); the full data would be megabytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Taxonomy")
            .field("version", &self.version)
            .field("skills", &self.skills.len())
            .field("groups", &self.groups.len())
            .field("occupations", &self.occupations.len())
            .field("occupation_skills", &self.occupation_skills.len())
            .finish_non_exhaustive()
    }
}

impl Taxonomy {
    /// Assemble a taxonomy from its parts (for tests and tools; the CSV import
    /// and [`Taxonomy::from_bytes`] are the usual ways). No validation: call
    /// [`Taxonomy::validate`] if the parts come from outside.
    pub fn new(
        version: impl Into<String>,
        skills: Vec<Skill>,
        groups: Vec<SkillGroup>,
        occupations: Vec<Occupation>,
        occupation_skills: Vec<OccupationSkill>,
    ) -> Taxonomy {
        Taxonomy {
            version: version.into(),
            skills,
            groups,
            occupations,
            occupation_skills,
            lookups: Lookups::default(),
        }
    }

    /// Drops the lazily built lookup tables (after the data changed).
    pub(crate) fn reset_lookups(&mut self) {
        self.lookups = Lookups::default();
    }

    /// Read the official ESCO CSV export.
    ///
    /// `path` is a folder holding the two zips of the export
    /// (`esco-v1.1.1-classification-en-csv.zip` and
    /// `esco-v1.1.1-relations-csv.zip`; any `*.zip` in the folder is
    /// searched), or a folder holding the CSV files themselves, or one zip
    /// file. A CSV lying loose in the folder wins over one inside a zip.
    ///
    /// Files read: `skills_en.csv`, `skillGroups_en.csv`,
    /// `broaderRelationsSkillPillar.csv`, `occupations_en.csv`,
    /// `occupationSkillRelations.csv` (all required) and
    /// `skillsHierarchy_en.csv` (optional: it names 7 skill groups that
    /// ESCO 1.1.1 omits from `skillGroups_en.csv`).
    ///
    /// The version is taken from the zip names (`ESCO v1.1.1`), else `ESCO`.
    /// See [`Taxonomy::import_esco_csv`] for what the import tolerates and
    /// reports.
    #[cfg(feature = "csv-import")]
    pub fn from_esco_csv(path: &std::path::Path) -> Result<Taxonomy, EscoError> {
        Ok(Taxonomy::import_esco_csv(path)?.0)
    }

    /// Like [`Taxonomy::from_esco_csv`], and also says what the import
    /// tolerated (see [`ImportReport`]): empty skill types and reuse levels,
    /// relations to occupations missing from `occupations_en.csv` (dropped:
    /// ESCO 1.1.1 has 67 such rows, all to one occupation), skill groups
    /// taken from `skillsHierarchy_en.csv`, group codes derived from ISCED-F
    /// URIs.
    #[cfg(feature = "csv-import")]
    pub fn import_esco_csv(path: &std::path::Path) -> Result<(Taxonomy, ImportReport), EscoError> {
        import::import(path)
    }

    /// Check the invariants every query relies on: every [`NodeRef`] and
    /// every [`OccupationSkill`] points inside the taxonomy. Counts must fit
    /// in `u32`. [`Taxonomy::from_bytes`] runs this on everything it decodes.
    pub fn validate(&self) -> Result<(), EscoError> {
        let max = u32::MAX as usize;
        if self.skills.len() > max || self.groups.len() > max || self.occupations.len() > max {
            return Err(EscoError::Invalid("more than u32::MAX entries".into()));
        }
        let check = |owner: &str, node: &NodeRef| -> Result<(), EscoError> {
            let ok = match *node {
                NodeRef::Skill(i) => (i as usize) < self.skills.len(),
                NodeRef::Group(i) => (i as usize) < self.groups.len(),
            };
            if ok {
                Ok(())
            } else {
                Err(EscoError::Invalid(format!(
                    "{owner} has a broader reference {node:?} outside the taxonomy ({} skills, {} groups)",
                    self.skills.len(),
                    self.groups.len()
                )))
            }
        };
        for (i, s) in self.skills.iter().enumerate() {
            for b in &s.broader {
                check(&format!("skill {i}"), b)?;
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            for b in &g.broader {
                check(&format!("group {i}"), b)?;
            }
        }
        for (n, r) in self.occupation_skills.iter().enumerate() {
            if r.occupation as usize >= self.occupations.len()
                || r.skill as usize >= self.skills.len()
            {
                return Err(EscoError::Invalid(format!(
                    "occupation-skill relation {n} ({} → {}) points outside the taxonomy ({} occupations, {} skills)",
                    r.occupation,
                    r.skill,
                    self.occupations.len(),
                    self.skills.len()
                )));
            }
        }
        Ok(())
    }

    /// Drop the lookup tables built by the queries. Call this after changing
    /// the public fields of a taxonomy that has already answered a lookup;
    /// the tables are rebuilt on the next query.
    pub fn invalidate_lookups(&mut self) {
        self.lookups = Lookups::default();
    }

    /// The index of the skill with this concept URI.
    pub fn skill_by_uri(&self, uri: &str) -> Option<usize> {
        let i = *self.lookups.skill_uri(&self.skills).get(uri)? as usize;
        (self.skills.get(i)?.uri == uri).then_some(i)
    }

    /// The index of the skill with this preferred label: an exact match
    /// first, else a case-insensitive match (Unicode lowercase, surrounding
    /// whitespace ignored; the first skill in file order wins if several
    /// match). Alternative labels are not searched; see
    /// [`Taxonomy::skills_with_label`].
    pub fn skill_by_label(&self, preferred_label: &str) -> Option<usize> {
        let labels = self.lookups.skill_label(&self.skills);
        if let Some(&i) = labels.exact.get(preferred_label) {
            return Some(i as usize);
        }
        labels
            .folded
            .get(&fold(preferred_label))
            .map(|&i| i as usize)
    }

    /// All skills that have `label` as preferred *or* alternative label,
    /// compared case-insensitively (Unicode lowercase, surrounding whitespace
    /// ignored), in skill order without duplicates.
    pub fn skills_with_label(&self, label: &str) -> Vec<usize> {
        self.lookups
            .any_label(&self.skills)
            .get(&fold(label))
            .map(|v| v.iter().map(|&i| i as usize).collect())
            .unwrap_or_default()
    }

    /// The index of the skill group with this concept URI.
    pub fn group_by_uri(&self, uri: &str) -> Option<usize> {
        let i = *self.lookups.group_uri(&self.groups).get(uri)? as usize;
        (self.groups.get(i)?.uri == uri).then_some(i)
    }

    /// The index of the occupation with this concept URI.
    pub fn occupation_by_uri(&self, uri: &str) -> Option<usize> {
        let i = *self.lookups.occupation_uri(&self.occupations).get(uri)? as usize;
        (self.occupations.get(i)?.uri == uri).then_some(i)
    }

    /// The direct broader nodes of a node (empty for roots and for indices
    /// outside the taxonomy).
    pub fn broader_of(&self, node: NodeRef) -> &[NodeRef] {
        match node {
            NodeRef::Skill(i) => self.skills.get(i as usize).map(|s| &s.broader[..]),
            NodeRef::Group(i) => self.groups.get(i as usize).map(|g| &g.broader[..]),
        }
        .unwrap_or(&[])
    }

    /// The preferred label of a node (`None` outside the taxonomy).
    pub fn node_label(&self, node: NodeRef) -> Option<&str> {
        match node {
            NodeRef::Skill(i) => self.skills.get(i as usize).map(|s| &s.preferred_label[..]),
            NodeRef::Group(i) => self.groups.get(i as usize).map(|g| &g.preferred_label[..]),
        }
    }

    /// The concept URI of a node (`None` outside the taxonomy).
    pub fn node_uri(&self, node: NodeRef) -> Option<&str> {
        match node {
            NodeRef::Skill(i) => self.skills.get(i as usize).map(|s| &s.uri[..]),
            NodeRef::Group(i) => self.groups.get(i as usize).map(|g| &g.uri[..]),
        }
    }

    /// Every path from one of the skill's direct broader nodes up to a root
    /// of the hierarchy. Each path starts with a direct broader node of the
    /// skill (the skill itself is not included) and ends with the root: a
    /// node without broader nodes, in ESCO one of the four pillar roots
    /// ("skills", "knowledge", "transversal skills and competences",
    /// "language skills and knowledge").
    ///
    /// Paths come in depth-first order following the order of the `broader`
    /// lists. Cycle-safe: a path never visits a node twice, and a branch that
    /// can only continue through a node already on the path is dropped (so a
    /// skill whose every branch is a cycle has no ancestry). At most
    /// [`MAX_ANCESTRY_PATHS`] paths are returned. A skill index outside the
    /// taxonomy gives an empty list.
    pub fn ancestry(&self, skill: usize) -> Vec<Vec<NodeRef>> {
        let mut out = Vec::new();
        let Ok(start_index) = u32::try_from(skill) else {
            return out;
        };
        if skill >= self.skills.len() {
            return out;
        }
        let start = NodeRef::Skill(start_index);
        // Iterative DFS: a stack of (node, index of the next broader node to
        // try); the current path is stack[1..].
        let mut stack: Vec<(NodeRef, usize)> = vec![(start, 0)];
        while let Some(&(node, next)) = stack.last() {
            let broader = self.broader_of(node);
            if node != start && broader.is_empty() {
                out.push(stack[1..].iter().map(|&(n, _)| n).collect());
                if out.len() >= MAX_ANCESTRY_PATHS {
                    break;
                }
                stack.pop();
                continue;
            }
            let Some(&parent) = broader.get(next) else {
                stack.pop();
                continue;
            };
            let top = stack.len() - 1;
            stack[top].1 += 1;
            let valid = match parent {
                NodeRef::Skill(i) => (i as usize) < self.skills.len(),
                NodeRef::Group(i) => (i as usize) < self.groups.len(),
            };
            if valid && !stack.iter().any(|&(n, _)| n == parent) {
                stack.push((parent, 0));
            }
        }
        out
    }

    /// The groups at the top of the skill's ancestry paths (in ESCO: the
    /// pillar roots, e.g. "knowledge" for "Python (computer programming)"),
    /// as group indices, without duplicates, in order of first appearance.
    pub fn pillar_roots(&self, skill: usize) -> Vec<usize> {
        let mut roots = Vec::new();
        for path in self.ancestry(skill) {
            if let Some(&NodeRef::Group(g)) = path.last() {
                if !roots.contains(&(g as usize)) {
                    roots.push(g as usize);
                }
            }
        }
        roots
    }

    /// The occupations related to a skill, with the relation type, in the
    /// row order of `occupationSkillRelations.csv`.
    pub fn occupations_of(&self, skill: usize) -> Vec<(usize, Relation)> {
        self.lookups
            .relations(self)
            .by_skill
            .get(skill)
            .iter()
            .map(|&(o, r)| (o as usize, r))
            .collect()
    }

    /// The skills related to an occupation, with the relation type, in the
    /// row order of `occupationSkillRelations.csv`.
    pub fn skills_of(&self, occupation: usize) -> Vec<(usize, Relation)> {
        self.lookups
            .relations(self)
            .by_occupation
            .get(occupation)
            .iter()
            .map(|&(s, r)| (s as usize, r))
            .collect()
    }
}

/// Case folding used by the label lookups: trimmed, Unicode lowercase.
fn fold(label: &str) -> String {
    label.trim().to_lowercase()
}

#[cfg(test)]
mod tests;
