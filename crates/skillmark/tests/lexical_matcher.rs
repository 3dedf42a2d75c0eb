//! The merged ESCO label matcher (`skillmark::lexical::LexicalMatcher`)
//! against the two matchers it replaced, kept here verbatim as references
//! (`OldLexical`: the ranking's lexical bonus; `OldLabel`: spans without a
//! tagger): the same spans, less one-word labels not written as the label
//! (everyday words, short acronyms), same offsets, and the same mentions
//! except where the old matcher let a label inside a longer word hide a real
//! one, on real and hostile text.

#![allow(dead_code)]

mod reference {
    pub mod lexical {
        use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

        /// Labels shorter than this (in chars) are too ambiguous to match ("C", "R", "Go").
        const MIN_LABEL_CHARS: usize = 3;

        /// One label mention: byte range in the text and the skills with that label.
        #[derive(Clone, Debug, PartialEq)]
        pub struct OldMention {
            pub start: usize,
            pub end: usize,
            pub skills: Vec<u32>,
            /// Whether the mention is a preferred label of (one of) its skills.
            pub preferred: bool,
        }

        pub struct OldLexical {
            automaton: AhoCorasick,
            /// Per pattern: skills and whether it is a preferred label.
            targets: Vec<(Vec<u32>, bool)>,
        }

        impl OldLexical {
            pub fn new(taxonomy: &esco::Taxonomy) -> Self {
                let mut by_label: std::collections::HashMap<String, (Vec<u32>, bool)> =
                    Default::default();
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
                OldLexical {
                    automaton,
                    targets: entries.into_iter().map(|(_, t)| t).collect(),
                }
            }

            /// Non-overlapping, longest-first label mentions on word boundaries.
            /// Matching is on the lower-cased text; offsets refer to `text` itself.
            pub fn mentions(&self, text: &str) -> Vec<OldMention> {
                // Lower-casing can change byte lengths outside ASCII; map back.
                let (lower, map) = lowercase_with_offsets(text);
                let mut out = Vec::new();
                for m in self.automaton.find_iter(&lower) {
                    if !is_boundary(&lower, m.start(), m.end()) {
                        continue;
                    }
                    let (skills, preferred) = &self.targets[m.pattern().as_usize()];
                    out.push(OldMention {
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
    }
    pub mod label {
        use std::collections::HashMap;

        use skillmark::segments::words;

        /// Labels longer than this many words are not matched (ESCO's long labels
        /// are descriptions, not mentions).
        const MAX_LABEL_WORDS: usize = 6;

        pub struct OldLabel {
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

        impl OldLabel {
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
                OldLabel { labels }
            }

            /// Longest label matches among `word_ranges` (byte ranges into `text`),
            /// left to right, not overlapping: (first word, end word exclusive, skill).
            pub fn find(
                &self,
                text: &str,
                word_ranges: &[(usize, usize)],
            ) -> Vec<(usize, usize, u32)> {
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
    }
}

use std::path::Path;

use reference::label::OldLabel;
use reference::lexical::OldLexical;
use skillmark::lexical::LexicalMatcher;
use skillmark::segments::{segments, words};

fn taxonomy() -> esco::Taxonomy {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/esco.bin"
    ))
    .expect("shipped assets/esco.bin");
    esco::Taxonomy::from_bytes(&bytes).unwrap()
}

/// Texts to compare on: the example post, hostile strings, and — when
/// `../shared/data` is beside the checkout — every TECH/HOUSE sentence and
/// every SkillSpan dev sentence.
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out: Vec<String> = std::fs::read_to_string(root.join("examples/job-post.txt"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    out.extend(
        [
            "• Ünïcode first: we use PostgreSQL daily;\u{a0}Project Management too. PostgreSQLish no.",
            "İİİ java İ Python",
            "C++, C#, R and Go; Node.js / ASP.NET; user-centred design; e-commerce",
            "project   management,project management\tproject\u{a0}management PROJECT MANAGEMENT",
            "Σ ΣΑΣ java\u{200B}script JavaScript javascript's SQL-Server SQL Server",
            "manage a team manage a teams manage a team-work first aid first-aid",
            "",
            "   ",
            "😀 Python😀Java 😀 Kubernetes",
        ]
        .map(String::from),
    );
    let data = root.join("../shared/data");
    for f in ["tech", "house"] {
        let p = data.join(format!("benchmark/{f}_validation_annotations.csv"));
        if let Ok(text) = std::fs::read_to_string(p) {
            out.extend(text.lines().skip(1).map(String::from));
        }
    }
    for f in ["house", "tech"] {
        let p = data.join(format!("skillspan/skillspan_{f}_dev.conll"));
        if let Ok(text) = std::fs::read_to_string(p) {
            for sent in text.split("\n\n") {
                let toks: Vec<&str> = sent.lines().filter_map(|l| l.split('\t').next()).collect();
                out.push(toks.join(" "));
            }
        }
    }
    out
}

#[test]
fn one_table_matches_like_the_two_automata_it_replaced() {
    let tax = taxonomy();
    let new = LexicalMatcher::new(&tax);
    let old_lex = OldLexical::new(&tax);
    let old_lab = OldLabel::new(&tax);
    let corpus = corpus();
    let (mut mentions, mut spans, mut recovered) = (0, 0, 0);
    for text in &corpus {
        let a: Vec<(usize, usize, Vec<u32>, bool)> = new
            .mentions(text)
            .into_iter()
            .map(|m| (m.start, m.end, m.skills, m.preferred))
            .collect();
        let b: Vec<(usize, usize, Vec<u32>, bool)> = old_lex
            .mentions(text)
            .into_iter()
            .map(|m| (m.start, m.end, m.skills, m.preferred))
            .collect();
        // The old bonus matcher took Aho-Corasick's leftmost-longest match
        // and only then checked word boundaries, so a label inside a longer
        // word could hide a real mention that overlaps it; the table finds
        // those. Otherwise the two agree.
        for m in b.iter().filter(|m| !a.contains(m)) {
            assert!(
                a.iter().any(|n| n.0 < m.1 && m.0 < n.1),
                "mention {m:?} of {text:?} lost, not replaced: {a:?}"
            );
        }
        for n in a.iter().filter(|n| !b.contains(n)) {
            let said = text[n.0..n.1].to_lowercase();
            assert!(
                n.2.iter().all(|&s| {
                    let s = &tax.skills[s as usize];
                    std::iter::once(&s.preferred_label)
                        .chain(&s.alt_labels)
                        .any(|l| l.trim().to_lowercase() == said)
                }),
                "new mention {n:?} ({said:?}) of {text:?} is not a label of its skills"
            );
            recovered += 1;
        }
        mentions += a.len();
        // Spans, per segment as the highlighter asks (and over the whole text).
        let mut windows: Vec<Vec<(usize, usize)>> = segments(text)
            .iter()
            .map(|s| words(text, s.start, s.end))
            .collect();
        windows.push(words(text, 0, text.len()));
        // Spans are the old ones less one-word labels that must be written
        // exactly so (everyday words, short acronyms) and were not; a span
        // names the skill whose preferred label it spells where the old
        // matcher took the first skill with it as any label.
        for w in windows {
            let a = new.find_spans(text, &w);
            let old = old_lab.find(text, &w);
            for s in &a {
                let o = old
                    .iter()
                    .find(|o| (o.0, o.1) == (s.0, s.1))
                    .unwrap_or_else(|| panic!("new span {s:?} of {text:?}"));
                if o.2 != s.2 {
                    let said: Vec<&str> = w[s.0..s.1].iter().map(|&(x, y)| &text[x..y]).collect();
                    let pref = tax.skills[s.2 as usize].preferred_label.to_lowercase();
                    assert_eq!(
                        pref.split(|c: char| !c.is_alphanumeric())
                            .filter(|x| !x.is_empty())
                            .collect::<Vec<_>>(),
                        said.iter()
                            .map(|x| x.to_lowercase())
                            .filter(|x| x.chars().any(char::is_alphanumeric))
                            .collect::<Vec<_>>(),
                        "{s:?} of {text:?} names another skill than {o:?}, not by its preferred label"
                    );
                }
            }
            let old: Vec<_> = old
                .into_iter()
                .filter(|o| !a.iter().any(|s| (s.0, s.1) == (o.0, o.1)))
                .collect();
            for s in &old {
                assert_eq!(s.1 - s.0, 1, "only one-word spans drop: {s:?} of {text:?}");
                let said = &text[w[s.0].0..w[s.0].1];
                let skill = &tax.skills[s.2 as usize];
                assert!(
                    !std::iter::once(&skill.preferred_label)
                        .chain(&skill.alt_labels)
                        .any(|l| l.trim() == said && l.chars().any(char::is_uppercase)),
                    "{said:?} is written as its label: {s:?}"
                );
            }
            spans += a.len();
        }
    }
    eprintln!("{mentions} mentions ({recovered} only the table finds), {spans} spans");
    assert!(
        mentions > 20 && spans > 20 && recovered * 100 < mentions,
        "{mentions} mentions ({recovered} only the table finds), {spans} spans"
    );
}
