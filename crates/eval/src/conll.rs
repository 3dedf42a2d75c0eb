//! CoNLL files as SkillSpan writes them: one token a line
//! (`token<TAB>skill-tag<TAB>knowledge-tag`, extra columns ignored), a blank
//! line between sentences.

use skillmark::bio::Bio;

/// One line of a CoNLL file: a token with its columns, or a blank line.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Blank,
    Token {
        token: String,
        skill: Option<Bio>,
        knowledge: Option<Bio>,
    },
}

/// A parsed file: its lines (kept to write the same layout back) and the
/// sentences as ranges of line indices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conll {
    pub lines: Vec<Line>,
    pub sentences: Vec<std::ops::Range<usize>>,
}

#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConllError {
    pub line: usize,
    pub message: String,
}

impl Conll {
    /// Parses CoNLL text. Columns are tab-separated (whitespace when a line
    /// has no tab). With `require_tags`, the 2nd and 3rd columns must be BIO tags.
    pub fn parse(text: &str, require_tags: bool) -> Result<Conll, ConllError> {
        let mut c = Conll::default();
        let mut start: Option<usize> = None;
        for (n, raw) in text.lines().enumerate() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.trim().is_empty() {
                if let Some(s) = start.take() {
                    c.sentences.push(s..c.lines.len());
                }
                c.lines.push(Line::Blank);
                continue;
            }
            let cols: Vec<&str> = if raw.contains('\t') {
                raw.split('\t').collect()
            } else {
                raw.split_whitespace().collect()
            };
            let token = cols[0].trim();
            if token.is_empty() {
                return Err(ConllError {
                    line: n + 1,
                    message: "empty token".into(),
                });
            }
            let tag = |i: usize, what: &str| -> Result<Option<Bio>, ConllError> {
                match cols.get(i) {
                    Some(t) => match Bio::parse(t) {
                        Some(b) => Ok(Some(b)),
                        None if require_tags => Err(ConllError {
                            line: n + 1,
                            message: format!("{what} tag {t:?} is not B, I or O"),
                        }),
                        None => Ok(None),
                    },
                    None if require_tags => Err(ConllError {
                        line: n + 1,
                        message: format!("no {what} tag column"),
                    }),
                    None => Ok(None),
                }
            };
            let skill = tag(1, "skill")?;
            let knowledge = tag(2, "knowledge")?;
            start.get_or_insert(c.lines.len());
            c.lines.push(Line::Token {
                token: token.to_string(),
                skill,
                knowledge,
            });
        }
        if let Some(s) = start {
            c.sentences.push(s..c.lines.len());
        }
        Ok(c)
    }

    /// The tokens of every sentence, in order (the file as one document).
    pub fn all_tokens(&self) -> Vec<Vec<&str>> {
        (0..self.sentences.len()).map(|i| self.tokens(i)).collect()
    }

    /// The gold (skill, knowledge) tags of every sentence, in order.
    pub fn all_tags(&self) -> Vec<(Vec<Bio>, Vec<Bio>)> {
        (0..self.sentences.len()).map(|i| self.tags(i)).collect()
    }

    /// The tokens of sentence `i`.
    pub fn tokens(&self, i: usize) -> Vec<&str> {
        self.lines[self.sentences[i].clone()]
            .iter()
            .filter_map(|l| match l {
                Line::Token { token, .. } => Some(token.as_str()),
                Line::Blank => None,
            })
            .collect()
    }

    /// Skill and knowledge tags of sentence `i` (missing tags read as O).
    pub fn tags(&self, i: usize) -> (Vec<Bio>, Vec<Bio>) {
        self.lines[self.sentences[i].clone()]
            .iter()
            .filter_map(|l| match l {
                Line::Token {
                    skill, knowledge, ..
                } => Some((skill.unwrap_or(Bio::O), knowledge.unwrap_or(Bio::O))),
                Line::Blank => None,
            })
            .unzip()
    }

    /// Writes the file back with exactly three columns, tags from `tags`
    /// (per sentence: skill tags, knowledge tags), blank lines where they were.
    pub fn write(
        &self,
        tags: &[(Vec<Bio>, Vec<Bio>)],
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        let mut sentence = 0;
        let mut k = 0;
        for (i, line) in self.lines.iter().enumerate() {
            match line {
                Line::Blank => writeln!(out)?,
                Line::Token { token, .. } => {
                    while self.sentences[sentence].end <= i {
                        sentence += 1;
                        k = 0;
                    }
                    let (s, kn) = &tags[sentence];
                    let st = s.get(k).copied().unwrap_or(Bio::O);
                    let kt = kn.get(k).copied().unwrap_or(Bio::O);
                    writeln!(
                        out,
                        "{token}\t{}\t{}",
                        st.write("Skill"),
                        kt.write("Knowledge")
                    )?;
                    k += 1;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillmark::bio::Bio::{B, I, O};

    #[test]
    fn round_trip_keeps_tokens_and_blank_lines() {
        let text =
            "We\tO\tO\nuse\tO\tO\nPython\tB-Skill\tB-Knowledge\textra\n\n\nTeam work\tB\tO\n";
        let c = Conll::parse(text, true).unwrap();
        assert_eq!(c.sentences.len(), 2);
        assert_eq!(c.tokens(0), vec!["We", "use", "Python"]);
        assert_eq!(c.tags(0), (vec![O, O, B], vec![O, O, B]));
        assert_eq!(c.tokens(1), vec!["Team work"]);
        let mut out = Vec::new();
        c.write(&[c.tags(0), (vec![I], vec![O])], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "We\tO\tO\nuse\tO\tO\nPython\tB-Skill\tB-Knowledge\n\n\nTeam work\tI-Skill\tO\n"
        );
    }

    #[test]
    fn tokens_only_input_and_errors() {
        let c = Conll::parse("a\nb\r\n\nc", false).unwrap();
        assert_eq!(c.sentences.len(), 2);
        assert_eq!(c.tags(1), (vec![O], vec![O]));
        let e = Conll::parse("a\tO\tO\nb\tZ\tO\n", true).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Conll::parse("a\n", true).is_err());
        assert!(Conll::parse("", true).unwrap().sentences.is_empty());
    }
}
