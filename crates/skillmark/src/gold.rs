//! Gold files for ranking evaluation: CSV with columns `sentence,label`
//! (optionally `span,sub_span`; TECH/HOUSE style, one row per span) or
//! `sentence,skills` with a Python-style list of labels (SkillSkape style).
//! Labels are ESCO preferred labels; `LABEL NOT PRESENT` and
//! `UNDERSPECIFIED` rows are dropped, labels are grouped per sentence.

use std::collections::BTreeSet;

/// Rows that name no ESCO skill.
pub const NOT_SKILLS: [&str; 2] = ["LABEL NOT PRESENT", "UNDERSPECIFIED"];

#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    #[error("{file}, line {line}: {message}")]
    Row {
        file: String,
        line: u64,
        message: String,
    },
}

/// One evaluation sentence with its gold skills.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldSentence {
    pub text: String,
    pub skills: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct GoldSet {
    pub sentences: Vec<GoldSentence>,
    /// Labels not found in the taxonomy (with counts), reported to the user.
    pub unknown_labels: Vec<(String, usize)>,
    /// Sentences left without any gold skill (skipped by the metrics).
    pub skipped: usize,
}

/// Parses a gold CSV from bytes; `file` names it in errors.
pub fn parse_gold(
    bytes: &[u8],
    file: &str,
    taxonomy: &esco::Taxonomy,
) -> Result<GoldSet, GoldError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| GoldError::Format {
            file: file.into(),
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let sentence_col = col("sentence").ok_or_else(|| GoldError::Format {
        file: file.into(),
        message: "no `sentence` column".into(),
    })?;
    let (label_col, list) = match (col("label"), col("skills")) {
        (Some(c), _) => (c, false),
        (None, Some(c)) => (c, true),
        _ => {
            return Err(GoldError::Format {
                file: file.into(),
                message: "needs a `label` or a `skills` column".into(),
            })
        }
    };
    let mut order: Vec<String> = Vec::new();
    let mut labels: std::collections::HashMap<String, BTreeSet<usize>> = Default::default();
    let mut unknown: std::collections::BTreeMap<String, usize> = Default::default();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| GoldError::Row {
            file: file.into(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let sentence = rec.get(sentence_col).unwrap_or("").trim().to_string();
        if sentence.is_empty() {
            return Err(GoldError::Row {
                file: file.into(),
                line,
                message: "empty sentence".into(),
            });
        }
        let raw = rec.get(label_col).unwrap_or("");
        let names = if list {
            parse_py_list(raw).map_err(|m| GoldError::Row {
                file: file.into(),
                line,
                message: m,
            })?
        } else {
            vec![raw.trim().to_string()]
        };
        if !labels.contains_key(&sentence) {
            order.push(sentence.clone());
        }
        let set = labels.entry(sentence).or_default();
        for name in names {
            if name.is_empty() || NOT_SKILLS.contains(&name.as_str()) {
                continue;
            }
            match taxonomy.skill_by_label(&name) {
                Some(i) => {
                    set.insert(i);
                }
                None => *unknown.entry(name).or_default() += 1,
            }
        }
    }
    let mut out = GoldSet {
        unknown_labels: unknown.into_iter().collect(),
        ..Default::default()
    };
    for s in order {
        let skills: Vec<usize> = labels.remove(&s).unwrap_or_default().into_iter().collect();
        if skills.is_empty() {
            out.skipped += 1;
        } else {
            out.sentences.push(GoldSentence { text: s, skills });
        }
    }
    Ok(out)
}

/// `['a', "b's"]` → `["a", "b's"]`.
fn parse_py_list(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| format!("expected a list like ['a', 'b'], found {s:?}"))?;
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(q) = chars.next() else { break };
        if q != '\'' && q != '"' {
            return Err(format!("expected a quoted label in {s:?}"));
        }
        let mut item = String::new();
        loop {
            match chars.next() {
                Some('\\') => item.extend(chars.next()),
                Some(c) if c == q => break,
                Some(c) => item.push(c),
                None => return Err(format!("unterminated label in {s:?}")),
            }
        }
        out.push(item);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_lists() {
        assert_eq!(
            parse_py_list("['a', \"b's\", 'c\\'d']").unwrap(),
            vec!["a", "b's", "c'd"]
        );
        assert!(parse_py_list("[]").unwrap().is_empty());
        assert!(parse_py_list("'a'").is_err());
        assert!(parse_py_list("['a").is_err());
    }
}
