//! A text cut into plain pieces and marked pieces, by byte ranges into it
//! (the engine's `start`/`end`: the app holds texts as Rust strings, so byte
//! offsets slice them exactly). Both the highlighted document and the
//! comparison's evidence render these as text nodes and `<mark>`s.

/// One piece of a text: plain, or marked with the range's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece<'a, T> {
    Text(&'a str),
    Mark(&'a str, T),
}

/// `text[from..to]` as pieces: `ranges` (byte `start`, `end`, value) are
/// marked, the text between them plain. Ranges are taken in text order
/// (longest first at one start); one that overlaps an earlier one, falls
/// outside `from..to`, is empty or cuts a character is skipped rather than
/// trusted.
pub fn pieces<T>(
    text: &str,
    from: usize,
    to: usize,
    mut ranges: Vec<(usize, usize, T)>,
) -> Vec<Piece<'_, T>> {
    ranges.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
    let mut out = Vec::new();
    let mut at = from;
    for (start, end, value) in ranges {
        if start < at || end > to || start >= end {
            continue;
        }
        let (Some(before), Some(inner)) = (text.get(at..start), text.get(start..end)) else {
            continue;
        };
        if !before.is_empty() {
            out.push(Piece::Text(before));
        }
        out.push(Piece::Mark(inner, value));
        at = end;
    }
    if let Some(rest) = text.get(at..to).filter(|r| !r.is_empty()) {
        out.push(Piece::Text(rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_ranges_and_keeps_the_text_between() {
        let text = "Python and SQL, café";
        let got = pieces(text, 0, text.len(), vec![(11, 14, 'b'), (0, 6, 'a')]);
        assert_eq!(
            got,
            vec![
                Piece::Mark("Python", 'a'),
                Piece::Text(" and "),
                Piece::Mark("SQL", 'b'),
                Piece::Text(", café"),
            ]
        );
    }

    #[test]
    fn overlaps_outside_ranges_and_broken_characters_are_skipped() {
        let text = "café au lait";
        // 3..4 cuts the two-byte "é"; 0..20 runs past the end; 1..3 overlaps 0..3.
        let got = pieces(
            text,
            0,
            text.len(),
            vec![(0, 3, 1), (1, 3, 2), (3, 4, 3), (0, 20, 4)],
        );
        let marked: Vec<_> = got
            .iter()
            .filter_map(|p| match p {
                Piece::Mark(s, v) => Some((*s, *v)),
                Piece::Text(_) => None,
            })
            .collect();
        assert_eq!(marked, vec![("caf", 1)]);
        let all: String = got
            .iter()
            .map(|p| match p {
                Piece::Text(s) | Piece::Mark(s, _) => *s,
            })
            .collect();
        assert_eq!(all, text);
    }
}
