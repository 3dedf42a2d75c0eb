//! Occupations: the ESCO occupations a text (a job post, a résumé, a job
//! title) most likely describes, each with the skills behind it.

use serde::{Deserialize, Serialize};

/// Options of an occupations request. Absent fields take the defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct OccupationOptions {
    /// Suggestions returned, best first.
    pub top_k: usize,
    /// The text is a job title, not a document: its own vector and the
    /// skills it implies decide (no highlighting).
    pub title: bool,
    /// Skills listed per suggestion in `supporting` and `missingEssential`.
    pub max_skills: usize,
}

impl Default for OccupationOptions {
    fn default() -> Self {
        OccupationOptions {
            top_k: 10,
            title: false,
            max_skills: 10,
        }
    }
}

/// A skill named in an occupation suggestion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OccupationSkillRef {
    pub uri: String,
    pub label: String,
    /// Essential to the occupation in ESCO (else optional).
    pub essential: bool,
}

/// One ESCO occupation for a text, with what supports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OccupationSuggestion {
    pub uri: String,
    pub label: String,
    /// The ISCO-08 unit group, e.g. "2512".
    pub isco_group: String,
    /// In [0, 1]; comparable between the suggestions of one text.
    pub score: f32,
    /// The text's skills that the occupation requires (essential or
    /// optional), the strongest first.
    pub supporting: Vec<OccupationSkillRef>,
    /// The occupation's essential skills the text does not show, the most
    /// specific to it first.
    pub missing_essential: Vec<OccupationSkillRef>,
}

/// One text and its occupations, as `skillmark occupations` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OccupationsOfText {
    pub text: String,
    pub occupations: Vec<OccupationSuggestion>,
}
