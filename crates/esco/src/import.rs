//! Reading the official ESCO CSV export (feature `csv-import`).
//!
//! The export is a set of CSV files with a header row, comma-separated,
//! double-quoted fields that may span lines (multi-valued fields such as
//! `altLabels` are newline-separated inside one quoted field). Columns are
//! found by header name, so their order does not matter and extra columns are
//! ignored; a missing required column is an error at line 1. Every record
//! must have as many fields as the header, except in
//! `skillsHierarchy_en.csv`, whose rows ESCO writes without their trailing
//! empty fields.
//!
//! Strictness is deliberate: a half-read taxonomy would quietly skew training
//! data and metrics. The few irregularities that the official ESCO 1.1.1
//! export itself contains are tolerated and counted in [`ImportReport`].

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use crate::{
    EscoError, NodeRef, Occupation, OccupationSkill, Relation, ReuseLevel, Skill, SkillGroup,
    SkillType, Taxonomy,
};

const SKILLS: &str = "skills_en.csv";
const GROUPS: &str = "skillGroups_en.csv";
const HIERARCHY: &str = "skillsHierarchy_en.csv";
const BROADER: &str = "broaderRelationsSkillPillar.csv";
const OCCUPATIONS: &str = "occupations_en.csv";
const RELATIONS: &str = "occupationSkillRelations.csv";

/// What [`Taxonomy::import_esco_csv`] read and what it tolerated.
///
/// For ESCO v1.1.1: 6 skills without type, 5 without reuse level,
/// 7 groups only in `skillsHierarchy_en.csv`, 220 ISCED-F group codes taken
/// from the URI, 123,855 relation rows of which 67 (all to the one occupation
/// `…/occupation/a9e54177-a185-404d-b6e6-15663d31137e`, absent from
/// `occupations_en.csv`) are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportReport {
    /// The files read, as named in errors (`archive.zip/entry.csv` for zip entries).
    pub files: Vec<String>,
    /// URIs of skills whose `skillType` is empty ([`SkillType::Unknown`]).
    pub skills_without_type: Vec<String>,
    /// URIs of skills whose `reuseLevel` is empty ([`ReuseLevel::Unknown`]).
    pub skills_without_reuse_level: Vec<String>,
    /// URIs of skill groups missing from `skillGroups_en.csv` but named in
    /// `skillsHierarchy_en.csv` (and used by `broaderRelationsSkillPillar.csv`);
    /// they were added from the hierarchy file.
    pub groups_from_hierarchy: Vec<String>,
    /// How many groups had no `code` and got the ISCED-F code from their URI.
    pub group_codes_from_uri: usize,
    /// Data rows of `occupationSkillRelations.csv`.
    pub relation_rows: usize,
    /// Relation rows dropped because their occupation is not in `occupations_en.csv`.
    pub dropped_relations: usize,
    /// The occupation URIs of the dropped relations (each once).
    pub unknown_occupations: Vec<String>,
}

type Result<T, E = EscoError> = std::result::Result<T, E>;

pub(crate) fn import(path: &Path) -> Result<(Taxonomy, ImportReport)> {
    let mut source = Source::open(path)?;
    let mut report = ImportReport::default();

    let (skills, mut nodes) = source.require(SKILLS, &mut report, read_skills)?;
    let mut groups = source.require(GROUPS, &mut report, |t, _| read_groups(t, &mut nodes))?;
    if let Some(hierarchy) = source.optional(HIERARCHY, &mut report, |t, _| read_hierarchy(t))? {
        for h in hierarchy {
            match nodes.get(&h.uri) {
                Some(&NodeRef::Group(g)) => {
                    let group = &mut groups[g as usize];
                    if group.code.is_empty() {
                        group.code = h.code;
                    }
                }
                Some(NodeRef::Skill(_)) => {}
                None => {
                    nodes.insert(h.uri.clone(), NodeRef::Group(groups.len() as u32));
                    report.groups_from_hierarchy.push(h.uri.clone());
                    groups.push(SkillGroup {
                        uri: h.uri,
                        preferred_label: h.label,
                        code: h.code,
                        description: h.description,
                        broader: Vec::new(),
                    });
                }
            }
        }
    }
    for group in &mut groups {
        if group.code.is_empty() {
            if let Some((_, code)) = group.uri.rsplit_once("/isced-f/") {
                group.code = code.to_owned();
                report.group_codes_from_uri += 1;
            }
        }
    }
    let mut skills = skills;
    source.require(BROADER, &mut report, |t, _| {
        read_broader(t, &nodes, &mut skills, &mut groups)
    })?;
    let (occupations, occupation_index) =
        source.require(OCCUPATIONS, &mut report, |t, _| read_occupations(t))?;
    let occupation_skills = source.require(RELATIONS, &mut report, |t, report| {
        read_relations(t, &nodes, &occupation_index, report)
    })?;

    let taxonomy = Taxonomy::new(
        source.version(),
        skills,
        groups,
        occupations,
        occupation_skills,
    );
    debug_assert!(taxonomy.validate().is_ok());
    Ok((taxonomy, report))
}

// ---------------------------------------------------------------------------
// Where the files are: a folder of CSVs, zips in a folder, or one zip.

enum Location {
    Loose(PathBuf),
    Zip { archive: usize, entry: String },
}

struct Source {
    /// The folder whose loose CSVs are used (none when the path is a zip).
    dir: Option<PathBuf>,
    /// The zips searched, sorted by path.
    zips: Vec<(PathBuf, zip::ZipArchive<File>)>,
    /// Where a missing file was expected, for [`EscoError::Missing`].
    display_dir: PathBuf,
}

fn io_error(file: &Path, source: std::io::Error) -> EscoError {
    EscoError::Io {
        file: file.display().to_string(),
        source,
    }
}

fn zip_error(file: &Path, e: zip::result::ZipError) -> EscoError {
    match e {
        zip::result::ZipError::Io(source) => io_error(file, source),
        other => EscoError::Zip {
            file: file.display().to_string(),
            message: other.to_string(),
        },
    }
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<File>> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    zip::ZipArchive::new(file).map_err(|e| zip_error(path, e))
}

impl Source {
    fn open(path: &Path) -> Result<Source> {
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
        if !meta.is_dir() {
            return Ok(Source {
                dir: None,
                zips: vec![(path.to_owned(), open_zip(path)?)],
                display_dir: path.parent().unwrap_or(Path::new("")).to_owned(),
            });
        }
        let mut zip_paths = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
            let entry = entry.map_err(|e| io_error(path, e))?;
            let p = entry.path();
            let is_zip = p
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("zip"));
            if is_zip && p.is_file() {
                zip_paths.push(p);
            }
        }
        zip_paths.sort();
        let mut zips = Vec::with_capacity(zip_paths.len());
        for p in zip_paths {
            let archive = open_zip(&p)?;
            zips.push((p, archive));
        }
        Ok(Source {
            dir: Some(path.to_owned()),
            zips,
            display_dir: path.to_owned(),
        })
    }

    /// `ESCO v1.1.1` from `esco-v1.1.1-classification-en-csv.zip`, else `ESCO`.
    fn version(&self) -> String {
        self.zips
            .iter()
            .filter_map(|(p, _)| version_in_name(&p.file_name()?.to_string_lossy()))
            .next()
            .map_or_else(|| "ESCO".to_owned(), |v| format!("ESCO {v}"))
    }

    fn locate(&self, name: &str) -> Option<Location> {
        if let Some(dir) = &self.dir {
            let p = dir.join(name);
            if p.is_file() {
                return Some(Location::Loose(p));
            }
        }
        for (i, (_, archive)) in self.zips.iter().enumerate() {
            let found = archive.file_names().find(|entry| {
                !entry.starts_with("__MACOSX") && entry.rsplit(['/', '\\']).next() == Some(name)
            });
            if let Some(entry) = found {
                return Some(Location::Zip {
                    archive: i,
                    entry: entry.to_owned(),
                });
            }
        }
        None
    }

    /// Open a located file for reading; also returns its display name.
    fn open_location(&mut self, location: &Location) -> Result<(String, Box<dyn Read + '_>)> {
        match location {
            Location::Loose(path) => {
                let file = File::open(path).map_err(|e| io_error(path, e))?;
                Ok((path.display().to_string(), Box::new(file)))
            }
            Location::Zip { archive, entry } => {
                let (zip_path, archive) = &mut self.zips[*archive];
                let display = format!("{}/{entry}", zip_path.display());
                let reader = archive.by_name(entry).map_err(|e| match e {
                    zip::result::ZipError::Io(source) => EscoError::Io {
                        file: display.clone(),
                        source,
                    },
                    other => EscoError::Zip {
                        file: display.clone(),
                        message: other.to_string(),
                    },
                })?;
                Ok((display, Box::new(reader)))
            }
        }
    }

    /// The 1-based line of the record that the CSV reader says starts at
    /// byte `offset`. The csv crate's own line numbers lag by one after each
    /// CRLF-terminated record (it consumes the `\n` of a CRLF only when it
    /// starts the next record), and the official export uses CRLF, so on
    /// error the file is re-read up to the record: newlines before `offset`
    /// are counted, then the terminator and blank lines the record position
    /// still points at are skipped.
    fn line_at(&mut self, location: &Location, offset: u64) -> Option<u64> {
        let (_, reader) = self.open_location(location).ok()?;
        let mut line = 1u64;
        for (pos, byte) in std::io::BufReader::new(reader).bytes().enumerate() {
            let byte = byte.ok()?;
            if pos as u64 >= offset && byte != b'\r' && byte != b'\n' {
                break;
            }
            line += u64::from(byte == b'\n');
        }
        Some(line)
    }

    /// Run `f` on the table `name`, or return `None` if there is no such file.
    fn optional<T>(
        &mut self,
        name: &str,
        report: &mut ImportReport,
        f: impl FnOnce(&mut Table<'_>, &mut ImportReport) -> Result<T>,
    ) -> Result<Option<T>> {
        let Some(location) = self.locate(name) else {
            return Ok(None);
        };
        let (result, error_offset) = {
            let (display, reader) = self.open_location(&location)?;
            report.files.push(display.clone());
            // ESCO writes the rows of the hierarchy file without trailing
            // empty fields; there, short rows are fine.
            let mut table = Table::new(display, reader, name == HIERARCHY)?;
            let result = f(&mut table, report);
            (result, table.error_offset.get())
        };
        match (result, error_offset) {
            (
                Err(EscoError::Csv {
                    file,
                    line,
                    message,
                }),
                Some(offset),
            ) => Err(EscoError::Csv {
                file,
                line: self.line_at(&location, offset).unwrap_or(line),
                message,
            }),
            (result, _) => result.map(Some),
        }
    }

    /// Like [`Source::optional`], but a missing file is an error.
    fn require<T>(
        &mut self,
        name: &str,
        report: &mut ImportReport,
        f: impl FnOnce(&mut Table<'_>, &mut ImportReport) -> Result<T>,
    ) -> Result<T> {
        let display_dir = self.display_dir.clone();
        self.optional(name, report, f)?
            .ok_or_else(|| EscoError::Missing {
                file: display_dir.join(name).display().to_string(),
            })
    }
}

/// The first `v<digits>[.<digits>]*` token of a file name, e.g. `v1.1.1`.
fn version_in_name(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let starts_token = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if (b == b'v' || b == b'V')
            && starts_token
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            let rest = &name[i + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            return Some(format!("v{}", rest[..end].trim_end_matches('.')));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// One CSV table.

struct Table<'a> {
    file: String,
    reader: csv::Reader<Box<dyn Read + 'a>>,
    columns: Vec<String>,
    /// Byte offset of the record of the last error made, to correct its line.
    error_offset: Cell<Option<u64>>,
}

fn csv_error(file: &str, e: csv::Error) -> EscoError {
    let line = e.position().map_or(0, |p| p.line());
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => EscoError::Io {
            file: file.to_owned(),
            source,
        },
        csv::ErrorKind::Utf8 { err, .. } => EscoError::Csv {
            file: file.to_owned(),
            line,
            message: format!(
                "invalid UTF-8 in field {} (after {} valid bytes)",
                err.field() + 1,
                err.valid_up_to()
            ),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => EscoError::Csv {
            file: file.to_owned(),
            line,
            message: format!("the row has {len} fields, the header has {expected_len}"),
        },
        _ => EscoError::Csv {
            file: file.to_owned(),
            line,
            message,
        },
    }
}

impl<'a> Table<'a> {
    /// Read the header. (Errors in the header are on line 1, so their
    /// line needs no correction.)
    fn new(file: String, reader: Box<dyn Read + 'a>, flexible: bool) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(flexible)
            .from_reader(reader);
        let columns = reader
            .headers()
            .map_err(|e| csv_error(&file, e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        Ok(Table {
            file,
            reader,
            columns,
            error_offset: Cell::new(None),
        })
    }

    fn optional_column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.optional_column(name).ok_or_else(|| EscoError::Csv {
            file: self.file.clone(),
            line: 1,
            message: format!(
                "missing required column `{name}` (the header has: {})",
                self.columns.join(", ")
            ),
        })
    }

    /// Read the next record into `record`; `false` at the end.
    fn read(&mut self, record: &mut StringRecord) -> Result<bool> {
        self.reader.read_record(record).map_err(|e| {
            self.error_offset.set(e.position().map(|p| p.byte()));
            csv_error(&self.file, e)
        })
    }

    /// An error about `record`, at the line where it starts.
    fn error(&self, record: &StringRecord, message: String) -> EscoError {
        self.error_offset.set(record.position().map(|p| p.byte()));
        EscoError::Csv {
            file: self.file.clone(),
            line: record.position().map_or(0, |p| p.line()),
            message,
        }
    }
}

/// Field `column` of `record`, trimmed (`""` if the record is short, which
/// only happens in the hierarchy file).
fn field(record: &StringRecord, column: usize) -> &str {
    record.get(column).unwrap_or("").trim()
}

fn optional_field(record: &StringRecord, column: Option<usize>) -> &str {
    column.map_or("", |c| field(record, c))
}

/// Split a newline-separated multi-valued field (`altLabels`).
fn split_lines(value: &str) -> Vec<String> {
    value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A required, non-empty field.
fn required<'r>(
    table: &Table<'_>,
    record: &'r StringRecord,
    column: usize,
    name: &str,
) -> Result<&'r str> {
    let value = field(record, column);
    if value.is_empty() {
        Err(table.error(record, format!("empty `{name}`")))
    } else {
        Ok(value)
    }
}

// ---------------------------------------------------------------------------
// The files.

fn read_skills(
    t: &mut Table<'_>,
    report: &mut ImportReport,
) -> Result<(Vec<Skill>, HashMap<String, NodeRef>)> {
    let c_uri = t.column("conceptUri")?;
    let c_type = t.column("skillType")?;
    let c_reuse = t.column("reuseLevel")?;
    let c_label = t.column("preferredLabel")?;
    let c_alt = t.column("altLabels")?;
    let c_description = t.column("description")?;
    let mut skills = Vec::new();
    let mut nodes = HashMap::new();
    let mut record = StringRecord::new();
    while t.read(&mut record)? {
        let uri = required(t, &record, c_uri, "conceptUri")?;
        let label = required(t, &record, c_label, "preferredLabel")?;
        let raw_type = field(&record, c_type);
        let skill_type = SkillType::from_esco_str(raw_type).ok_or_else(|| {
            t.error(
                &record,
                format!("unknown skillType `{raw_type}` (expected `skill/competence`, `knowledge` or empty)"),
            )
        })?;
        let raw_reuse = field(&record, c_reuse);
        let reuse_level = ReuseLevel::from_esco_str(raw_reuse).ok_or_else(|| {
            t.error(
                &record,
                format!("unknown reuseLevel `{raw_reuse}` (expected `transversal`, `cross-sector`, `sector-specific`, `occupation-specific` or empty)"),
            )
        })?;
        let index =
            u32::try_from(skills.len()).map_err(|_| t.error(&record, "too many skills".into()))?;
        if nodes
            .insert(uri.to_owned(), NodeRef::Skill(index))
            .is_some()
        {
            return Err(t.error(&record, format!("duplicate conceptUri {uri}")));
        }
        if skill_type == SkillType::Unknown {
            report.skills_without_type.push(uri.to_owned());
        }
        if reuse_level == ReuseLevel::Unknown {
            report.skills_without_reuse_level.push(uri.to_owned());
        }
        skills.push(Skill {
            uri: uri.to_owned(),
            preferred_label: label.to_owned(),
            alt_labels: split_lines(field(&record, c_alt)),
            skill_type,
            reuse_level,
            description: field(&record, c_description).to_owned(),
            broader: Vec::new(),
        });
    }
    Ok((skills, nodes))
}

fn read_groups(t: &mut Table<'_>, nodes: &mut HashMap<String, NodeRef>) -> Result<Vec<SkillGroup>> {
    let c_uri = t.column("conceptUri")?;
    let c_label = t.column("preferredLabel")?;
    let c_description = t.optional_column("description");
    let c_code = t.optional_column("code");
    let mut groups = Vec::new();
    let mut record = StringRecord::new();
    while t.read(&mut record)? {
        let uri = required(t, &record, c_uri, "conceptUri")?;
        let label = required(t, &record, c_label, "preferredLabel")?;
        let index = u32::try_from(groups.len())
            .map_err(|_| t.error(&record, "too many skill groups".into()))?;
        match nodes.insert(uri.to_owned(), NodeRef::Group(index)) {
            None => {}
            Some(NodeRef::Group(_)) => {
                return Err(t.error(&record, format!("duplicate conceptUri {uri}")))
            }
            Some(NodeRef::Skill(_)) => {
                return Err(t.error(
                    &record,
                    format!("conceptUri {uri} is also a skill in {SKILLS}"),
                ))
            }
        }
        groups.push(SkillGroup {
            uri: uri.to_owned(),
            preferred_label: label.to_owned(),
            code: optional_field(&record, c_code).to_owned(),
            description: optional_field(&record, c_description).to_owned(),
            broader: Vec::new(),
        });
    }
    Ok(groups)
}

/// A group as named in `skillsHierarchy_en.csv`.
struct HierarchyGroup {
    uri: String,
    label: String,
    code: String,
    description: String,
}

/// Every group of the hierarchy file, in order of first appearance. The
/// `Description` column describes the deepest level of its row.
fn read_hierarchy(t: &mut Table<'_>) -> Result<Vec<HierarchyGroup>> {
    let mut levels = vec![(
        t.column("Level 0 URI")?,
        t.optional_column("Level 0 preferred term"),
        t.optional_column("Level 0 code"),
    )];
    for level in 1.. {
        let Some(uri) = t.optional_column(&format!("Level {level} URI")) else {
            break;
        };
        levels.push((
            uri,
            t.optional_column(&format!("Level {level} preferred term")),
            t.optional_column(&format!("Level {level} code")),
        ));
    }
    let c_description = t.optional_column("Description");
    let mut groups: Vec<HierarchyGroup> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut record = StringRecord::new();
    while t.read(&mut record)? {
        let deepest = levels
            .iter()
            .rposition(|&(uri, _, _)| !field(&record, uri).is_empty());
        let Some(deepest) = deepest else {
            continue;
        };
        for (level, &(c_uri, c_label, c_code)) in levels.iter().enumerate().take(deepest + 1) {
            let uri = field(&record, c_uri);
            if uri.is_empty() {
                continue;
            }
            let description = if level == deepest {
                optional_field(&record, c_description)
            } else {
                ""
            };
            match seen.get(uri) {
                Some(&i) => {
                    let g = &mut groups[i];
                    if g.description.is_empty() {
                        g.description = description.to_owned();
                    }
                }
                None => {
                    seen.insert(uri.to_owned(), groups.len());
                    groups.push(HierarchyGroup {
                        uri: uri.to_owned(),
                        label: optional_field(&record, c_label).to_owned(),
                        code: optional_field(&record, c_code).to_owned(),
                        description: description.to_owned(),
                    });
                }
            }
        }
    }
    Ok(groups)
}

fn read_broader(
    t: &mut Table<'_>,
    nodes: &HashMap<String, NodeRef>,
    skills: &mut [Skill],
    groups: &mut [SkillGroup],
) -> Result<()> {
    let c_concept = t.column("conceptUri")?;
    let c_broader = t.column("broaderUri")?;
    let mut record = StringRecord::new();
    while t.read(&mut record)? {
        let resolve = |column: usize, name: &str| -> Result<NodeRef> {
            let uri = required(t, &record, column, name)?;
            nodes.get(uri).copied().ok_or_else(|| {
                t.error(
                    &record,
                    format!("unknown {name} {uri} (neither a skill of {SKILLS} nor a group of {GROUPS})"),
                )
            })
        };
        let concept = resolve(c_concept, "conceptUri")?;
        let broader = resolve(c_broader, "broaderUri")?;
        let list = match concept {
            NodeRef::Skill(i) => &mut skills[i as usize].broader,
            NodeRef::Group(i) => &mut groups[i as usize].broader,
        };
        if !list.contains(&broader) {
            list.push(broader);
        }
    }
    Ok(())
}

fn read_occupations(t: &mut Table<'_>) -> Result<(Vec<Occupation>, HashMap<String, u32>)> {
    let c_uri = t.column("conceptUri")?;
    let c_label = t.column("preferredLabel")?;
    let c_alt = t.optional_column("altLabels");
    let c_isco = t.optional_column("iscoGroup");
    let c_description = t.optional_column("description");
    let mut occupations = Vec::new();
    let mut index = HashMap::new();
    let mut record = StringRecord::new();
    while t.read(&mut record)? {
        let uri = required(t, &record, c_uri, "conceptUri")?;
        let label = required(t, &record, c_label, "preferredLabel")?;
        let i = u32::try_from(occupations.len())
            .map_err(|_| t.error(&record, "too many occupations".into()))?;
        if index.insert(uri.to_owned(), i).is_some() {
            return Err(t.error(&record, format!("duplicate conceptUri {uri}")));
        }
        occupations.push(Occupation {
            uri: uri.to_owned(),
            preferred_label: label.to_owned(),
            alt_labels: split_lines(optional_field(&record, c_alt)),
            isco_group: optional_field(&record, c_isco).to_owned(),
            description: optional_field(&record, c_description).to_owned(),
        });
    }
    Ok((occupations, index))
}

fn read_relations(
    t: &mut Table<'_>,
    nodes: &HashMap<String, NodeRef>,
    occupations: &HashMap<String, u32>,
    report: &mut ImportReport,
) -> Result<Vec<OccupationSkill>> {
    let c_occupation = t.column("occupationUri")?;
    let c_relation = t.column("relationType")?;
    let c_skill = t.column("skillUri")?;
    let mut relations = Vec::new();
    let mut record = StringRecord::new();
    while t.read(&mut record)? {
        report.relation_rows += 1;
        let occupation_uri = required(t, &record, c_occupation, "occupationUri")?;
        let raw_relation = field(&record, c_relation);
        let relation = Relation::from_esco_str(raw_relation).ok_or_else(|| {
            t.error(
                &record,
                format!(
                    "unknown relationType `{raw_relation}` (expected `essential` or `optional`)"
                ),
            )
        })?;
        let skill_uri = required(t, &record, c_skill, "skillUri")?;
        let skill = match nodes.get(skill_uri) {
            Some(&NodeRef::Skill(i)) => i,
            Some(NodeRef::Group(_)) => {
                return Err(t.error(
                    &record,
                    format!("skillUri {skill_uri} is a skill group, not a skill"),
                ))
            }
            None => {
                return Err(t.error(
                    &record,
                    format!("unknown skillUri {skill_uri} (not in {SKILLS})"),
                ))
            }
        };
        match occupations.get(occupation_uri) {
            Some(&occupation) => relations.push(OccupationSkill {
                occupation,
                skill,
                relation,
            }),
            None => {
                report.dropped_relations += 1;
                if !report
                    .unknown_occupations
                    .iter()
                    .any(|u| u == occupation_uri)
                {
                    report.unknown_occupations.push(occupation_uri.to_owned());
                }
            }
        }
    }
    Ok(relations)
}

#[cfg(test)]
mod tests {
    use super::version_in_name;

    #[test]
    fn version_from_zip_names() {
        assert_eq!(
            version_in_name("esco-v1.1.1-classification-en-csv.zip").as_deref(),
            Some("v1.1.1")
        );
        assert_eq!(
            version_in_name("ESCO_v1.2.0.zip").as_deref(),
            Some("v1.2.0")
        );
        assert_eq!(version_in_name("v2.zip").as_deref(), Some("v2"));
        assert_eq!(version_in_name("relations-csv.zip"), None);
        assert_eq!(version_in_name("dev1.zip"), None);
    }
}
