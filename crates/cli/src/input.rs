//! Line input that reports invalid UTF-8 with its line number and copes with huge lines.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: not valid UTF-8 (byte {offset} of the line)")]
    Utf8 { line: u64, offset: usize },
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
}

pub fn open(file: Option<&Path>) -> Result<Box<dyn BufRead>> {
    Ok(match file {
        None => Box::new(BufReader::new(std::io::stdin())),
        Some(p) if p == Path::new("-") => Box::new(BufReader::new(std::io::stdin())),
        Some(p) => Box::new(BufReader::new(
            std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
        )),
    })
}

/// The largest whole-document input read at once.
pub const MAX_INPUT: u64 = 64 << 20;

/// A whole input (`file`, or stdin for `None` / `-`) as UTF-8 text, at most
/// [`MAX_INPUT`] bytes.
pub fn read_text(file: Option<&Path>) -> Result<String> {
    let mut bytes = Vec::new();
    open(file)?
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .context("reading input")?;
    if bytes.len() as u64 > MAX_INPUT {
        anyhow::bail!("input is larger than {} MiB", MAX_INPUT >> 20);
    }
    String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("input is not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

/// A job post or résumé file as text: plain text, HTML (converted to its
/// text), PDF or DOCX (their text layer); `-` reads stdin. Unreadable
/// formats (a scanned PDF, a broken DOCX) are errors that say why.
pub fn read_document(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    open(Some(path))?
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    let name = path.file_name().and_then(|n| n.to_str());
    let doc = skillmark_extract::extract(&bytes, name)
        .with_context(|| format!("reading {}", path.display()))?;
    for w in &doc.warnings {
        eprintln!("skillmark: warning: {}: {w}", path.display());
    }
    Ok(match doc.format {
        skillmark_extract::Format::Html => skillmark::html::html_to_text(&doc.text),
        _ => doc.text,
    })
}

/// Lines without their `\n` / `\r\n`, numbered from 1 in errors.
pub fn lines<R: Read>(reader: R) -> impl Iterator<Item = Result<String, LineError>> {
    let mut reader = BufReader::new(reader);
    let mut n = 0u64;
    let mut buf = Vec::new();
    std::iter::from_fn(move || {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                n += 1;
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                Some(match std::str::from_utf8(&buf) {
                    Ok(s) => Ok(s.to_string()),
                    Err(e) => Err(LineError::Utf8 {
                        line: n,
                        offset: e.valid_up_to(),
                    }),
                })
            }
            Err(e) => Some(Err(e.into())),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_invalid_utf8_and_strips_newlines() {
        let data = b"first\r\nsecond\n\xff\xfe bad\nlast";
        let got: Vec<_> = lines(&data[..]).collect();
        assert_eq!(got[0].as_ref().unwrap(), "first");
        assert_eq!(got[1].as_ref().unwrap(), "second");
        match &got[2] {
            Err(LineError::Utf8 { line, offset }) => assert_eq!((*line, *offset), (3, 0)),
            other => panic!("{other:?}"),
        }
        assert_eq!(got[3].as_ref().unwrap(), "last");
    }
}
