//! The compact binary form of a [`Taxonomy`].
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | [`MAGIC`] = `b"ESCOTAX\0"` |
//! | 8..12 | [`FORMAT_VERSION`] (`u32`) |
//! | 12..20 | payload length in bytes (`u64`) |
//! | 20..28 | FNV-1a 64 hash of the payload (`u64`) |
//! | 28.. | the payload: the taxonomy in postcard |
//!
//! postcard is positional (no field names), so any change to the serialised
//! types must bump [`FORMAT_VERSION`]. The length and the hash turn a
//! truncated or damaged file into a clear error instead of a taxonomy with
//! silently wrong labels; decoded taxonomies are also
//! [validated](Taxonomy::validate) so that no query can index out of bounds.

use crate::{EscoError, Taxonomy};

/// The first eight bytes of the binary form.
pub const MAGIC: [u8; 8] = *b"ESCOTAX\0";

/// The version of the binary layout written by [`Taxonomy::to_bytes`] and the
/// only one [`Taxonomy::from_bytes`] reads.
pub const FORMAT_VERSION: u32 = 1;

const HEADER_LEN: usize = 28;

/// FNV-1a, 64 bit: tiny, dependency-free, good enough to catch damage (not
/// an integrity guarantee against tampering).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(buf)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(buf)
}

/// Header + payload: the framing both binary files share.
pub(crate) fn frame(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of a framed file, after checking its magic (`what` names
/// the kind of file in errors), version, length and checksum.
pub(crate) fn unframe<'a>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    version: u32,
    what: &str,
) -> Result<&'a [u8], EscoError> {
    let magic_len = bytes.len().min(magic.len());
    if bytes[..magic_len] != magic[..magic_len] {
        return Err(EscoError::Decode(format!("not {what} (wrong magic bytes)")));
    }
    if bytes.len() < HEADER_LEN {
        return Err(EscoError::Decode(format!(
            "truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    let found = u32_at(bytes, 8);
    if found != version {
        return Err(EscoError::Decode(format!(
            "unsupported format version {found} (this build reads version {version}); rebuild the taxonomy file"
        )));
    }
    let declared = u64_at(bytes, 12);
    let payload = &bytes[HEADER_LEN..];
    if declared != payload.len() as u64 {
        let what = if (payload.len() as u64) < declared {
            "truncated"
        } else {
            "trailing bytes"
        };
        return Err(EscoError::Decode(format!(
            "{what}: the header announces {declared} bytes of payload, found {}",
            payload.len()
        )));
    }
    if fnv1a64(payload) != u64_at(bytes, 20) {
        return Err(EscoError::Decode(
            "checksum mismatch: the file is corrupt".into(),
        ));
    }
    Ok(payload)
}

/// Decodes one postcard value that must fill `payload` exactly.
pub(crate) fn decode_all<T: serde::de::DeserializeOwned>(
    payload: &[u8],
    what: &str,
) -> Result<T, EscoError> {
    let (value, rest): (T, _) =
        postcard::take_from_bytes(payload).map_err(|e| EscoError::Decode(e.to_string()))?;
    if !rest.is_empty() {
        return Err(EscoError::Decode(format!(
            "{} unexpected bytes after the {what}",
            rest.len()
        )));
    }
    Ok(value)
}

impl Taxonomy {
    /// Encode the taxonomy in the compact binary form (header + postcard).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EscoError> {
        let payload = postcard::to_allocvec(self).map_err(|e| EscoError::Encode(e.to_string()))?;
        Ok(frame(&MAGIC, FORMAT_VERSION, &payload))
    }

    /// Decode the compact binary form written by [`Taxonomy::to_bytes`].
    ///
    /// Checks the magic bytes, the format version, the payload length and
    /// hash, decodes, and [validates](Taxonomy::validate) the result. Any
    /// problem is an [`EscoError::Decode`]; this never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Taxonomy, EscoError> {
        let payload = unframe(bytes, &MAGIC, FORMAT_VERSION, "an ESCO taxonomy file")?;
        let taxonomy: Taxonomy = decode_all(payload, "taxonomy")?;
        taxonomy
            .validate()
            .map_err(|e| EscoError::Decode(e.to_string()))?;
        Ok(taxonomy)
    }
}
