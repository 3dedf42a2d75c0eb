//! Unit tests of the synthesis pipeline; none needs the LLM weights.

use esco::{Occupation, OccupationSkill, Relation, ReuseLevel, Skill, SkillType, Taxonomy};

use super::filter::{
    copies_example, dedup_key, mentions_label, skill_rule, text_rules, FilterConfig, Reject, Seen,
};
use super::journal::{recover, task_lines, DoneRecord, Journal, SentenceRecord};
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
    let mut text = task_lines(
        &[record("a one", "s:1"), record("a two", "s:1")],
        &done("s:1", 2),
    );
    text += &task_lines::<SentenceRecord>(&[], &done("s:2", 0));
    // Skill 3 was being written when the process died.
    text += &serde_json::to_string(&record("c one", "s:3")).unwrap();
    text += "\n{\"text\":\"c tw";
    let r = recover::<SentenceRecord>(&text);
    assert_eq!(r.done_keys(), ["s:1", "s:2"].map(String::from).into());
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
    let mut text = task_lines(&[record("a one", "s:1")], &done("s:1", 1));
    text += "{\"text\":\"orphan\",\"skill_uri\":\"s:9\"";
    std::fs::write(&path, &text).unwrap();

    let (mut j, r) = Journal::open::<SentenceRecord>(&path).unwrap();
    assert_eq!(r.done.len(), 1);
    assert_eq!(r.dropped_lines, 1);
    j.append(&[record("b one", "s:2")], &done("s:2", 1))
        .unwrap();
    drop(j);

    let (_, r) = Journal::open::<SentenceRecord>(&path).unwrap();
    assert_eq!(r.dropped_lines, 0);
    assert_eq!(r.done_keys(), ["s:1", "s:2"].map(String::from).into());
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

/// The baker (0) needs skills 1 and 2, and optionally 0; the accountant (1)
/// needs 0 only; the project manager (2) has no relation.
fn occupation_taxonomy() -> Taxonomy {
    let skills = vec![
        skill(
            "s:budgets",
            "manage budgets",
            &[],
            "Plan the budget.",
            ReuseLevel::CrossSector,
        ),
        skill(
            "s:knead",
            "knead dough",
            &[],
            "Work dough by hand.",
            ReuseLevel::OccupationSpecific,
        ),
        skill(
            "s:ovens",
            "operate ovens",
            &[],
            "",
            ReuseLevel::SectorSpecific,
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
        rel(0, 1, Relation::Essential),
        rel(0, 2, Relation::Essential),
        rel(0, 0, Relation::Optional),
        rel(1, 0, Relation::Essential),
    ];
    Taxonomy::new("test", skills, vec![], occupations, relations)
}

/// As [`occupation_taxonomy`], with two skills for the accountant.
fn occupation_taxonomy_with_accountant_skills() -> Taxonomy {
    let mut t = occupation_taxonomy();
    t.occupation_skills.push(OccupationSkill {
        occupation: 1,
        skill: 2,
        relation: Relation::Optional,
    });
    t.invalidate_lookups();
    t
}

#[test]
fn occupations_come_in_priority_order_and_those_without_skills_are_left_out() {
    use super::priority::{essential_and_optional, occupation_order};
    let t = occupation_taxonomy();
    assert_eq!(essential_and_optional(&t, 0), (vec![1, 2], vec![0]));
    // The accountant's one essential skill has the highest priority.
    let order = occupation_order(&t, &[(0, 3.0), (1, 1.0), (2, 0.5)]);
    assert_eq!(order, [1, 0]);
}

#[test]
fn combinations_draw_two_or_three_of_an_occupations_essential_skills() {
    use super::combo::tasks;
    use super::task::Task;
    let t = occupation_taxonomy();
    let a = tasks(&t, &[0, 1, 2], 3, 4, 42);
    // Only the baker has two skills to combine: three combinations, keys unique.
    assert_eq!(a.len(), 3);
    let keys: std::collections::HashSet<&str> = a.iter().map(|c| c.key()).collect();
    assert_eq!(keys.len(), 3);
    for c in &a {
        let m = c.user_message();
        assert!(m.starts_with("Job: baker\n"), "{m}");
        assert!(m.contains("- \"knead dough\": Work dough by hand."), "{m}");
        assert!(m.contains("- \"operate ovens\"\n"), "{m}");
        assert!(m.ends_with("Write 4 sentences, each needing all of these skills."));
        assert!(c.prompt().ends_with("<|im_start|>assistant\n"));
    }
    // Seeded per occupation: the same tasks whatever else is asked for.
    let b = tasks(&t, &[0], 3, 4, 42);
    assert_eq!(
        a.iter().map(|c| c.user_message()).collect::<Vec<_>>(),
        b.iter().map(|c| c.user_message()).collect::<Vec<_>>()
    );
}

#[test]
fn documents_ask_for_essential_skills_first_and_years_in_range() {
    use super::document::{tasks, Kind};
    use super::task::Task;
    let t = occupation_taxonomy();
    let posts = tasks(&t, &[0, 1, 2], Kind::Post, 2, 7);
    // The accountant has one skill only: documents need two.
    assert_eq!(posts.len(), 2);
    assert!(posts[0].key().starts_with("post:o:baker#"));
    let m = posts[0].user_message();
    assert!(
        m.starts_with("Write a job advertisement for a baker with at least "),
        "{m}"
    );
    let skills = m.split("in its own words: ").nth(1).unwrap();
    assert!(skills.ends_with("manage budgets.\nLength: 150 to 300 words, in short paragraphs and lines starting with \"- \": the role, the responsibilities, the requirements, what the company offers."), "{m}");
    let resumes = tasks(&t, &[0], Kind::Resume, 1, 7);
    assert!(resumes[0]
        .user_message()
        .starts_with("Write the résumé of a baker with "));
    assert!(resumes[0].key().starts_with("resume:o:baker#0"));
    let accountant = tasks(
        &occupation_taxonomy_with_accountant_skills(),
        &[1],
        Kind::Resume,
        1,
        7,
    );
    assert!(accountant[0]
        .user_message()
        .starts_with("Write the résumé of an accountant with "));
}

#[test]
fn documents_are_cleaned_of_markdown_and_chatter_and_judged_as_whole_texts() {
    use super::document::{clean_document, document_rules};
    let answer =
        "Here is the job advertisement:\n\n## Baker at Crumb & Co, Leeds\n\n**About the role**\n\
- Bake bread every morning.\n\n\n- Keep the ovens clean.\n\nNote: all names are invented.";
    assert_eq!(
        clean_document(answer),
        "Baker at Crumb & Co, Leeds\n\nAbout the role\n- Bake bread every morning.\n\n- Keep the ovens clean."
    );
    let body =
        "You will bake bread and pastries for our shop in the city centre every day. ".repeat(8);
    assert_eq!(document_rules(&body), Ok(()));
    assert_eq!(
        document_rules("Too short to be a post."),
        Err(Reject::TooShort)
    );
    assert_eq!(
        document_rules(&format!("{body} Apply at [Company Name].")),
        Err(Reject::Placeholder)
    );
    assert_eq!(
        document_rules(&format!("{body} <script>x</script>")),
        Err(Reject::CodeLike)
    );
    assert_eq!(document_rules(&"word ".repeat(800)), Err(Reject::TooLong));
}

#[test]
fn journals_of_every_record_kind_resume_by_task_key() {
    use super::combo::ComboRecord;
    let rec = |text: &str, task: &str| ComboRecord {
        text: text.into(),
        task: task.into(),
        occupation_uri: "o:baker".into(),
        skill_uris: vec!["s:a".into(), "s:b".into()],
        skill_labels: vec!["a".into(), "b".into()],
        asked_uris: vec!["s:a".into(), "s:b".into()],
        cosines: vec![0.5, 0.4],
        ranks: vec![1, 3],
        model: "m".into(),
        prompt_version: "combo-v1".into(),
        seed: 1,
    };
    let mut text = task_lines(&[rec("one", "o:baker#0")], &done("o:baker#0", 1));
    text += &serde_json::to_string(&rec("two", "o:baker#1")).unwrap();
    text.push('\n');
    let r = recover::<ComboRecord>(&text);
    assert_eq!(r.done_keys(), ["o:baker#0"].map(String::from).into());
    assert_eq!(r.sentences, [rec("one", "o:baker#0")]);
    assert_eq!(r.dropped_lines, 1);
}

/// The shipped encoder judges: a sentence that names both skills is kept
/// with both; one that carries only one of them is not a combination.
#[test]
fn a_combination_sentence_is_kept_only_when_two_skills_pass() {
    use super::combo::ComboTask;
    use super::filter::FilterConfig;
    use super::task::{Judge, Provenance, Task};
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets");
    let ranker = skillmark::Ranker::load_dir(
        std::path::Path::new(assets),
        skillmark_model::Precision::Int8,
    )
    .unwrap();
    let t = &ranker.taxonomy;
    let python = t.skill_by_label("Python (computer programming)").unwrap();
    let sql = t.skill_by_label("SQL").unwrap();
    let task = ComboTask::new(t, 0, &[python, sql], "k#0".into(), 2);
    let cfg = FilterConfig::default();
    let mut judge = Judge {
        ranker: &ranker,
        cfg: &cfg,
        verbose: false,
        seen: Seen::default(),
        provenance: Provenance {
            model: "m".into(),
            prompt_version: "combo-v1".into(),
        },
    };
    let answer =
        "1. You will build data pipelines in Python and query our warehouse with SQL every day.\n\
2. You will bake fresh bread and pastries for our bakery every single morning.";
    let v = task.judge(answer, 9, &mut judge).unwrap();
    assert_eq!(v.generated, 2);
    assert_eq!(v.kept.len(), 1, "{:?}", v.rejected);
    let kept = &v.kept[0];
    assert!(kept.text.starts_with("You will build data pipelines"));
    assert_eq!(
        kept.skill_uris,
        [t.skills[python].uri.clone(), t.skills[sql].uri.clone()]
    );
    assert_eq!(kept.task, "k#0");
    assert_eq!(v.rejected.get("off_skill"), Some(&1));
    // The same sentence again is a duplicate.
    let again = task.judge(answer, 9, &mut judge).unwrap();
    assert_eq!(again.rejected.get("duplicate"), Some(&1));
}

#[test]
fn requant_converts_only_the_asked_types_and_keeps_metadata() {
    use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
    use candle_core::{Device, Tensor};
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.gguf"), dir.path().join("out.gguf"));
    let values: Vec<f32> = (0..128)
        .map(|i| ((i * 37 % 29) as f32 - 14.0) / 10.0)
        .collect();
    let t = Tensor::from_slice(&values, (2, 64), &Device::Cpu).unwrap();
    let q5 = QTensor::quantize(&t, GgmlDType::Q5_0).unwrap();
    let norm = QTensor::quantize(&t, GgmlDType::F32).unwrap();
    let arch = gguf_file::Value::String("qwen2".into());
    let mut f = std::fs::File::create(&input).unwrap();
    gguf_file::write(
        &mut f,
        &[("general.architecture", &arch)],
        &[("w", &q5), ("norm", &norm)],
    )
    .unwrap();
    drop(f);
    super::requant::run(super::requant::RequantArgs {
        model: input,
        out: output.clone(),
        from: vec!["q5_0".into()],
        to: "q8_0".into(),
    })
    .unwrap();
    let mut f = std::fs::File::open(&output).unwrap();
    let c = gguf_file::Content::read(&mut f).unwrap();
    assert_eq!(
        c.metadata["general.architecture"].to_string().unwrap(),
        "qwen2"
    );
    let w = c.tensor(&mut f, "w", &Device::Cpu).unwrap();
    assert_eq!(w.dtype(), GgmlDType::Q8_0);
    assert_eq!(
        c.tensor(&mut f, "norm", &Device::Cpu).unwrap().dtype(),
        GgmlDType::F32
    );
    let before = q5
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let after = w
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let worst = before
        .iter()
        .zip(&after)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 0.02, "Q5_0 -> Q8_0 moved a weight by {worst}");
}
