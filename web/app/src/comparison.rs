//! What the comparison panel derives from a `Comparison` (pure): the post's
//! skills as matched and missing, and which spans of each text mark which
//! skill as evidence.

use crate::model::{Comparison, Degree, JobSkill, MatchKind, Requirement};

/// What a marked span is evidence of.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// `matched`, `missing` (post) or `extra` (résumé).
    pub status: &'static str,
    pub uri: String,
    pub label: String,
}

pub fn match_kind(k: MatchKind) -> &'static str {
    match k {
        MatchKind::Same => "same",
        MatchKind::Narrower => "narrower",
        MatchKind::Broader => "broader",
        MatchKind::Similar => "similar",
    }
}

pub fn requirement(r: Requirement) -> &'static str {
    match r {
        Requirement::Essential => "essential",
        Requirement::Optional => "optional",
        Requirement::Unlisted => "unlisted",
    }
}

pub fn degree(d: Degree) -> &'static str {
    match d {
        Degree::HighSchool => "high school",
        Degree::Associate => "associate degree",
        Degree::Bachelor => "bachelor's degree",
        Degree::Master => "master's degree",
        Degree::Doctorate => "doctorate",
    }
}

/// The post's matched skills (the engine's order: most important first).
pub fn matched(c: &Comparison) -> Vec<&JobSkill> {
    c.skills.iter().filter(|s| s.matched.is_some()).collect()
}

/// The post's missing skills: essential first, then optional, then the
/// rest, each in the engine's order.
pub fn missing(c: &Comparison) -> Vec<&JobSkill> {
    let mut out: Vec<&JobSkill> = c.skills.iter().filter(|s| s.matched.is_none()).collect();
    out.sort_by_key(|s| s.requirement as u8);
    out
}

/// Byte ranges of the post's spans that ask for a compared skill, each with
/// its evidence (the first skill that names a span wins).
pub fn job_evidence(c: &Comparison) -> Vec<(usize, usize, Evidence)> {
    let mut out: Vec<(usize, usize, Evidence)> = Vec::new();
    for s in &c.skills {
        let status = if s.matched.is_some() {
            "matched"
        } else {
            "missing"
        };
        for &i in &s.job_spans {
            add(
                &mut out,
                c.job.spans.get(i).map(|x| (x.start, x.end)),
                status,
                &s.skill,
            );
        }
    }
    out
}

/// Byte ranges of the résumé's spans that match a post's skill or show an
/// extra one.
pub fn resume_evidence(c: &Comparison) -> Vec<(usize, usize, Evidence)> {
    let mut out: Vec<(usize, usize, Evidence)> = Vec::new();
    for s in &c.skills {
        if let Some(m) = &s.matched {
            for &i in &m.resume_spans {
                let range = c.resume.spans.get(i).map(|x| (x.start, x.end));
                add(&mut out, range, "matched", &m.skill);
            }
        }
    }
    for e in &c.extra {
        for &i in &e.resume_spans {
            add(
                &mut out,
                c.resume.spans.get(i).map(|x| (x.start, x.end)),
                "extra",
                &e.skill,
            );
        }
    }
    out
}

fn add(
    out: &mut Vec<(usize, usize, Evidence)>,
    range: Option<(usize, usize)>,
    status: &'static str,
    skill: &crate::model::SkillRef,
) {
    let Some((start, end)) = range else { return };
    if out.iter().any(|&(s, e, _)| (s, e) == (start, end)) {
        return;
    }
    out.push((
        start,
        end,
        Evidence {
            status,
            uri: skill.uri.clone(),
            label: skill.label.clone(),
        },
    ));
}

/// "85%".
pub fn percent(x: f32) -> String {
    format!("{:.0}%", (x.clamp(0.0, 1.0) * 100.0).round())
}

/// "5 years", "1 year", "2.5 years".
pub fn years(y: f32) -> String {
    let y = (y * 10.0).round() / 10.0;
    if y == 1.0 {
        "1 year".into()
    } else if y.fract() == 0.0 {
        format!("{y:.0} years")
    } else {
        format!("{y:.1} years")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, SkillMatch, SkillRef};
    use skillmark_schema::{
        EducationEvidence, ExperienceEvidence, ExtraSkill, HighlightSpan, Highlights, ScoreParts,
        SpanKind, TitleEvidence,
    };

    fn skill(uri: &str) -> SkillRef {
        SkillRef {
            uri: uri.into(),
            label: uri.to_uppercase(),
            category: Category::Technology,
        }
    }

    fn span(start: usize, end: usize) -> HighlightSpan {
        HighlightSpan {
            start,
            end,
            start_char: start,
            end_char: end,
            start_utf16: start,
            end_utf16: end,
            text: String::new(),
            kind: SpanKind::Skill,
            confidence: 1.0,
            label_match: false,
            links: vec![],
        }
    }

    fn job_skill(uri: &str, r: Requirement, spans: Vec<usize>, m: Option<SkillMatch>) -> JobSkill {
        JobSkill {
            skill: skill(uri),
            requirement: r,
            implicit: false,
            weight: 1.0,
            job_spans: spans,
            matched: m,
        }
    }

    fn comparison() -> Comparison {
        let highlights = |spans| Highlights {
            spans,
            skills: vec![],
            segments: 0,
        };
        Comparison {
            score: 0.5,
            parts: ScoreParts::default(),
            skills: vec![
                job_skill("a", Requirement::Unlisted, vec![0], None),
                job_skill(
                    "b",
                    Requirement::Essential,
                    vec![1],
                    Some(SkillMatch {
                        kind: MatchKind::Narrower,
                        skill: skill("b2"),
                        closeness: 1.0,
                        resume_spans: vec![0, 9],
                    }),
                ),
                job_skill("c", Requirement::Essential, vec![2], None),
            ],
            extra: vec![ExtraSkill {
                skill: skill("x"),
                implicit: false,
                resume_spans: vec![1, 0],
            }],
            occupations: vec![],
            experience: ExperienceEvidence::default(),
            title: TitleEvidence::default(),
            education: EducationEvidence::default(),
            job: highlights(vec![span(0, 3), span(5, 8), span(10, 12)]),
            resume: highlights(vec![span(0, 4), span(6, 9)]),
        }
    }

    #[test]
    fn missing_skills_put_essential_ones_first() {
        let c = comparison();
        let uris: Vec<_> = missing(&c).iter().map(|s| s.skill.uri.as_str()).collect();
        assert_eq!(uris, ["c", "a"]);
        assert_eq!(matched(&c)[0].skill.uri, "b");
    }

    #[test]
    fn evidence_marks_each_span_once_and_skips_bad_indices() {
        let c = comparison();
        let job: Vec<_> = job_evidence(&c)
            .into_iter()
            .map(|(s, e, v)| (s, e, v.status))
            .collect();
        assert_eq!(
            job,
            [(0, 3, "missing"), (5, 8, "matched"), (10, 12, "missing")]
        );
        let res: Vec<_> = resume_evidence(&c)
            .into_iter()
            .map(|(s, _, v)| (s, v.status, v.uri))
            .collect();
        // Span 9 does not exist; span 0 is the match's, not the extra skill's.
        assert_eq!(res, [(0, "matched", "b2".into()), (6, "extra", "x".into())]);
    }

    #[test]
    fn the_csv_export_has_a_row_per_skill_with_its_status() {
        let csv = crate::export::comparison_csv(&comparison());
        let rows: Vec<_> = csv.lines().collect();
        assert_eq!(
            rows,
            [
                "label,uri,status,kind,requirement",
                "A,a,missing,,unlisted",
                "B,b,matched,narrower,essential",
                "C,c,missing,,essential",
                "X,x,extra,,",
            ]
        );
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(percent(0.856), "86%");
        assert_eq!(years(1.0), "1 year");
        assert_eq!(years(5.0), "5 years");
        assert_eq!(years(2.46), "2.5 years");
    }
}
