//! Unit tests of the types, queries and binary form on a hand-built taxonomy.

use super::*;

fn group(uri: &str, label: &str, code: &str, broader: Vec<NodeRef>) -> SkillGroup {
    SkillGroup {
        uri: format!("g:{uri}"),
        preferred_label: label.into(),
        code: code.into(),
        description: String::new(),
        broader,
    }
}

fn skill(uri: &str, label: &str, alt: &[&str], ty: SkillType, broader: Vec<NodeRef>) -> Skill {
    Skill {
        uri: format!("s:{uri}"),
        preferred_label: label.into(),
        alt_labels: alt.iter().map(|s| s.to_string()).collect(),
        skill_type: ty,
        reuse_level: ReuseLevel::SectorSpecific,
        description: format!("about {label}"),
        broader,
    }
}

use NodeRef::{Group as G, Skill as S};

/// Groups: 0 skills (root), 1 knowledge (root), 2 communication → 0,
/// 3 ICT → 1, 4 programming → 3, 5 ↔ 6 a group cycle.
/// Skills: 0 Python → G4; 1 communicate → G2; 2 teach Python → S0, G2;
/// 3 ↔ 4 a skill cycle (4 also → G2); 5 → itself; 6 → the group cycle;
/// 7 no broader.
fn fixture() -> Taxonomy {
    let groups = vec![
        group("skills", "skills", "S", vec![]),
        group("knowledge", "knowledge", "K", vec![]),
        group("comm", "communication", "S1", vec![G(0)]),
        group(
            "ict",
            "information and communication technologies",
            "06",
            vec![G(1)],
        ),
        group("prog", "computer programming", "0613", vec![G(3)]),
        group("c1", "cycle one", "", vec![G(6)]),
        group("c2", "cycle two", "", vec![G(5)]),
    ];
    let k = SkillType::Knowledge;
    let sc = SkillType::SkillCompetence;
    let skills = vec![
        skill(
            "python",
            "Python (computer programming)",
            &["Python", "Py3K"],
            k,
            vec![G(4)],
        ),
        skill("communicate", "communicate", &["talk"], sc, vec![G(2)]),
        skill("teach", "teach Python", &["python"], sc, vec![S(0), G(2)]),
        skill("a", "cycle a", &[], sc, vec![S(4)]),
        skill("b", "cycle b", &[], sc, vec![S(3), G(2)]),
        skill("self", "self loop", &[], sc, vec![S(5)]),
        skill("gc", "in group cycle", &[], SkillType::Unknown, vec![G(5)]),
        skill("orphan", "orphan", &[], sc, vec![]),
    ];
    let occupations = vec![
        Occupation {
            uri: "o:dev".into(),
            preferred_label: "software developer".into(),
            alt_labels: vec!["programmer".into()],
            isco_group: "2512".into(),
            description: "writes software".into(),
        },
        Occupation {
            uri: "o:teacher".into(),
            preferred_label: "ICT teacher".into(),
            alt_labels: vec![],
            isco_group: "2356".into(),
            description: String::new(),
        },
    ];
    let rel = |occupation, skill, relation| OccupationSkill {
        occupation,
        skill,
        relation,
    };
    let occupation_skills = vec![
        rel(0, 0, Relation::Essential),
        rel(1, 2, Relation::Essential),
        rel(1, 0, Relation::Optional),
        rel(0, 1, Relation::Optional),
    ];
    let t = Taxonomy::new("ESCO test", skills, groups, occupations, occupation_skills);
    t.validate().unwrap();
    t
}

#[test]
fn enum_parsing() {
    assert_eq!(
        SkillType::from_esco_str("knowledge"),
        Some(SkillType::Knowledge)
    );
    assert_eq!(
        SkillType::from_esco_str(" skill/competence "),
        Some(SkillType::SkillCompetence)
    );
    assert_eq!(SkillType::from_esco_str(""), Some(SkillType::Unknown));
    assert_eq!(
        SkillType::from_esco_str("http://data.europa.eu/esco/skill-type/knowledge"),
        Some(SkillType::Knowledge)
    );
    assert_eq!(SkillType::from_esco_str("attitude"), None);
    for level in [
        ReuseLevel::Transversal,
        ReuseLevel::CrossSector,
        ReuseLevel::SectorSpecific,
        ReuseLevel::OccupationSpecific,
        ReuseLevel::Unknown,
    ] {
        assert_eq!(ReuseLevel::from_esco_str(level.as_esco_str()), Some(level));
    }
    assert_eq!(
        ReuseLevel::from_esco_str("http://data.europa.eu/esco/skill-reuse-level/cross-sector"),
        Some(ReuseLevel::CrossSector)
    );
    assert_eq!(ReuseLevel::from_esco_str("sector"), None);
    assert_eq!(
        Relation::from_esco_str("Essential"),
        Some(Relation::Essential)
    );
    assert_eq!(
        Relation::from_esco_str("optional"),
        Some(Relation::Optional)
    );
    assert_eq!(Relation::from_esco_str("required"), None);
    assert_eq!(SkillType::Unknown.to_string(), "unknown");
    assert_eq!(ReuseLevel::CrossSector.to_string(), "cross-sector");
}

#[test]
fn lookups_by_uri_and_label() {
    let t = fixture();
    assert_eq!(t.skill_by_uri("s:teach"), Some(2));
    assert_eq!(t.skill_by_uri("s:nope"), None);
    assert_eq!(t.skill_by_label("teach Python"), Some(2));
    assert_eq!(t.skill_by_label("TEACH python "), Some(2));
    assert_eq!(
        t.skill_by_label("Python"),
        None,
        "alt labels are not preferred labels"
    );
    assert_eq!(t.skills_with_label("python"), vec![0, 2]);
    assert_eq!(t.skills_with_label("Talk"), vec![1]);
    assert!(t.skills_with_label("nothing").is_empty());
    assert_eq!(t.group_by_uri("g:prog"), Some(4));
    assert_eq!(t.occupation_by_uri("o:teacher"), Some(1));
    assert_eq!(t.occupation_by_uri("s:teach"), None);
    assert_eq!(t.node_label(G(4)), Some("computer programming"));
    assert_eq!(t.node_uri(S(1)), Some("s:communicate"));
    assert_eq!(t.node_label(G(99)), None);
}

#[test]
fn lookups_follow_changes_after_invalidate() {
    let mut t = fixture();
    assert_eq!(t.skill_by_uri("s:python"), Some(0));
    t.skills.swap(0, 1);
    // A stale hit is detected, never returned.
    assert_eq!(t.skill_by_uri("s:python"), None);
    t.invalidate_lookups();
    assert_eq!(t.skill_by_uri("s:python"), Some(1));
    // Clones start with fresh lookups.
    let mut c = t.clone();
    c.skills.swap(0, 1);
    assert_eq!(c.skill_by_uri("s:python"), Some(0));
    assert_eq!(t.skill_by_uri("s:python"), Some(1));
}

#[test]
fn ancestry_lists_every_path_to_a_root() {
    let t = fixture();
    assert_eq!(t.ancestry(0), vec![vec![G(4), G(3), G(1)]]);
    assert_eq!(t.pillar_roots(0), vec![1]);
    assert_eq!(
        t.ancestry(2),
        vec![vec![S(0), G(4), G(3), G(1)], vec![G(2), G(0)]]
    );
    assert_eq!(t.pillar_roots(2), vec![1, 0]);
    assert_eq!(t.ancestry(1), vec![vec![G(2), G(0)]]);
}

#[test]
fn ancestry_is_cycle_safe() {
    let t = fixture();
    // 3 → 4 → (3 is on the path: cut) and 4 → G2 → G0.
    assert_eq!(t.ancestry(3), vec![vec![S(4), G(2), G(0)]]);
    assert_eq!(t.ancestry(4), vec![vec![G(2), G(0)]]);
    assert_eq!(t.pillar_roots(3), vec![0]);
    assert!(t.ancestry(5).is_empty(), "a self loop reaches no root");
    assert!(t.ancestry(6).is_empty(), "a group cycle reaches no root");
    assert!(t.pillar_roots(6).is_empty());
    assert!(t.ancestry(7).is_empty(), "no broader, no ancestry");
    assert!(t.ancestry(1000).is_empty());
    assert!(t.ancestry(usize::MAX).is_empty());
}

#[test]
fn ancestry_is_capped_on_exponential_hierarchies() {
    // A ladder of 40 rungs, each linked to the two rungs below it: the number
    // of paths grows like the Fibonacci numbers (about 1.6e8 here).
    let mut groups = vec![group("root", "root", "R", vec![])];
    for i in 1..=40u32 {
        let below = if i <= 2 {
            vec![G(0)]
        } else {
            vec![G(i - 1), G(i - 2)]
        };
        groups.push(group(&i.to_string(), "rung", "", below));
    }
    let skills = vec![skill(
        "s",
        "s",
        &[],
        SkillType::SkillCompetence,
        vec![G(40), G(39)],
    )];
    let t = Taxonomy::new("ladder", skills, groups, vec![], vec![]);
    let paths = t.ancestry(0);
    assert_eq!(paths.len(), MAX_ANCESTRY_PATHS);
    assert!(paths.iter().all(|p| p.last() == Some(&G(0))));
}

#[test]
fn occupation_relations_both_ways() {
    let t = fixture();
    assert_eq!(
        t.occupations_of(0),
        vec![(0, Relation::Essential), (1, Relation::Optional)]
    );
    assert_eq!(
        t.skills_of(1),
        vec![(2, Relation::Essential), (0, Relation::Optional)]
    );
    assert_eq!(
        t.skills_of(0),
        vec![(0, Relation::Essential), (1, Relation::Optional)]
    );
    assert!(t.occupations_of(7).is_empty());
    assert!(t.occupations_of(1000).is_empty());
    assert!(t.skills_of(1000).is_empty());
}

#[test]
fn binary_round_trip() {
    let t = fixture();
    let _ = t.skill_by_uri("s:python"); // lookups are not part of the data
    let bytes = t.to_bytes().unwrap();
    assert_eq!(&bytes[..8], &MAGIC);
    let back = Taxonomy::from_bytes(&bytes).unwrap();
    assert_eq!(back, t);
    assert_eq!(back.skill_by_label("teach python"), Some(2));
    assert_eq!(back.ancestry(2), t.ancestry(2));
    assert_eq!(back.to_bytes().unwrap(), bytes, "encoding is deterministic");

    let empty = Taxonomy::default();
    assert_eq!(
        Taxonomy::from_bytes(&empty.to_bytes().unwrap()).unwrap(),
        empty
    );
}

fn decode_error(bytes: &[u8]) -> String {
    match Taxonomy::from_bytes(bytes) {
        Err(e @ EscoError::Decode(_)) => e.to_string(),
        Err(other) => panic!("expected a decode error, got {other:?}"),
        Ok(t) => panic!("decoded garbage into {t:?}"),
    }
}

#[test]
fn from_bytes_rejects_foreign_and_truncated_input() {
    let bytes = fixture().to_bytes().unwrap();
    assert!(decode_error(b"").contains("truncated"));
    assert!(decode_error(b"ESCO").contains("truncated"));
    assert!(decode_error(b"PK\x03\x04 a zip file").contains("magic"));
    assert!(decode_error(&[0xff; 100]).contains("magic"));
    for len in 0..bytes.len() {
        decode_error(&bytes[..len]);
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode_error(&longer).contains("trailing"));
}

#[test]
fn from_bytes_rejects_every_single_byte_corruption() {
    let bytes = fixture().to_bytes().unwrap();
    for i in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            decode_error(&bad);
        }
    }
}

#[test]
fn from_bytes_reports_the_version() {
    let mut bytes = fixture().to_bytes().unwrap();
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    let msg = decode_error(&bytes);
    assert!(msg.contains("version 7"), "{msg}");
}

/// Re-seal a payload with a valid header, bypassing the checksum.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in payload {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&hash.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

#[test]
fn from_bytes_survives_garbage_behind_a_valid_header() {
    let good = fixture().to_bytes().unwrap();
    assert_eq!(seal(&good[28..]), good, "seal matches to_bytes");
    // Huge announced lengths, invalid UTF-8, invalid enum tags, truncation.
    let payloads: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xff; 64],
        vec![3, b'a', b'b'],
        vec![2, 0xc3, 0x28, 0],
        vec![0, 1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f],
        good[28..good.len() - 1].to_vec(),
        {
            let mut p = good[28..].to_vec();
            p.push(0);
            p
        },
    ];
    for p in payloads {
        decode_error(&seal(&p));
    }
    let mut state: u64 = 0x1234_5678;
    for _ in 0..2000 {
        let len = (state % 200) as usize;
        let mut p = Vec::with_capacity(len);
        for _ in 0..len {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            p.push((state >> 56) as u8);
        }
        let _ = Taxonomy::from_bytes(&seal(&p));
    }
}

#[test]
fn from_bytes_validates_indices() {
    let mut t = fixture();
    t.skills[0].broader.push(NodeRef::Group(99));
    assert!(t.validate().is_err());
    let msg = decode_error(&t.to_bytes().unwrap());
    assert!(msg.contains("outside the taxonomy"), "{msg}");

    let mut t = fixture();
    t.occupation_skills.push(OccupationSkill {
        occupation: 5,
        skill: 0,
        relation: Relation::Optional,
    });
    assert!(decode_error(&t.to_bytes().unwrap()).contains("outside the taxonomy"));
}

#[test]
fn debug_is_a_summary() {
    let s = format!("{:?}", fixture());
    assert!(s.contains("skills: 8"), "{s}");
    assert!(s.len() < 200);
}

fn without_occupations(t: &Taxonomy) -> Taxonomy {
    Taxonomy::new(
        t.version.clone(),
        t.skills.clone(),
        t.groups.clone(),
        Vec::new(),
        Vec::new(),
    )
}

#[test]
fn an_occupation_part_round_trips_and_joins_its_own_skills() {
    let full = fixture();
    let bytes = full.occupation_part().to_bytes().unwrap();
    let part = OccupationPart::from_bytes(&bytes).unwrap();
    let mut skills_only = without_occupations(&full);
    assert!(skills_only.occupation_by_uri("o:teacher").is_none());
    skills_only.add_occupations(part.clone()).unwrap();
    assert_eq!(skills_only, full);
    assert_eq!(skills_only.occupation_by_uri("o:teacher"), Some(1));
    // Twice is an error.
    assert!(skills_only.add_occupations(part).is_err());
}

#[test]
fn an_occupation_part_of_other_skills_or_a_damaged_file_is_refused() {
    let full = fixture();
    let part = full.occupation_part();
    let mut other = without_occupations(&full);
    other.skills[0].uri = "s:other".into();
    let e = other.add_occupations(part.clone()).unwrap_err().to_string();
    assert!(e.contains("another taxonomy"), "{e}");
    assert!(other.occupations.is_empty());

    let bytes = part.to_bytes().unwrap();
    for cut in [0, 5, 27, bytes.len() - 1] {
        assert!(OccupationPart::from_bytes(&bytes[..cut]).is_err());
    }
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let e = OccupationPart::from_bytes(&flipped)
        .unwrap_err()
        .to_string();
    assert!(e.contains("checksum"), "{e}");
    let e = OccupationPart::from_bytes(&full.to_bytes().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an ESCO occupations file"), "{e}");
}
