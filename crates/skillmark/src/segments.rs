//! Pipeline stage 1: text → sentence-like segments → words → the word
//! windows one encoder pass reads.
//!
//! Words follow BERT's basic pre-tokenization (whitespace splits, every
//! punctuation or symbol character is a word of its own), so a word never
//! straddles two WordPiece words and SkillSpan's tokenization is reproduced
//! closely on raw text.

pub use skillmark_schema::Segment;

/// Longest segment in bytes; longer runs are cut at a whitespace before it.
pub const MAX_SEGMENT_BYTES: usize = 1200;

/// Characters that start list items and are never part of a sentence.
fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '•' | '·'
            | '▪'
            | '▫'
            | '‣'
            | '◦'
            | '●'
            | '○'
            | '■'
            | '□'
            | '►'
            | '▶'
            | '➢'
            | '➤'
            | '✓'
            | '✔'
            | '-'
            | '*'
            | '–'
            | '—'
            | '>'
    )
}

/// Sentence-like segments of `text`: split at line breaks and at `.`, `!`,
/// `?`, `;` followed by whitespace; leading bullets and surrounding
/// whitespace are left out. Empty pieces are dropped. Linear in the text.
pub fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end_here = match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => Some(i),
            '.' | '!' | '?' | ';' => match chars.peek() {
                Some(&(_, n)) if n.is_whitespace() => Some(i + c.len_utf8()),
                _ => None,
            },
            _ => None,
        };
        if let Some(e) = end_here {
            push_trimmed(text, start, e, &mut out);
            start = i + c.len_utf8();
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Segment>) {
    let piece = &text[start..end];
    let lead = piece.len()
        - piece
            .trim_start_matches(|c: char| c.is_whitespace() || is_bullet(c))
            .len();
    let trail = piece.len() - piece.trim_end().len();
    let (mut s, e) = (start + lead, end - trail);
    while e > s {
        if e - s <= MAX_SEGMENT_BYTES {
            out.push(Segment { start: s, end: e });
            return;
        }
        // Cut a long run at the last whitespace before the limit (or at a char boundary).
        let mut cut = s + MAX_SEGMENT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(ws) = text[s..cut].rfind(char::is_whitespace) {
            if ws > 0 {
                cut = s + ws;
            }
        }
        let head = text[s..cut].trim_end();
        if !head.is_empty() {
            out.push(Segment {
                start: s,
                end: s + head.len(),
            });
        }
        s = cut;
        s += text[s..e].len() - text[s..e].trim_start().len();
    }
}

/// Is `c` a word on its own (punctuation or symbol), as BERT's basic tokenizer splits?
fn is_split_char(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !is_mark(c)
}

/// Combining marks stay with their letter.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Byte ranges (absolute in `text`) of the words of `text[range]`.
pub fn words(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<usize> = None;
    for (i, c) in text[start..end].char_indices() {
        let i = start + i;
        let invisible = matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{00AD}');
        if c.is_whitespace() || c.is_control() || invisible {
            if let Some(s) = cur.take() {
                out.push((s, i));
            }
        } else if is_split_char(c) {
            if let Some(s) = cur.take() {
                out.push((s, i));
            }
            out.push((i, i + c.len_utf8()));
        } else if cur.is_none() {
            cur = Some(i);
        }
    }
    if let Some(s) = cur {
        out.push((s, end));
    }
    out
}

/// Segments inside `text` and on char boundaries (others are skipped).
pub fn valid_segments(text: &str, segments: &[Segment]) -> Vec<Segment> {
    segments
        .iter()
        .copied()
        .filter(|s| {
            s.start < s.end
                && s.end <= text.len()
                && text.is_char_boundary(s.start)
                && text.is_char_boundary(s.end)
        })
        .collect()
}

/// Segments embedded together (bounds memory on huge inputs).
const SEGMENTS_PER_BATCH: usize = 64;
/// Words per window; longer segments are cut into windows.
pub const WINDOW_WORDS: usize = 120;

/// A word window: byte ranges (in the whole text) of its words.
pub type Window = Vec<(usize, usize)>;

/// The word windows of `valid` segments, [`SEGMENTS_PER_BATCH`] segments a
/// batch. The highlighter and the span tagger both batch through here, so
/// tags computed by one fit the windows of the other.
pub fn window_batches<'a>(
    text: &'a str,
    valid: &'a [Segment],
) -> impl Iterator<Item = Vec<Window>> + 'a {
    valid
        .chunks(SEGMENTS_PER_BATCH)
        .map(move |batch| windows_of(text, batch))
}

/// The word windows of a batch of segments (what one encoder pass sees):
/// each segment's words, cut every [`WINDOW_WORDS`].
fn windows_of(text: &str, batch: &[Segment]) -> Vec<Window> {
    batch
        .iter()
        .flat_map(|s| {
            let w = words(text, s.start, s.end);
            w.chunks(WINDOW_WORDS)
                .map(|c| c.to_vec())
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The words of each window, as slices of `text`.
pub fn window_words<'t>(text: &'t str, windows: &[Window]) -> Vec<Vec<&'t str>> {
    windows
        .iter()
        .map(|w| w.iter().map(|&(s, e)| &text[s..e]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg_texts(t: &str) -> Vec<&str> {
        segments(t).iter().map(|s| &t[s.start..s.end]).collect()
    }

    #[test]
    fn segments_split_lines_sentences_and_drop_bullets() {
        let t = "About us.  We build tools!\n\n • Python and SQL\n- Docker; Kubernetes\r\n   ";
        assert_eq!(
            seg_texts(t),
            vec![
                "About us.",
                "We build tools!",
                "Python and SQL",
                "Docker;",
                "Kubernetes"
            ]
        );
        assert!(segments("").is_empty());
        assert!(segments(" \n\t \u{a0}").is_empty());
        assert_eq!(seg_texts("v1.2 of node.js"), vec!["v1.2 of node.js"]);
    }

    #[test]
    fn long_runs_are_cut_at_whitespace() {
        let t = "word ".repeat(1000);
        let segs = segments(&t);
        assert!(segs.len() >= 4);
        for s in &segs {
            assert!(s.end - s.start <= MAX_SEGMENT_BYTES);
            assert!(!t[s.start..s.end].starts_with(' ') && !t[s.start..s.end].ends_with(' '));
        }
        let no_space = "é".repeat(2000);
        let segs = segments(&no_space);
        assert_eq!(
            segs.iter().map(|s| s.end - s.start).sum::<usize>(),
            no_space.len()
        );
    }

    #[test]
    fn words_split_punctuation_and_keep_offsets() {
        let t = "Café-owners use C++,\u{a0}SQL & “Node.js”\u{200B}now";
        let w: Vec<&str> = words(t, 0, t.len())
            .iter()
            .map(|&(s, e)| &t[s..e])
            .collect();
        assert_eq!(
            w,
            vec![
                "Café", "-", "owners", "use", "C", "+", "+", ",", "SQL", "&", "“", "Node", ".",
                "js", "”", "now"
            ]
        );
    }
}
