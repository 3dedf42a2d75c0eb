//! Exact mentions of ESCO labels in text: every preferred or alternative
//! label found verbatim (case-insensitive, on word boundaries).
//!
//! The ranker adds a small bonus to the skills a sentence names outright
//! (hybrid lexical + dense ranking); an exact mention is strong evidence the
//! bi-encoder alone sometimes under-weights, especially for tools and
//! technologies ("PostgreSQL", "Kubernetes").

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Labels shorter than this (in chars) are too ambiguous to match ("C", "R", "Go").
const MIN_LABEL_CHARS: usize = 3;

/// One label mention: byte range in the text and the skills with that label.
#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub skills: Vec<u32>,
    /// Whether the mention is a preferred label of (one of) its skills.
    pub preferred: bool,
}

pub struct LexicalMatcher {
    automaton: AhoCorasick,
    /// Per pattern: skills and whether it is a preferred label.
    targets: Vec<(Vec<u32>, bool)>,
}

impl LexicalMatcher {
    pub fn new(taxonomy: &esco::Taxonomy) -> Self {
        let mut by_label: std::collections::HashMap<String, (Vec<u32>, bool)> = Default::default();
        for (i, s) in taxonomy.skills.iter().enumerate() {
            let labels = std::iter::once((&s.preferred_label, true))
                .chain(s.alt_labels.iter().map(|a| (a, false)));
            for (label, preferred) in labels {
                let key = label.trim().to_lowercase();
                if key.chars().count() < MIN_LABEL_CHARS {
                    continue;
                }
                let e = by_label.entry(key).or_default();
                if !e.0.contains(&(i as u32)) {
                    e.0.push(i as u32);
                }
                e.1 |= preferred;
            }
        }
        let mut entries: Vec<(String, (Vec<u32>, bool))> = by_label.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(entries.iter().map(|(k, _)| k.as_str()))
            .expect("ESCO labels build an automaton");
        LexicalMatcher {
            automaton,
            targets: entries.into_iter().map(|(_, t)| t).collect(),
        }
    }

    /// Non-overlapping, longest-first label mentions on word boundaries.
    /// Matching is on the lower-cased text; offsets refer to `text` itself.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        // Lower-casing can change byte lengths outside ASCII; map back.
        let (lower, map) = lowercase_with_offsets(text);
        let mut out = Vec::new();
        for m in self.automaton.find_iter(&lower) {
            if !is_boundary(&lower, m.start(), m.end()) {
                continue;
            }
            let (skills, preferred) = &self.targets[m.pattern().as_usize()];
            out.push(Mention {
                start: map[m.start()],
                end: map[m.end()],
                skills: skills.clone(),
                preferred: *preferred,
            });
        }
        out
    }

    /// Adds `bonus` to the score of every skill named in `text`.
    pub fn boost(&self, text: &str, scores: &mut [f32], bonus: f32) {
        if bonus == 0.0 {
            return;
        }
        let mut done = std::collections::HashSet::new();
        for m in self.mentions(text) {
            for &s in &m.skills {
                if done.insert(s) {
                    if let Some(x) = scores.get_mut(s as usize) {
                        *x += bonus;
                    }
                }
            }
        }
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
    fn boost_raises_named_skills_once() {
        let (m, tax) = matcher();
        let mut scores = vec![0.0f32; tax.skills.len()];
        m.boost("Python and python again", &mut scores, 0.1);
        let boosted: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
        assert!(!boosted.is_empty());
        assert!(boosted.iter().all(|&i| (scores[i] - 0.1).abs() < 1e-6));
    }
}
