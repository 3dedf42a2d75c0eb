//! The four skill categories of LinkedIn's job-post skill NER (Technology,
//! Technical, Business, Soft), derived from the ESCO hierarchy and skill type.
//!
//! Each ancestry path of a skill gets the first matching rule (see
//! docs/CATEGORIES.md); the skill takes Technology if any path has it, else
//! its first path's category:
//! 1. **Technology**: any ancestry path through the skill group "working with
//!    computers" (S5) or the knowledge field "information and communication
//!    technologies (icts)".
//! 2. **Soft**: the pillar roots "transversal skills and competences" or
//!    "language skills and knowledge".
//! 3. **Business**: the group "management skills" (S4) or the knowledge field
//!    "business, administration and law".
//! 4. **Soft**: the group "communication, collaboration and creativity" (S1).
//! 5. **Technical**: everything else (sector and occupation know-how);
//!    a Technical skill with reuse level transversal becomes Soft.

pub use skillmark_schema::Category;

const TECHNOLOGY_GROUPS: [&str; 2] = [
    "working with computers",
    "information and communication technologies (icts)",
];
const SOFT_ROOTS: [&str; 2] = [
    "transversal skills and competences",
    "language skills and knowledge",
];
const SOFT_GROUPS: [&str; 1] = ["communication, collaboration and creativity"];
const BUSINESS_GROUPS: [&str; 2] = ["management skills", "business, administration and law"];

/// The category of one ancestry path (group labels from the skill up to the root).
fn path_category(labels: &[&str]) -> Category {
    let any = |set: &[&str]| labels.iter().any(|l| set.contains(l));
    if any(&TECHNOLOGY_GROUPS) {
        Category::Technology
    } else if any(&SOFT_ROOTS) {
        Category::Soft
    } else if any(&BUSINESS_GROUPS) {
        Category::Business
    } else if any(&SOFT_GROUPS) {
        Category::Soft
    } else {
        Category::Technical
    }
}

/// The category of skill `skill` (index into `taxonomy.skills`): Technology
/// when any ancestry path says so, else the category of the first path (ESCO
/// lists a skill's primary broader concept first), else Soft for transversal
/// reuse, else Technical.
pub fn category_of(taxonomy: &esco::Taxonomy, skill: usize) -> Category {
    let Some(s) = taxonomy.skills.get(skill) else {
        return Category::Technical;
    };
    let cats: Vec<Category> = taxonomy
        .ancestry(skill)
        .into_iter()
        .map(|path| {
            let labels: Vec<&str> = path
                .into_iter()
                .filter(|n| matches!(n, esco::NodeRef::Group(_)))
                .filter_map(|n| taxonomy.node_label(n))
                .collect();
            path_category(&labels)
        })
        .collect();
    if cats.contains(&Category::Technology) {
        return Category::Technology;
    }
    match cats.first() {
        Some(&c) if c != Category::Technical => c,
        _ if s.reuse_level == esco::ReuseLevel::Transversal => Category::Soft,
        Some(&c) => c,
        None => Category::Technical,
    }
}

/// Categories of every skill, computed once (13.9k ancestry walks, a few ms).
pub fn all_categories(taxonomy: &esco::Taxonomy) -> Vec<Category> {
    (0..taxonomy.skills.len())
        .map(|i| category_of(taxonomy, i))
        .collect()
}
