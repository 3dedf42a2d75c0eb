//! Quality filter for generated sentences.
//!
//! Text rules first (cheap): length, meta talk ("Here are…"), list-like or
//! code-like text, non-English, duplicates. Then the skill rule: a sentence is
//! kept when it *mentions* the skill (its preferred or an alternative label
//! appears in it) or *clearly implies* it — the shipped encoder ranks the skill
//! within the top `max_rank` of all ESCO skills for the sentence **and** their
//! cosine is at least `min_cosine`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FilterConfig {
    pub min_words: usize,
    pub max_words: usize,
    pub max_chars: usize,
    /// Skill rank (1 = best) over all ESCO skills must be at most this…
    pub max_rank: usize,
    /// …and the cosine with the skill at least this, unless a label is mentioned.
    pub min_cosine: f32,
}

impl Default for FilterConfig {
    fn default() -> Self {
        FilterConfig {
            min_words: 6,
            max_words: 45,
            max_chars: 320,
            max_rank: 50,
            min_cosine: 0.35,
        }
    }
}

/// Why a sentence was dropped (recorded per skill to report keep rates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reject {
    TooShort,
    TooLong,
    Meta,
    ListLike,
    CodeLike,
    NotEnglish,
    Duplicate,
    CopiedExample,
    OffSkill,
    /// A template slot left in the text ("[Company Name]").
    Placeholder,
}

impl Reject {
    pub fn name(self) -> &'static str {
        match self {
            Reject::TooShort => "too_short",
            Reject::TooLong => "too_long",
            Reject::Meta => "meta",
            Reject::ListLike => "list_like",
            Reject::CodeLike => "code_like",
            Reject::NotEnglish => "not_english",
            Reject::Duplicate => "duplicate",
            Reject::CopiedExample => "copied_example",
            Reject::OffSkill => "off_skill",
            Reject::Placeholder => "placeholder",
        }
    }
}

const META_STARTS: [&str; 12] = [
    "here are",
    "here is",
    "sure",
    "certainly",
    "of course",
    "note:",
    "these sentences",
    "the following",
    "i hope",
    "as an ai",
    "below are",
    "feel free",
];
const META_PHRASES: [&str; 5] = [
    "job advertisement sentence",
    "esco skill",
    "the skill in your own words",
    "sentences that",
    "numbered 1",
];
const ENGLISH_WORDS: [&str; 16] = [
    "the", "and", "to", "of", "in", "with", "for", "a", "an", "you", "our", "will", "be", "on",
    "your", "is",
];

/// The text rules (everything but duplicates and the skill rule).
pub fn text_rules(sentence: &str, cfg: &FilterConfig) -> Result<(), Reject> {
    let lower = sentence.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if starts_meta(&lower) || META_PHRASES.iter().any(|m| lower.contains(m)) {
        return Err(Reject::Meta);
    }
    if sentence.chars().count() > cfg.max_chars || words.len() > cfg.max_words {
        return Err(Reject::TooLong);
    }
    if words.len() < cfg.min_words {
        return Err(Reject::TooShort);
    }
    if sentence.contains(['`', '{', '}', '<', '>', '|', '#', '=', '\\'])
        || lower.contains("http")
        || lower.contains("()")
    {
        return Err(Reject::CodeLike);
    }
    if !looks_english(sentence) {
        return Err(Reject::NotEnglish);
    }
    if sentence.trim_end().ends_with(':')
        || sentence.matches(',').count() > 6
        || sentence.matches(';').count() > 2
    {
        return Err(Reject::ListLike);
    }
    Ok(())
}

/// Latin letters (≥ 95 % ASCII) and at least one common English word.
pub fn looks_english(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let ascii = letters.iter().filter(|c| c.is_ascii()).count();
    !letters.is_empty()
        && ascii as f64 >= 0.95 * letters.len() as f64
        && text.split_whitespace().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase();
            ENGLISH_WORDS.contains(&w.as_str())
        })
}

/// Starts like talk about the answer rather than the answer ("Here are…").
pub fn is_meta(text: &str) -> bool {
    starts_meta(&text.to_lowercase())
}

fn starts_meta(lower: &str) -> bool {
    META_STARTS.iter().any(|m| lower.starts_with(m))
}

/// Lower-cased words joined by one space: the key for duplicate detection.
pub fn dedup_key(sentence: &str) -> String {
    sentence
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Jaccard overlap of the word sets of two sentences.
pub fn word_jaccard(a: &str, b: &str) -> f64 {
    let a: HashSet<String> = dedup_key(a).split(' ').map(str::to_string).collect();
    let b: HashSet<String> = dedup_key(b).split(' ').map(str::to_string).collect();
    let inter = a.intersection(&b).count();
    let union = a.union(&b).count();
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Is the sentence (nearly) a copy of one of the prompt's worked examples?
pub fn copies_example<'a>(sentence: &str, examples: impl IntoIterator<Item = &'a str>) -> bool {
    examples
        .into_iter()
        .any(|e| word_jaccard(sentence, e) >= 0.5)
}

/// Does the sentence contain one of the skill's labels (as whole words,
/// ignoring case and punctuation)?
pub fn mentions_label<'a>(sentence: &str, labels: impl IntoIterator<Item = &'a str>) -> bool {
    let text = format!(" {} ", dedup_key(sentence));
    labels.into_iter().any(|l| {
        let key = dedup_key(l);
        !key.is_empty() && text.contains(&format!(" {key} "))
    })
}

/// The skill rule given the encoder's judgement.
pub fn skill_rule(mentioned: bool, rank: usize, cosine: f32, cfg: &FilterConfig) -> bool {
    mentioned || (rank <= cfg.max_rank && cosine >= cfg.min_cosine)
}

/// Duplicate detection across the whole output file.
#[derive(Default)]
pub struct Seen(HashSet<String>);

impl Seen {
    /// True when new (and remembers it).
    pub fn insert(&mut self, sentence: &str) -> bool {
        self.0.insert(dedup_key(sentence))
    }
    pub fn contains(&self, sentence: &str) -> bool {
        self.0.contains(&dedup_key(sentence))
    }
}
