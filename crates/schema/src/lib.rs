//! The wire schema of skillmark: the options a caller passes and the results
//! the engine returns, defined once.
//!
//! Every surface speaks exactly these types: the CLI's JSON lines, the wasm
//! binding's JavaScript objects, the web app (which deserializes them instead
//! of mirroring them), and the extension and Python package that build on
//! them. Field names are camelCase on the wire; enums are lowercase strings.
//! With the feature `ts`, each type also derives its TypeScript declaration
//! (`web/schema/skillmark.d.ts`, checked by `tests/typescript.rs`).
//!
//! This crate holds data only: no engine code, no dependencies but serde, so
//! the web app's build stays small.

mod compare;
mod highlight;
mod occupations;
mod worker;

pub use compare::{
    CompareOptions, Comparison, Degree, EducationEvidence, ExperienceEvidence, ExtraSkill,
    JobSkill, MatchKind, Requirement, ScoreParts, SkillMatch, SkillRef, TextRange, TitleEvidence,
    YearsRequirement,
};
pub use highlight::{
    Category, DocumentSkill, HighlightOptions, HighlightSpan, Highlights, LinkMode, ParseError,
    RankedSkill, RankedText, Segment, SkillLink, SpanKind, TaggedText,
};
pub use occupations::{
    OccupationOptions, OccupationSkillRef, OccupationSuggestion, OccupationsOfText,
};
pub use worker::{Attribution, Defaults, FromWorker};
