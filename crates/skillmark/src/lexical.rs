//! Exact mentions of ESCO labels in text, for two uses served by one
//! table of the labels (built once per engine):
//!
//! - **the ranking's lexical bonus** ([`LexicalMatcher::mentions`],
//!   [`LexicalMatcher::boost`]): every preferred or alternative label of 3+
//!   characters found verbatim (case-insensitive, not inside a longer word),
//!   leftmost-longest. An exact mention is strong evidence the bi-encoder
//!   alone sometimes under-weights, especially for tools and technologies
//!   ("PostgreSQL", "Kubernetes");
//! - **spans when the bundle has no tagger** ([`LexicalMatcher::find_spans`]):
//!   runs of 1–6 words (as [`crate::segments::words`] splits them) that spell a
//!   label word for word, whatever separates the words, longest first, left
//!   to right.
//!
//! One hash table holds each label in two spellings: lower-cased as written
//! (mentions) and as its lower-cased words joined by single spaces (spans);
//! where they coincide — most labels — it is one entry. A hash table rather
//! than an Aho-Corasick automaton because matches must start and end on word
//! boundaries anyway, so only a few lengths are tried at each word start,
//! and because building an automaton over 100k labels peaked at ~140 MB —
//! which a wasm worker keeps for good, as its memory never shrinks.

use std::collections::HashMap;

use crate::segments::words;

/// Labels shorter than this (in chars) are too ambiguous to match as
/// mentions ("C", "R", "Go").
const MIN_LABEL_CHARS: usize = 3;
/// Labels longer than this many words are not span candidates (ESCO's long
/// labels are descriptions, not mentions).
const MAX_LABEL_WORDS: usize = 6;

/// One label mention: byte range in the text and the skills with that label.
#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub skills: Vec<u32>,
    /// Whether the mention is a preferred label of (one of) its skills.
    pub preferred: bool,
}

/// What one pattern stands for.
#[derive(Default)]
struct Target {
    /// As a written label: its skills, and whether it is a preferred label of one.
    mention: Option<(Vec<u32>, bool)>,
    /// As a label's words: the skill whose preferred label it is, else the
    /// first skill (taxonomy order) with it as an alternative label.
    span: Option<u32>,
    span_preferred: bool,
    /// A one-word label that is also an everyday word or a short acronym
    /// ("Access", "LESS", "IT") is a span only when written exactly so.
    span_spelling: Option<Box<str>>,
}

pub struct LexicalMatcher {
    /// Pattern → index into `targets`.
    patterns: HashMap<Box<str>, u32>,
    targets: Vec<Target>,
    /// Per first byte: the byte lengths of the mention patterns that start
    /// with it, longest first.
    mention_lengths: Vec<Vec<u16>>,
}

/// `text`'s words `ranges` lower-cased and joined by single spaces, with the
/// start and end of each word in the joined string.
fn word_key(text: &str, ranges: &[(usize, usize)]) -> (String, Vec<usize>, Vec<usize>) {
    let mut k = String::new();
    let mut starts = Vec::with_capacity(ranges.len());
    let mut ends = Vec::with_capacity(ranges.len());
    for (i, &(s, e)) in ranges.iter().enumerate() {
        if i > 0 {
            k.push(' ');
        }
        starts.push(k.len());
        k.push_str(&text[s..e].to_lowercase());
        ends.push(k.len());
    }
    (k, starts, ends)
}

impl LexicalMatcher {
    pub fn new(taxonomy: &esco::Taxonomy) -> Self {
        let everyday = everyday_words(taxonomy);
        let mut by_pattern: HashMap<String, Target> = HashMap::new();
        for (i, s) in taxonomy.skills.iter().enumerate() {
            let i = i as u32;
            let labels = std::iter::once((&s.preferred_label, true))
                .chain(s.alt_labels.iter().map(|a| (a, false)));
            for (label, preferred) in labels {
                let written = label.trim().to_lowercase();
                if written.chars().count() >= MIN_LABEL_CHARS {
                    let t = by_pattern.entry(written).or_default();
                    let (skills, pref) = t.mention.get_or_insert_with(Default::default);
                    if !skills.contains(&i) {
                        skills.push(i);
                    }
                    *pref |= preferred;
                }
                // One-word labels count as spans only when written with a
                // capital, digit or symbol ("Java", "SQL", "C++"): plain
                // words ("sell") match too much prose.
                let w = words(label, 0, label.len());
                if w.is_empty()
                    || w.len() > MAX_LABEL_WORDS
                    || (w.len() == 1 && label.chars().all(|c| c.is_lowercase()))
                {
                    continue;
                }
                let key = word_key(label, &w).0;
                let t = by_pattern.entry(key).or_default();
                if t.span.is_none() || (preferred && !t.span_preferred) {
                    t.span = Some(i);
                    t.span_preferred = preferred;
                    t.span_spelling = (w.len() == 1
                        && needs_exact_spelling(label.trim(), &everyday))
                    .then(|| label.trim().into());
                }
            }
        }
        let mut entries: Vec<(String, Target)> = by_pattern.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut mention_lengths = vec![Vec::new(); 256];
        for (k, t) in &entries {
            if t.mention.is_some() && k.len() <= u16::MAX as usize {
                mention_lengths[k.as_bytes()[0] as usize].push(k.len() as u16);
            }
        }
        for l in &mut mention_lengths {
            l.sort_unstable_by(|a, b| b.cmp(a));
            l.dedup();
        }
        let mut patterns = HashMap::with_capacity(entries.len());
        let mut targets = Vec::with_capacity(entries.len());
        for (i, (k, t)) in entries.into_iter().enumerate() {
            patterns.insert(k.into_boxed_str(), i as u32);
            targets.push(t);
        }
        LexicalMatcher {
            patterns,
            targets,
            mention_lengths,
        }
    }

    /// Patterns held (labels in one or two spellings).
    pub fn patterns(&self) -> usize {
        self.targets.len()
    }

    /// Approximate heap bytes of the pattern table.
    pub fn memory_usage(&self) -> usize {
        let keys: usize = self.patterns.keys().map(|k| k.len()).sum();
        let table = self.patterns.capacity() * (std::mem::size_of::<(Box<str>, u32)>() + 1);
        let targets: usize = self
            .targets
            .iter()
            .map(|t| {
                std::mem::size_of::<Target>() + t.mention.as_ref().map_or(0, |m| m.0.len() * 4)
            })
            .sum();
        keys + table + targets
    }

    fn target(&self, key: &str) -> Option<&Target> {
        self.patterns.get(key).map(|&i| &self.targets[i as usize])
    }

    /// The longest mention pattern at byte `start` of `lower` that ends on
    /// a word boundary: (end, target).
    fn longest_mention_at(&self, lower: &str, start: usize) -> Option<(usize, &Target)> {
        let first = *lower.as_bytes().get(start)?;
        for &len in &self.mention_lengths[first as usize] {
            let end = start + len as usize;
            if end > lower.len() || !lower.is_char_boundary(end) || !is_boundary(lower, start, end)
            {
                continue;
            }
            if let Some(t) = self
                .target(&lower[start..end])
                .filter(|t| t.mention.is_some())
            {
                return Some((end, t));
            }
        }
        None
    }

    /// Non-overlapping label mentions on word boundaries, leftmost first,
    /// longest at each start. Matching is on the lower-cased text; offsets
    /// refer to `text` itself. A label inside a longer word
    /// ("PostgreSQLish") is no mention.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        // Lower-casing can change byte lengths outside ASCII; map back.
        let (lower, map) = lowercase_with_offsets(text);
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < lower.len() {
            let c = lower[pos..].chars().next().expect("pos < len");
            let starts_word = !c.is_whitespace()
                && !lower[..pos]
                    .chars()
                    .next_back()
                    .is_some_and(|p| p.is_alphanumeric());
            if starts_word {
                if let Some((end, t)) = self.longest_mention_at(&lower, pos) {
                    let (skills, preferred) = t.mention.as_ref().expect("a mention");
                    out.push(Mention {
                        start: map[pos],
                        end: map[end],
                        skills: skills.clone(),
                        preferred: *preferred,
                    });
                    pos = end;
                    continue;
                }
            }
            pos += c.len_utf8();
        }
        out
    }

    /// Raises the score of every skill named in `text` by `bonus` of its
    /// distance to 1 (`s + bonus·(1 − s)`): a label in the text is evidence
    /// on top of the vectors, and a score never passes 1 (scores shown to
    /// people read as one scale on every surface).
    pub fn boost(&self, text: &str, scores: &mut [f32], bonus: f32) {
        if bonus == 0.0 {
            return;
        }
        let mut done = std::collections::HashSet::new();
        for m in self.mentions(text) {
            for &s in &m.skills {
                if done.insert(s) {
                    if let Some(x) = scores.get_mut(s as usize) {
                        *x += bonus * (1.0 - *x);
                    }
                }
            }
        }
    }

    /// Label spans among `word_ranges` (byte ranges of words in `text`):
    /// at each word the longest run of up to 6 words that spells a label
    /// (case-insensitive, any separators), left to right, not overlapping:
    /// (first word, end word exclusive, skill).
    pub fn find_spans(
        &self,
        text: &str,
        word_ranges: &[(usize, usize)],
    ) -> Vec<(usize, usize, u32)> {
        let (key, starts, ends) = word_key(text, word_ranges);
        let n = word_ranges.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            let longest = (i + 1..=(i + MAX_LABEL_WORDS).min(n)).rev().find_map(|b| {
                let t = self.target(&key[starts[i]..ends[b - 1]])?;
                let (s, e) = word_ranges[i];
                match &t.span_spelling {
                    Some(exact) if **exact != text[s..e] => None,
                    _ => t.span.map(|skill| (b, skill)),
                }
            });
            match longest {
                Some((b, skill)) => {
                    out.push((i, b, skill));
                    i = b;
                }
                None => i += 1,
            }
        }
        out
    }
}

/// Acronyms up to this many letters match only in capitals ("IT", "HR", "ML").
const SHORT_ACRONYM: usize = 2;

/// How often ESCO's descriptions write each one-word label that has
/// capitals in lower case: how everyday a word it is ("access" 105,
/// "less" 20, "python" 0).
fn everyday_words(taxonomy: &esco::Taxonomy) -> HashMap<String, u32> {
    let mut counts: HashMap<String, u32> = taxonomy
        .skills
        .iter()
        .flat_map(|s| std::iter::once(&s.preferred_label).chain(&s.alt_labels))
        .map(|l| l.trim())
        .filter(|l| !l.contains(char::is_whitespace) && l.chars().any(char::is_uppercase))
        .map(|l| (l.to_lowercase(), 0))
        .collect();
    for s in &taxonomy.skills {
        for w in s.description.split(|c: char| !c.is_alphanumeric()) {
            if let Some(n) = counts.get_mut(w) {
                *n += 1;
            }
        }
    }
    counts
}

/// Whether a one-word label with capitals must be written exactly so to be
/// a span: a short acronym, an acronym prose ever writes in lower case
/// ("DID", "LESS"), or a word it writes so twice or more ("Access",
/// "Polish"; not "JavaScript", once).
fn needs_exact_spelling(label: &str, everyday: &HashMap<String, u32>) -> bool {
    let letters = label.chars().filter(|c| c.is_alphabetic()).count();
    let acronym = label
        .chars()
        .filter(|c| c.is_alphabetic())
        .all(char::is_uppercase);
    let n = everyday.get(&label.to_lowercase()).copied().unwrap_or(0);
    if acronym {
        letters <= SHORT_ACRONYM || n >= 1
    } else {
        n >= 2
    }
}

fn is_boundary(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    !word(before) && !word(after)
}

/// `text` lower-cased, and for every byte offset of the lower-cased string
/// (plus one past the end) the byte offset in `text` it came from.
fn lowercase_with_offsets(text: &str) -> (String, Vec<usize>) {
    let mut lower = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        for l in c.to_lowercase() {
            for _ in 0..l.len_utf8() {
                map.push(i);
            }
            lower.push(l);
        }
    }
    map.push(text.len());
    (lower, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> (LexicalMatcher, esco::Taxonomy) {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/esco.bin"
        ))
        .expect("shipped assets/esco.bin");
        let tax = esco::Taxonomy::from_bytes(&bytes).unwrap();
        (LexicalMatcher::new(&tax), tax)
    }

    #[test]
    fn finds_labels_on_word_boundaries_with_exact_offsets() {
        let (m, tax) = matcher();
        let text = "• Ünïcode first: we use PostgreSQL daily;\u{a0}Project Management too. PostgreSQLish no.";
        let found = m.mentions(text);
        let names: Vec<&str> = found.iter().map(|x| &text[x.start..x.end]).collect();
        assert!(names.contains(&"PostgreSQL"), "{names:?}");
        assert!(names.contains(&"Project Management"), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with("PostgreSQLish")));
        let pg = found
            .iter()
            .find(|x| &text[x.start..x.end] == "PostgreSQL")
            .unwrap();
        assert!(pg
            .skills
            .iter()
            .any(|&s| tax.skills[s as usize].preferred_label == "PostgreSQL"));
        assert!(m.mentions("").is_empty());
        assert!(
            m.mentions("C R Go").is_empty(),
            "labels under 3 chars never match"
        );
    }

    #[test]
    fn offsets_survive_case_folding_that_changes_byte_lengths() {
        let (m, _) = matcher();
        // 'İ' lower-cases to two chars; offsets must still point into the original.
        let text = "İİİ java İ Python";
        for x in m.mentions(text) {
            assert!(text.is_char_boundary(x.start) && text.is_char_boundary(x.end));
            let s = &text[x.start..x.end];
            assert!(
                s.eq_ignore_ascii_case("java") || s.eq_ignore_ascii_case("python"),
                "{s}"
            );
        }
    }

    #[test]
    fn everyday_words_and_short_acronyms_are_spans_only_as_written() {
        let (m, _) = matcher();
        let spans = |text: &str| -> Vec<String> {
            let w = crate::segments::words(text, 0, text.len());
            m.find_spans(text, &w)
                .into_iter()
                .map(|(a, b, _)| text[w[a].0..w[b - 1].1].to_string())
                .collect()
        };
        // "it", "access", "less" and "re" are labels with capitals (IT,
        // Access, LESS, RE) that prose writes in lower case.
        assert!(
            spans("when it comes to it, you're given access to less").is_empty(),
            "{:?}",
            spans("when it comes to it, you're given access to less")
        );
        assert_eq!(spans("IT support in Access"), vec!["IT", "Access"]);
        // Names that are no everyday word match in any case; "did" is.
        assert_eq!(spans("python and sql"), vec!["python", "sql"]);
        assert!(spans("they did").is_empty());
        assert_eq!(spans("Python and SQL"), vec!["Python", "SQL"]);
    }

    #[test]
    fn spans_are_label_words_whatever_separates_them() {
        let (m, tax) = matcher();
        let text = "Knowledge of C++ and Project \u{a0} management; we sell, PostgreSQLish";
        let w = crate::segments::words(text, 0, text.len());
        let found: Vec<(&str, &esco::Skill)> = m
            .find_spans(text, &w)
            .into_iter()
            .map(|(a, b, s)| (&text[w[a].0..w[b - 1].1], &tax.skills[s as usize]))
            .collect();
        // "C++" is three words (C, +, +); "Project \u{a0} management" spells
        // "project management" word for word; "sell" is a one-word label in
        // lower case (too common to count); "PostgreSQLish" is one word.
        let texts: Vec<&str> = found.iter().map(|f| f.0).collect();
        assert_eq!(texts, vec!["C++", "Project \u{a0} management"]);
        assert_eq!(found[0].1.preferred_label, "C++");
        // A span names the skill whose preferred label it spells, before
        // skills that have it as an alternative ("project commissioning").
        assert_eq!(found[1].1.preferred_label, "project management");
        let css = m.find_spans("CSS", &crate::segments::words("CSS", 0, 3));
        assert_eq!(tax.skills[css[0].2 as usize].preferred_label, "CSS");
        // Mentions (the bonus) want the label as written: the odd space breaks it.
        let names: Vec<&str> = m
            .mentions(text)
            .iter()
            .map(|x| &text[x.start..x.end])
            .collect();
        assert!(
            names.contains(&"C++") && !names.iter().any(|n| n.contains("management")),
            "{names:?}"
        );
        assert!(m.find_spans("", &[]).is_empty());
        // One table: a pattern per spelling of a label, written and as words.
        assert!(m.patterns() > 90_000, "{}", m.patterns());
    }

    #[test]
    fn boost_raises_named_skills_once() {
        let (m, tax) = matcher();
        let mut scores = vec![0.0f32; tax.skills.len()];
        m.boost("Python and python again", &mut scores, 0.1);
        let boosted: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
        assert!(!boosted.is_empty());
        assert!(boosted.iter().all(|&i| (scores[i] - 0.1).abs() < 1e-6));
        // A score near the top stays below 1.
        let mut high = vec![0.95f32; tax.skills.len()];
        m.boost("Python", &mut high, 0.5);
        assert!(high.iter().all(|&s| s <= 1.0));
        assert!(high.iter().any(|&s| (s - 0.975).abs() < 1e-6));
    }
}
