//! The generation prompt for one ESCO skill, in Qwen2.5's chat template.
//!
//! The prompt is grounded in the skill's ESCO record (preferred label, a few
//! alternative labels, its description) and in occupations that require it
//! (essential relations first), so the model writes sentences about what the
//! skill means in ESCO rather than what the bare label might suggest.

/// Bump when the wording or the grounding changes: recorded on every sentence.
pub const PROMPT_VERSION: &str = "v2";

const SYSTEM: &str = "You write sentences for English job advertisements. For the ESCO skill you are given, \
write sentences that a real job ad could contain, each showing that the job needs that skill. Vary the style \
(requirements, duties, \"You will ...\", \"Experience with ...\") and mostly describe the skill in other words \
instead of naming it. Each sentence is 10 to 30 words long and stands on its own. Answer with one sentence per \
line, numbered, and nothing else: no introduction, no titles, no notes.";

/// One worked example (a fixed user/assistant turn), so that even a small
/// model sees the expected form; it comes before the skill and is identical
/// for every skill.
const EXAMPLE_USER: &str =
    "ESCO skill: \"manage budgets\"\nMeaning: Plan, monitor and report on the budget.\n\
Jobs that require it: finance manager; project manager\n\nWrite 3 sentences.";
const EXAMPLE_ASSISTANT: &str = "1. You will plan, monitor and report on departmental spending so that every project stays within its approved limits.\n\
2. Proven experience in controlling annual budgets of more than two million euros is essential.\n\
3. Track costs against forecasts each month and flag any deviation to senior management.";

/// Caps that keep the prompt short (prefill time is paid once per skill).
pub const MAX_ALT_LABELS: usize = 4;
pub const MAX_OCCUPATIONS: usize = 4;
pub const MAX_DESCRIPTION_CHARS: usize = 400;

/// What the prompt says about a skill.
#[derive(Clone, Debug, PartialEq)]
pub struct SkillFacts {
    pub uri: String,
    pub label: String,
    pub alt_labels: Vec<String>,
    pub description: String,
    /// Occupation labels, essential ones first.
    pub occupations: Vec<String>,
}

impl SkillFacts {
    /// Reads a skill's facts from the taxonomy; occupations that list it as
    /// essential come before those that list it as optional, each group in
    /// taxonomy order (deterministic).
    pub fn from_taxonomy(taxonomy: &esco::Taxonomy, skill: usize) -> SkillFacts {
        let s = &taxonomy.skills[skill];
        let mut occ = taxonomy.occupations_of(skill);
        occ.sort_by_key(|&(o, rel)| (rel != esco::Relation::Essential, o));
        SkillFacts {
            uri: s.uri.clone(),
            label: s.preferred_label.clone(),
            alt_labels: s
                .alt_labels
                .iter()
                .filter(|a| !a.eq_ignore_ascii_case(&s.preferred_label))
                .take(MAX_ALT_LABELS)
                .cloned()
                .collect(),
            description: s.description.clone(),
            occupations: occ
                .into_iter()
                .take(MAX_OCCUPATIONS)
                .map(|(o, _)| taxonomy.occupations[o].preferred_label.clone())
                .collect(),
        }
    }
}

/// Cuts `text` to at most `max` chars at a word boundary, adding "…" when cut.
pub fn clip(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

/// The user message asking for `n` job-ad sentences.
pub fn user_message(facts: &SkillFacts, n: usize) -> String {
    let mut m = format!("ESCO skill: \"{}\"\n", facts.label);
    if !facts.alt_labels.is_empty() {
        m += &format!("Other names: {}\n", facts.alt_labels.join("; "));
    }
    let description = clip(&facts.description, MAX_DESCRIPTION_CHARS);
    if !description.is_empty() {
        m += &format!("Meaning: {description}\n");
    }
    if !facts.occupations.is_empty() {
        m += &format!("Jobs that require it: {}\n", facts.occupations.join("; "));
    }
    m += &format!("\nWrite {n} sentences.");
    m
}

/// The sentences of the worked example (the filter drops near-copies).
pub fn example_sentences() -> Vec<String> {
    super::parse::parse_sentences(EXAMPLE_ASSISTANT)
}

/// The part of the prompt shared by every skill (system message and the
/// worked example), in Qwen2.5's chat template.
pub fn chat_prefix() -> String {
    format!(
        "<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{EXAMPLE_USER}<|im_end|>\n\
<|im_start|>assistant\n{EXAMPLE_ASSISTANT}<|im_end|>\n"
    )
}

/// The skill's turn, ending where the assistant's answer begins.
pub fn skill_prompt(facts: &SkillFacts, n: usize) -> String {
    format!(
        "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
        user_message(facts, n)
    )
}

/// The full prompt: [`chat_prefix`] then [`skill_prompt`].
pub fn chat_prompt(facts: &SkillFacts, n: usize) -> String {
    chat_prefix() + &skill_prompt(facts, n)
}
