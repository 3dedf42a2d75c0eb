//! The text of a résumé or job-post file in the browser: `extractText`, in
//! a wasm module of its own. PDF and DOCX reading (lopdf, zip, their
//! decoders) is about a third of what the engine module would weigh with
//! it, and most visits never drop a file, so the worker fetches this module
//! on the first file only.

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The text of a file (plain text, HTML, PDF, DOCX):
/// `{ text, format, warnings }`; `name` (the file name) helps tell the
/// format. HTML comes back as its text. A scanned PDF (no text layer), an
/// encrypted or broken file throws an error that says so.
#[wasm_bindgen(js_name = extractText)]
pub fn extract_text(bytes: &[u8], name: Option<String>) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Extracted {
        text: String,
        format: &'static str,
        warnings: Vec<String>,
    }
    let doc = skillmark_extract::extract(bytes, name.as_deref())
        .map_err(|e| JsError::new(&e.to_string()))?;
    let text = match doc.format {
        skillmark_extract::Format::Html => skillmark::html::html_to_text(&doc.text),
        _ => doc.text,
    };
    let s = serde_wasm_bindgen::Serializer::json_compatible();
    Extracted {
        text,
        format: doc.format.name(),
        warnings: doc.warnings,
    }
    .serialize(&s)
    .map_err(|e| JsError::new(&format!("result conversion: {e}")))
}
