//! Export of the results: JSON (the engine's own shape) and CSV (one row per
//! highlighted span); of a comparison, its JSON and a CSV of its skills.
//! Pure: `download.rs` offers them as files or copies them.

use serde::Serialize;

use crate::comparison::{match_kind, requirement};
use crate::model::{Comparison, DocumentSkill, HighlightSpan};

#[derive(Serialize)]
struct Export<'a> {
    spans: &'a [HighlightSpan],
    skills: &'a [DocumentSkill],
}

pub fn to_json(spans: &[HighlightSpan], skills: &[DocumentSkill]) -> String {
    serde_json::to_string_pretty(&Export { spans, skills }).unwrap_or_default()
}

/// RFC 4180 quoting; cells that a spreadsheet would run as a formula get a
/// leading apostrophe.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub fn to_csv(spans: &[HighlightSpan]) -> String {
    let mut out = String::from(
        "start_char,end_char,text,kind,confidence,esco_uri,esco_label,score,category\n",
    );
    for s in spans {
        let (uri, label, score, category) = match s.skill() {
            Some(l) => (
                l.uri.as_str(),
                l.label.as_str(),
                format!("{:.3}", l.score),
                l.category.name(),
            ),
            None => ("", "", String::new(), ""),
        };
        let row = [
            s.start_char.to_string(),
            s.end_char.to_string(),
            cell(&s.text),
            s.kind.to_string(),
            format!("{:.3}", s.confidence),
            cell(uri),
            cell(label),
            score,
            category.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The comparison as the engine gave it (the wire schema's `Comparison`).
pub fn comparison_json(c: &Comparison) -> String {
    serde_json::to_string_pretty(c).unwrap_or_default()
}

/// One row per skill: the post's (matched or missing; `kind` how it
/// matched) and the résumé's extra ones.
pub fn comparison_csv(c: &Comparison) -> String {
    let mut out = String::from("label,uri,status,kind,requirement\n");
    let mut row = |label: &str, uri: &str, status: &str, kind: &str, req: &str| {
        let cells = [
            cell(label),
            cell(uri),
            status.into(),
            kind.into(),
            req.into(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    };
    for s in &c.skills {
        let (status, kind) = match &s.matched {
            Some(m) => ("matched", match_kind(m.kind)),
            None => ("missing", ""),
        };
        row(
            &s.skill.label,
            &s.skill.uri,
            status,
            kind,
            requirement(s.requirement),
        );
    }
    for e in &c.extra {
        row(&e.skill.label, &e.skill.uri, "extra", "", "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("plain"), "plain");
    }
}
