//! Compare: a job post and a résumé — how well the résumé covers the post's
//! skills, experience, title and education, and the evidence for each.

use serde::{Deserialize, Serialize};

use crate::highlight::{Category, Highlights};
use crate::occupations::OccupationSuggestion;

/// Options of a compare request. Absent fields take the defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct CompareOptions {
    /// Two different skills count as a match when the cosine of their
    /// vectors reaches this (`MatchKind::Similar`).
    pub similar_min: f32,
    /// Rank the post's ESCO occupations and mark its skills essential or
    /// optional for the best one (needs a bundle with occupations; without
    /// them every skill is `unlisted`).
    pub occupations: bool,
    /// Occupations listed in the result.
    pub top_occupations: usize,
    /// The year "present" / "now" stands for in date ranges; `None`: the
    /// latest year either text names.
    pub current_year: Option<u16>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            similar_min: 0.8,
            occupations: true,
            top_occupations: 5,
            current_year: None,
        }
    }
}

/// How a résumé skill matches a job skill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The same ESCO skill.
    Same,
    /// A narrower (more specific) skill in the ESCO hierarchy: the résumé
    /// shows a form of what the post asks.
    Narrower,
    /// A broader skill in the ESCO hierarchy: the résumé shows the field,
    /// not the specific skill.
    Broader,
    /// Another skill whose vector is close (cosine ≥ `similarMin`).
    Similar,
}

/// What the post's ESCO occupation says of a skill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    Essential,
    Optional,
    /// Not a skill of the occupation, or no occupation was ranked.
    Unlisted,
}

/// An education level, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Degree {
    HighSchool,
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

/// A piece of one of the two texts, with every offset form (as in
/// `HighlightSpan`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
    pub start_char: usize,
    pub end_char: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub text: String,
}

/// An ESCO skill named in a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SkillRef {
    pub uri: String,
    pub label: String,
    pub category: Category,
}

/// The résumé's skill that covers a job skill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SkillMatch {
    pub kind: MatchKind,
    /// The résumé's skill (the job skill itself when `kind` is `same`).
    pub skill: SkillRef,
    /// In [0, 1]: how much of the job skill it covers (same and narrower 1,
    /// broader 0.6, similar the cosine).
    pub closeness: f32,
    /// Indices into `resume.spans` that show it.
    pub resume_spans: Vec<usize>,
}

/// One skill of the post, matched or missing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobSkill {
    pub skill: SkillRef,
    pub requirement: Requirement,
    /// Only implied by the post's sentences (no span names it).
    pub implicit: bool,
    /// Its weight in the skills score.
    pub weight: f32,
    /// Indices into `job.spans` that ask for it.
    pub job_spans: Vec<usize>,
    /// `None`: missing from the résumé.
    pub matched: Option<SkillMatch>,
}

/// A skill of the résumé the post does not ask for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ExtraSkill {
    pub skill: SkillRef,
    pub implicit: bool,
    pub resume_spans: Vec<usize>,
}

/// One "N years" the post asks for, and what the résumé shows for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct YearsRequirement {
    pub years: f32,
    /// The sentence that asks.
    pub job: TextRange,
    /// Years the résumé shows for it: the matching role's, or all roles'
    /// when no role matches the sentence.
    pub resume_years: f32,
    /// The résumé's role it was matched with (`None`: all roles counted).
    pub resume: Option<TextRange>,
}

/// Experience in years: what the post asks, what the résumé shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ExperienceEvidence {
    pub required: Vec<YearsRequirement>,
    /// All the résumé's dated roles together (overlaps counted once).
    pub resume_years: f32,
    /// The résumé's dated roles.
    pub roles: Vec<TextRange>,
}

/// The post's title against the résumé's roles.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TitleEvidence {
    pub job: Option<TextRange>,
    /// The résumé's closest role or title line.
    pub resume: Option<TextRange>,
    /// Cosine of the two.
    pub similarity: f32,
}

/// Degrees: the lowest the post names, the highest the résumé names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct EducationEvidence {
    pub required: Option<Degree>,
    pub job: Option<TextRange>,
    pub resume_degree: Option<Degree>,
    pub resume: Option<TextRange>,
}

/// The parts of the score, each in [0, 1]; `None` where the texts say
/// nothing of it (it then does not count).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ScoreParts {
    pub skills: Option<f32>,
    pub experience: Option<f32>,
    pub title: Option<f32>,
    pub education: Option<f32>,
}

/// A job post compared with a résumé (docs/COMPARE.md says how the score is
/// made).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// In [0, 1]: the weighted mean of the parts present.
    pub score: f32,
    pub parts: ScoreParts,
    /// The post's skills, the most important first; each matched or missing.
    pub skills: Vec<JobSkill>,
    pub extra: Vec<ExtraSkill>,
    /// The post's likely ESCO occupations (empty without occupations).
    pub occupations: Vec<OccupationSuggestion>,
    pub experience: ExperienceEvidence,
    pub title: TitleEvidence,
    pub education: EducationEvidence,
    /// The two texts' highlights, which the span indices refer to.
    pub job: Highlights,
    pub resume: Highlights,
}
