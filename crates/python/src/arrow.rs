//! The Arrow batch path, by hand over the Arrow C Data Interface
//! (<https://arrow.apache.org/docs/format/CDataInterface.html>): the input
//! strings are read in place from the exporter's buffers (no copy, no Python
//! string per row), and the result is written as Arrow buffers (offsets,
//! values, validity bitmaps) that the Python side wraps with
//! `pyarrow.Array.from_buffers`. Two C structs and one layout each way: the
//! `arrow` crates (arrow-array pulls in chrono, num, hashbrown and more) would
//! cost more compile time on CI's 2 cores than this whole crate.

use std::ffi::{c_char, c_void, CStr};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict};
use skillmark_schema::Highlights;

use crate::error;

/// `struct ArrowSchema` of the C Data Interface (all fields, for the layout).
#[repr(C)]
#[allow(dead_code)]
struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

/// `struct ArrowArray` of the C Data Interface (all fields, for the layout).
#[repr(C)]
#[allow(dead_code)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

/// The rows of a `string` (`u`) or `large_string` (`U`) array, `None` for a
/// null, borrowed from the array's buffers.
///
/// # Safety
/// The capsules must hold a live ArrowSchema / ArrowArray pair (as
/// `__arrow_c_array__` returns them) that stays alive and unmoved while the
/// returned slices are used.
pub unsafe fn read_strings<'a>(
    schema: &'a Bound<'_, PyCapsule>,
    array: &'a Bound<'_, PyCapsule>,
) -> PyResult<Vec<Option<&'a str>>> {
    let schema = schema.pointer_checked(Some(c"arrow_schema"))?;
    let array = array.pointer_checked(Some(c"arrow_array"))?;
    // SAFETY: the capsule names promise these types (the caller, their life).
    let (schema, array) = unsafe {
        (
            schema.cast::<ArrowSchema>().as_ref(),
            array.cast::<ArrowArray>().as_ref(),
        )
    };
    if schema.release.is_none() || array.release.is_none() {
        return Err(error("the Arrow array was already released or moved"));
    }
    // SAFETY: a live schema's format is a NUL-terminated string.
    let format = unsafe { CStr::from_ptr(schema.format) }.to_bytes();
    let large = match format {
        b"u" => false,
        b"U" => true,
        other => {
            return Err(error(format!(
                "expected an Arrow string or large_string array, got Arrow format {:?}",
                String::from_utf8_lossy(other)
            )))
        }
    };
    if array.n_buffers != 3 || array.buffers.is_null() {
        return Err(error("malformed Arrow string array (expected 3 buffers)"));
    }
    let (Ok(length), Ok(offset)) = (usize::try_from(array.length), usize::try_from(array.offset))
    else {
        return Err(error(
            "malformed Arrow string array (negative length or offset)",
        ));
    };
    if length == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: n_buffers is 3; a string array's buffers are validity (may be
    // null when there are no nulls), offsets (offset + length + 1 entries)
    // and data (as long as the last offset says).
    let buffers = unsafe { std::slice::from_raw_parts(array.buffers, 3) };
    if buffers[1].is_null() {
        return Err(error("malformed Arrow string array (no offsets buffer)"));
    }
    let offsets: Vec<usize> = unsafe {
        if large {
            let o = std::slice::from_raw_parts(buffers[1].cast::<i64>(), offset + length + 1);
            o.iter()
                .map(|&x| usize::try_from(x).unwrap_or(usize::MAX))
                .collect()
        } else {
            let o = std::slice::from_raw_parts(buffers[1].cast::<i32>(), offset + length + 1);
            o.iter()
                .map(|&x| usize::try_from(x).unwrap_or(usize::MAX))
                .collect()
        }
    };
    let data_len = offsets[offset + length];
    if data_len == usize::MAX {
        return Err(error("malformed Arrow string array (negative offset)"));
    }
    let data: &'a [u8] = if data_len == 0 || buffers[2].is_null() {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(buffers[2].cast::<u8>(), data_len) }
    };
    let validity: Option<&'a [u8]> = if buffers[0].is_null() || array.null_count == 0 {
        None
    } else {
        Some(unsafe {
            std::slice::from_raw_parts(buffers[0].cast::<u8>(), (offset + length).div_ceil(8))
        })
    };
    (0..length)
        .map(|i| {
            let j = offset + i;
            if let Some(bits) = validity {
                if bits[j / 8] >> (j % 8) & 1 == 0 {
                    return Ok(None);
                }
            }
            let (start, end) = (offsets[j], offsets[j + 1]);
            if start > end || end > data.len() {
                return Err(error(format!(
                    "malformed Arrow string array (row {i}: offsets {start}..{end})"
                )));
            }
            std::str::from_utf8(&data[start..end])
                .map(Some)
                .map_err(|e| error(format!("row {i} is not valid UTF-8: {e}")))
        })
        .collect()
}

/// Offsets (i32) of a list or string column, starting at 0.
struct Offsets(Vec<i32>);

impl Offsets {
    fn new() -> Self {
        Offsets(vec![0])
    }

    /// Ends the current list (or string) at `end` items (bytes) in all.
    fn close(&mut self, end: usize) -> Result<(), String> {
        let end = i32::try_from(end).map_err(|_| {
            "an Arrow result column is over 2 GiB: pass smaller batches".to_string()
        })?;
        self.0.push(end);
        Ok(())
    }

    fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|x| x.to_le_bytes()).collect()
    }
}

#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit {
            self.bytes[self.len / 8] |= 1 << (self.len % 8);
        }
        self.len += 1;
    }
}

struct Strings {
    offsets: Offsets,
    data: Vec<u8>,
}

impl Strings {
    fn new() -> Self {
        Strings {
            offsets: Offsets::new(),
            data: Vec::new(),
        }
    }

    fn push(&mut self, s: &str) -> Result<(), String> {
        self.data.extend_from_slice(s.as_bytes());
        self.offsets.close(self.data.len())
    }
}

/// A numeric column's values (little-endian, Arrow's layout on every platform
/// Python wheels are built for).
fn le_bytes<T: Copy, const N: usize>(values: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| f(v)).collect()
}

/// The result as Arrow columns: the wire schema's `Highlights` as a struct
/// (`spans`, `skills`, `segments`; the field paths are those of
/// `skillmark._arrow.HIGHLIGHTS`), a null row for each null input.
#[derive(Default)]
pub struct Columns {
    nulls: usize,
    validity: Bits,
    segments: Vec<i64>,
    spans: Option<Offsets>,
    span_start: Vec<i64>,
    span_end: Vec<i64>,
    span_start_char: Vec<i64>,
    span_end_char: Vec<i64>,
    span_start_utf16: Vec<i64>,
    span_end_utf16: Vec<i64>,
    span_text: Option<Strings>,
    span_kind: Option<Strings>,
    span_confidence: Vec<f32>,
    span_label_match: Bits,
    span_links: Option<Offsets>,
    link_uri: Option<Strings>,
    link_label: Option<Strings>,
    link_score: Vec<f32>,
    link_category: Option<Strings>,
    skills: Option<Offsets>,
    skill_uri: Option<Strings>,
    skill_label: Option<Strings>,
    skill_description: Option<Strings>,
    skill_category: Option<Strings>,
    skill_type: Option<Strings>,
    skill_count: Vec<i64>,
    skill_best_score: Vec<f32>,
    skill_implicit: Bits,
}

fn get<T>(slot: &mut Option<T>, new: fn() -> T) -> &mut T {
    slot.get_or_insert_with(new)
}

impl Columns {
    pub fn build(rows: &[Option<Highlights>]) -> Result<Columns, String> {
        let mut c = Columns::default();
        for row in rows {
            c.push(row.as_ref())?;
        }
        Ok(c)
    }

    fn push(&mut self, row: Option<&Highlights>) -> Result<(), String> {
        let empty = Highlights::default();
        self.validity.push(row.is_some());
        self.nulls += usize::from(row.is_none());
        let h = row.unwrap_or(&empty);
        self.segments.push(h.segments as i64);
        for s in &h.spans {
            self.span_start.push(s.start as i64);
            self.span_end.push(s.end as i64);
            self.span_start_char.push(s.start_char as i64);
            self.span_end_char.push(s.end_char as i64);
            self.span_start_utf16.push(s.start_utf16 as i64);
            self.span_end_utf16.push(s.end_utf16 as i64);
            get(&mut self.span_text, Strings::new).push(&s.text)?;
            get(&mut self.span_kind, Strings::new).push(s.kind.name())?;
            self.span_confidence.push(s.confidence);
            self.span_label_match.push(s.label_match);
            for l in &s.links {
                get(&mut self.link_uri, Strings::new).push(&l.uri)?;
                get(&mut self.link_label, Strings::new).push(&l.label)?;
                self.link_score.push(l.score);
                get(&mut self.link_category, Strings::new).push(l.category.name())?;
            }
            get(&mut self.span_links, Offsets::new).close(self.link_score.len())?;
        }
        get(&mut self.spans, Offsets::new).close(self.span_start.len())?;
        for k in &h.skills {
            get(&mut self.skill_uri, Strings::new).push(&k.uri)?;
            get(&mut self.skill_label, Strings::new).push(&k.label)?;
            get(&mut self.skill_description, Strings::new).push(&k.description)?;
            get(&mut self.skill_category, Strings::new).push(k.category.name())?;
            get(&mut self.skill_type, Strings::new).push(&k.skill_type)?;
            self.skill_count.push(k.count as i64);
            self.skill_best_score.push(k.best_score);
            self.skill_implicit.push(k.implicit);
        }
        get(&mut self.skills, Offsets::new).close(self.skill_count.len())?;
        Ok(())
    }

    /// `{field path: bytes}`; a list or string column `p` has `p.offsets`
    /// (and `p.data`), a list's values are under `p.item`, the root's
    /// validity bitmap is `validity` (absent without nulls).
    pub fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        let put = |key: &str, bytes: &[u8]| d.set_item(key, PyBytes::new(py, bytes));
        let put_strings = |key: &str, s: Option<Strings>| {
            let s = s.unwrap_or_else(Strings::new);
            put(&format!("{key}.offsets"), &s.offsets.bytes())?;
            put(&format!("{key}.data"), &s.data)
        };
        let put_offsets = |key: &str, o: Option<Offsets>| {
            put(
                &format!("{key}.offsets"),
                &o.unwrap_or_else(Offsets::new).bytes(),
            )
        };
        let i64s = |v: &[i64]| le_bytes(v, i64::to_le_bytes);
        let f32s = |v: &[f32]| le_bytes(v, f32::to_le_bytes);
        if self.nulls > 0 {
            put("validity", &self.validity.bytes)?;
        }
        put("segments", &i64s(&self.segments))?;
        put_offsets("spans", self.spans)?;
        put("spans.item.start", &i64s(&self.span_start))?;
        put("spans.item.end", &i64s(&self.span_end))?;
        put("spans.item.startChar", &i64s(&self.span_start_char))?;
        put("spans.item.endChar", &i64s(&self.span_end_char))?;
        put("spans.item.startUtf16", &i64s(&self.span_start_utf16))?;
        put("spans.item.endUtf16", &i64s(&self.span_end_utf16))?;
        put_strings("spans.item.text", self.span_text)?;
        put_strings("spans.item.kind", self.span_kind)?;
        put("spans.item.confidence", &f32s(&self.span_confidence))?;
        put("spans.item.labelMatch", &self.span_label_match.bytes)?;
        put_offsets("spans.item.links", self.span_links)?;
        put_strings("spans.item.links.item.uri", self.link_uri)?;
        put_strings("spans.item.links.item.label", self.link_label)?;
        put("spans.item.links.item.score", &f32s(&self.link_score))?;
        put_strings("spans.item.links.item.category", self.link_category)?;
        put_offsets("skills", self.skills)?;
        put_strings("skills.item.uri", self.skill_uri)?;
        put_strings("skills.item.label", self.skill_label)?;
        put_strings("skills.item.description", self.skill_description)?;
        put_strings("skills.item.category", self.skill_category)?;
        put_strings("skills.item.skillType", self.skill_type)?;
        put("skills.item.count", &i64s(&self.skill_count))?;
        put("skills.item.bestScore", &f32s(&self.skill_best_score))?;
        put("skills.item.implicit", &self.skill_implicit.bytes)?;
        Ok(d)
    }
}
