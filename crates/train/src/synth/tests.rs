//! Unit tests of the synthesis pipeline; none needs the LLM weights.

use esco::{Occupation, OccupationSkill, Relation, ReuseLevel, Skill, SkillType, Taxonomy};

use super::filter::{
    copies_example, dedup_key, mentions_label, skill_rule, text_rules, FilterConfig, Reject, Seen,
};
use super::journal::{recover, skill_lines, DoneRecord, Journal, SentenceRecord};
use super::parse::parse_sentences;
use super::prompt::{chat_prompt, example_sentences, skill_prompt, user_message, SkillFacts};

fn skill(uri: &str, label: &str, alt: &[&str], description: &str, reuse: ReuseLevel) -> Skill {
    Skill {
        uri: uri.into(),
        preferred_label: label.into(),
        alt_labels: alt.iter().map(|s| s.to_string()).collect(),
        skill_type: SkillType::SkillCompetence,
        reuse_level: reuse,
        description: description.into(),
        broader: vec![],
    }
}

fn occupation(label: &str) -> Occupation {
    Occupation {
        uri: format!("o:{label}"),
        preferred_label: label.into(),
        alt_labels: vec![],
        isco_group: String::new(),
        description: String::new(),
    }
}

/// Skill 0 "manage budgets": optional for the baker (occupation 0), essential
/// for the accountant (1) and the project manager (2). Skill 1: no relations.
fn taxonomy() -> Taxonomy {
    let skills = vec![
        skill(
            "s:budgets",
            "manage budgets",
            &["budget management", "manage budgets", "control budgets"],
            "Plan, monitor and report on the budget.",
            ReuseLevel::CrossSector,
        ),
        skill(
            "s:knead",
            "knead dough",
            &[],
            "",
            ReuseLevel::OccupationSpecific,
        ),
    ];
    let occupations = vec![
        occupation("baker"),
        occupation("accountant"),
        occupation("project manager"),
    ];
    let rel = |o: u32, s: u32, relation| OccupationSkill {
        occupation: o,
        skill: s,
        relation,
    };
    let relations = vec![
        rel(0, 0, Relation::Optional),
        rel(1, 0, Relation::Essential),
        rel(2, 0, Relation::Essential),
        rel(0, 1, Relation::Essential),
    ];
    Taxonomy::new("test", skills, vec![], occupations, relations)
}

fn record(text: &str, uri: &str) -> SentenceRecord {
    SentenceRecord {
        text: text.into(),
        skill_uri: uri.into(),
        skill_label: "x".into(),
        model: "m".into(),
        prompt_version: "v".into(),
        seed: 1,
        cosine: 0.5,
        rank: 1,
        mentions_label: false,
    }
}

fn done(uri: &str, kept: u32) -> DoneRecord {
    DoneRecord {
        done: uri.into(),
        generated: 5,
        kept,
        ..Default::default()
    }
}

#[test]
fn facts_put_essential_occupations_first_and_drop_the_label_from_alt_labels() {
    let f = SkillFacts::from_taxonomy(&taxonomy(), 0);
    assert_eq!(f.label, "manage budgets");
    assert_eq!(f.occupations, ["accountant", "project manager", "baker"]);
    assert_eq!(f.alt_labels, ["budget management", "control budgets"]);
    assert_eq!(f.description, "Plan, monitor and report on the budget.");
}

#[test]
fn prompt_is_grounded_in_description_and_occupations() {
    let f = SkillFacts::from_taxonomy(&taxonomy(), 0);
    let m = user_message(&f, 7);
    assert!(m.contains("ESCO skill: \"manage budgets\""));
    assert!(m.contains("Other names: budget management; control budgets"));
    assert!(m.contains("Meaning: Plan, monitor and report on the budget."));
    assert!(m.contains("Jobs that require it: accountant; project manager; baker"));
    assert!(m.contains("Write 7 sentences."));
    let p = chat_prompt(&f, 7);
    assert!(p.starts_with("<|im_start|>system\n"));
    assert!(p.ends_with("<|im_start|>assistant\n"));
    assert!(p.ends_with(&skill_prompt(&f, 7)));
    assert_eq!(
        p.matches("<|im_start|>").count(),
        p.matches("<|im_end|>").count() + 1
    );
}

#[test]
fn prompt_leaves_out_what_esco_does_not_give_and_clips_long_descriptions() {
    let mut t = taxonomy();
    t.skills[1].description = "word ".repeat(400);
    let f = SkillFacts::from_taxonomy(&t, 1);
    let m = user_message(&f, 3);
    assert!(!m.contains("Other names"));
    assert!(m.contains("Jobs that require it: baker"));
    let meaning = m.lines().find(|l| l.starts_with("Meaning: ")).unwrap();
    assert!(meaning.chars().count() <= "Meaning: ".len() + 401);
    assert!(meaning.ends_with('…'));
}

#[test]
fn parser_handles_numbered_bulleted_quoted_and_headed_lines() {
    let answer = "1. You will plan budgets.\n2) Report to the board.\n(3) Keep costs low.\n\
        - Track spending.\n* Review invoices.\n• Forecast cash flow.\n\n\
        4. \"Quoted sentence here.\"\n5. **Bold** words stay.\n\
        *Manage budgets* - Plan the yearly budget.\n10: Ten.\n2024 was a good year.";
    assert_eq!(
        parse_sentences(answer),
        [
            "You will plan budgets.",
            "Report to the board.",
            "Keep costs low.",
            "Track spending.",
            "Review invoices.",
            "Forecast cash flow.",
            "Quoted sentence here.",
            "Bold words stay.",
            "Plan the yearly budget.",
            "Ten.",
            "2024 was a good year.",
        ]
    );
    assert!(parse_sentences("").is_empty());
    assert!(parse_sentences("\n \n").is_empty());
}

#[test]
fn text_rules_drop_meta_short_long_listy_code_and_foreign_text() {
    let cfg = FilterConfig::default();
    let ok = "You will plan, monitor and report on the yearly budget of the department.";
    assert_eq!(text_rules(ok, &cfg), Ok(()));
    let cases = [
        (
            "Here are five sentences about budgets for you to use.",
            Reject::Meta,
        ),
        (
            "Sure, these are the sentences you asked for today.",
            Reject::Meta,
        ),
        ("Manage budgets well.", Reject::TooShort),
        (&*"budget ".repeat(60), Reject::TooLong),
        (
            "Skills needed for the role of a budget manager include:",
            Reject::ListLike,
        ),
        (
            "You need Excel, SAP, Oracle, SQL, Python, R, Tableau, Looker and PowerBI for the job.",
            Reject::ListLike,
        ),
        (
            "Use `budget.plan()` to compute the budget of the team.",
            Reject::CodeLike,
        ),
        (
            "Vous gérez le budget annuel du département avec rigueur.",
            Reject::NotEnglish,
        ),
        (
            "负责部门年度预算的规划和监控 and report to the board today.",
            Reject::NotEnglish,
        ),
    ];
    for (text, want) in cases {
        assert_eq!(text_rules(text, &cfg), Err(want), "{text}");
    }
}

#[test]
fn skill_rule_keeps_mentions_or_clear_implications() {
    let cfg = FilterConfig {
        max_rank: 10,
        min_cosine: 0.4,
        ..FilterConfig::default()
    };
    assert!(skill_rule(true, 5000, 0.0, &cfg));
    assert!(skill_rule(false, 10, 0.4, &cfg));
    assert!(!skill_rule(false, 11, 0.9, &cfg));
    assert!(!skill_rule(false, 1, 0.39, &cfg));
    let labels = ["manage budgets", "budget management"];
    assert!(mentions_label("You will MANAGE budgets, daily.", labels));
    assert!(mentions_label("Strong budget-management skills.", labels));
    assert!(!mentions_label("You will manage budgetsheets.", labels));
}

#[test]
fn duplicates_and_example_copies_are_detected() {
    let mut seen = Seen::default();
    assert!(seen.insert("You will plan the budget."));
    assert!(!seen.insert("you will PLAN the budget!"));
    assert!(seen.contains("You  will plan the budget"));
    assert_eq!(dedup_key("A-b, c!"), "a b c");
    let examples = example_sentences();
    assert_eq!(examples.len(), 3);
    let copy =
        "Track costs against forecasts each month and flag any deviation to senior management.";
    assert!(copies_example(copy, examples.iter().map(String::as_str)));
    assert!(!copies_example(
        "You will bake bread and pastries in a busy bakery every morning.",
        examples.iter().map(String::as_str)
    ));
}

#[test]
fn recover_keeps_finished_skills_and_drops_a_truncated_tail() {
    let mut text = skill_lines(
        &[record("a one", "s:1"), record("a two", "s:1")],
        &done("s:1", 2),
    );
    text += &skill_lines(&[], &done("s:2", 0));
    // Skill 3 was being written when the process died.
    text += &serde_json::to_string(&record("c one", "s:3")).unwrap();
    text += "\n{\"text\":\"c tw";
    let r = recover(&text);
    assert_eq!(r.done_uris(), ["s:1", "s:2"].map(String::from).into());
    assert_eq!(
        r.sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>(),
        ["a one", "a two"]
    );
    assert_eq!(r.dropped_lines, 2);
}

#[test]
fn journal_repairs_the_file_and_appends_after_it() {
    let dir = std::env::temp_dir().join(format!("skillmark-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.jsonl");
    let mut text = skill_lines(&[record("a one", "s:1")], &done("s:1", 1));
    text += "{\"text\":\"orphan\",\"skill_uri\":\"s:9\"";
    std::fs::write(&path, &text).unwrap();

    let (mut j, r) = Journal::open(&path).unwrap();
    assert_eq!(r.done.len(), 1);
    assert_eq!(r.dropped_lines, 1);
    j.append_skill(&[record("b one", "s:2")], &done("s:2", 1))
        .unwrap();
    drop(j);

    let (_, r) = Journal::open(&path).unwrap();
    assert_eq!(r.dropped_lines, 0);
    assert_eq!(r.done_uris(), ["s:1", "s:2"].map(String::from).into());
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written.lines().count(), 4);
    assert!(written.ends_with('\n'));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn priority_prefers_required_reusable_and_skillskape_skills() {
    let t = taxonomy();
    let order = super::priority::order(&t, &[]);
    assert_eq!(order.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [0, 1]);
    let order = super::priority::order(&t, &[0, 100]);
    assert_eq!(order[0].0, 1);
    assert!(
        super::priority::score(3, 0, ReuseLevel::Unknown, 0)
            > super::priority::score(0, 5, ReuseLevel::Unknown, 0)
    );
}

#[test]
fn tokenizer_from_gguf_parts_round_trips_bytes_and_keeps_specials_whole() {
    // A toy byte-level vocabulary: the bytes of "ab c" (space is "Ġ"), one merge, one special token.
    let tokens: Vec<String> = ["a", "b", "c", "Ġ", "ab", "<|im_end|>"]
        .map(String::from)
        .to_vec();
    let merges = vec!["a b".to_string()];
    let types = vec![1, 1, 1, 1, 1, 3];
    let tok = super::llm::tokenizer_from_parts(&tokens, &merges, &types).unwrap();
    let enc = tok.encode("ab c<|im_end|>", false).unwrap();
    assert_eq!(enc.get_ids(), [4, 3, 2, 5]);
    assert_eq!(tok.decode(&[4, 3, 2], true).unwrap(), "ab c");
    assert_eq!(tok.token_to_id("<|im_end|>"), Some(5));
}

#[test]
fn skill_seeds_are_stable_and_differ_by_skill() {
    use super::run::skill_seed;
    assert_eq!(skill_seed(42, "s:1"), skill_seed(42, "s:1"));
    assert_ne!(skill_seed(42, "s:1"), skill_seed(42, "s:2"));
    assert_ne!(skill_seed(42, "s:1"), skill_seed(43, "s:1"));
}

/// Runs the real model on one skill; needs `scripts/fetch-llm` first.
/// `SKILLMARK_LLM=/path/to/model.gguf cargo test --release -p skillmark-train -- --ignored`
#[test]
#[ignore = "needs the LLM weights: set SKILLMARK_LLM to a Qwen2 GGUF"]
fn real_model_answers_in_the_requested_form() {
    let Ok(path) = std::env::var("SKILLMARK_LLM") else {
        panic!("set SKILLMARK_LLM to the GGUF path (scripts/fetch-llm prints it)");
    };
    let mut llm = super::llm::Llm::load(std::path::Path::new(&path)).unwrap();
    let f = SkillFacts::from_taxonomy(&taxonomy(), 0);
    let params = super::llm::SamplingParams {
        max_new_tokens: 120,
        ..Default::default()
    };
    let g = llm
        .generate(
            &super::prompt::chat_prefix(),
            &skill_prompt(&f, 3),
            &params,
            1,
        )
        .unwrap();
    assert!(g.new_tokens > 0);
    assert!(!parse_sentences(&g.text).is_empty(), "{}", g.text);
}
