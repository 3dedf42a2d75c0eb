//! Which skills to generate for first.
//!
//! score = ln(1 + 2·essential + optional)      (occupations that list the skill)
//!       + reuse bonus (transversal 1.0, cross-sector 0.75, sector-specific 0.4,
//!                      occupation-specific 0, unknown 0)
//!       + 1.5 · ln(1 + n)  where n = SkillSkape *train* sentences labelled with it
//!
//! Widely required, reusable skills are the ones job ads mention most; the
//! SkillSkape train labels (training data, allowed) point at the skills that
//! job-ad-like text actually uses. The TECH/HOUSE validation sets are never
//! read here. Ties break by taxonomy order (deterministic).

use esco::{Relation, ReuseLevel, Taxonomy};

pub fn reuse_bonus(level: ReuseLevel) -> f64 {
    match level {
        ReuseLevel::Transversal => 1.0,
        ReuseLevel::CrossSector => 0.75,
        ReuseLevel::SectorSpecific => 0.4,
        ReuseLevel::OccupationSpecific | ReuseLevel::Unknown => 0.0,
    }
}

pub fn score(essential: usize, optional: usize, reuse: ReuseLevel, skillskape_train: usize) -> f64 {
    (1.0 + 2.0 * essential as f64 + optional as f64).ln()
        + reuse_bonus(reuse)
        + 1.5 * (1.0 + skillskape_train as f64).ln()
}

/// Skill indices, most important first. `train_counts[s]` = SkillSkape train
/// sentences labelled with skill `s` (empty slice = none known).
pub fn order(taxonomy: &Taxonomy, train_counts: &[usize]) -> Vec<(usize, f64)> {
    let mut scored: Vec<(usize, f64)> = (0..taxonomy.skills.len())
        .map(|s| {
            let occ = taxonomy.occupations_of(s);
            let ess = occ
                .iter()
                .filter(|(_, r)| *r == Relation::Essential)
                .count();
            let opt = occ.len() - ess;
            let n = train_counts.get(s).copied().unwrap_or(0);
            (s, score(ess, opt, taxonomy.skills[s].reuse_level, n))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

/// An occupation's skills: (essential, optional), each in relation order.
pub fn essential_and_optional(taxonomy: &Taxonomy, occupation: usize) -> (Vec<usize>, Vec<usize>) {
    let (mut essential, mut optional) = (Vec::new(), Vec::new());
    for (s, r) in taxonomy.skills_of(occupation) {
        match r {
            Relation::Essential => essential.push(s),
            _ => optional.push(s),
        }
    }
    (essential, optional)
}

/// Occupations for combination and document tasks, most important first:
/// the mean priority ([`order`]) of their essential skills, so occupations
/// built from widely required, job-ad-typical skills come first. Those with
/// no skill relation are left out. Ties break by taxonomy order.
pub fn occupation_order(taxonomy: &Taxonomy, skill_order: &[(usize, f64)]) -> Vec<usize> {
    let mut score = vec![0f64; taxonomy.skills.len()];
    for &(s, p) in skill_order {
        score[s] = p;
    }
    let mut scored: Vec<(usize, f64)> = (0..taxonomy.occupations.len())
        .filter_map(|o| {
            let (essential, optional) = essential_and_optional(taxonomy, o);
            let pool = if essential.is_empty() {
                optional
            } else {
                essential
            };
            (!pool.is_empty()).then(|| {
                let mean = pool.iter().map(|&s| score[s]).sum::<f64>() / pool.len() as f64;
                (o, mean)
            })
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(o, _)| o).collect()
}
