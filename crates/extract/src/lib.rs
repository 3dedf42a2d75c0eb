//! Turns a résumé file, as people have it, into plain text: UTF-8 or UTF-16
//! text, HTML (passed through), PDF and DOCX. Pure Rust, so the same code
//! runs in the CLI and in the browser (`wasm32-unknown-unknown`).
//!
//! ```
//! let out = skillmark_extract::extract(b"Rust, SQL and Kubernetes", Some("cv.txt")).unwrap();
//! assert_eq!(out.format, skillmark_extract::Format::Text);
//! assert_eq!(out.text, "Rust, SQL and Kubernetes");
//! ```
//!
//! # What each format gives
//!
//! - **Text**: UTF-8 (a byte-order mark is stripped) or UTF-16 LE/BE with a
//!   byte-order mark, returned unchanged otherwise. Bytes that are not valid
//!   UTF-8, or that hold NUL bytes, are binary: [`ExtractError::NotText`]
//!   (an old Word `.doc` file gets its own [`ExtractError::LegacyWord`]).
//!   An empty file is not an error: it gives empty text.
//! - **HTML**: [`Format::Html`] with the markup *unchanged* in
//!   [`Extracted::text`] (only decoded as text is): the caller turns HTML
//!   into text with its own converter, which knows about blocks and links.
//! - **PDF**: the text of every page in content-stream order (the order the
//!   generator drew it, which is reading order for the PDFs résumé tools
//!   make), pages separated by a blank line, lines by `\n`, words by a
//!   space. Where a space goes is decided from glyph positions (font widths,
//!   `Td`/`Tm` moves, `TJ` adjustments), so `TJ` kerning inside a word joins
//!   and a wide gap becomes a space. Characters come from the font's
//!   `ToUnicode` map where it has one, else from its encoding (WinAnsi,
//!   Standard, MacRoman, `Differences`). Form XObjects are followed (depth
//!   and cycles bounded). Encrypted PDFs that need a password, PDFs with no
//!   text (scans) and PDFs whose fonts cannot be mapped to Unicode are
//!   errors with a message meant for the user.
//! - **DOCX**: the main document part (found through `_rels/.rels`, else
//!   `word/document.xml`): one line per paragraph, `w:tab` as a tab,
//!   `w:br`/`w:cr` as a newline, table rows as lines with cells separated by
//!   tabs. Headers, footers, footnotes and comments are not read. Deleted
//!   text of tracked changes and field codes are left out.
//!
//! # Bounds
//!
//! Input over [`MAX_INPUT_BYTES`] is refused before any parsing. Output is
//! capped at [`MAX_OUTPUT_CHARS`] characters with a warning in
//! [`Extracted::warnings`]. A DOCX part whose uncompressed size exceeds
//! [`MAX_DOCX_PART_BYTES`] is refused (checked while reading, not trusted
//! from the header). PDF content streams are inflated with a cap per stream
//! and for the whole file; form XObjects nest at most 12 deep.
//!
//! # Panics
//!
//! None on purpose. `lopdf` is known to panic on some malformed content
//! streams (its inline-image parser calls `unwrap()` on a missing
//! `/ColorSpace`, and multiplies untrusted sizes): inline images, which
//! carry no text, are cut out of every content stream before `lopdf` sees
//! it, and on targets that unwind (native) every call into `lopdf` is also
//! wrapped in `std::panic::catch_unwind`, turning a panic into
//! [`ExtractError::PdfMalformed`]. On `wasm32-unknown-unknown`, where panics
//! abort, the stripping is what protects.
//!
//! # Dependencies, and why each
//!
//! - `lopdf` 0.42 (no default features; `wasm_js` so its `getrandom`
//!   dependency builds for wasm32): a maintained, pure-Rust PDF parser that
//!   reads the xref (also broken ones), object streams, filters,
//!   empty-password encryption and font encodings/`ToUnicode` CMaps. 0.42 is
//!   the newest release whose rust-version (1.85) is the workspace's.
//!   `pdf-extract` was not used: it pulls more crates on top of `lopdf` and
//!   panics on many real files; the text layout on top of `lopdf` is here
//!   (`pdf.rs`), small and bounded.
//! - `zip` (the workspace's: v2, only `deflate`): reads the DOCX container;
//!   no C code, no bzip2/zstd/lzma.
//! - `quick-xml` 0.41: a fast streaming XML reader with no dependencies but
//!   `memchr`, checks end tags (well-formedness) and never expands custom
//!   entities (no billion-laughs). 0.41 is the newest release whose
//!   rust-version fits the workspace's 1.85.
//! - `flate2` (the workspace's, pure-Rust backend, already used by `lopdf`
//!   and `zip`): inflates PDF content streams with a size cap.
//! - `thiserror`: the error enum's messages.

mod docx;
mod pdf;

/// The largest file [`extract`] accepts: 20 MB.
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;

/// The most characters [`extract`] returns; longer text is cut with a
/// warning.
pub const MAX_OUTPUT_CHARS: usize = 2 * 1024 * 1024;

/// The largest uncompressed part of a DOCX file that is read (zip-bomb
/// guard): 50 MB.
pub const MAX_DOCX_PART_BYTES: u64 = 50 * 1024 * 1024;

/// What kind of file the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Html,
    Pdf,
    Docx,
}

impl Format {
    /// A short lowercase name: `"text"`, `"html"`, `"pdf"` or `"docx"`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The text of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Plain text; for [`Format::Html`], the markup unchanged.
    pub text: String,
    /// The format the bytes were read as.
    pub format: Format,
    /// Things the user may want to know (text cut at the cap, fonts that
    /// could not be decoded, ...), in plain words.
    pub warnings: Vec<String>,
}

/// Why a file gave no text. The messages are meant for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("file is larger than the 20 MB limit")]
    TooLarge { size: usize },
    #[error("not UTF-8 text and not a PDF or DOCX file")]
    NotText,
    #[error("this is an old Word .doc file, which cannot be read: save it as .docx or PDF")]
    LegacyWord,
    #[error("the PDF is encrypted")]
    PdfEncrypted,
    #[error(
        "this PDF has no text layer (a scanned image?): copy the text or use a PDF with selectable text"
    )]
    PdfNoText,
    #[error(
        "the text of this PDF cannot be read (its fonts have no Unicode mapping): copy the text or export the PDF again"
    )]
    PdfUnreadableText,
    #[error("not a readable PDF file: {0}")]
    PdfMalformed(String),
    #[error("not a DOCX file: word/document.xml is missing")]
    DocxMissingDocument,
    #[error("not a DOCX file: it is not a readable ZIP archive ({0})")]
    DocxNotZip(String),
    #[error("the DOCX file is damaged: {part} cannot be read ({detail})")]
    DocxPart { part: String, detail: String },
    #[error("the DOCX file is damaged: {part} is not well-formed XML ({detail})")]
    DocxXml { part: String, detail: String },
    #[error("the DOCX file holds a part ({part}) larger than the 50 MB limit once uncompressed")]
    DocxPartTooLarge { part: String },
}

/// Guesses the format: magic bytes first (`%PDF-`; a ZIP archive holding
/// `word/document.xml`), then the file name's extension, then an HTML sniff
/// (starts with `<!doctype`, `<html`, `<head` or `<body`, or has at least
/// three common HTML tags), else [`Format::Text`].
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Format {
    if is_pdf(bytes) {
        return Format::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") && docx::has_document_part(bytes) {
        return Format::Docx;
    }
    if let Some(format) = file_name.and_then(format_from_name) {
        return format;
    }
    if looks_like_html(bytes) {
        return Format::Html;
    }
    Format::Text
}

/// Turns a file into text. `file_name` (only its extension is used) helps
/// [`detect`] when the bytes alone do not tell.
pub fn extract(bytes: &[u8], file_name: Option<&str>) -> Result<Extracted, ExtractError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ExtractError::TooLarge { size: bytes.len() });
    }
    let format = detect(bytes, file_name);
    let mut warnings = Vec::new();
    let text = match format {
        Format::Text | Format::Html => decode_text(bytes, &mut warnings)?,
        Format::Pdf => pdf::extract(bytes, &mut warnings)?,
        Format::Docx => docx::extract(bytes)?,
    };
    let text = cap_chars(text, MAX_OUTPUT_CHARS, &mut warnings);
    Ok(Extracted {
        text,
        format,
        warnings,
    })
}

const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

fn is_pdf(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    match find(head, b"%PDF-") {
        Some(0) => true,
        // The header may follow some junk (allowed in the first 1024 bytes);
        // accept that only for bytes that are not text, so a text file
        // quoting "%PDF-" stays text.
        Some(_) => std::str::from_utf8(head).is_err(),
        None => false,
    }
}

fn format_from_name(name: &str) -> Option<Format> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => Some(Format::Pdf),
        "docx" | "docm" | "dotx" => Some(Format::Docx),
        "html" | "htm" | "xhtml" => Some(Format::Html),
        "txt" | "text" | "md" | "markdown" => Some(Format::Text),
        _ => None,
    }
}

const HTML_TAGS: &[&str] = &[
    "p",
    "div",
    "span",
    "br",
    "a",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "td",
    "th",
    "b",
    "i",
    "em",
    "strong",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "img",
    "meta",
    "link",
    "title",
    "head",
    "body",
    "html",
    "hr",
    "pre",
    "code",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "font",
    "style",
    "script",
];

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let lead: Vec<u8> = head[start..head.len().min(start + 16)].to_ascii_lowercase();
    for opener in [&b"<!doctype"[..], b"<html", b"<head", b"<body"] {
        if lead.starts_with(opener) {
            return true;
        }
    }
    // "Several tags": three or more opening or closing tags of common HTML
    // elements (`<p>`, `</div>`, `<br/>`, `<a href=...>`).
    let mut tags = 0;
    let mut i = 0;
    while let Some(off) = head[i..].iter().position(|&b| b == b'<') {
        let at = i + off + 1;
        i = at;
        let rest = &head[at..];
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if len == 0 || len > 10 {
            continue;
        }
        let name = rest[..len].to_ascii_lowercase();
        let after = rest.get(len).copied();
        let ends = matches!(after, Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r'));
        if ends && HTML_TAGS.iter().any(|t| t.as_bytes() == name.as_slice()) {
            tags += 1;
            if tags >= 3 {
                return true;
            }
        }
    }
    false
}

/// UTF-8 (BOM stripped), or UTF-16 with a BOM; binary is an error.
fn decode_text(bytes: &[u8], warnings: &mut Vec<String>) -> Result<String, ExtractError> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok(decode_utf16(rest, u16::from_le_bytes, warnings));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok(decode_utf16(rest, u16::from_be_bytes, warnings));
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ExtractError::LegacyWord);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(ExtractError::NotText);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => Err(ExtractError::NotText),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, warnings: &mut Vec<String>) -> String {
    if bytes.len() % 2 == 1 {
        warnings.push("the UTF-16 text ends with half a character, which was dropped".into());
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut bad = false;
    let text: String = char::decode_utf16(units)
        .map(|r| {
            r.unwrap_or_else(|_| {
                bad = true;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    if bad {
        warnings.push("the UTF-16 text has broken characters, replaced by \u{FFFD}".into());
    }
    text
}

fn cap_chars(text: String, max: usize, warnings: &mut Vec<String>) -> String {
    if text.len() <= max {
        return text; // fewer bytes than the cap, so fewer chars
    }
    match text.char_indices().nth(max) {
        None => text,
        Some((cut, _)) => {
            warnings.push(format!(
                "the text was truncated to its first {max} characters"
            ));
            let mut text = text;
            text.truncate(cut);
            text
        }
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Removes control characters other than tab and newline, and spells out
/// the Latin ligatures fonts use (`ﬁ` → `fi`), so extracted words match.
pub(crate) fn clean_char(c: char, out: &mut String) {
    match c {
        '\t' | '\n' => out.push(c),
        '\r' => out.push('\n'),
        '\u{FB00}' => out.push_str("ff"),
        '\u{FB01}' => out.push_str("fi"),
        '\u{FB02}' => out.push_str("fl"),
        '\u{FB03}' => out.push_str("ffi"),
        '\u{FB04}' => out.push_str("ffl"),
        '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
        '\u{A0}' => out.push(' '),
        c if c.is_control() => {}
        '\u{FEFF}' | '\u{200B}' => {}
        c => out.push(c),
    }
}

/// Trims trailing spaces of each line, drops blank lines at the ends and
/// collapses runs of more than one blank line.
pub(crate) fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split('\n') {
        let line = line.trim_end_matches([' ', '\t']);
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}
