//! PDF → text: `lopdf` parses the file, fonts and encodings; this module
//! interprets the page content streams (text state, matrices, form
//! XObjects) and lays the glyph runs out as words and lines.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::rc::Rc;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId, Stream};

use crate::{clean_char, find, tidy_lines, ExtractError, MAX_OUTPUT_CHARS};

/// The most bytes one content stream may inflate to.
const MAX_STREAM_BYTES: u64 = 64 * 1024 * 1024;
/// The most bytes all content streams of a file may inflate to.
const MAX_TOTAL_STREAM_BYTES: u64 = 256 * 1024 * 1024;
/// How deep form XObjects may nest.
const MAX_FORM_DEPTH: usize = 12;
/// The most content-stream operations interpreted for a file.
const MAX_OPERATIONS: usize = 20_000_000;
/// How far up the page tree `/Resources` are inherited from.
const MAX_PARENT_DEPTH: usize = 64;
/// A gap wider than this (in text-space units, i.e. times the font size)
/// between two glyph runs on one line is a space.
const SPACE_GAP_EM: f32 = 0.15;

pub(crate) fn extract(bytes: &[u8], warnings: &mut Vec<String>) -> Result<String, ExtractError> {
    let doc = match guarded(|| Document::load_mem(bytes))? {
        Ok(doc) => doc,
        Err(err) => {
            if find(bytes, b"/Encrypt").is_some() {
                return Err(ExtractError::PdfEncrypted);
            }
            return Err(ExtractError::PdfMalformed(describe(&err)));
        }
    };
    // lopdf decrypts files with an empty user password (owner-password
    // "protection") and removes /Encrypt; where it stays, a password is needed.
    if doc.trailer.get(b"Encrypt").is_ok() {
        return Err(ExtractError::PdfEncrypted);
    }
    // lopdf bounds the page-tree walk (depth 256, as many steps as objects);
    // a tree that lists a node twice still yields its pages twice: once each.
    let pages: Vec<ObjectId> = guarded(|| {
        let mut seen = HashSet::new();
        doc.page_iter().filter(|id| seen.insert(*id)).collect()
    })?;
    if pages.is_empty() {
        return Err(ExtractError::PdfMalformed("it has no pages".into()));
    }

    let mut layout = Layout::new(&doc);
    let mut page_texts = Vec::new();
    let mut chars = 0usize;
    for (index, &page_id) in pages.iter().enumerate() {
        if layout.ops_left == 0 || layout.stream_budget == 0 {
            warnings.push(format!(
                "the PDF is too complex to read in full: only its first {index} pages were read"
            ));
            break;
        }
        let resources = page_resources(&doc, page_id);
        let mut data = Vec::new();
        for id in doc.get_page_contents(page_id) {
            if let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) {
                if let Some(bytes) = layout.stream_data(stream)? {
                    data.extend_from_slice(&bytes);
                    data.push(b'\n');
                }
            }
        }
        layout.begin_page();
        layout.run(&data, resources, 0)?;
        let text = tidy_lines(&std::mem::take(&mut layout.out));
        chars += text.chars().count();
        page_texts.push(text);
        if chars > MAX_OUTPUT_CHARS {
            break; // the caller cuts the text and says so
        }
    }

    let text = page_texts
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if !layout.undecodable.is_empty() {
        if text.trim().is_empty() {
            return Err(ExtractError::PdfUnreadableText);
        }
        let fonts: Vec<&str> = layout.undecodable.iter().map(String::as_str).collect();
        warnings.push(format!(
            "some text of this PDF could not be read (fonts without a Unicode mapping: {}) and is missing",
            fonts.join(", ")
        ));
    }
    if layout.bad_streams > 0 {
        warnings.push(format!(
            "{} content stream(s) of this PDF could not be read; their text is missing",
            layout.bad_streams
        ));
    }
    if text.trim().is_empty() {
        return Err(ExtractError::PdfNoText);
    }
    Ok(text)
}

/// Runs `f`, turning a panic into an error where panics unwind. See the
/// crate docs: lopdf is known to panic on some malformed input.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ExtractError> {
    #[cfg(panic = "unwind")]
    {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
            ExtractError::PdfMalformed("the PDF parser failed on its damaged structure".into())
        })
    }
    #[cfg(not(panic = "unwind"))]
    {
        Ok(f())
    }
}

fn describe(err: &lopdf::Error) -> String {
    use lopdf::Error as E;
    match err {
        E::Parse(_) | E::Xref(_) | E::InvalidOffset(_) | E::MissingXrefEntry => {
            format!("it is damaged or truncated ({err})")
        }
        _ => err.to_string(),
    }
}

fn page_resources(doc: &Document, page_id: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page_id).ok();
    for _ in 0..MAX_PARENT_DEPTH {
        let dict = node?;
        if let Ok(res) = dict.get_deref(b"Resources", doc).and_then(Object::as_dict) {
            return Some(res);
        }
        node = dict
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok();
    }
    None
}

// ---------------------------------------------------------------- matrices

#[derive(Debug, Clone, Copy, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self × other` (PDF's row-vector convention: apply self, then other).
    fn then(self, other: Matrix) -> Matrix {
        let [a1, b1, c1, d1, e1, f1] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a1 * a2 + b1 * c2,
            a1 * b2 + b1 * d2,
            c1 * a2 + d1 * c2,
            c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2,
            e1 * b2 + f1 * d2 + f2,
        ])
    }

    fn origin(self) -> (f32, f32) {
        (self.0[4], self.0[5])
    }

    /// How much the matrix scales lengths (square root of |det|).
    fn scale(self) -> f32 {
        let [a, b, c, d, _, _] = self.0;
        (a * d - b * c).abs().sqrt()
    }

    fn from_operands(ops: &[Object]) -> Option<Matrix> {
        if ops.len() < 6 {
            return None;
        }
        let mut m = [0.0; 6];
        for (slot, op) in m.iter_mut().zip(ops) {
            *slot = num(op)?;
        }
        Some(Matrix(m))
    }
}

fn num(obj: &Object) -> Option<f32> {
    match obj {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

// ---------------------------------------------------------------- fonts

/// How a font's codes become text, owned (no borrow of the document).
enum Decoder {
    /// Simple fonts: one byte per code.
    Table(Vec<String>),
    /// Composite fonts with a ToUnicode CMap (codes of 1–4 bytes).
    CMap(Encoding<'static>),
    /// Composite fonts in a UCS-2/UTF-16 CMap.
    Utf16Be,
    /// No way to Unicode.
    None,
}

enum Widths {
    Simple {
        first: u32,
        widths: Vec<f32>,
        missing: f32,
    },
    Cid {
        ranges: BTreeMap<u32, (u32, f32)>,
        default: f32,
    },
}

struct Font {
    name: String,
    decoder: Decoder,
    two_byte: bool,
    widths: Widths,
    /// Glyph-space units per text-space unit × 1000 (Type 3 fonts).
    width_scale: f32,
}

impl Font {
    fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        let two_byte = subtype == b"Type0";
        let base_font = dict
            .get(b"BaseFont")
            .and_then(Object::as_name)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_else(|_| "unnamed".to_owned());
        // Subset fonts are named "ABCDEF+Name".
        let name = match base_font.split_once('+') {
            Some((tag, rest)) if tag.len() == 6 => rest.to_owned(),
            _ => base_font,
        };
        let decoder = if two_byte {
            composite_decoder(doc, dict)
        } else {
            simple_decoder(doc, dict)
        };
        let widths = if two_byte {
            cid_widths(doc, dict)
        } else {
            simple_widths(doc, dict, &name)
        };
        let width_scale = if subtype == b"Type3" {
            dict.get_deref(b"FontMatrix", doc)
                .and_then(Object::as_array)
                .ok()
                .and_then(|m| m.first().and_then(num))
                .map(|s| (s * 1000.0).abs())
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(1.0)
        } else {
            1.0
        };
        Font {
            name,
            decoder,
            two_byte,
            widths,
            width_scale,
        }
    }

    /// Width of a code in text-space units per unit of font size.
    fn width(&self, code: u32) -> f32 {
        let w = match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
            } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize).copied())
                .unwrap_or(*missing),
            Widths::Cid { ranges, default } => match ranges.range(..=code).next_back() {
                Some((_, &(last, w))) if code <= last => w,
                _ => *default,
            },
        };
        w * self.width_scale / 1000.0
    }

    /// The text of a string operand, or `None` when it cannot be decoded.
    fn decode(&self, bytes: &[u8]) -> Option<String> {
        match &self.decoder {
            Decoder::Table(table) => {
                Some(bytes.iter().map(|&b| table[b as usize].as_str()).collect())
            }
            Decoder::CMap(enc) => enc.bytes_to_string(bytes).ok(),
            Decoder::Utf16Be => {
                let units = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]));
                Some(
                    char::decode_utf16(units)
                        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                        .collect(),
                )
            }
            Decoder::None => None,
        }
    }
}

/// A copy of a font dictionary that lopdf's `get_font_encoding` accepts
/// (it wants `/Type /Font`), without the given key.
fn font_dict_without(dict: &Dictionary, key: &[u8]) -> Dictionary {
    let mut copy = dict.clone();
    copy.remove(key);
    copy.set("Type", Object::Name(b"Font".to_vec()));
    copy
}

/// The font's ToUnicode CMap, when it has one that lopdf can parse.
fn to_unicode(doc: &Document, dict: &Dictionary) -> Option<Encoding<'static>> {
    dict.get_deref(b"ToUnicode", doc)
        .and_then(Object::as_stream)
        .ok()?;
    let copy = font_dict_without(dict, b"Encoding");
    match copy.get_font_encoding(doc) {
        Ok(Encoding::UnicodeMapEncoding(cmap)) => Some(Encoding::UnicodeMapEncoding(cmap)),
        _ => None,
    }
}

fn simple_decoder(doc: &Document, dict: &Dictionary) -> Decoder {
    let base = font_dict_without(dict, b"ToUnicode");
    let base_enc = base
        .get_font_encoding(doc)
        .unwrap_or(Encoding::SimpleEncoding(b"WinAnsiEncoding"));
    let unicode = to_unicode(doc, dict);
    let table = (0..=255u8)
        .map(|b| {
            let mapped = unicode
                .as_ref()
                .and_then(|enc| enc.bytes_to_string(&[b]).ok())
                .filter(|s| !s.is_empty() && s != "\u{FFFD}" && s != "\0");
            mapped.unwrap_or_else(|| base_enc.bytes_to_string(&[b]).unwrap_or_default())
        })
        .collect();
    Decoder::Table(table)
}

fn composite_decoder(doc: &Document, dict: &Dictionary) -> Decoder {
    if let Some(enc) = to_unicode(doc, dict) {
        return Decoder::CMap(enc);
    }
    let cmap_name = dict
        .get(b"Encoding")
        .and_then(Object::as_name)
        .unwrap_or(b"");
    let name = String::from_utf8_lossy(cmap_name);
    if name.contains("UCS2") || name.contains("UTF16") {
        Decoder::Utf16Be
    } else {
        Decoder::None
    }
}

fn simple_widths(doc: &Document, dict: &Dictionary, name: &str) -> Widths {
    let first = dict
        .get(b"FirstChar")
        .ok()
        .and_then(num)
        .unwrap_or(0.0)
        .max(0.0) as u32;
    let missing = dict
        .get_deref(b"FontDescriptor", doc)
        .and_then(Object::as_dict)
        .and_then(|d| d.get(b"MissingWidth"))
        .ok()
        .and_then(num);
    if let Ok(array) = dict.get_deref(b"Widths", doc).and_then(Object::as_array) {
        let widths: Vec<f32> = array
            .iter()
            .take(65_536)
            .map(|w| {
                doc.dereference(w)
                    .ok()
                    .and_then(|(_, o)| num(o))
                    .unwrap_or(0.0)
            })
            .collect();
        let avg = if widths.is_empty() {
            500.0
        } else {
            widths.iter().sum::<f32>() / widths.len() as f32
        };
        return Widths::Simple {
            first,
            widths,
            missing: missing.unwrap_or(avg),
        };
    }
    // The standard 14 fonts come without /Widths: use their metrics.
    let (table, other) = standard_widths(name);
    Widths::Simple {
        first: 32,
        widths: table.iter().map(|&w| w as f32).collect(),
        missing: other,
    }
}

fn cid_widths(doc: &Document, dict: &Dictionary) -> Widths {
    let mut ranges = BTreeMap::new();
    let descendant = dict
        .get_deref(b"DescendantFonts", doc)
        .and_then(Object::as_array)
        .ok()
        .and_then(|a| a.first())
        .and_then(|d| doc.dereference(d).ok())
        .and_then(|(_, d)| d.as_dict().ok());
    let Some(cid_font) = descendant else {
        return Widths::Cid {
            ranges,
            default: 1000.0,
        };
    };
    let default = cid_font.get(b"DW").ok().and_then(num).unwrap_or(1000.0);
    if let Ok(w) = cid_font.get_deref(b"W", doc).and_then(Object::as_array) {
        let items: Vec<&Object> = w
            .iter()
            .take(200_000)
            .filter_map(|o| doc.dereference(o).ok().map(|(_, o)| o))
            .collect();
        let mut i = 0;
        while i + 1 < items.len() {
            let Some(start) = num(items[i]).filter(|s| *s >= 0.0).map(|s| s as u32) else {
                break;
            };
            if let Ok(list) = items[i + 1].as_array() {
                for (k, w) in list.iter().enumerate() {
                    if let Some(w) = num(w) {
                        let code = start.saturating_add(k as u32);
                        ranges.insert(code, (code, w));
                    }
                }
                i += 2;
            } else if i + 2 < items.len() {
                let end = num(items[i + 1]).filter(|e| *e >= 0.0).map(|e| e as u32);
                if let (Some(end), Some(w)) = (end, num(items[i + 2])) {
                    if end >= start {
                        ranges.insert(start, (end, w));
                    }
                }
                i += 3;
            } else {
                break;
            }
        }
    }
    Widths::Cid { ranges, default }
}

/// Widths of codes 32..=126 of the standard fonts (from Adobe's AFM
/// files), and a width for other codes.
fn standard_widths(name: &str) -> (&'static [u16], f32) {
    if name.contains("Courier") || name.contains("Mono") {
        (&[600; 95], 600.0)
    } else if name.contains("Times") || name.contains("Serif") {
        (&TIMES_WIDTHS, 500.0)
    } else {
        (&HELVETICA_WIDTHS, 556.0)
    }
}

#[rustfmt::skip]
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

#[rustfmt::skip]
const TIMES_WIDTHS: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 333, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
];

// ---------------------------------------------------------------- layout

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
}

impl GState {
    fn new() -> GState {
        GState {
            ctm: Matrix::IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
        }
    }
}

/// Where the previous glyph run ended, in device space.
#[derive(Clone, Copy)]
struct Pen {
    x: f32,
    y: f32,
    size: f32,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum FontKey {
    Id(ObjectId),
    Direct(usize),
}

struct Layout<'a> {
    doc: &'a Document,
    fonts: HashMap<FontKey, Rc<Font>>,
    out: String,
    pen: Option<Pen>,
    ops_left: usize,
    stream_budget: u64,
    bad_streams: usize,
    undecodable: std::collections::BTreeSet<String>,
    forms: HashSet<ObjectId>,
}

/// Text state local to one content stream (BT…ET matrices).
struct Frame {
    gs: GState,
    stack: Vec<GState>,
    overflow: usize,
    tm: Matrix,
    tlm: Matrix,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a Document) -> Layout<'a> {
        Layout {
            doc,
            fonts: HashMap::new(),
            out: String::new(),
            pen: None,
            ops_left: MAX_OPERATIONS,
            stream_budget: MAX_TOTAL_STREAM_BYTES,
            bad_streams: 0,
            undecodable: Default::default(),
            forms: HashSet::new(),
        }
    }

    fn begin_page(&mut self) {
        self.out.clear();
        self.pen = None;
    }

    /// The decoded bytes of a content stream, inflated within the budget;
    /// `None` (counted) when they cannot be read.
    fn stream_data(&mut self, stream: &Stream) -> Result<Option<Vec<u8>>, ExtractError> {
        let limit = self.stream_budget.min(MAX_STREAM_BYTES);
        let filters = stream.filters().unwrap_or_default();
        let has_params = stream.dict.get(b"DecodeParms").is_ok();
        let data = match filters.as_slice() {
            [] => Some(stream.content.clone()),
            [b"FlateDecode" | b"Fl"] if !has_params => Some(inflate(&stream.content, limit)),
            _ => guarded(|| stream.decompressed_content())?.ok(),
        };
        let Some(mut data) = data else {
            self.bad_streams += 1;
            return Ok(None);
        };
        if data.len() as u64 > limit {
            data.truncate(limit as usize);
        }
        self.stream_budget -= data.len() as u64;
        Ok(Some(data))
    }

    fn font(&mut self, resources: Option<&Dictionary>, name: &[u8]) -> Option<Rc<Font>> {
        let doc = self.doc;
        let fonts = resources?
            .get_deref(b"Font", doc)
            .and_then(Object::as_dict)
            .ok()?;
        let entry = fonts.get(name).ok()?;
        let (id, obj) = doc.dereference(entry).ok()?;
        let dict = obj.as_dict().ok()?;
        let key = match id {
            Some(id) => FontKey::Id(id),
            None => FontKey::Direct(dict as *const Dictionary as usize),
        };
        if let Some(font) = self.fonts.get(&key) {
            return Some(font.clone());
        }
        let font = Rc::new(Font::load(doc, dict));
        self.fonts.insert(key, font.clone());
        Some(font)
    }

    /// Interprets one content stream (a page's, or a form's).
    fn run(
        &mut self,
        data: &[u8],
        resources: Option<&'a Dictionary>,
        depth: usize,
    ) -> Result<(), ExtractError> {
        self.run_with(data, resources, depth, GState::new())
    }

    fn run_with(
        &mut self,
        data: &[u8],
        resources: Option<&'a Dictionary>,
        depth: usize,
        gs: GState,
    ) -> Result<(), ExtractError> {
        let data = strip_inline_images(data);
        let content = match guarded(|| Content::decode(&data))? {
            Ok(content) => content,
            Err(_) => {
                self.bad_streams += 1;
                return Ok(());
            }
        };
        let mut frame = Frame {
            gs,
            stack: Vec::new(),
            overflow: 0,
            tm: Matrix::IDENTITY,
            tlm: Matrix::IDENTITY,
        };
        for op in &content.operations {
            if self.ops_left == 0 {
                return Ok(());
            }
            self.ops_left -= 1;
            self.operation(op, &mut frame, resources, depth)?;
            if self.out.len() > MAX_OUTPUT_CHARS * 4 {
                return Ok(());
            }
        }
        Ok(())
    }

    fn operation(
        &mut self,
        op: &Operation,
        f: &mut Frame,
        resources: Option<&'a Dictionary>,
        depth: usize,
    ) -> Result<(), ExtractError> {
        let args = &op.operands;
        let n = |i: usize| args.get(i).and_then(num);
        match op.operator.as_str() {
            "q" => {
                if f.stack.len() < 1024 {
                    f.stack.push(f.gs.clone());
                } else {
                    f.overflow += 1;
                }
            }
            "Q" => {
                if f.overflow > 0 {
                    f.overflow -= 1;
                } else if let Some(gs) = f.stack.pop() {
                    f.gs = gs;
                }
            }
            "cm" => {
                if let Some(m) = Matrix::from_operands(args) {
                    f.gs.ctm = m.then(f.gs.ctm);
                }
            }
            "BT" => {
                f.tm = Matrix::IDENTITY;
                f.tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                if let Some(name) = args.first().and_then(|o| o.as_name().ok()) {
                    f.gs.font = self.font(resources, name);
                }
                if let Some(size) = n(1) {
                    f.gs.size = size;
                }
            }
            "Tc" => f.gs.char_spacing = n(0).unwrap_or(0.0),
            "Tw" => f.gs.word_spacing = n(0).unwrap_or(0.0),
            "Tz" => f.gs.h_scale = n(0).unwrap_or(100.0) / 100.0,
            "TL" => f.gs.leading = n(0).unwrap_or(0.0),
            "Td" | "TD" => {
                let (tx, ty) = (n(0).unwrap_or(0.0), n(1).unwrap_or(0.0));
                if op.operator == "TD" {
                    f.gs.leading = -ty;
                }
                f.tlm = Matrix::translate(tx, ty).then(f.tlm);
                f.tm = f.tlm;
            }
            "Tm" => {
                if let Some(m) = Matrix::from_operands(args) {
                    f.tlm = m;
                    f.tm = m;
                }
            }
            "T*" => next_line(f),
            "Tj" => {
                if let Some(s) = args.first().and_then(|o| o.as_str().ok()) {
                    self.show(f, s);
                }
            }
            "'" => {
                next_line(f);
                if let Some(s) = args.first().and_then(|o| o.as_str().ok()) {
                    self.show(f, s);
                }
            }
            "\"" => {
                f.gs.word_spacing = n(0).unwrap_or(f.gs.word_spacing);
                f.gs.char_spacing = n(1).unwrap_or(f.gs.char_spacing);
                next_line(f);
                if let Some(s) = args.get(2).and_then(|o| o.as_str().ok()) {
                    self.show(f, s);
                }
            }
            "TJ" => {
                if let Some(items) = args.first().and_then(|o| o.as_array().ok()) {
                    for item in items {
                        match item {
                            Object::String(s, _) => self.show(f, s),
                            other => {
                                if let Some(adj) = num(other) {
                                    let tx = -adj / 1000.0 * f.gs.size * f.gs.h_scale;
                                    f.tm = Matrix::translate(tx, 0.0).then(f.tm);
                                }
                            }
                        }
                    }
                }
            }
            "Do" => {
                if let Some(name) = args.first().and_then(|o| o.as_name().ok()) {
                    self.form(f, resources, name, depth)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs a form XObject (`Do`), bounded in depth and free of cycles.
    fn form(
        &mut self,
        f: &mut Frame,
        resources: Option<&'a Dictionary>,
        name: &[u8],
        depth: usize,
    ) -> Result<(), ExtractError> {
        let doc = self.doc;
        if depth >= MAX_FORM_DEPTH {
            return Ok(());
        }
        let Some(xobjects) = resources
            .and_then(|r| r.get_deref(b"XObject", doc).ok())
            .and_then(|x| x.as_dict().ok())
        else {
            return Ok(());
        };
        let Ok(Object::Reference(id)) = xobjects.get(name) else {
            return Ok(());
        };
        let id = *id;
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(()); // an image: no text
        }
        if !self.forms.insert(id) {
            return Ok(()); // a form that draws itself
        }
        let form_resources = stream
            .dict
            .get_deref(b"Resources", doc)
            .and_then(Object::as_dict)
            .ok()
            .or(resources);
        let mut gs = f.gs.clone();
        if let Some(m) = stream
            .dict
            .get_deref(b"Matrix", doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| Matrix::from_operands(a))
        {
            gs.ctm = m.then(gs.ctm);
        }
        let result = match self.stream_data(stream)? {
            Some(data) => self.run_with(&data, form_resources, depth + 1, gs),
            None => Ok(()),
        };
        self.forms.remove(&id);
        result
    }

    /// Shows a string: decodes it, advances the text matrix by its width
    /// and places it relative to the previous glyph run.
    fn show(&mut self, f: &mut Frame, bytes: &[u8]) {
        let Some(font) = f.gs.font.clone() else {
            return;
        };
        let gs = &f.gs;
        let mut advance = 0.0;
        if font.two_byte {
            for code in bytes.chunks(2) {
                let code = code.iter().fold(0u32, |acc, &b| acc << 8 | b as u32);
                advance += (font.width(code) * gs.size + gs.char_spacing) * gs.h_scale;
            }
        } else {
            for &b in bytes {
                let mut w = font.width(b as u32) * gs.size + gs.char_spacing;
                if b == b' ' {
                    w += gs.word_spacing;
                }
                advance += w * gs.h_scale;
            }
        }
        let start = f.tm.then(gs.ctm);
        f.tm = Matrix::translate(advance, 0.0).then(f.tm);
        let end = f.tm.then(gs.ctm);
        let size = (gs.size.abs() * start.scale()).max(0.01);

        let Some(raw) = font.decode(bytes) else {
            if !bytes.is_empty() {
                self.undecodable.insert(font.name.clone());
            }
            return;
        };
        let mut text = String::with_capacity(raw.len());
        for c in raw.chars() {
            clean_char(c, &mut text);
        }
        self.place(&text, start.origin(), end.origin(), size);
    }

    fn place(&mut self, text: &str, (x, y): (f32, f32), (end_x, _): (f32, f32), size: f32) {
        if text.is_empty() {
            return;
        }
        let ends_blank = self.out.is_empty() || self.out.ends_with([' ', '\n', '\t']);
        if let Some(pen) = self.pen {
            let tolerance = 0.5 * size.min(pen.size).max(0.5);
            if (y - pen.y).abs() > tolerance {
                if !self.out.is_empty() && !self.out.ends_with('\n') {
                    self.out.push('\n');
                }
            } else {
                let gap = x - pen.x;
                let wide = gap > SPACE_GAP_EM * size.max(pen.size) || gap < -size.max(pen.size);
                if wide && !ends_blank && !text.starts_with([' ', '\t']) {
                    self.out.push(' ');
                }
            }
        }
        if text.trim().is_empty() {
            if !ends_blank {
                self.out.push(' ');
            }
        } else {
            self.out.push_str(text);
        }
        self.pen = Some(Pen { x: end_x, y, size });
    }
}

fn next_line(f: &mut Frame) {
    f.tlm = Matrix::translate(0.0, -f.gs.leading).then(f.tlm);
    f.tm = f.tlm;
}

/// Inflates zlib (or raw deflate) data, keeping at most `limit + 1` bytes
/// and whatever came out of a truncated stream.
fn inflate(data: &[u8], limit: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let zlib = flate2::read::ZlibDecoder::new(data)
        .take(limit + 1)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() {
        let _ = flate2::read::DeflateDecoder::new(data)
            .take(limit + 1)
            .read_to_end(&mut out);
    }
    out
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// Cuts inline images (`BI … ID <data> EI`) out of a content stream: they
/// hold no text, their binary data confuses tokenizers, and lopdf's parser
/// panics on some of them (see the crate docs).
fn strip_inline_images(data: &[u8]) -> Cow<'_, [u8]> {
    if find(data, b"BI").is_none() {
        return Cow::Borrowed(data);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut copied = 0;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if is_white(b) {
            i += 1;
        } else if b == b'%' {
            while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                i += 1;
            }
        } else if b == b'(' {
            i = skip_literal_string(data, i);
        } else if b == b'<' && data.get(i + 1) != Some(&b'<') {
            while i < data.len() && data[i] != b'>' {
                i += 1;
            }
            i += 1;
        } else if is_delim(b) && b != b'/' {
            i += 1;
        } else {
            let start = i;
            i += 1;
            while i < data.len() && !is_white(data[i]) && !is_delim(data[i]) {
                i += 1;
            }
            if &data[start..i] == b"BI" {
                out.extend_from_slice(&data[copied..start]);
                out.push(b'\n');
                i = end_of_inline_image(data, i);
                copied = i;
            }
        }
    }
    out.extend_from_slice(&data[copied.min(data.len())..]);
    Cow::Owned(out)
}

fn skip_literal_string(data: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < data.len() {
        match data[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    data.len()
}

/// From just after `BI`, the index after the image's `EI` (or the end).
fn end_of_inline_image(data: &[u8], from: usize) -> usize {
    // The image dictionary ends at the keyword ID.
    let mut i = from;
    let mut data_start = None;
    while i < data.len() {
        let b = data[i];
        if b == b'(' {
            i = skip_literal_string(data, i);
            continue;
        }
        if b == b'I'
            && data.get(i + 1) == Some(&b'D')
            && (i == 0 || is_white(data[i - 1]) || is_delim(data[i - 1]))
            && data.get(i + 2).is_none_or(|&c| is_white(c))
        {
            data_start = Some(i + 3);
            break;
        }
        i += 1;
    }
    let Some(mut j) = data_start else {
        return data.len();
    };
    while j + 1 < data.len() {
        if data[j] == b'E'
            && data[j + 1] == b'I'
            && is_white(data[j - 1])
            && data.get(j + 2).is_none_or(|&c| is_white(c) || is_delim(c))
        {
            return j + 2;
        }
        j += 1;
    }
    data.len()
}
