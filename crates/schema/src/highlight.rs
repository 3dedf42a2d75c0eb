//! Highlight and rank: options in, spans, links and the document's skills out.

use serde::{Deserialize, Serialize};

/// A name that is not one of an enum's wire names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub what: &'static str,
    pub got: String,
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown {} {:?} (expected one of: {})",
            self.what,
            self.got,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for ParseError {}

/// Wire names as `FromStr`/`Display`/`name()`, one table per enum.
macro_rules! wire_names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            const NAMES: &'static [&'static str] = &[$($name),+];

            /// The wire name (as serde writes it).
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(ParseError { what: $what, got: s.to_string(), expected: $ty::NAMES }),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// The four skill categories (Technology, Technical, Business, Soft),
/// derived from the ESCO hierarchy (docs/CATEGORIES.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Technology,
    Technical,
    Business,
    Soft,
}

wire_names!(Category, "category", {
    Technology => "technology",
    Technical => "technical",
    Business => "business",
    Soft => "soft",
});

impl Category {
    /// The name people read ("Soft skills").
    pub fn title(self) -> &'static str {
        match self {
            Category::Technology => "Technology",
            Category::Technical => "Technical",
            Category::Business => "Business",
            Category::Soft => "Soft skills",
        }
    }
}

/// How a span is turned into the vector that is ranked against the skill index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    /// The span's text embedded on its own.
    Text,
    /// The mean of the span's token states in its sentence (same encoder pass).
    Context,
    /// `text_weight · text + (1 − text_weight) · context`, then normalised.
    Both,
}

wire_names!(LinkMode, "link mode", {
    Text => "text",
    Context => "context",
    Both => "both",
});

/// What a highlight is: a Skill or Knowledge span the tagger found, or a
/// sentence whose skills no span names (implicit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    Skill,
    Knowledge,
    Implicit,
}

wire_names!(SpanKind, "span kind", {
    Skill => "skill",
    Knowledge => "knowledge",
    Implicit => "implicit",
});

/// Options of a highlight request. Absent fields on the wire take the
/// defaults below; an engine's own defaults (its bundle's thresholds) come
/// from `Engine::default_options`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct HighlightOptions {
    /// Links scoring below this are dropped.
    pub min_score: f32,
    /// Links per span, the linked skill and its runner-ups.
    pub top_k: usize,
    /// Also report skills of a segment that no span names.
    pub implicit: bool,
    /// Threshold for implicit skills (sentence-level scores run higher than span scores).
    pub implicit_min_score: f32,
    /// What stands for a span when it is linked.
    pub link: LinkMode,
    /// Weight of the span text's vector in [`LinkMode::Both`]; the in-context
    /// vector gets `1 - text_weight`.
    pub text_weight: f32,
    /// Raises the score of every skill a span (for implicit skills: the
    /// segment) names by an ESCO label by this share of its distance to 1
    /// (`s + b·(1 − s)`: scores stay in [0, 1]); `None` takes the bundle's
    /// `ranking.lexical_bonus` (0 = dense scores only).
    pub lexical_bonus: Option<f32>,
    /// Also mark words that spell an ESCO label verbatim ("Python", "SQL",
    /// "project management") where the tagger found no span, linked to that
    /// skill (`HighlightSpan::label_match`).
    pub lexical_spans: bool,
}

// Defaults measured on validation sets only (chosen on them; not test
// results); docs/BENCHMARKS.md, "Span linking and highlighter thresholds"
// and "What users see":
// - gold spans (`skillmark eval links`, 237 spans, bonus 0.2): RP@5 / MRR
//   both (w 0.5) 82.14 / 73.10, context 82.35 / 69.73, text 81.33 / 72.39.
//   Context is as good within noise and needs no second encoder pass over
//   the span texts (23-31% of a highlight's time in the browser);
// - the whole highlighter (`skillmark eval highlight` on TECH, HOUSE and
//   Skill-XL validation, 2,459 sentences, the mean of the three F1s): label
//   spans on, `min_score: 0.55`, `implicit_min_score: 0.8` — 50.82 / 45.13 /
//   18.28 F1, against 45.96 / 44.14 / 17.84 without label spans at 0.55 /
//   0.65; the web bundle is within noise of its own best there.
// Re-measure after retraining the encoder or the tagger. A bundle can
// override the thresholds in its manifest (`highlight.min_score`,
// `highlight.implicit_min_score`).
impl Default for HighlightOptions {
    fn default() -> Self {
        HighlightOptions {
            min_score: 0.55,
            top_k: 5,
            implicit: true,
            implicit_min_score: 0.8,
            link: LinkMode::Context,
            text_weight: 0.5,
            lexical_bonus: None,
            lexical_spans: true,
        }
    }
}

/// A byte range of a text (`start..end`), as the engine splits it into
/// sentences or a caller passes it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    pub start: usize,
    pub end: usize,
}

/// One ESCO skill a span is linked to, with its score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SkillLink {
    pub uri: String,
    pub label: String,
    /// In [0, 1]: the cosine of the span's vector and the skill's (0 when
    /// negative), raised by the lexical bonus where the text names the skill.
    pub score: f32,
    pub category: Category,
}

/// One highlight: where it is (bytes, chars and UTF-16 code units, so Rust,
/// Python and JavaScript can each slice the text), what it is, and its links
/// (best first; empty when no skill scored above the threshold).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HighlightSpan {
    pub start: usize,
    pub end: usize,
    pub start_char: usize,
    pub end_char: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub text: String,
    pub kind: SpanKind,
    pub confidence: f32,
    /// The span spells an ESCO label word for word and its first link is
    /// that skill, listed whatever its score.
    #[serde(default)]
    pub label_match: bool,
    pub links: Vec<SkillLink>,
}

impl HighlightSpan {
    /// The linked ESCO skill (best link), if any.
    pub fn skill(&self) -> Option<&SkillLink> {
        self.links.first()
    }
}

/// One skill of a document: the ESCO skill, how often and how strongly the
/// text expresses it, and whether only implicitly (no span names it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DocumentSkill {
    pub uri: String,
    pub label: String,
    pub description: String,
    pub category: Category,
    /// ESCO's skill type ("skill/competence", "knowledge", …).
    pub skill_type: String,
    pub count: usize,
    pub best_score: f32,
    pub implicit: bool,
}

/// The result of a highlight request: spans in text order, the document's
/// skills (explicit first, then by count and score), and how many segments
/// were read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Highlights {
    pub spans: Vec<HighlightSpan>,
    pub skills: Vec<DocumentSkill>,
    pub segments: usize,
}

/// One ESCO skill in a ranking of a whole text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RankedSkill {
    pub uri: String,
    pub label: String,
    pub score: f32,
}

/// One text and its highlights, as `skillmark tag` writes it (a JSON line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaggedText {
    /// The text the offsets refer to (for HTML input: the text extracted from it).
    pub text: String,
    /// Whether the input was read as HTML.
    pub html: bool,
    #[serde(flatten)]
    pub highlights: Highlights,
}

/// One text and its closest ESCO skills, as `skillmark rank` writes it (a JSON line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RankedText {
    pub text: String,
    pub skills: Vec<RankedSkill>,
}
