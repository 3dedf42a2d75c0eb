//! The official ESCO v1.1.1 export from `../shared/data/esco` (beside the
//! workspace root): counts, a few known skills, the hierarchy, and the round
//! trip through the binary form.
#![cfg(feature = "csv-import")]

use std::path::PathBuf;
use std::time::Instant;

use esco::{NodeRef, ReuseLevel, SkillType, Taxonomy};

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/esco");
    assert!(
        dir.join("esco-v1.1.1-classification-en-csv.zip").is_file(),
        "the ESCO export is expected at {} (see ../shared/data/README.md)",
        dir.display()
    );
    dir
}

#[test]
fn loads_the_official_export() {
    let started = Instant::now();
    let (t, report) = Taxonomy::import_esco_csv(&data_dir()).unwrap();
    let load = started.elapsed();

    assert_eq!(t.version, "ESCO v1.1.1");
    assert_eq!(t.skills.len(), 13_896);
    let count_type = |ty| t.skills.iter().filter(|s| s.skill_type == ty).count();
    assert_eq!(count_type(SkillType::SkillCompetence), 10_831);
    assert_eq!(count_type(SkillType::Knowledge), 3_059);
    assert_eq!(count_type(SkillType::Unknown), 6);
    let count_reuse = |level| t.skills.iter().filter(|s| s.reuse_level == level).count();
    assert_eq!(count_reuse(ReuseLevel::Transversal), 440);
    assert_eq!(count_reuse(ReuseLevel::CrossSector), 3_754);
    assert_eq!(count_reuse(ReuseLevel::SectorSpecific), 6_654);
    assert_eq!(count_reuse(ReuseLevel::OccupationSpecific), 3_043);
    assert_eq!(count_reuse(ReuseLevel::Unknown), 5);
    assert!(t.skills.iter().all(|s| !s.description.is_empty()));

    // 640 groups in skillGroups_en.csv + 7 named only in skillsHierarchy_en.csv.
    assert_eq!(t.groups.len(), 647);
    assert_eq!(report.groups_from_hierarchy.len(), 7);
    assert_eq!(report.group_codes_from_uri, 220);
    assert!(t.groups.iter().all(|g| !g.code.is_empty()));

    assert_eq!(t.occupations.len(), 3_007);
    assert_eq!(report.relation_rows, 123_855);
    assert_eq!(report.dropped_relations, 67);
    assert_eq!(
        report.unknown_occupations,
        ["http://data.europa.eu/esco/occupation/a9e54177-a185-404d-b6e6-15663d31137e"]
    );
    assert_eq!(t.occupation_skills.len(), 123_855 - 67);

    // Stable, unique lookups.
    for (i, s) in t.skills.iter().enumerate() {
        assert_eq!(t.skill_by_uri(&s.uri), Some(i));
        assert_eq!(t.skill_by_label(&s.preferred_label), Some(i));
    }

    // The pillar roots: the four groups without broader groups.
    let roots: Vec<usize> = (0..t.groups.len())
        .filter(|&g| t.groups[g].broader.is_empty())
        .collect();
    let mut root_codes: Vec<&str> = roots.iter().map(|&g| t.groups[g].code.as_str()).collect();
    root_codes.sort();
    assert_eq!(root_codes, ["K", "L", "S", "T"]);

    let python = t.skill_by_label("Python (computer programming)").unwrap();
    assert_eq!(
        t.skill_by_label("python (Computer Programming)"),
        Some(python)
    );
    let s = &t.skills[python];
    assert_eq!(s.skill_type, SkillType::Knowledge);
    assert!(s.alt_labels.iter().any(|a| a == "Python3"));
    let paths = t.ancestry(python);
    assert!(!paths.is_empty());
    for path in &paths {
        match path.last() {
            Some(&NodeRef::Group(g)) => assert!(roots.contains(&(g as usize))),
            other => panic!("path {path:?} ends in {other:?}"),
        }
    }
    let knowledge = roots
        .iter()
        .copied()
        .find(|&g| t.groups[g].code == "K")
        .unwrap();
    // Python sits under "knowledge" through ISCED-F 0613, and also under
    // "skills" through its broader skill "computer programming".
    let skills = roots
        .iter()
        .copied()
        .find(|&g| t.groups[g].code == "S")
        .unwrap();
    assert_eq!(t.pillar_roots(python), vec![knowledge, skills]);
    let programming = t.skill_by_label("computer programming").unwrap();
    assert!(t.skills[python]
        .broader
        .contains(&NodeRef::Skill(programming as u32)));
    assert!(t.skills_with_label("python").contains(&python));
    assert!(!t.occupations_of(python).is_empty());

    // Every skill reaches a pillar root.
    let mut max_paths = 0;
    for i in 0..t.skills.len() {
        let roots_of = t.pillar_roots(i);
        assert!(
            !roots_of.is_empty(),
            "{} reaches no root",
            t.skills[i].preferred_label
        );
        max_paths = max_paths.max(t.ancestry(i).len());
    }

    // Round trip.
    let started = Instant::now();
    let bytes = t.to_bytes().unwrap();
    let encode = started.elapsed();
    let started = Instant::now();
    let back = Taxonomy::from_bytes(&bytes).unwrap();
    let decode = started.elapsed();
    assert_eq!(back, t);

    eprintln!(
        "ESCO import {load:.2?}; {} bytes in binary form (encode {encode:.2?}, decode {decode:.2?}); at most {max_paths} ancestry paths per skill",
        bytes.len()
    );
}
