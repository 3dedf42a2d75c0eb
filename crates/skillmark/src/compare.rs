//! A job post against a résumé: which of the post's skills the résumé
//! shows (the same ESCO skill, a narrower or broader one, or a close one),
//! which it lacks, what else it shows; years, title and degree where the
//! texts state them; one score made of those parts (docs/COMPARE.md).

use std::collections::{HashMap, HashSet};

use esco::{NodeRef, Relation};
use skillmark_schema::{
    CompareOptions, Comparison, DocumentSkill, EducationEvidence, ExperienceEvidence, ExtraSkill,
    HighlightSpan, Highlights, JobSkill, MatchKind, OccupationOptions, Requirement, ScoreParts, SkillMatch,
    SkillLink, SkillRef, SpanKind, TitleEvidence, YearsRequirement,
};

use crate::assembly::{sort_skills, text_range};
use crate::facts;
use crate::highlight::Highlighter;
use crate::occupations::{document_skills, OccupationIndex};
use crate::ranker::shown_score;
use crate::Error;

/// Weights of the score's parts (skills, experience, title, education);
/// a part the texts say nothing of is left out and the rest renormalised.
pub const PART_WEIGHTS: [f32; 4] = [0.6, 0.2, 0.1, 0.1];
/// How much of a job skill a broader résumé skill covers.
pub const BROADER_CLOSENESS: f32 = 0.6;
/// Weight of an optional skill of the post's occupation (essential and
/// unlisted skills weigh 1); an implicit skill weighs half.
const OPTIONAL_WEIGHT: f32 = 0.5;
const IMPLICIT_WEIGHT: f32 = 0.5;
/// A role "is" the one a years requirement names when their cosine reaches this.
const ROLE_MATCH: f32 = 0.6;
/// Roles this close to the best one count with it.
const ROLE_MARGIN: f32 = 0.1;
/// Title cosines map linearly from [TITLE_FLOOR, TITLE_FULL] to [0, 1].
const TITLE_FLOOR: f32 = 0.3;
const TITLE_FULL: f32 = 0.9;
/// Résumé lines read as candidate titles besides its dated roles.
const RESUME_TITLE_LINES: usize = 5;

/// Compares `job` with `resume`; `occupations` is the engine's occupation
/// index when the bundle has one and the options ask for it.
pub fn compare(
    h: &Highlighter,
    occupations: Option<&OccupationIndex>,
    job: &str,
    resume: &str,
    opts: &CompareOptions,
) -> Result<Comparison, Error> {
    let hl = h.default_options();
    let job_h = with_list_items(h, job, h.highlight(job, &hl)?, &hl)?;
    let res_h = with_list_items(h, resume, h.highlight(resume, &hl)?, &hl)?;
    let ranker = &h.ranker;
    let tax = &ranker.taxonomy;

    // The best occupation decides essential/optional even when none is listed.
    let mut occupations = match occupations {
        Some(index) => {
            let vector = ranker.encoder.embed(&[job])?.remove(0);
            let skills = document_skills(ranker, &job_h.skills);
            let o = OccupationOptions {
                top_k: opts.top_occupations.max(1),
                title: false,
                max_skills: 10,
            };
            index.suggest(ranker, &vector, &skills, None, &o)
        }
        None => Vec::new(),
    };
    let relation: HashMap<usize, Relation> = occupations
        .first()
        .and_then(|o| tax.occupation_by_uri(&o.uri))
        .map(|o| tax.skills_of(o).into_iter().collect())
        .unwrap_or_default();
    occupations.truncate(opts.top_occupations);

    let job_skills = indexed(tax, &job_h.skills);
    let res_skills = indexed(tax, &res_h.skills);
    let all: Vec<u32> = job_skills
        .iter()
        .chain(&res_skills)
        .map(|&(i, _)| i as u32)
        .collect();
    let vectors = ranker.index.skill_vectors(&all);
    let cosine = |a: usize, b: usize| match (vectors.get(&(a as u32)), vectors.get(&(b as u32))) {
        (Some(x), Some(y)) => dot(x, y),
        _ => 0.0,
    };
    let ancestors: HashMap<usize, HashSet<usize>> = job_skills
        .iter()
        .chain(&res_skills)
        .map(|&(i, _)| (i, skill_ancestors(tax, i)))
        .collect();

    let phrases = SpanPhrases::new(h, &job_h, &res_h)?;
    let skill_ref = |i: usize| SkillRef {
        uri: tax.skills[i].uri.clone(),
        label: tax.skills[i].preferred_label.clone(),
        category: h.category(i),
    };
    let mut used = HashSet::new();
    let mut skills: Vec<JobSkill> = job_skills
        .iter()
        .map(|&(j, d)| {
            // The occupation's own skill, or one the job skill is a form of
            // (SQL of "query languages"), essential before optional.
            let requirement = std::iter::once(&j)
                .chain(&ancestors[&j])
                .filter_map(|a| relation.get(a))
                .map(|r| match r {
                    Relation::Essential => Requirement::Essential,
                    Relation::Optional => Requirement::Optional,
                })
                .min_by_key(|r| *r != Requirement::Essential)
                .unwrap_or(Requirement::Unlisted);
            let mut weight = if requirement == Requirement::Optional {
                OPTIONAL_WEIGHT
            } else {
                1.0
            };
            if d.implicit {
                weight *= IMPLICIT_WEIGHT;
            }
            // The résumé's words for it: a span whose text is close to one
            // of the post's spans for the skill ("Audio Visual" both times),
            // whatever skill the résumé's span was linked to.
            let by_words = phrases
                .best(&spans_of(&job_h, &d.uri))
                .filter(|&(_, c)| c >= opts.similar_min)
                .map(|(m, c)| {
                    let linked = res_h.spans[m]
                        .links
                        .first()
                        .and_then(|l| tax.skill_by_uri(&l.uri))
                        .unwrap_or(j);
                    let kind = if linked == j {
                        MatchKind::Same
                    } else {
                        MatchKind::Similar
                    };
                    (linked, kind, c, Some(m))
                });
            let best = res_skills
                .iter()
                .filter_map(|&(r, _)| {
                    let kind = if r == j {
                        MatchKind::Same
                    } else if ancestors[&r].contains(&j) {
                        MatchKind::Narrower
                    } else if ancestors[&j].contains(&r) {
                        MatchKind::Broader
                    } else {
                        let c = cosine(j, r);
                        return (c >= opts.similar_min).then_some((r, MatchKind::Similar, c, None));
                    };
                    let c = match kind {
                        MatchKind::Broader => BROADER_CLOSENESS,
                        _ => 1.0,
                    };
                    Some((r, kind, c, None))
                })
                .chain(by_words)
                .max_by(|a, b| a.2.total_cmp(&b.2).then(rank(b.1).cmp(&rank(a.1))));
            let matched = best.map(|(r, kind, closeness, span)| {
                used.insert(r);
                SkillMatch {
                    kind,
                    skill: skill_ref(r),
                    closeness,
                    resume_spans: match span {
                        Some(m) => vec![m],
                        None => spans_of(&res_h, &tax.skills[r].uri),
                    },
                }
            });
            JobSkill {
                skill: skill_ref(j),
                requirement,
                implicit: d.implicit,
                weight,
                job_spans: spans_of(&job_h, &d.uri),
                matched,
            }
        })
        .collect();
    // Most important first; the highlighter's order (explicit, count, score) breaks ties.
    skills.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    let job_set: HashSet<usize> = job_skills.iter().map(|&(j, _)| j).collect();
    let extra = res_skills
        .iter()
        .filter(|(r, _)| !used.contains(r) && !job_set.contains(r))
        .map(|&(r, d)| ExtraSkill {
            skill: skill_ref(r),
            implicit: d.implicit,
            resume_spans: spans_of(&res_h, &d.uri),
        })
        .collect();

    let total_weight: f32 = skills.iter().map(|s| s.weight).sum();
    let skills_part = (total_weight > 0.0).then(|| {
        skills
            .iter()
            .map(|s| s.weight * s.matched.as_ref().map_or(0.0, |m| m.closeness))
            .sum::<f32>()
            / total_weight
    });

    let (experience, experience_part, title, title_part) =
        experience_and_title(h, job, resume, opts)?;
    let (education, education_part) = education(job, resume);

    let parts = ScoreParts {
        skills: skills_part,
        experience: experience_part,
        title: title_part,
        education: education_part,
    };
    Ok(Comparison {
        score: overall(&parts),
        parts,
        skills,
        extra,
        occupations,
        experience,
        title,
        education,
        job: job_h,
        resume: res_h,
    })
}

/// `found` plus a span for each list item of `text` no tagger or label span
/// covers ("1. Audio Visual", "Skills: Python, SQL"), linked like a text
/// ranked on its own; the skill list counts them (docs/COMPARE.md).
fn with_list_items(
    h: &Highlighter,
    text: &str,
    mut found: Highlights,
    opts: &skillmark_schema::HighlightOptions,
) -> Result<Highlights, Error> {
    let items: Vec<(usize, usize)> = facts::list_items(text)
        .into_iter()
        .filter(|&(a, b)| {
            !found
                .spans
                .iter()
                .any(|s| s.kind != SpanKind::Implicit && s.start < b && a < s.end)
        })
        .collect();
    if items.is_empty() {
        return Ok(found);
    }
    let texts: Vec<&str> = items.iter().map(|&(a, b)| &text[a..b]).collect();
    let ranked = h.ranker.rank(&texts, opts.top_k)?;
    for (&(a, b), links) in items.iter().zip(ranked) {
        let links: Vec<SkillLink> = links
            .into_iter()
            .filter(|l| l.score >= opts.min_score)
            .filter_map(|l| {
                let i = h.ranker.taxonomy.skill_by_uri(&l.uri)?;
                Some(SkillLink {
                    category: h.category(i),
                    uri: l.uri,
                    label: l.label,
                    score: shown_score(l.score),
                })
            })
            .collect();
        if let Some(top) = links.first() {
            match found.skills.iter_mut().find(|d| d.uri == top.uri) {
                Some(d) => {
                    d.count += 1;
                    d.best_score = d.best_score.max(top.score);
                    d.implicit = false;
                }
                None => {
                    if let Some(mut d) = h.skill(&top.uri) {
                        d.count = 1;
                        d.best_score = top.score;
                        found.skills.push(d);
                    }
                }
            }
        }
        let r = text_range(text, a, b);
        found.spans.push(HighlightSpan {
            start: r.start,
            end: r.end,
            start_char: r.start_char,
            end_char: r.end_char,
            start_utf16: r.start_utf16,
            end_utf16: r.end_utf16,
            text: r.text,
            kind: SpanKind::Skill,
            confidence: links.first().map_or(0.0, |l| l.score),
            label_match: false,
            links,
        });
    }
    found.spans.sort_by_key(|s| (s.start, s.end));
    sort_skills(&mut found.skills);
    Ok(found)
}

/// The weighted mean of the parts present ([`PART_WEIGHTS`]); 0 with none.
pub fn overall(p: &ScoreParts) -> f32 {
    let parts = [p.skills, p.experience, p.title, p.education];
    let (sum, weight) = parts
        .iter()
        .zip(PART_WEIGHTS)
        .filter_map(|(v, w)| v.map(|v| (v * w, w)))
        .fold((0.0, 0.0), |(s, t), (v, w)| (s + v, t + w));
    if weight > 0.0 {
        (sum / weight).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The cosines of the two texts' skill and knowledge spans (their words),
/// job spans × résumé spans.
struct SpanPhrases {
    job: Vec<Option<usize>>,
    resume: Vec<usize>,
    cos: Vec<Vec<f32>>,
}

impl SpanPhrases {
    fn new(h: &Highlighter, job: &Highlights, resume: &Highlights) -> Result<Self, Error> {
        let explicit = |x: &Highlights| -> Vec<usize> {
            (0..x.spans.len())
                .filter(|&k| x.spans[k].kind != SpanKind::Implicit)
                .collect()
        };
        let (js, rs) = (explicit(job), explicit(resume));
        let mut texts: Vec<String> = Vec::new();
        let mut id = |t: &str| {
            let t = t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            texts.iter().position(|x| *x == t).unwrap_or_else(|| {
                texts.push(t);
                texts.len() - 1
            })
        };
        let ji: Vec<usize> = js.iter().map(|&k| id(&job.spans[k].text)).collect();
        let ri: Vec<usize> = rs.iter().map(|&k| id(&resume.spans[k].text)).collect();
        let mut job_row = vec![None; job.spans.len()];
        for (n, &k) in js.iter().enumerate() {
            job_row[k] = Some(n);
        }
        if js.is_empty() || rs.is_empty() {
            return Ok(SpanPhrases { job: job_row, resume: rs, cos: Vec::new() });
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let v = h.ranker.encoder.embed(&refs)?;
        let cos = ji
            .iter()
            .map(|&a| ri.iter().map(|&b| dot(&v[a], &v[b])).collect())
            .collect();
        Ok(SpanPhrases { job: job_row, resume: rs, cos })
    }

    /// The résumé span closest to any of the job spans `of`, and its cosine.
    fn best(&self, of: &[usize]) -> Option<(usize, f32)> {
        of.iter()
            .filter_map(|&k| self.job.get(k).copied().flatten())
            .filter_map(|row| self.cos.get(row))
            .flat_map(|row| row.iter().enumerate())
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(n, &c)| (self.resume[n], c))
    }
}

/// Preference among equally close matches: same, narrower, broader, similar.
fn rank(k: MatchKind) -> u8 {
    match k {
        MatchKind::Same => 0,
        MatchKind::Narrower => 1,
        MatchKind::Broader => 2,
        MatchKind::Similar => 3,
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The document's skills with their taxonomy index.
fn indexed<'a>(tax: &esco::Taxonomy, skills: &'a [DocumentSkill]) -> Vec<(usize, &'a DocumentSkill)> {
    skills
        .iter()
        .filter_map(|d| tax.skill_by_uri(&d.uri).map(|i| (i, d)))
        .collect()
}

/// Every skill above `skill` in the ESCO hierarchy (skill groups left out).
fn skill_ancestors(tax: &esco::Taxonomy, skill: usize) -> HashSet<usize> {
    tax.ancestry(skill)
        .into_iter()
        .flatten()
        .filter_map(|n| match n {
            NodeRef::Skill(s) => Some(s as usize),
            NodeRef::Group(_) => None,
        })
        .collect()
}

/// Indices of the spans that name `uri` (a span by its best link; an
/// implicit span by any of its links).
fn spans_of(h: &Highlights, uri: &str) -> Vec<usize> {
    h.spans
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let n = if s.kind == SpanKind::Implicit {
                s.links.len()
            } else {
                1
            };
            s.links.iter().take(n).any(|l| l.uri == uri)
        })
        .map(|(k, _)| k)
        .collect()
}

type ExperienceAndTitle = (ExperienceEvidence, Option<f32>, TitleEvidence, Option<f32>);

/// Years asked and shown, and the post's title against the résumé's roles:
/// one encoder call for every phrase compared.
fn experience_and_title(
    h: &Highlighter,
    job: &str,
    resume: &str,
    opts: &CompareOptions,
) -> Result<ExperienceAndTitle, Error> {
    let now = opts
        .current_year
        .or_else(|| facts::latest_year(job).max(facts::latest_year(resume)))
        .unwrap_or(0);
    let asked = facts::years_statements(job);
    let mut roles = facts::dated_roles(resume, now);
    let role_lines: HashSet<(usize, usize)> = roles.iter().map(|r| r.line).collect();
    // "5 years as a nurse" in a résumé is a role too (undated).
    for s in facts::years_statements(resume) {
        if !role_lines.contains(&s.line) {
            roles.push(facts::DatedRole {
                line: s.line,
                title: s.context,
                from: 0,
                to: 0,
                years: s.years,
            });
        }
    }
    let dated: Vec<facts::DatedRole> = roles.iter().filter(|r| r.to > 0).cloned().collect();
    let total = facts::total_years(&dated)
        + roles.iter().filter(|r| r.to == 0).map(|r| r.years).sum::<f32>();
    let job_title = facts::job_title(job);
    // Title candidates: the roles, then the résumé's first short lines.
    let mut candidates: Vec<((usize, usize), String)> = roles
        .iter()
        .map(|r| (r.line, facts::role_name(&r.title).to_string()))
        .collect();
    for (s, e) in facts::lines(resume).take(RESUME_TITLE_LINES) {
        let t = facts::clean_title(&resume[s..e]);
        let n = t.split_whitespace().count();
        if n > 0 && n <= 8 && !candidates.iter().any(|c| c.0 == (s, e)) {
            candidates.push(((s, e), facts::role_name(&t).to_string()));
        }
    }

    let asked_what: Vec<String> = asked.iter().map(|a| facts::content_words(&a.context)).collect();
    let mut phrases: Vec<&str> = asked_what.iter().map(String::as_str).collect();
    phrases.extend(candidates.iter().map(|c| c.1.as_str()));
    let title_text = job_title.map(|(s, e)| facts::clean_title(&job[s..e]));
    if let Some(t) = &title_text {
        phrases.push(t);
    }
    let vectors = if phrases.is_empty() {
        Vec::new()
    } else {
        h.ranker.encoder.embed(&phrases)?
    };
    let (asked_v, rest) = vectors.split_at(asked.len().min(vectors.len()));
    let (cand_v, title_v) = rest.split_at(candidates.len().min(rest.len()));
    let role_v = &cand_v[..roles.len().min(cand_v.len())];

    let required: Vec<YearsRequirement> = asked
        .iter()
        .zip(asked_v)
        .map(|(a, v)| {
            // The best role and those nearly as close (one title, two employers).
            let best = (0..role_v.len())
                .max_by(|&x, &y| dot(v, &role_v[x]).total_cmp(&dot(v, &role_v[y])))
                .filter(|&k| dot(v, &role_v[k]) >= ROLE_MATCH);
            let close: Vec<usize> = match best {
                Some(b) => {
                    let floor = dot(v, &role_v[b]) - ROLE_MARGIN;
                    (0..role_v.len()).filter(|&k| dot(v, &role_v[k]) >= floor).collect()
                }
                None => Vec::new(),
            };
            let resume_years = if close.is_empty() {
                total
            } else {
                let matched: Vec<facts::DatedRole> =
                    close.iter().map(|&k| roles[k].clone()).collect();
                let dated: Vec<facts::DatedRole> =
                    matched.iter().filter(|r| r.to > 0).cloned().collect();
                facts::total_years(&dated)
                    + matched.iter().filter(|r| r.to == 0).map(|r| r.years).sum::<f32>()
            };
            YearsRequirement {
                years: a.years,
                job: text_range(job, a.line.0, a.line.1),
                resume_years,
                resume: best.map(|k| text_range(resume, roles[k].line.0, roles[k].line.1)),
            }
        })
        .collect();
    let experience_part = (!required.is_empty()).then(|| {
        required
            .iter()
            .map(|r| (r.resume_years / r.years).min(1.0))
            .sum::<f32>()
            / required.len() as f32
    });
    let experience = ExperienceEvidence {
        resume_years: total,
        roles: dated
            .iter()
            .map(|r| text_range(resume, r.line.0, r.line.1))
            .collect(),
        required,
    };

    let mut title = TitleEvidence {
        job: job_title.map(|(s, e)| text_range(job, s, e)),
        ..Default::default()
    };
    let mut title_part = None;
    if let Some(tv) = title_v.first() {
        if let Some((k, sim)) = cand_v
            .iter()
            .enumerate()
            .map(|(k, c)| (k, dot(tv, c)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
        {
            let (s, e) = candidates[k].0;
            title.resume = Some(text_range(resume, s, e));
            title.similarity = sim.clamp(0.0, 1.0);
            title_part =
                Some(((sim - TITLE_FLOOR) / (TITLE_FULL - TITLE_FLOOR)).clamp(0.0, 1.0));
        }
    }
    Ok((experience, experience_part, title, title_part))
}

/// The lowest degree the post names against the highest the résumé names:
/// 1 when the résumé reaches it, 0.5 one level below, else 0.
fn education(job: &str, resume: &str) -> (EducationEvidence, Option<f32>) {
    let asked = facts::degrees(job).into_iter().min_by_key(|d| d.0);
    let shown = facts::degrees(resume).into_iter().max_by_key(|d| d.0);
    let part = asked.map(|(need, _)| match shown {
        Some((have, _)) if have >= need => 1.0,
        Some((have, _)) if have as u8 + 1 == need as u8 => 0.5,
        _ => 0.0,
    });
    let evidence = EducationEvidence {
        required: asked.map(|d| d.0),
        job: asked.map(|(_, (s, e))| text_range(job, s, e)),
        resume_degree: shown.map(|d| d.0),
        resume: shown.map(|(_, (s, e))| text_range(resume, s, e)),
    };
    (evidence, part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_weighs_the_parts_present() {
        let p = ScoreParts {
            skills: Some(0.5),
            experience: None,
            title: Some(1.0),
            education: None,
        };
        assert!((overall(&p) - (0.5 * 0.6 + 0.1) / 0.7).abs() < 1e-6);
        assert_eq!(overall(&ScoreParts::default()), 0.0);
    }

    #[test]
    fn degrees_one_level_below_count_half() {
        let (e, p) = education("Master's degree required.", "BSc in Physics");
        assert_eq!(p, Some(0.5));
        assert_eq!(e.resume.unwrap().text, "BSc");
        assert_eq!(education("A PhD.", "").1, Some(0.0));
        assert_eq!(education("No degree named.", "PhD").1, None);
    }
}
