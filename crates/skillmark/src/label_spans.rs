//! Exact matches of ESCO preferred and alternative labels in text: the
//! fallback span finder when the bundle has no tagger.

use std::collections::HashMap;

use crate::text::words;

/// Labels longer than this many words are not matched (ESCO's long labels
/// are descriptions, not mentions).
const MAX_LABEL_WORDS: usize = 6;

pub struct LabelMatcher {
    labels: HashMap<String, u32>,
}

fn key(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut k = String::new();
    for (i, &(s, e)) in ranges.iter().enumerate() {
        if i > 0 {
            k.push(' ');
        }
        k.push_str(&text[s..e].to_lowercase());
    }
    k
}

impl LabelMatcher {
    /// Every preferred and alt label of `taxonomy` of 1–6 words. One-word
    /// labels count only when written with a capital, digit or symbol
    /// ("Java", "SQL", "C++"): plain words ("sell") match too much prose.
    pub fn new(taxonomy: &esco::Taxonomy) -> Self {
        let mut labels = HashMap::new();
        for (i, s) in taxonomy.skills.iter().enumerate() {
            for l in std::iter::once(&s.preferred_label).chain(&s.alt_labels) {
                let w = words(l, 0, l.len());
                if w.is_empty() || w.len() > MAX_LABEL_WORDS {
                    continue;
                }
                if w.len() == 1 && l.chars().all(|c| c.is_lowercase()) {
                    continue;
                }
                labels.entry(key(l, &w)).or_insert(i as u32);
            }
        }
        LabelMatcher { labels }
    }

    /// Longest label matches among `word_ranges` (byte ranges into `text`),
    /// left to right, not overlapping: (first word, end word exclusive, skill).
    pub fn find(&self, text: &str, word_ranges: &[(usize, usize)]) -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < word_ranges.len() {
            let mut hit = None;
            let max = MAX_LABEL_WORDS.min(word_ranges.len() - i);
            for n in (1..=max).rev() {
                if let Some(&s) = self.labels.get(&key(text, &word_ranges[i..i + n])) {
                    hit = Some((n, s));
                    break;
                }
            }
            match hit {
                Some((n, s)) => {
                    out.push((i, i + n, s));
                    i += n;
                }
                None => i += 1,
            }
        }
        out
    }
}
