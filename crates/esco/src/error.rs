//! The one error type of the crate.

/// Everything that can go wrong when reading the ESCO export or the compact
/// binary form.
///
/// Errors about the CSV export always name the file (for a file inside a zip:
/// `path/to/archive.zip/entry.csv`) and, where there is one, the 1-based line
/// on which the offending record starts (the header is line 1; a record whose
/// quoted fields span several lines is reported at its first line).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EscoError {
    /// A file the import needs is neither in the folder nor in any of its zips.
    #[error("missing ESCO file {file} (looked for it in the folder and inside the zips there)")]
    Missing {
        /// The expected location of the file (folder + file name).
        file: String,
    },
    /// A record of a CSV file is malformed: wrong number of fields, a missing
    /// required column (reported at line 1), an empty required value, an
    /// unknown enum value, invalid UTF-8, a duplicate or unknown URI, ...
    #[error("{file}:{line}: {message}")]
    Csv {
        /// The file (or `archive.zip/entry.csv`).
        file: String,
        /// 1-based line on which the record starts (0 when unknown).
        line: u64,
        /// What is wrong, in words.
        message: String,
    },
    /// Reading a file failed at the operating-system level.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The file (or `archive.zip/entry.csv`).
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A zip archive is unreadable (not a zip, corrupt central directory, an
    /// unsupported compression method, ...).
    #[error("cannot read zip archive {file}: {message}")]
    Zip {
        /// The archive (or `archive.zip/entry.csv`).
        file: String,
        /// What the zip reader said.
        message: String,
    },
    /// The compact binary form could not be decoded: wrong magic bytes, an
    /// unsupported format version, truncated or corrupt data, or indices that
    /// point outside the taxonomy.
    #[error("cannot decode ESCO taxonomy: {0}")]
    Decode(String),
    /// The taxonomy could not be encoded into the compact binary form.
    #[error("cannot encode ESCO taxonomy: {0}")]
    Encode(String),
    /// A taxonomy breaks one of its invariants (see [`crate::Taxonomy::validate`]).
    #[error("invalid ESCO taxonomy: {0}")]
    Invalid(String),
}
