//! Export of the results: JSON (the engine's own shape) and CSV (one row per
//! highlighted span), as downloads or to the clipboard.

use serde::Serialize;
use wasm_bindgen::JsCast;

use crate::model::{DocumentSkill, HighlightSpan};

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

/// Offers `content` as a file download.
pub fn download(name: &str, mime: &str, content: &str) {
    let parts = js_sys::Array::of1(&content.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let doc = leptos::prelude::document();
    if let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Revoked later: the download reads the URL after this returns.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
}

/// Copies `content` to the clipboard (async; errors are ignored: the
/// download buttons remain).
pub fn copy(content: &str) {
    let clipboard = leptos::prelude::window().navigator().clipboard();
    let _ = clipboard.write_text(content);
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
