//! Compare on the shipped bundle: a post's skills matched or missing in a
//! résumé, with the evidence in both texts, years, title and degree.

use std::path::Path;
use std::sync::OnceLock;

use skillmark::schema::{Comparison, MatchKind, Requirement};
use skillmark::{CompareOptions, Engine};

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
            .expect("shipped assets load")
    })
}

const JOB: &str = "## Job title\nData Engineer\n\n## Requirements\n\
    - At least 4 years of experience as a data engineer.\n\
    - Strong Python and SQL.\n\
    - Experience with Apache Spark.\n\
    - Bachelor's degree in computer science.\n";

const RESUME: &str = "Jane Doe\n\n## Education\nMaster's degree in Computer Science\n\n\
    ## Skills\nPython, SQL, Microsoft Excel\n\n\
    ## Experience\nData Engineer, Acme (2018 - 2023)\nIntern, Beta (2017 - 2018)\n";

const WEAKER: &str = "Jane Doe\n\n## Education\nHigh school diploma\n\n\
    ## Skills\nMicrosoft Excel\n\n\
    ## Experience\nData Engineer, Acme (2021 - 2023)\n";

fn compare(job: &str, resume: &str, occupations: bool) -> Comparison {
    let opts = CompareOptions {
        occupations,
        current_year: Some(2024),
        ..Default::default()
    };
    engine().compare(job, resume, &opts).unwrap()
}

fn skill<'a>(c: &'a Comparison, label: &str) -> &'a skillmark::schema::JobSkill {
    c.skills
        .iter()
        .find(|s| s.skill.label == label)
        .unwrap_or_else(|| {
            panic!(
                "{label} not among the post's skills: {:?}",
                c.skills.iter().map(|s| &s.skill.label).collect::<Vec<_>>()
            )
        })
}

#[test]
fn skills_are_matched_or_missing_with_evidence_in_both_texts() {
    let c = compare(JOB, RESUME, false);
    let python = skill(&c, "Python (computer programming)");
    let m = python.matched.as_ref().expect("Python is in the résumé");
    assert_eq!(m.kind, MatchKind::Same);
    assert_eq!(m.closeness, 1.0);
    // The evidence spans point at the words in each text.
    assert!(python
        .job_spans
        .iter()
        .any(|&i| c.job.spans[i].text == "Python"));
    assert!(m
        .resume_spans
        .iter()
        .any(|&i| c.resume.spans[i].text == "Python"));
    for s in &c.job.spans {
        assert_eq!(&JOB[s.start..s.end], s.text);
    }
    // Spark, whatever ESCO skill it links to, is the résumé's gap.
    let spark = c
        .skills
        .iter()
        .find(|s| {
            s.job_spans
                .iter()
                .any(|&i| c.job.spans[i].text.contains("Spark"))
        })
        .expect("a skill for Spark");
    assert!(spark.matched.is_none(), "{:?}", spark.matched);
    // Excel is the résumé's, not the post's.
    assert!(
        c.extra.iter().any(|e| e
            .resume_spans
            .iter()
            .any(|&i| c.resume.spans[i].text.contains("Excel"))),
        "{:?}",
        c.extra
    );
    // Without occupations nothing is essential or optional.
    assert!(c
        .skills
        .iter()
        .all(|s| s.requirement == Requirement::Unlisted));
    assert!(c.occupations.is_empty());
    // Years: 4 asked, the matching role spans 5.
    let years = &c.experience.required;
    assert_eq!(years.len(), 1);
    assert_eq!(years[0].years, 4.0);
    assert_eq!(years[0].resume_years, 5.0);
    assert!(years[0]
        .resume
        .as_ref()
        .unwrap()
        .text
        .starts_with("Data Engineer, Acme"));
    assert_eq!(c.experience.resume_years, 6.0);
    assert_eq!(c.parts.experience, Some(1.0));
    // A master's covers a bachelor's.
    assert_eq!(c.parts.education, Some(1.0));
    assert_eq!(c.title.job.as_ref().unwrap().text, "Data Engineer");
    assert!(c.title.similarity > 0.8, "{:?}", c.title);
    assert!((0.0..=1.0).contains(&c.score));
}

#[test]
fn a_weaker_resume_scores_lower_in_every_part_it_lacks() {
    let good = compare(JOB, RESUME, false);
    let weak = compare(JOB, WEAKER, false);
    assert!(
        weak.parts.skills < good.parts.skills,
        "{:?} {:?}",
        weak.parts,
        good.parts
    );
    // 2 of 4 years.
    assert_eq!(weak.parts.experience, Some(0.5));
    assert_eq!(weak.parts.education, Some(0.0));
    assert!(weak.score < good.score);
    let missing: Vec<&str> = weak
        .skills
        .iter()
        .filter(|s| s.matched.is_none())
        .map(|s| s.skill.label.as_str())
        .collect();
    assert!(
        missing.contains(&"Python (computer programming)"),
        "{missing:?}"
    );
}

#[test]
fn the_posts_occupation_marks_skills_essential_or_optional() {
    let c = compare(JOB, RESUME, true);
    assert!(!c.occupations.is_empty());
    assert!(c.occupations.len() <= CompareOptions::default().top_occupations);
    assert!(
        c.skills
            .iter()
            .any(|s| s.requirement != Requirement::Unlisted),
        "{:?} / {:?}",
        c.occupations.first().map(|o| &o.label),
        c.skills
            .iter()
            .map(|s| (&s.skill.label, s.requirement))
            .collect::<Vec<_>>()
    );
    // No occupation listed: the best one still marks the skills.
    let opts = CompareOptions {
        top_occupations: 0,
        current_year: Some(2024),
        ..Default::default()
    };
    let quiet = engine().compare(JOB, RESUME, &opts).unwrap();
    assert!(quiet.occupations.is_empty());
    assert_eq!(
        quiet
            .skills
            .iter()
            .map(|s| s.requirement)
            .collect::<Vec<_>>(),
        c.skills.iter().map(|s| s.requirement).collect::<Vec<_>>()
    );
    // Optional skills weigh less than essential ones.
    for s in &c.skills {
        let full = if s.implicit { 0.5 } else { 1.0 };
        match s.requirement {
            Requirement::Optional => assert_eq!(s.weight, full * 0.5),
            _ => assert_eq!(s.weight, full),
        }
    }
}

#[test]
fn empty_and_unrelated_texts_give_a_graceful_result() {
    let c = compare("", "", false);
    assert!(c.skills.is_empty() && c.extra.is_empty());
    assert_eq!(c.score, 0.0);
    let c = compare(JOB, "", false);
    assert!(c.skills.iter().all(|s| s.matched.is_none()));
    assert_eq!(c.parts.skills, Some(0.0));
    let c = compare(JOB, "\u{0}\u{202e}<script>alert(1)</script> 😀", false);
    assert!((0.0..=1.0).contains(&c.score));
}
