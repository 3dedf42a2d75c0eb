//! DOCX → text: the `zip` container, the main document part read with
//! `quick-xml` as paragraphs, tabs, breaks and table rows.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;
use zip::ZipArchive;

use crate::{clean_char, tidy_lines, ExtractError, MAX_DOCX_PART_BYTES, MAX_OUTPUT_CHARS};

const DEFAULT_PART: &str = "word/document.xml";
const MAX_XML_DEPTH: usize = 512;

/// Whether the bytes are a ZIP archive holding a Word document part.
pub(crate) fn has_document_part(bytes: &[u8]) -> bool {
    ZipArchive::new(Cursor::new(bytes))
        .map(|zip| zip.index_for_name(DEFAULT_PART).is_some())
        .unwrap_or(false)
}

pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| ExtractError::DocxNotZip(e.to_string()))?;
    let part = main_part(&mut zip)?;
    let xml = read_part(&mut zip, &part)?;
    let text = document_text(&xml, &part)?;
    Ok(tidy_lines(&text))
}

/// The main document part: the target of `_rels/.rels`' officeDocument
/// relationship when it names a part that exists, else `word/document.xml`.
fn main_part(zip: &mut ZipArchive<Cursor<&[u8]>>) -> Result<String, ExtractError> {
    if zip.index_for_name("_rels/.rels").is_some() {
        if let Ok(rels) = read_part(zip, "_rels/.rels") {
            if let Some(target) = office_document_target(&rels) {
                let target = target.trim_start_matches('/').to_owned();
                if zip.index_for_name(&target).is_some() {
                    return Ok(target);
                }
            }
        }
    }
    if zip.index_for_name(DEFAULT_PART).is_some() {
        Ok(DEFAULT_PART.to_owned())
    } else {
        Err(ExtractError::DocxMissingDocument)
    }
}

fn office_document_target(rels: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(rels);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let mut kind = None;
                let mut target = None;
                for attr in e.attributes().flatten() {
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()?
                        .into_owned();
                    match attr.key.local_name().as_ref() {
                        b"Type" => kind = Some(value),
                        b"Target" => target = Some(value),
                        _ => {}
                    }
                }
                if kind.is_some_and(|k| k.ends_with("/officeDocument")) {
                    return target;
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Reads a part, refusing one that inflates past the limit (checked on the
/// bytes read, not trusted from the header).
fn read_part(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>, ExtractError> {
    let damaged = |e: &dyn std::fmt::Display| ExtractError::DocxPart {
        part: name.to_owned(),
        detail: e.to_string(),
    };
    let entry = zip.by_name(name).map_err(|e| damaged(&e))?;
    if entry.size() > MAX_DOCX_PART_BYTES {
        return Err(ExtractError::DocxPartTooLarge {
            part: name.to_owned(),
        });
    }
    let mut data = Vec::new();
    entry
        .take(MAX_DOCX_PART_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| damaged(&e))?;
    if data.len() as u64 > MAX_DOCX_PART_BYTES {
        return Err(ExtractError::DocxPartTooLarge {
            part: name.to_owned(),
        });
    }
    Ok(data)
}

/// Per open table: whether the current row has had a cell yet.
struct Table {
    row_has_cell: bool,
    /// Paragraphs in the current cell so far.
    cell_paragraphs: usize,
}

fn document_text(xml: &[u8], part: &str) -> Result<String, ExtractError> {
    let malformed = |detail: String| ExtractError::DocxXml {
        part: part.to_owned(),
        detail,
    };
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut out = String::new();
    // Local names of the open elements.
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    // Inside w:t (text), or inside content to skip (mc:Fallback repeats the
    // mc:Choice content; w:pPr/w:rPr hold tab stops, not tabs).
    let mut in_text = 0usize;
    let mut skip = 0usize;
    let mut seen_root = false;
    let mut truncated = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("{e} at byte {}", reader.error_position())))?;
        match event {
            Event::Start(e) => {
                seen_root = true;
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(malformed("elements nested too deep".into()));
                }
                let name = e.local_name().as_ref().to_vec();
                if skip > 0 || matches!(name.as_slice(), b"Fallback" | b"pPr" | b"rPr" | b"sectPr")
                {
                    skip += 1;
                } else {
                    open(&name, &stack, &mut tables, &mut out, &mut in_text);
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                seen_root = true;
                if skip == 0 {
                    let name = e.local_name().as_ref().to_vec();
                    open(&name, &stack, &mut tables, &mut out, &mut in_text);
                    close(&name, &mut tables, &mut out, &mut in_text);
                }
            }
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err(malformed("a closing tag without an opening one".into()));
                };
                if skip > 0 {
                    skip -= 1;
                } else {
                    close(&name, &mut tables, &mut out, &mut in_text);
                }
            }
            Event::Text(t) if in_text > 0 && skip == 0 => {
                let text = t.decode().map_err(|e| malformed(e.to_string()))?;
                push_text(&mut out, &text, &mut tables);
            }
            Event::CData(t) if in_text > 0 && skip == 0 => {
                let text = t.decode().map_err(|e| malformed(e.to_string()))?;
                push_text(&mut out, &text, &mut tables);
            }
            Event::GeneralRef(r) if in_text > 0 && skip == 0 => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| malformed(e.to_string()))?
                } else {
                    let name = r.decode().map_err(|e| malformed(e.to_string()))?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .and_then(|s| s.chars().next())
                };
                if let Some(c) = c {
                    push_text(&mut out, c.encode_utf8(&mut [0; 4]), &mut tables);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if out.len() > MAX_OUTPUT_CHARS * 4 {
            truncated = true;
            break;
        }
    }
    if !truncated {
        if !stack.is_empty() {
            return Err(malformed("it ends before its elements are closed".into()));
        }
        if !seen_root {
            return Err(malformed("it has no elements".into()));
        }
    }
    // A cut (`truncated`) is reported by the caller's cap on characters.
    Ok(out)
}

fn push_text(out: &mut String, text: &str, tables: &mut [Table]) {
    if let Some(table) = tables.last_mut() {
        // Paragraphs within one table cell are joined by a space.
        if table.cell_paragraphs > 0 && !text.trim().is_empty() {
            if !out.ends_with([' ', '\t', '\n']) {
                out.push(' ');
            }
            table.cell_paragraphs = 0;
        }
    }
    for c in text.chars() {
        clean_char(c, out);
    }
}

fn open(
    name: &[u8],
    stack: &[Vec<u8>],
    tables: &mut Vec<Table>,
    out: &mut String,
    in_text: &mut usize,
) {
    let parent = stack.last().map(Vec::as_slice);
    match name {
        // Text of runs, math runs and DrawingML shapes alike.
        b"t" => *in_text += 1,
        b"tab" if parent == Some(b"r") => out.push('\t'),
        b"br" | b"cr" if parent == Some(b"r") => out.push('\n'),
        b"noBreakHyphen" => out.push('-'),
        b"tbl" => tables.push(Table {
            row_has_cell: false,
            cell_paragraphs: 0,
        }),
        b"tr" => {
            if let Some(t) = tables.last_mut() {
                t.row_has_cell = false;
            }
        }
        b"tc" => {
            if let Some(t) = tables.last_mut() {
                if t.row_has_cell {
                    out.push('\t');
                }
                t.row_has_cell = true;
                t.cell_paragraphs = 0;
            }
        }
        _ => {}
    }
}

fn close(name: &[u8], tables: &mut Vec<Table>, out: &mut String, in_text: &mut usize) {
    match name {
        b"t" => *in_text = in_text.saturating_sub(1),
        b"p" => match tables.last_mut() {
            Some(t) => t.cell_paragraphs += 1,
            None => out.push('\n'),
        },
        b"tr" => out.push('\n'),
        b"tbl" => {
            tables.pop();
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        _ => {}
    }
}
