//! The TypeScript declarations of the wire schema (`web/schema/skillmark.d.ts`)
//! are generated from the Rust types; this test fails when the committed file
//! and the types disagree. Regenerate with
//! `SKILLMARK_UPDATE_SCHEMA=1 cargo test -p skillmark-schema --test typescript`.

use skillmark_schema::*;
use ts_rs::{Config, TS};

fn declarations() -> String {
    let cfg = Config::new();
    let decls = [
        Category::decl(&cfg),
        LinkMode::decl(&cfg),
        SpanKind::decl(&cfg),
        HighlightOptions::decl(&cfg),
        Segment::decl(&cfg),
        SkillLink::decl(&cfg),
        HighlightSpan::decl(&cfg),
        DocumentSkill::decl(&cfg),
        Highlights::decl(&cfg),
        RankedSkill::decl(&cfg),
        TaggedText::decl(&cfg),
        RankedText::decl(&cfg),
        OccupationOptions::decl(&cfg),
        OccupationSkillRef::decl(&cfg),
        OccupationSuggestion::decl(&cfg),
        OccupationsOfText::decl(&cfg),
        CompareOptions::decl(&cfg),
        MatchKind::decl(&cfg),
        Requirement::decl(&cfg),
        Degree::decl(&cfg),
        TextRange::decl(&cfg),
        SkillRef::decl(&cfg),
        SkillMatch::decl(&cfg),
        JobSkill::decl(&cfg),
        ExtraSkill::decl(&cfg),
        YearsRequirement::decl(&cfg),
        ExperienceEvidence::decl(&cfg),
        TitleEvidence::decl(&cfg),
        EducationEvidence::decl(&cfg),
        ScoreParts::decl(&cfg),
        Comparison::decl(&cfg),
        Attribution::decl(&cfg),
        Defaults::decl(&cfg),
        FromWorker::decl(&cfg),
    ];
    let mut out = String::from(
        "// The wire schema of skillmark, generated from crates/schema by\n\
         // crates/schema/tests/typescript.rs: do not edit by hand.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn committed_typescript_declarations_match_the_rust_types() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/schema/skillmark.d.ts");
    let want = declarations();
    if std::env::var_os("SKILLMARK_UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: regenerate it with SKILLMARK_UPDATE_SCHEMA=1 cargo test -p skillmark-schema --test typescript",
        path.display()
    );
}

#[test]
fn declarations_name_every_wire_field_in_camel_case() {
    let d = declarations();
    for field in [
        "startUtf16",
        "endChar",
        "bestScore",
        "skillType",
        "implicitMinScore",
        "minScore",
    ] {
        assert!(
            d.contains(&format!("{field}:")),
            "{field} missing from\n{d}"
        );
    }
    assert!(
        d.contains(r#"type Category = "technology" | "technical" | "business" | "soft""#),
        "{d}"
    );
    assert!(d.contains(r#""type": "result""#), "{d}");
}
