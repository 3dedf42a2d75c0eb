//! Pipeline stage 2: words → word pieces, tokenised once, each piece with
//! the word it belongs to and its letter-case class. The tokenizer reads the
//! words as they are (pre-tokenized input), so no text is joined and split
//! again; trainer and runtime both align through here, so they read the same
//! input.
//!
//! The tokenizer lowercases, so a tagger may also carry one learned vector per
//! letter-case class ([`case_class`]: lower, Capitalized, ALL CAPS, miXed):
//! "Apache Kafka" and "GIT" look different from "apache kafka" and "git" again.

use skillmark_model::TextTokenizer;

use crate::Error;

/// Word pieces of a word sequence and the first piece of each word.
#[derive(Clone, Debug, PartialEq)]
pub struct AlignedWords {
    pub ids: Vec<u32>,
    /// Token index of each word's first piece; `None` when the word produced
    /// no piece or fell past truncation.
    pub first_token: Vec<Option<usize>>,
    /// Letter-case class of each token ([`token_case_classes`]).
    pub case: Vec<u8>,
}

/// The letter case of a word: 0 = lower case or no letters, 1 = Capitalized
/// (or a single capital), 2 = ALL CAPS (two or more letters), 3 = miXed
/// ("iOS", "JavaScript", "PhD").
pub fn case_class(word: &str) -> u8 {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let Some(first) = letters.next() else {
        return 0;
    };
    let (mut upper, mut lower, mut n) = (0usize, 0usize, 0usize);
    for c in letters {
        n += 1;
        upper += usize::from(c.is_uppercase());
        lower += usize::from(c.is_lowercase());
    }
    match (first.is_uppercase(), upper, lower) {
        (false, 0, _) => 0,
        (true, 0, _) => 1,
        (true, u, 0) if u == n => 2,
        _ => 3,
    }
}

/// The [`case_class`] of each token: that of the run of letters and digits
/// its first character falls in (0 for `[CLS]`, `[SEP]` and punctuation).
/// A run, not the word, so that words split at punctuation (CoNLL's
/// "GIT)", the highlighter's "GIT" ")") give the same classes.
pub fn token_case_classes(text: &str, offsets: &[(usize, usize)]) -> Vec<u8> {
    // The run the previous token fell in: tokens come in text order, so each
    // run is measured once, not once per piece (a long run is many pieces).
    let mut run: Option<(std::ops::Range<usize>, u8)> = None;
    offsets
        .iter()
        .map(|&(s, e)| {
            let starts_run = text
                .get(s..)
                .and_then(|t| t.chars().next())
                .is_some_and(char::is_alphanumeric);
            if s == e || !starts_run {
                return 0;
            }
            if let Some((r, class)) = &run {
                if r.contains(&s) {
                    return *class;
                }
            }
            let start = text[..s]
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_alphanumeric())
                .last()
                .map_or(s, |(i, _)| i);
            let end = text[s..]
                .char_indices()
                .find(|(_, c)| !c.is_alphanumeric())
                .map_or(text.len(), |(i, _)| s + i);
            let class = case_class(&text[start..end]);
            run = Some((start..end, class));
            class
        })
        .collect()
}

/// Tokenizes `words` (once, as they are) and maps each word to its first
/// word piece; each piece gets the [`case_class`] of its letter run within
/// its word.
pub fn align_words(tok: &TextTokenizer, words: &[&str]) -> Result<AlignedWords, Error> {
    let enc = tok.encode_words(words)?;
    let mut first_token = vec![None; words.len()];
    let mut case = vec![0u8; enc.ids.len()];
    let mut t = 0;
    while t < enc.pieces.len() {
        let Some((w, _)) = enc.pieces[t] else {
            t += 1; // [CLS], [SEP]
            continue;
        };
        let n = enc.pieces[t..]
            .iter()
            .take_while(|p| p.is_some_and(|(v, _)| v == w))
            .count();
        let offsets: Vec<(usize, usize)> = enc.pieces[t..t + n]
            .iter()
            .map(|p| p.expect("a word piece").1)
            .collect();
        case[t..t + n].copy_from_slice(&token_case_classes(words[w], &offsets));
        if let Some(slot) = first_token.get_mut(w) {
            slot.get_or_insert(t);
        }
        t += n;
    }
    Ok(AlignedWords {
        ids: enc.ids,
        first_token,
        case,
    })
}

/// Aligns the word sequences of one document (in order), each read between
/// the last `context` pieces of the sequences before it and the first
/// `context` pieces of those after it (fewer where the sequence is so long
/// that both would not fit in the tokenizer's maximum); `first_token` points
/// into the sequence's own pieces. With `context` 0 this is [`align_words`]
/// on each. Trainer and runtime both align through here, so they read the
/// same input.
pub fn align_document(
    tok: &TextTokenizer,
    sentences: &[Vec<&str>],
    context: usize,
) -> Result<Vec<AlignedWords>, Error> {
    let aligned: Vec<AlignedWords> = sentences
        .iter()
        .map(|w| align_words(tok, w))
        .collect::<Result<_, _>>()?;
    Ok(with_context(aligned, context, tok.max_tokens()))
}

/// See [`align_document`]: `aligned` are the sequences alone, `max_tokens`
/// the longest sequence the encoder takes.
pub fn with_context(
    aligned: Vec<AlignedWords>,
    context: usize,
    max_tokens: usize,
) -> Vec<AlignedWords> {
    if context == 0 {
        return aligned;
    }
    // Pieces without [CLS] and [SEP].
    let inner = |a: &AlignedWords| 1..a.ids.len().saturating_sub(1).max(1);
    aligned
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let each = context.min(max_tokens.saturating_sub(a.ids.len()) / 2);
            let mut left: Vec<(u32, u8)> = Vec::new();
            for b in aligned[..i].iter().rev() {
                if left.len() >= each {
                    break;
                }
                let r = inner(b);
                left.splice(0..0, r.map(|t| (b.ids[t], b.case[t])));
            }
            left.drain(..left.len().saturating_sub(each));
            let mut right: Vec<(u32, u8)> = Vec::new();
            for b in &aligned[i + 1..] {
                if right.len() >= each {
                    break;
                }
                let r = inner(b);
                right.extend(r.map(|t| (b.ids[t], b.case[t])));
            }
            right.truncate(each);
            let mid = inner(a);
            let piece = |t: usize| (a.ids[t], a.case[t]);
            let (ids, case) = (0..mid.start)
                .map(piece)
                .chain(left.iter().copied())
                .chain(mid.clone().map(piece))
                .chain(right.iter().copied())
                .chain((mid.end..a.ids.len()).map(piece))
                .unzip();
            AlignedWords {
                ids,
                case,
                first_token: a
                    .first_token
                    .iter()
                    .map(|t| t.map(|t| t + left.len()))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_get_their_letter_case_class() {
        for (word, class) in [
            ("java", 0),
            ("3.5", 0),
            ("", 0),
            ("(", 0),
            ("Java", 1),
            ("C", 1),
            ("(Kafka)", 1),
            ("Élan", 1),
            ("SQL", 2),
            ("AWS/GCP", 2),
            ("ÉTÉ", 2),
            ("PhD", 3),
            ("iOS", 3),
            ("JavaScript", 3),
            ("node.JS", 3),
            ("日本語", 0),
        ] {
            assert_eq!(case_class(word), class, "{word:?}");
        }
    }

    fn shipped_tokenizer() -> TextTokenizer {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/tokenizer.json");
        TextTokenizer::from_bytes(&std::fs::read(path).unwrap(), 64).unwrap()
    }

    #[test]
    fn every_piece_carries_the_case_class_of_its_letter_run() {
        let tok = shipped_tokenizer();
        let words = ["Experience", "with", "PostgreSQL", "and", "AWS", "(GIT)"];
        let a = align_words(&tok, &words).unwrap();
        assert_eq!(a.case.len(), a.ids.len());
        assert_eq!(a.case[0], 0, "[CLS]");
        assert_eq!(*a.case.last().unwrap(), 0, "[SEP]");
        let word_of = |t: usize| {
            a.first_token
                .iter()
                .rposition(|f| f.is_some_and(|f| f <= t))
        };
        let want = [1u8, 0, 3, 0, 2];
        for t in 1..a.first_token[5].unwrap() {
            assert_eq!(a.case[t], want[word_of(t).unwrap()], "token {t}");
        }
        // "PostgreSQL" is several pieces, all of them miXed.
        let pg = a.first_token[2].unwrap()..a.first_token[3].unwrap();
        assert!(pg.len() > 1);
        // "(GIT)": the brackets are 0, "git" is ALL CAPS, as if split into words.
        let git = &a.case[a.first_token[5].unwrap()..a.ids.len() - 1];
        assert!(git.len() >= 3, "{git:?}");
        assert_eq!(git[0], 0);
        assert_eq!(git[git.len() - 1], 0);
        assert!(git[1..git.len() - 1].iter().all(|&c| c == 2), "{git:?}");
        let split = align_words(&tok, &["(", "GIT", ")"]).unwrap();
        assert_eq!(&split.case[1..split.ids.len() - 1], git);
    }

    #[test]
    fn a_sentence_is_read_between_its_neighbours_pieces() {
        let tok = shipped_tokenizer();
        let doc: Vec<Vec<&str>> = vec![
            vec!["QUALIFICATIONS"],
            vec!["Ok"],
            vec![],
            vec!["Experience", "with", "PostgreSQL", "and", "AWS"],
            vec!["Kubernetes", "is", "a", "plus"],
        ];
        let plain = align_document(&tok, &doc, 0).unwrap();
        for (a, w) in plain.iter().zip(&doc) {
            assert_eq!(a, &align_words(&tok, w).unwrap());
        }
        let inner = |a: &AlignedWords| a.ids[1..a.ids.len() - 1].to_vec();
        let inner_case = |a: &AlignedWords| a.case[1..a.case.len() - 1].to_vec();
        let ctx = align_document(&tok, &doc, 3).unwrap();
        assert_eq!(ctx.len(), doc.len());
        for (i, (c, p)) in ctx.iter().zip(&plain).enumerate() {
            // Pieces before and after, as many as there are up to 3, crossing
            // short and empty sentences; [CLS] and [SEP] stay at the ends.
            let before: Vec<u32> = plain[..i].iter().flat_map(inner).collect();
            let after: Vec<u32> = plain[i + 1..].iter().flat_map(inner).collect();
            let left = &before[before.len().saturating_sub(3)..];
            let right = &after[..after.len().min(3)];
            let want: Vec<u32> = [
                &p.ids[..1],
                left,
                &inner(p),
                right,
                &p.ids[p.ids.len() - 1..],
            ]
            .concat();
            assert_eq!(c.ids, want, "sentence {i}");
            let before_case: Vec<u8> = plain[..i].iter().flat_map(inner_case).collect();
            let after_case: Vec<u8> = plain[i + 1..].iter().flat_map(inner_case).collect();
            let want_case: Vec<u8> = [
                &p.case[..1],
                &before_case[before_case.len().saturating_sub(3)..],
                &inner_case(p),
                &after_case[..after_case.len().min(3)],
                &p.case[p.case.len() - 1..],
            ]
            .concat();
            assert_eq!(c.case, want_case, "sentence {i}");
            let shifted: Vec<Option<usize>> = p
                .first_token
                .iter()
                .map(|t| t.map(|t| t + left.len()))
                .collect();
            assert_eq!(c.first_token, shifted, "sentence {i}");
            for (w, t) in c.first_token.iter().enumerate() {
                assert_eq!(c.ids[t.unwrap()], p.ids[p.first_token[w].unwrap()]);
            }
        }
        assert_eq!(ctx[0].ids.len(), plain[0].ids.len() + 3, "no left context");
        // A sequence that fills the tokenizer's 64 tokens reads no context;
        // one with room for a little reads that much, on both sides.
        let long: Vec<String> = (0..70).map(|i| format!("w{i}")).collect();
        let mut doc = doc.clone();
        doc.insert(1, long.iter().map(String::as_str).collect());
        doc.insert(1, long[..29].iter().map(String::as_str).collect());
        let ctx = align_document(&tok, &doc, 30).unwrap();
        let alone = align_document(&tok, &doc, 0).unwrap();
        assert!(ctx.iter().all(|a| a.ids.len() <= 64));
        assert_eq!(ctx[2], alone[2], "a full sequence reads no context");
        let room = (64 - alone[1].ids.len()) / 2;
        assert!(room > 0 && room < 30);
        let before = alone[0].ids.len() - 2;
        assert_eq!(
            ctx[1].ids.len(),
            alone[1].ids.len() + room.min(before) + room
        );
        // Sentence 3 reads "ok" and "qualifications" (pieces of two earlier sentences).
        assert!(ctx[3].first_token[0].unwrap() > 1);
    }


    /// What `align_words` did before it read words as they are: join them
    /// with single spaces, tokenise the string, map pieces back by offset.
    fn align_joined(tok: &TextTokenizer, words: &[&str]) -> AlignedWords {
        let mut text = String::new();
        let mut starts = Vec::new();
        for w in words {
            if !text.is_empty() {
                text.push(' ');
            }
            starts.push(text.len());
            text.push_str(w);
        }
        let enc = tok.encode(&text).unwrap();
        let mut first_token = vec![None; words.len()];
        for (t, &(s, e)) in enc.offsets.iter().enumerate() {
            if s != e {
                let w = starts.partition_point(|&x| x <= s).saturating_sub(1);
                first_token[w].get_or_insert(t);
            }
        }
        AlignedWords {
            case: token_case_classes(&text, &enc.offsets),
            ids: enc.ids,
            first_token,
        }
    }

    /// Tokenising the words once gives exactly the pieces, first pieces and
    /// case classes of tokenising them joined by spaces — on the words the
    /// highlighter cuts from raw text, whatever the script.
    #[test]
    fn words_tokenised_once_read_as_the_joined_text() {
        let tok = shipped_tokenizer();
        let long = "x".repeat(150);
        let texts = [
            "Experience with PostgreSQL, AWS (GIT) and C++/C# — 5+ years.",
            "Café-owners use “Node.js”\u{200B}now; soft\u{00AD}hyphen and İstanbul",
            "日本語のテキストと中文 mixed with English, 한국어 too",
            "€50k–€70k p.a. · 😀 emoji 👩‍💻 dev · x² ½ № ©2024",
            "e\u{301}cole Ångström ǅemal ﬁnance ＦＵＬＬＷＩＤＴＨ",
            "\u{FFFD}\u{0007}control\u{0000}nul and tabs\tand\r\nbreaks",
            &long,
            "",
        ];
        let mut seen = 0;
        for t in texts {
            let w: Vec<&str> = crate::segments::words(t, 0, t.len())
                .iter()
                .map(|&(s, e)| &t[s..e])
                .collect();
            // Also as windows that cut the text mid-sentence.
            for part in [&w[..], &w[..w.len() / 2], &w[w.len() / 2..]] {
                assert_eq!(align_words(&tok, part).unwrap(), align_joined(&tok, part), "{part:?}");
                seen += 1;
            }
        }
        // Past the tokenizer's 64 tokens: truncated alike.
        let many: Vec<String> = (0..80).map(|i| format!("Word{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let a = align_words(&tok, &many).unwrap();
        assert_eq!(a.ids.len(), 64);
        assert_eq!(a, align_joined(&tok, &many));
        assert!(a.first_token[79].is_none());
        assert!(seen > 20);
    }
}
