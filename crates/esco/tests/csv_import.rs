//! The CSV import on small generated fixtures: a folder of CSVs, the same
//! files in two zips, and one broken variant per error the import reports.
#![cfg(feature = "csv-import")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use esco::{EscoError, NodeRef, Relation, ReuseLevel, SkillType, Taxonomy};

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("esco-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const E: &str = "http://data.europa.eu/esco";

/// Join records with CRLF like the official export; newlines inside quoted
/// fields stay `\n`.
fn csv(records: &[String]) -> Vec<u8> {
    let mut s = records.join("\r\n");
    s.push_str("\r\n");
    s.into_bytes()
}

/// The fixture: (file name, content). Records of `skills_en.csv`, in order:
/// line 1 header; Python (lines 2–5: altLabels and inScheme span lines);
/// teach Python (6–7); ICT safety, no type (8); show initiative (9–10).
fn fixture() -> Vec<(&'static str, Vec<u8>)> {
    let skills = csv(&[
        "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,scopeNote,definition,inScheme,description".into(),
        format!("KnowledgeSkillCompetence,{E}/skill/python,knowledge,sector-specific,Python (computer programming),\"Python3\nPython\n\",Python 3K,released,2022-07-05T14:34:21.232Z,,,\"{E}/concept-scheme/skills,\n{E}/concept-scheme/digital\",\"The techniques and principles of software development, such as analysis, algorithms, coding, testing and compiling of programming paradigms in Python.\""),
        format!("KnowledgeSkillCompetence,{E}/skill/teach,skill/competence,cross-sector,teach Python,\"instruct in Python\r\n give Python lessons \",,released,,,,{E}/concept-scheme/skills,\"Teach \"\"Python\"\", the language.\""),
        format!("KnowledgeSkillCompetence,{E}/skill/ictsafety,,,ICT safety,,,released,,,,{E}/concept-scheme/digcomp,"),
        format!("KnowledgeSkillCompetence,{E}/skill/initiative,skill/competence,transversal,show initiative,take the initiative,,released,,,,{E}/concept-scheme/skills,\"Be proactive.\n\""),
    ]);
    let groups = csv(&[
        "conceptType,conceptUri,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,scopeNote,inScheme,description,code".into(),
        format!("SkillGroup,{E}/skill/root-s,skills,,,released,,,{E}/concept-scheme/skills-hierarchy,,S"),
        format!("SkillGroup,{E}/skill/root-k,knowledge,,,released,,,{E}/concept-scheme/skills-hierarchy,,K"),
        format!("SkillGroup,{E}/skill/root-t,transversal skills and competences,,,released,,,{E}/concept-scheme/skills-hierarchy,,T"),
        format!("SkillGroup,{E}/isced-f/06,information and communication technologies (icts),,,released,,,\"{E}/concept-scheme/isced-f\n{E}/concept-scheme/skills\",\"Information and communication technologies.\nThis broad field...\","),
        format!("SkillGroup,{E}/isced-f/0613,software and applications development and analysis,,,released,,,{E}/concept-scheme/isced-f,,"),
        format!("SkillGroup,{E}/skill/comm,communication,talking,,released,,,{E}/concept-scheme/skills-hierarchy,Communicating with others.,S1"),
    ]);
    let hierarchy = csv(&[
        "Level 0 URI,Level 0 preferred term,Level 1 URI,Level 1 preferred term,Level 2 URI,Level 2 preferred term,Level 3 URI,Level 3 preferred term,Description,Scope note,Level 0 code,Level 1 code,Level 2 code,Level 3 code".into(),
        format!("{E}/skill/root-s,skills,,,,,,,,,S,,,"),
        format!("{E}/skill/root-s,skills,{E}/skill/comm,communication,,,,,Communicating with others.,,S,S1,,"),
        format!("{E}/skill/root-s,skills,{E}/skill/comm,communication,{E}/skill/hidden,positioning tools,,,Placing tools.,\"Examples:\npositioning a drill\",S,S1,S1.0,"),
    ]);
    let broader = csv(&[
        "conceptType,conceptUri,broaderType,broaderUri".into(),
        format!("SkillGroup,{E}/isced-f/06,SkillGroup,{E}/skill/root-k"),
        format!("SkillGroup,{E}/isced-f/0613,SkillGroup,{E}/isced-f/06"),
        format!("SkillGroup,{E}/skill/comm,SkillGroup,{E}/skill/root-s"),
        format!("SkillGroup,{E}/skill/hidden,SkillGroup,{E}/skill/comm"),
        format!("KnowledgeSkillCompetence,{E}/skill/python,SkillGroup,{E}/isced-f/0613"),
        format!(
            "KnowledgeSkillCompetence,{E}/skill/teach,KnowledgeSkillCompetence,{E}/skill/python"
        ),
        format!("KnowledgeSkillCompetence,{E}/skill/teach,SkillGroup,{E}/skill/comm"),
        format!("KnowledgeSkillCompetence,{E}/skill/ictsafety,SkillGroup,{E}/isced-f/06"),
        format!("KnowledgeSkillCompetence,{E}/skill/initiative,SkillGroup,{E}/skill/root-t"),
        // A duplicate edge is kept once.
        format!("KnowledgeSkillCompetence,{E}/skill/initiative,SkillGroup,{E}/skill/root-t"),
    ]);
    let occupations = csv(&[
        "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,regulatedProfessionNote,scopeNote,definition,inScheme,description,code".into(),
        format!("Occupation,{E}/occupation/dev,2512,software developer,\"programmer\ncoder\",,released,,{E}/regulated-professions/unregulated,,,{E}/concept-scheme/occupations,Software developers write software.,2512.4"),
        format!("Occupation,{E}/occupation/teacher,2356,ICT teacher,,,released,,,,,{E}/concept-scheme/occupations,,2356.1"),
    ]);
    let relations = csv(&[
        "occupationUri,relationType,skillType,skillUri".into(),
        format!("{E}/occupation/dev,essential,knowledge,{E}/skill/python"),
        format!("{E}/occupation/dev,optional,skill/competence,{E}/skill/initiative"),
        format!("{E}/occupation/teacher,essential,skill/competence,{E}/skill/teach"),
        format!("{E}/occupation/ghost,essential,knowledge,{E}/skill/python"),
        format!("{E}/occupation/teacher,optional,knowledge,{E}/skill/python"),
    ]);
    vec![
        ("skills_en.csv", skills),
        ("skillGroups_en.csv", groups),
        ("skillsHierarchy_en.csv", hierarchy),
        ("broaderRelationsSkillPillar.csv", broader),
        ("occupations_en.csv", occupations),
        ("occupationSkillRelations.csv", relations),
    ]
}

const RELATION_FILES: [&str; 2] = [
    "broaderRelationsSkillPillar.csv",
    "occupationSkillRelations.csv",
];

fn write_folder(dir: &Path, files: &[(&str, Vec<u8>)]) {
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
}

/// Write the files as the two zips of the official export.
fn write_zips(dir: &Path, files: &[(&str, Vec<u8>)], method: zip::CompressionMethod) {
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (zip_name, relations) in [
        ("esco-v9.8.7-classification-en-csv.zip", false),
        ("esco-v9.8.7-relations-csv.zip", true),
    ] {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join(zip_name)).unwrap());
        for (name, content) in files {
            if RELATION_FILES.contains(name) == relations {
                zip.start_file(*name, options).unwrap();
                zip.write_all(content).unwrap();
            }
        }
        zip.finish().unwrap();
    }
}

/// Load the fixture after `edit` changed it, from a folder of CSVs.
fn load_edited(
    edit: impl FnOnce(&mut Vec<(&'static str, Vec<u8>)>),
) -> Result<Taxonomy, EscoError> {
    let dir = TempDir::new("edited");
    let mut files = fixture();
    edit(&mut files);
    write_folder(dir.path(), &files);
    Taxonomy::from_esco_csv(dir.path())
}

fn file_mut<'a>(files: &'a mut [(&'static str, Vec<u8>)], name: &str) -> &'a mut Vec<u8> {
    &mut files.iter_mut().find(|(n, _)| *n == name).unwrap().1
}

/// Append one raw record to a file; returns the line it starts on.
fn append(files: &mut [(&'static str, Vec<u8>)], name: &str, record: &[u8]) -> u64 {
    let content = file_mut(files, name);
    let line = content.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    content.extend_from_slice(record);
    content.extend_from_slice(b"\r\n");
    line
}

fn expect_csv_error(result: Result<Taxonomy, EscoError>, file: &str, line: u64, needle: &str) {
    match result {
        Err(EscoError::Csv {
            file: f,
            line: l,
            message,
        }) => {
            assert!(f.ends_with(file), "error names {f}, expected {file}");
            assert_eq!(l, line, "line of `{message}`");
            assert!(
                message.contains(needle),
                "`{message}` should mention `{needle}`"
            );
        }
        other => panic!("expected a CSV error in {file}:{line}, got {other:?}"),
    }
}

fn skill<'a>(t: &'a Taxonomy, label: &str) -> (usize, &'a esco::Skill) {
    let i = t
        .skill_by_label(label)
        .unwrap_or_else(|| panic!("no skill {label}"));
    (i, &t.skills[i])
}

#[test]
fn reads_a_folder_of_csvs() {
    let dir = TempDir::new("folder");
    write_folder(dir.path(), &fixture());
    let (t, report) = Taxonomy::import_esco_csv(dir.path()).unwrap();
    assert_eq!(t.version, "ESCO");
    assert_eq!(t.skills.len(), 4);
    let labels: Vec<_> = t
        .skills
        .iter()
        .map(|s| s.preferred_label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "Python (computer programming)",
            "teach Python",
            "ICT safety",
            "show initiative"
        ],
        "file order is kept"
    );

    let (python, s) = skill(&t, "Python (computer programming)");
    assert_eq!(s.uri, format!("{E}/skill/python"));
    assert_eq!(s.alt_labels, ["Python3", "Python"]);
    assert_eq!(s.skill_type, SkillType::Knowledge);
    assert_eq!(s.reuse_level, ReuseLevel::SectorSpecific);
    assert!(s.description.ends_with("in Python."));

    let (teach, s) = skill(&t, "teach Python");
    assert_eq!(s.alt_labels, ["instruct in Python", "give Python lessons"]);
    assert_eq!(s.description, "Teach \"Python\", the language.");
    assert_eq!(s.skill_type, SkillType::SkillCompetence);
    assert_eq!(s.reuse_level, ReuseLevel::CrossSector);

    let (_, s) = skill(&t, "ICT safety");
    assert_eq!(s.skill_type, SkillType::Unknown);
    assert_eq!(s.reuse_level, ReuseLevel::Unknown);
    assert!(s.alt_labels.is_empty());
    assert_eq!(s.description, "");

    let (initiative, s) = skill(&t, "show initiative");
    assert_eq!(s.reuse_level, ReuseLevel::Transversal);
    assert_eq!(s.description, "Be proactive.");
    assert_eq!(s.broader.len(), 1, "duplicate broader edges are merged");

    // Groups: six from skillGroups_en.csv, one more from the hierarchy file.
    assert_eq!(t.groups.len(), 7);
    let g = |uri: &str| t.group_by_uri(&format!("{E}/{uri}")).unwrap();
    assert_eq!(
        t.groups[g("isced-f/06")].code,
        "06",
        "ISCED-F code from the URI"
    );
    assert!(t.groups[g("isced-f/06")]
        .description
        .contains("\nThis broad field"));
    assert_eq!(t.groups[g("skill/comm")].code, "S1");
    let hidden = &t.groups[g("skill/hidden")];
    assert_eq!(hidden.preferred_label, "positioning tools");
    assert_eq!(hidden.code, "S1.0");
    assert_eq!(hidden.description, "Placing tools.");
    assert_eq!(hidden.broader, [NodeRef::Group(g("skill/comm") as u32)]);

    // Hierarchy.
    let root_k = g("skill/root-k");
    let root_s = g("skill/root-s");
    let gr = |uri: &str| NodeRef::Group(g(uri) as u32);
    assert_eq!(
        t.ancestry(python),
        vec![vec![
            gr("isced-f/0613"),
            gr("isced-f/06"),
            gr("skill/root-k")
        ]]
    );
    assert_eq!(
        t.ancestry(teach),
        vec![
            vec![
                NodeRef::Skill(python as u32),
                gr("isced-f/0613"),
                gr("isced-f/06"),
                gr("skill/root-k")
            ],
            vec![gr("skill/comm"), gr("skill/root-s")],
        ]
    );
    assert_eq!(t.pillar_roots(teach), vec![root_k, root_s]);
    assert_eq!(t.pillar_roots(initiative), vec![g("skill/root-t")]);

    // Occupations and relations; the row to the unknown occupation is dropped.
    assert_eq!(t.occupations.len(), 2);
    let dev = t.occupation_by_uri(&format!("{E}/occupation/dev")).unwrap();
    let teacher = t
        .occupation_by_uri(&format!("{E}/occupation/teacher"))
        .unwrap();
    assert_eq!(t.occupations[dev].alt_labels, ["programmer", "coder"]);
    assert_eq!(t.occupations[dev].isco_group, "2512");
    assert_eq!(
        t.occupations[dev].description,
        "Software developers write software."
    );
    assert_eq!(t.occupation_skills.len(), 4);
    assert_eq!(
        t.occupations_of(python),
        vec![(dev, Relation::Essential), (teacher, Relation::Optional)]
    );
    assert_eq!(
        t.skills_of(dev),
        vec![
            (python, Relation::Essential),
            (initiative, Relation::Optional)
        ]
    );

    assert_eq!(report.relation_rows, 5);
    assert_eq!(report.dropped_relations, 1);
    assert_eq!(
        report.unknown_occupations,
        [format!("{E}/occupation/ghost")]
    );
    assert_eq!(report.skills_without_type, [format!("{E}/skill/ictsafety")]);
    assert_eq!(
        report.skills_without_reuse_level,
        [format!("{E}/skill/ictsafety")]
    );
    assert_eq!(report.groups_from_hierarchy, [format!("{E}/skill/hidden")]);
    assert_eq!(report.group_codes_from_uri, 2);
    assert_eq!(report.files.len(), 6);

    // And through the binary form.
    let back = Taxonomy::from_bytes(&t.to_bytes().unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn reads_the_two_zips_like_the_folder() {
    let folder = TempDir::new("folder");
    write_folder(folder.path(), &fixture());
    let from_folder = Taxonomy::from_esco_csv(folder.path()).unwrap();

    for method in [
        zip::CompressionMethod::Deflated,
        zip::CompressionMethod::Stored,
    ] {
        let zips = TempDir::new("zips");
        write_zips(zips.path(), &fixture(), method);
        let (from_zips, report) = Taxonomy::import_esco_csv(zips.path()).unwrap();
        assert_eq!(from_zips.version, "ESCO v9.8.7");
        let mut same = from_zips.clone();
        same.version = from_folder.version.clone();
        assert_eq!(same, from_folder);
        assert!(report
            .files
            .iter()
            .any(|f| f.ends_with("esco-v9.8.7-classification-en-csv.zip/skills_en.csv")));
    }
}

#[test]
fn loose_csvs_win_over_zips() {
    let dir = TempDir::new("mixed");
    write_zips(dir.path(), &fixture(), zip::CompressionMethod::Deflated);
    let mut files = fixture();
    append(
        &mut files,
        "occupations_en.csv",
        format!("Occupation,{E}/occupation/ghost,1234,ghost,,,released,,,,,,,").as_bytes(),
    );
    let occupations = files
        .iter()
        .find(|(n, _)| *n == "occupations_en.csv")
        .unwrap();
    write_folder(dir.path(), std::slice::from_ref(occupations));
    let (t, report) = Taxonomy::import_esco_csv(dir.path()).unwrap();
    assert_eq!(t.occupations.len(), 3);
    assert_eq!(t.occupation_skills.len(), 5);
    assert_eq!(report.dropped_relations, 0);
    assert_eq!(t.version, "ESCO v9.8.7");
}

#[test]
fn a_single_zip_misses_the_other_files() {
    let dir = TempDir::new("single");
    write_zips(dir.path(), &fixture(), zip::CompressionMethod::Deflated);
    let zip = dir.path().join("esco-v9.8.7-classification-en-csv.zip");
    match Taxonomy::from_esco_csv(&zip) {
        Err(EscoError::Missing { file }) => {
            assert!(file.ends_with("broaderRelationsSkillPillar.csv"), "{file}")
        }
        other => panic!("expected a missing file, got {other:?}"),
    }
}

#[test]
fn a_missing_file_is_named() {
    for name in [
        "skills_en.csv",
        "skillGroups_en.csv",
        "broaderRelationsSkillPillar.csv",
        "occupations_en.csv",
        "occupationSkillRelations.csv",
    ] {
        let err = load_edited(|files| files.retain(|(n, _)| *n != name)).unwrap_err();
        match &err {
            EscoError::Missing { file } => assert!(file.ends_with(name), "{file}"),
            other => panic!("expected {name} to be missing, got {other:?}"),
        }
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn a_missing_folder_is_an_io_error() {
    let dir = TempDir::new("gone");
    let gone = dir.path().join("does-not-exist");
    match Taxonomy::from_esco_csv(&gone) {
        Err(EscoError::Io { file, .. }) => assert!(file.ends_with("does-not-exist")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

#[test]
fn without_the_hierarchy_file_the_hidden_group_is_unknown() {
    let result = load_edited(|files| files.retain(|(n, _)| *n != "skillsHierarchy_en.csv"));
    // Header + 3 group rows before the edge from the hidden group.
    expect_csv_error(result, "broaderRelationsSkillPillar.csv", 5, "skill/hidden");
}

#[test]
fn a_row_with_the_wrong_number_of_fields_gives_file_and_line() {
    let mut expected = 0;
    let result = load_edited(|files| {
        expected = append(
            files,
            "skills_en.csv",
            format!("KnowledgeSkillCompetence,{E}/skill/short,knowledge").as_bytes(),
        );
    });
    assert_eq!(expected, 11, "the fixture's records span lines 1–10");
    expect_csv_error(
        result,
        "skills_en.csv",
        expected,
        "has 3 fields, the header has 13",
    );

    // Too many fields, in the middle of a file.
    let result = load_edited(|files| {
        let content = file_mut(files, "occupationSkillRelations.csv");
        let text = String::from_utf8(content.clone()).unwrap();
        *content = text
            .replacen("essential,knowledge,", "essential,knowledge,extra,", 1)
            .into_bytes();
    });
    expect_csv_error(result, "occupationSkillRelations.csv", 2, "has 5 fields");
}

#[test]
fn lines_are_right_with_lf_endings_and_blank_lines() {
    let lf = |files: &mut Vec<(&'static str, Vec<u8>)>| {
        for (_, content) in files.iter_mut() {
            let text = String::from_utf8(content.clone()).unwrap();
            *content = text.replace("\r\n", "\n").into_bytes();
        }
    };
    let mut line = 0;
    let result = load_edited(|files| {
        lf(files);
        line = append(
            files,
            "skills_en.csv",
            b"KnowledgeSkillCompetence,x,knowledge",
        );
    });
    assert_eq!(line, 11);
    expect_csv_error(result, "skills_en.csv", line, "has 3 fields");

    let result = load_edited(|files| {
        file_mut(files, "skills_en.csv").extend_from_slice(b"\r\n\r\n");
        line = append(
            files,
            "skills_en.csv",
            b"KnowledgeSkillCompetence,x,knowledge",
        );
    });
    assert_eq!(line, 13);
    expect_csv_error(result, "skills_en.csv", line, "has 3 fields");
}

#[test]
fn a_missing_column_is_reported_on_line_1() {
    let result = load_edited(|files| {
        let content = file_mut(files, "skills_en.csv");
        let text = String::from_utf8(content.clone()).unwrap();
        *content = text.replacen(",skillType,", ",kind,", 1).into_bytes();
    });
    expect_csv_error(
        result,
        "skills_en.csv",
        1,
        "missing required column `skillType`",
    );

    let result = load_edited(|files| {
        *file_mut(files, "occupations_en.csv") = Vec::new();
    });
    expect_csv_error(result, "occupations_en.csv", 1, "conceptUri");
}

#[test]
fn bad_enum_values_are_errors() {
    let mut line = 0;
    let result = load_edited(|files| {
        line = append(
            files,
            "skills_en.csv",
            format!("KnowledgeSkillCompetence,{E}/skill/x,attitude,transversal,x,,,released,,,,,")
                .as_bytes(),
        );
    });
    expect_csv_error(
        result,
        "skills_en.csv",
        line,
        "unknown skillType `attitude`",
    );

    let result = load_edited(|files| {
        line = append(
            files,
            "skills_en.csv",
            format!("KnowledgeSkillCompetence,{E}/skill/x,knowledge,global,x,,,released,,,,,")
                .as_bytes(),
        );
    });
    expect_csv_error(result, "skills_en.csv", line, "unknown reuseLevel `global`");

    let result = load_edited(|files| {
        line = append(
            files,
            "occupationSkillRelations.csv",
            format!("{E}/occupation/dev,mandatory,knowledge,{E}/skill/python").as_bytes(),
        );
    });
    assert_eq!(line, 7);
    expect_csv_error(
        result,
        "occupationSkillRelations.csv",
        line,
        "unknown relationType `mandatory`",
    );
}

#[test]
fn unknown_uris_in_relations_are_errors() {
    let mut line = 0;
    let result = load_edited(|files| {
        line = append(
            files,
            "occupationSkillRelations.csv",
            format!("{E}/occupation/dev,optional,knowledge,{E}/skill/nonexistent").as_bytes(),
        );
    });
    expect_csv_error(
        result,
        "occupationSkillRelations.csv",
        line,
        "unknown skillUri",
    );

    let result = load_edited(|files| {
        line = append(
            files,
            "occupationSkillRelations.csv",
            format!("{E}/occupation/dev,optional,knowledge,{E}/skill/comm").as_bytes(),
        );
    });
    expect_csv_error(
        result,
        "occupationSkillRelations.csv",
        line,
        "is a skill group",
    );

    let result = load_edited(|files| {
        line = append(
            files,
            "broaderRelationsSkillPillar.csv",
            format!("KnowledgeSkillCompetence,{E}/skill/python,SkillGroup,{E}/skill/nowhere")
                .as_bytes(),
        );
    });
    expect_csv_error(
        result,
        "broaderRelationsSkillPillar.csv",
        line,
        "unknown broaderUri",
    );
}

#[test]
fn duplicates_and_empty_required_values_are_errors() {
    let mut line = 0;
    let result = load_edited(|files| {
        line = append(
            files,
            "skills_en.csv",
            format!("KnowledgeSkillCompetence,{E}/skill/python,knowledge,,again,,,released,,,,,")
                .as_bytes(),
        );
    });
    expect_csv_error(result, "skills_en.csv", line, "duplicate conceptUri");

    let result = load_edited(|files| {
        line = append(
            files,
            "skillGroups_en.csv",
            format!("SkillGroup,{E}/skill/python,python group,,,released,,,,,").as_bytes(),
        );
    });
    expect_csv_error(result, "skillGroups_en.csv", line, "also a skill");

    let result = load_edited(|files| {
        line = append(
            files,
            "skills_en.csv",
            format!("KnowledgeSkillCompetence,{E}/skill/y,knowledge,,  ,,,released,,,,,")
                .as_bytes(),
        );
    });
    expect_csv_error(result, "skills_en.csv", line, "empty `preferredLabel`");
}

#[test]
fn invalid_utf8_gives_file_and_line() {
    let mut line = 0;
    let result = load_edited(|files| {
        line = append(
            files,
            "occupations_en.csv",
            format!("Occupation,{E}/occupation/x,1234,caf\u{e9},,,released,,,,,,,")
                .into_bytes()
                .into_iter()
                .flat_map(|b| {
                    if b == 0xc3 {
                        vec![0xe9]
                    } else if b == 0xa9 {
                        vec![]
                    } else {
                        vec![b]
                    }
                })
                .collect::<Vec<u8>>()
                .as_slice(),
        );
    });
    assert_eq!(line, 5, "the first occupation spans lines 2–3");
    expect_csv_error(
        result,
        "occupations_en.csv",
        line,
        "invalid UTF-8 in field 4",
    );
}

#[test]
fn a_utf8_bom_is_ignored() {
    let dir = TempDir::new("bom");
    let mut files = fixture();
    for (_, content) in &mut files {
        content.splice(0..0, [0xef, 0xbb, 0xbf]);
    }
    write_folder(dir.path(), &files);
    let t = Taxonomy::from_esco_csv(dir.path()).unwrap();
    assert_eq!(t.skills.len(), 4);
}

#[test]
fn broken_zips_are_named() {
    let dir = TempDir::new("badzip");
    std::fs::write(
        dir.path().join("esco-v1-classification-en-csv.zip"),
        b"not a zip",
    )
    .unwrap();
    match Taxonomy::from_esco_csv(dir.path()) {
        Err(EscoError::Zip { file, .. }) => {
            assert!(file.ends_with("esco-v1-classification-en-csv.zip"))
        }
        other => panic!("expected a zip error, got {other:?}"),
    }

    // Damage inside a stored entry: the CRC check fails while reading it.
    let dir = TempDir::new("crc");
    write_zips(dir.path(), &fixture(), zip::CompressionMethod::Stored);
    let path = dir.path().join("esco-v9.8.7-classification-en-csv.zip");
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = b"show initiative";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at] = b'S';
    std::fs::write(&path, bytes).unwrap();
    let err = Taxonomy::from_esco_csv(dir.path()).unwrap_err();
    match &err {
        EscoError::Io { file, .. } => {
            assert!(
                file.ends_with("classification-en-csv.zip/skills_en.csv"),
                "{file}"
            )
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}
