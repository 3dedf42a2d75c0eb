//! Gold files for ranking evaluation: CSV with columns `sentence,label`
//! (optionally `span,sub_span`; TECH/HOUSE style, one row per span) or
//! `sentence,skills` with a Python-style list of labels (SkillSkape style) or
//! `ID,sentence,skill` (Skill-XL: every sentence of each ad, most with no
//! skill). Labels are ESCO preferred labels; `LABEL NOT PRESENT` and
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

/// A CSV record and its line, or the error naming the file and the line.
fn record(
    file: &str,
    rec: csv::Result<csv::StringRecord>,
) -> Result<(csv::StringRecord, u64), GoldError> {
    let rec = rec.map_err(|e| GoldError::Row {
        file: file.into(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    })?;
    let line = rec.position().map_or(0, |p| p.line());
    Ok((rec, line))
}

/// A strict CSV reader over `bytes` and its header row.
fn csv_with_headers<'a>(
    bytes: &'a [u8],
    file: &str,
) -> Result<(csv::Reader<&'a [u8]>, csv::StringRecord), GoldError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| GoldError::Format {
            file: file.into(),
            message: e.to_string(),
        })?
        .clone();
    Ok((rdr, headers))
}

/// Parses a gold CSV from bytes; `file` names it in errors. Sentences left
/// without any ESCO skill are counted in [`GoldSet::skipped`], not returned.
pub fn parse_gold(
    bytes: &[u8],
    file: &str,
    taxonomy: &esco::Taxonomy,
) -> Result<GoldSet, GoldError> {
    let all = parse_sentence_gold(bytes, file, taxonomy)?;
    let skipped = all.sentences.iter().filter(|s| s.skills.is_empty()).count();
    Ok(GoldSet {
        sentences: all
            .sentences
            .into_iter()
            .filter(|s| !s.skills.is_empty())
            .collect(),
        unknown_labels: all.unknown_labels,
        skipped,
    })
}

/// Every sentence of a sentence-level gold CSV in order, those without any
/// ESCO skill included (what a skill list must leave empty). The label column
/// is `label` or `skill` (one label per row; TECH/HOUSE, Skill-XL) or
/// `skills` (a Python-style list; SkillSkape). Rows are grouped per sentence,
/// per document where the file has an `ID` column (Skill-XL: the same
/// sentence in two ads is two sentences). [`GoldSet::skipped`] is 0.
pub fn parse_sentence_gold(
    bytes: &[u8],
    file: &str,
    taxonomy: &esco::Taxonomy,
) -> Result<GoldSet, GoldError> {
    let (mut rdr, headers) = csv_with_headers(bytes, file)?;
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let sentence_col = col("sentence").ok_or_else(|| GoldError::Format {
        file: file.into(),
        message: "no `sentence` column".into(),
    })?;
    let (label_col, list) = match (col("label").or(col("skill")), col("skills")) {
        (Some(c), _) => (c, false),
        (None, Some(c)) => (c, true),
        _ => {
            return Err(GoldError::Format {
                file: file.into(),
                message: "needs a `label`, `skill` or `skills` column".into(),
            })
        }
    };
    let doc_col = col("ID");
    let mut order: Vec<(String, String)> = Vec::new();
    let mut labels: std::collections::HashMap<(String, String), BTreeSet<usize>> =
        Default::default();
    let mut unknown: std::collections::BTreeMap<String, usize> = Default::default();
    for rec in rdr.records() {
        let (rec, line) = record(file, rec)?;
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
        let doc = doc_col.and_then(|c| rec.get(c)).unwrap_or("").to_string();
        let key = (doc, sentence);
        if !labels.contains_key(&key) {
            order.push(key.clone());
        }
        let set = labels.entry(key).or_default();
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
    let sentences = order
        .into_iter()
        .map(|key| {
            let skills = labels
                .remove(&key)
                .unwrap_or_default()
                .into_iter()
                .collect();
            GoldSentence {
                text: key.1,
                skills,
            }
        })
        .collect();
    Ok(GoldSet {
        sentences,
        unknown_labels: unknown.into_iter().collect(),
        skipped: 0,
    })
}

/// Every sentence of a gold file of any kind — span-level (a `span`
/// column: TECH/HOUSE) or sentence-level ([`parse_sentence_gold`]) — with
/// the union of its skills, skill-free sentences included: what a sentence's
/// skill list is judged against.
pub fn parse_skill_lists(
    bytes: &[u8],
    file: &str,
    taxonomy: &esco::Taxonomy,
) -> Result<GoldSet, GoldError> {
    let (_, headers) = csv_with_headers(bytes, file)?;
    if headers.iter().any(|h| h.trim() == "span") {
        let spans = parse_gold_spans(bytes, file, taxonomy)?;
        return Ok(GoldSet {
            sentences: spans.sentences,
            unknown_labels: spans.unknown_labels,
            skipped: 0,
        });
    }
    parse_sentence_gold(bytes, file, taxonomy)
}

/// One gold span: byte range in its sentence and the ESCO skills it names.
#[derive(Clone, Debug, PartialEq)]
pub struct GoldSpan {
    /// Index into [`GoldSpans::sentences`].
    pub sentence: usize,
    pub start: usize,
    pub end: usize,
    pub skills: Vec<usize>,
}

/// A span-level gold file (TECH/HOUSE style: `sentence,span,sub_span,label`).
#[derive(Debug, Default)]
pub struct GoldSpans {
    /// Every sentence of the file in order, with the skills of all its spans
    /// (empty when every span is `LABEL NOT PRESENT` / `UNDERSPECIFIED`).
    pub sentences: Vec<GoldSentence>,
    /// Spans with at least one skill. Rows with the same sentence and span
    /// (a discontinuous span has one row per `sub_span`) are one span whose
    /// gold is the union of their labels.
    pub spans: Vec<GoldSpan>,
    pub unknown_labels: Vec<(String, usize)>,
    /// Spans left without any skill (not scored).
    pub skipped: usize,
}

/// Byte range of `span` in `sentence`: the first occurrence on word
/// boundaries (not inside a longer word), else the first occurrence.
pub fn locate_span(sentence: &str, span: &str) -> Option<(usize, usize)> {
    if span.is_empty() {
        return None;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut first = None;
    for (i, _) in sentence.match_indices(span) {
        let e = i + span.len();
        first.get_or_insert((i, e));
        if !word(sentence[..i].chars().next_back()) && !word(sentence[e..].chars().next()) {
            return Some((i, e));
        }
    }
    first
}

/// Parses a span-level gold CSV (columns `sentence`, `span`, `label`).
pub fn parse_gold_spans(
    bytes: &[u8],
    file: &str,
    taxonomy: &esco::Taxonomy,
) -> Result<GoldSpans, GoldError> {
    let (mut rdr, headers) = csv_with_headers(bytes, file)?;
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| GoldError::Format {
                file: file.into(),
                message: format!("no `{name}` column (span gold needs sentence, span, label)"),
            })
    };
    let (sc, pc, lc) = (col("sentence")?, col("span")?, col("label")?);
    let mut sentence_ids: std::collections::HashMap<String, usize> = Default::default();
    let mut sentence_skills: Vec<BTreeSet<usize>> = Vec::new();
    let mut out = GoldSpans::default();
    let mut span_ids: std::collections::HashMap<(usize, usize, usize), usize> = Default::default();
    let mut span_skills: Vec<BTreeSet<usize>> = Vec::new();
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    let mut unknown: std::collections::BTreeMap<String, usize> = Default::default();
    for rec in rdr.records() {
        let (rec, line) = record(file, rec)?;
        let row_err = |message: String| GoldError::Row {
            file: file.into(),
            line,
            message,
        };
        let sentence = rec.get(sc).unwrap_or("").trim();
        let span = rec.get(pc).unwrap_or("").trim();
        if sentence.is_empty() {
            return Err(row_err("empty sentence".into()));
        }
        let (start, end) = locate_span(sentence, span)
            .ok_or_else(|| row_err(format!("span {span:?} is not in its sentence")))?;
        let s = *sentence_ids.entry(sentence.to_string()).or_insert_with(|| {
            out.sentences.push(GoldSentence {
                text: sentence.to_string(),
                skills: Vec::new(),
            });
            sentence_skills.push(BTreeSet::new());
            out.sentences.len() - 1
        });
        let k = *span_ids.entry((s, start, end)).or_insert_with(|| {
            spans.push((s, start, end));
            span_skills.push(BTreeSet::new());
            spans.len() - 1
        });
        let label = rec.get(lc).unwrap_or("").trim();
        if label.is_empty() || NOT_SKILLS.contains(&label) {
            continue;
        }
        match taxonomy.skill_by_label(label) {
            Some(i) => {
                span_skills[k].insert(i);
                sentence_skills[s].insert(i);
            }
            None => *unknown.entry(label.to_string()).or_default() += 1,
        }
    }
    for (sent, skills) in out.sentences.iter_mut().zip(sentence_skills) {
        sent.skills = skills.into_iter().collect();
    }
    for ((sentence, start, end), skills) in spans.into_iter().zip(span_skills) {
        if skills.is_empty() {
            out.skipped += 1;
        } else {
            out.spans.push(GoldSpan {
                sentence,
                start,
                end,
                skills: skills.into_iter().collect(),
            });
        }
    }
    out.unknown_labels = unknown.into_iter().collect();
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

    fn shipped_taxonomy() -> esco::Taxonomy {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/esco.bin"
        ))
        .expect("shipped assets/esco.bin");
        esco::Taxonomy::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn sentence_gold_keeps_skill_free_sentences_per_document() {
        let tax = shipped_taxonomy();
        let csv = "ID,subset,title,sentence,relevant,cluster,skill\n\
            a,RANDOM,Dev,We are a friendly team.,False,,\n\
            a,RANDOM,Dev,You know Python and SQL.,True,1,Python (computer programming)\n\
            a,RANDOM,Dev,You know Python and SQL.,True,2,SQL\n\
            b,RANDOM,Ops,We are a friendly team.,False,,\n\
            b,RANDOM,Ops,You speak Klingon.,True,1,speak Klingon fluently\n";
        let all = parse_sentence_gold(csv.as_bytes(), "x.csv", &tax).unwrap();
        let got: Vec<(&str, usize)> = all
            .sentences
            .iter()
            .map(|s| (s.text.as_str(), s.skills.len()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("We are a friendly team.", 0),
                ("You know Python and SQL.", 2),
                ("We are a friendly team.", 0),
                ("You speak Klingon.", 0),
            ]
        );
        assert_eq!(
            all.unknown_labels,
            vec![("speak Klingon fluently".into(), 1)]
        );
        // The ranking metrics skip sentences without gold skills.
        let ranked = parse_gold(csv.as_bytes(), "x.csv", &tax).unwrap();
        assert_eq!(ranked.sentences.len(), 1);
        assert_eq!(ranked.skipped, 3);
        let bad = "ID,sentence\na,x\n";
        assert!(parse_sentence_gold(bad.as_bytes(), "y.csv", &tax)
            .unwrap_err()
            .to_string()
            .contains("`skill`"));
    }

    #[test]
    fn span_gold_groups_rows_per_span() {
        let tax = shipped_taxonomy();
        let csv = "sentence,span,sub_span,label\n\
            javascript reactjs java,javascript,,JavaScript\n\
            javascript reactjs java,reactjs,,LABEL NOT PRESENT\n\
            javascript reactjs java,java,,Java (computer programming)\n\
            javascript reactjs java,javascript,,JavaScript\n\
            We value innovation and engineering practices.,innovation and engineering practices,innovation practices,innovation processes\n\
            We value innovation and engineering practices.,innovation and engineering practices,engineering practices,engineering principles\n\
            BS/BA degree,BS/BA degree,,UNDERSPECIFIED\n\
            BS/BA degree,degree,,no such skill\n";
        let g = parse_gold_spans(csv.as_bytes(), "t.csv", &tax).unwrap();
        let texts: Vec<&str> = g.sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "javascript reactjs java",
                "We value innovation and engineering practices.",
                "BS/BA degree"
            ]
        );
        let id = |l: &str| tax.skill_by_label(l).unwrap();
        let spans: Vec<(usize, &str, Vec<usize>)> = g
            .spans
            .iter()
            .map(|s| {
                (
                    s.sentence,
                    &texts[s.sentence][s.start..s.end],
                    s.skills.clone(),
                )
            })
            .collect();
        // Repeated rows are one span; "java" is the word, not the start of "javascript";
        // the two sub-spans of a discontinuous span are one span with both labels.
        let mut both = vec![id("innovation processes"), id("engineering principles")];
        both.sort();
        assert_eq!(
            spans,
            vec![
                (0, "javascript", vec![id("JavaScript")]),
                (0, "java", vec![id("Java (computer programming)")]),
                (1, "innovation and engineering practices", both),
            ]
        );
        assert_eq!(g.sentences[2].skills, Vec::<usize>::new());
        assert_eq!(g.skipped, 3, "reactjs, BS/BA degree, degree");
        assert_eq!(g.unknown_labels, vec![("no such skill".to_string(), 1)]);
        let bad = "sentence,span,label\nabc,xyz,SQL\n";
        let e = parse_gold_spans(bad.as_bytes(), "b.csv", &tax)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.csv, line 2") && e.contains("not in its sentence"),
            "{e}"
        );
    }

    #[test]
    fn spans_are_located_on_word_boundaries() {
        let s = "javascript reactjs java";
        assert_eq!(locate_span(s, "java"), Some((19, 23)));
        assert_eq!(locate_span(s, "javascript"), Some((0, 10)));
        // Only inside a word: the first occurrence still counts.
        assert_eq!(locate_span("reactjs", "act"), Some((2, 5)));
        assert_eq!(locate_span(s, "python"), None);
        assert_eq!(locate_span(s, ""), None);
    }
}
