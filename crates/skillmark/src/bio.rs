//! BIO tags and their decoding into spans. SkillSpan's span precision /
//! recall / F1 is measuring code: `skillmark_eval::spans`.

/// One BIO tag of one layer (Skill or Knowledge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bio {
    B,
    I,
    O,
}

impl Bio {
    /// Reads `B`, `I`, `O` with any type suffix (`B-Skill`, `I-Knowledge`).
    /// Anything else is `None`.
    pub fn parse(tag: &str) -> Option<Bio> {
        let t = tag.trim();
        let head = t.split(['-', '_']).next().unwrap_or("");
        match head {
            "B" => Some(Bio::B),
            "I" => Some(Bio::I),
            "O" if t == "O" => Some(Bio::O),
            _ => None,
        }
    }

    /// The tag as written in CoNLL output for a layer named `kind` ("Skill", "Knowledge").
    pub fn write(self, kind: &str) -> String {
        match self {
            Bio::B => format!("B-{kind}"),
            Bio::I => format!("I-{kind}"),
            Bio::O => "O".into(),
        }
    }

    /// Class index used by the tagger's heads: B = 0, I = 1, O = 2.
    pub fn index(self) -> usize {
        match self {
            Bio::B => 0,
            Bio::I => 1,
            Bio::O => 2,
        }
    }

    pub fn from_index(i: usize) -> Bio {
        match i {
            0 => Bio::B,
            1 => Bio::I,
            _ => Bio::O,
        }
    }
}

/// Spans `(start, end)` (word indices, end exclusive) of a BIO sequence. An
/// `I` without a preceding `B`/`I` starts a span (conlleval's convention).
pub fn decode(tags: &[Bio]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, t) in tags.iter().enumerate() {
        match t {
            Bio::B => {
                if let Some(s) = start.take() {
                    out.push((s, i));
                }
                start = Some(i);
            }
            Bio::I => {
                if start.is_none() {
                    start = Some(i);
                }
            }
            Bio::O => {
                if let Some(s) = start.take() {
                    out.push((s, i));
                }
            }
        }
    }
    if let Some(s) = start {
        out.push((s, tags.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Bio::{B, I, O};
    use super::*;

    #[test]
    fn parses_tags() {
        assert_eq!(Bio::parse("B-Skill"), Some(B));
        assert_eq!(Bio::parse("I-Knowledge"), Some(I));
        assert_eq!(Bio::parse("O"), Some(O));
        assert_eq!(Bio::parse(" I "), Some(I));
        assert_eq!(Bio::parse("X"), None);
        assert_eq!(Bio::parse("Other"), None);
        assert_eq!(B.write("Skill"), "B-Skill");
        assert_eq!(O.write("Skill"), "O");
    }

    #[test]
    fn decodes_well_formed_and_malformed_sequences() {
        assert_eq!(decode(&[O, B, I, O, B, B, I]), vec![(1, 3), (4, 5), (5, 7)]);
        // I without B starts a span; a trailing span is closed at the end.
        assert_eq!(decode(&[I, I, O, O, I]), vec![(0, 2), (4, 5)]);
        assert_eq!(decode(&[O, O]), vec![]);
        assert_eq!(decode(&[]), vec![]);
    }
}
