//! The "Compare with my résumé" panel: the résumé's input, the Compare
//! button, and the result — score and parts, the post's skills matched and
//! missing, the résumé's extra skills (each linked to ESCO), occupations,
//! years, title and degree, and the evidence marked in both texts.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::compare_state::{CompareState, Compared};
use crate::comparison::{
    degree, job_evidence, match_kind, matched, missing, percent, requirement, resume_evidence,
    years, Evidence,
};
use crate::marks::{pieces, Piece};
use crate::model::{Comparison, JobSkill, Requirement, SkillRef, TextRange};
use crate::resume::ResumeInput;
use crate::state::AppState;
use crate::{download, export};

#[component]
pub fn ComparePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let cs = expect_context::<CompareState>();
    let can_compare = move || {
        state
            .status
            .with(|s| matches!(s, crate::state::EngineStatus::Ready { .. }))
            && !cs.busy.get()
            && cs.resume.with(|r| !r.trim().is_empty())
            && state.text.with(|t| !t.trim().is_empty())
    };
    view! {
        <section class="pane compare-pane" id="compare-panel" aria-labelledby="compare-title">
            <div class="pane-head">
                <h2 id="compare-title">"Compare with my résumé"</h2>
                <CompareExport/>
            </div>
            <div class="compare-grid">
                <div class="compare-left">
                    <ResumeInput/>
                    <div class="compare-go">
                        <button class="primary" id="compare" disabled=move || !can_compare()
                            on:click=move |_| cs.compare(state.text.get_untracked())>
                            "Compare"
                        </button>
                        <CompareStatus/>
                    </div>
                </div>
                <CompareResult/>
            </div>
            <Evidence/>
        </section>
    }
}

/// "Comparing…", the last comparison's time, a hint, or an error.
#[component]
fn CompareStatus() -> impl IntoView {
    let state = expect_context::<AppState>();
    let cs = expect_context::<CompareState>();
    view! {
        <span class="muted compare-status" id="compare-status" aria-live="polite"
            data-runs=move || cs.runs.get().to_string()>
            {move || {
                if let Some(e) = cs.error.get() {
                    return view! { <span class="error" role="alert" id="compare-error">{e}</span> }.into_any();
                }
                let text = if cs.busy.get() {
                    "Comparing… (the first comparison loads more of the model)".to_string()
                } else if state.text.with(|t| t.trim().is_empty()) {
                    "Paste a job post in the editor above (or try the example), then compare.".to_string()
                } else if cs.resume.with(|r| r.trim().is_empty()) {
                    "Add your résumé to compare it with the post.".to_string()
                } else if let Some(ms) = cs.result.with(|r| r.as_ref().map(|r| r.ms)) {
                    format!("Compared in {ms:.0} ms")
                } else {
                    String::new()
                };
                text.into_any()
            }}
        </span>
    }
}

#[component]
fn CompareExport() -> impl IntoView {
    let cs = expect_context::<CompareState>();
    let none = move || cs.result.with(|r| r.is_none());
    let with = move |f: fn(&Comparison) -> String| {
        cs.result
            .with_untracked(|r| r.as_ref().map(|r| f(&r.comparison)))
    };
    view! {
        <div class="actions export">
            <button class="ghost" id="compare-export-json" disabled=none
                on:click=move |_| if let Some(j) = with(export::comparison_json) {
                    download::download("skillmark-comparison.json", "application/json", &j)
                }>"JSON"</button>
            <button class="ghost" id="compare-export-csv" disabled=none
                on:click=move |_| if let Some(c) = with(export::comparison_csv) {
                    download::download("skillmark-comparison.csv", "text/csv", &c)
                }>"CSV"</button>
        </div>
    }
}

#[component]
fn CompareResult() -> impl IntoView {
    let cs = expect_context::<CompareState>();
    view! {
        <div class="compare-result" id="compare-result">
            {move || match cs.result.get() {
                None => view! {
                    <p class="muted placeholder">
                        "The score, the post's skills your résumé shows and misses, and your other skills appear here."
                    </p>
                }.into_any(),
                Some(r) => result_view(&r.comparison).into_any(),
            }}
        </div>
    }
}

fn result_view(c: &Comparison) -> impl IntoView {
    let part = |name: &'static str, key: &'static str, v: Option<f32>| {
        view! {
            <li data-part=key class:absent=v.is_none()>
                <span>{name}</span>
                <b>{v.map(percent).unwrap_or_else(|| "not stated".into())}</b>
            </li>
        }
    };
    let matched = matched(c);
    let missing = missing(c);
    view! {
        <div class="score-row">
            <div class="score" id="compare-score" data-score=format!("{:.4}", c.score)>
                <span class="score-value">{percent(c.score)}</span>
                <span class="muted">"match"</span>
            </div>
            <ul class="parts" id="compare-parts" aria-label="Parts of the score">
                {part("Skills", "skills", c.parts.skills)}
                {part("Experience", "experience", c.parts.experience)}
                {part("Title", "title", c.parts.title)}
                {part("Education", "education", c.parts.education)}
            </ul>
        </div>
        <ul class="facts" id="compare-facts">{facts(c)}</ul>
        <Occupations comparison=c.clone()/>
        <div class="skill-columns">
            <section class="cmp-group" id="compare-matched" aria-label="Matched skills">
                <h3><span class="dot matched"></span>"Matched"<span class="count">{matched.len()}</span></h3>
                <ul>{matched.into_iter().map(job_skill_item).collect_view()}</ul>
            </section>
            <section class="cmp-group" id="compare-missing" aria-label="Missing skills">
                <h3><span class="dot missing"></span>"Missing"<span class="count">{missing.len()}</span></h3>
                {missing.is_empty().then(|| view! { <p class="muted">"None: the résumé shows every skill the post asks for."</p> })}
                <ul>{missing.into_iter().map(job_skill_item).collect_view()}</ul>
            </section>
            <section class="cmp-group" id="compare-extra" aria-label="Extra skills of the résumé">
                <h3><span class="dot extra"></span>"Extra in your résumé"<span class="count">{c.extra.len()}</span></h3>
                <ul>
                    {c.extra.iter().map(|e| view! {
                        <li class="cmp-skill" data-status="extra" data-uri=e.skill.uri.clone()>
                            {esco_link(&e.skill)}
                            <span class="meta">
                                {e.implicit.then(|| view! { <span class="tag" title="implied by a sentence, not named">"implied"</span> })}
                                {(!e.resume_spans.is_empty()).then(|| show_button(None, Some(e.skill.uri.clone())))}
                            </span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
}

fn esco_link(s: &SkillRef) -> impl IntoView {
    view! {
        <a class="esco" href=s.uri.clone() target="_blank" rel="noopener noreferrer"
            title="ESCO skill (opens in a new tab)">{s.label.clone()}</a>
    }
}

fn job_skill_item(s: &JobSkill) -> impl IntoView {
    let status = if s.matched.is_some() {
        "matched"
    } else {
        "missing"
    };
    let how = s.matched.as_ref().map(|m| {
        let kind = match_kind(m.kind);
        let other = (m.skill.uri != s.skill.uri).then(|| view! { " — your " {esco_link(&m.skill)} });
        view! {
            <span class="how">
                <span class=format!("badge match-{kind}") title=format!("closeness {:.2}", m.closeness)>{kind}</span>
                {other}
            </span>
        }
    });
    let req = (s.requirement != Requirement::Unlisted).then(|| {
        let r = requirement(s.requirement);
        view! { <span class=format!("badge req-{r}")>{r}</span> }
    });
    let resume_uri = s
        .matched
        .as_ref()
        .filter(|m| !m.resume_spans.is_empty())
        .map(|m| m.skill.uri.clone());
    let job_uri = (!s.job_spans.is_empty()).then(|| s.skill.uri.clone());
    let show =
        (job_uri.is_some() || resume_uri.is_some()).then(|| show_button(job_uri, resume_uri));
    view! {
        <li class="cmp-skill" data-status=status data-uri=s.skill.uri.clone()
            data-requirement=requirement(s.requirement)>
            <span class="cmp-label">{esco_link(&s.skill)}{how}</span>
            <span class="meta">
                {req}
                {s.implicit.then(|| view! { <span class="tag" title="implied by the post's sentences, not named">"implied"</span> })}
                {show}
            </span>
        </li>
    }
}

/// A button that brings the skill's first evidence in each text into view.
fn show_button(job_uri: Option<String>, resume_uri: Option<String>) -> impl IntoView {
    view! {
        <button class="ghost show" title="Show the evidence in the texts" aria-label="Show the evidence"
            on:click=move |_| {
                let mut first = true;
                for (side, uri) in [("#evidence-job", &job_uri), ("#evidence-resume", &resume_uri)] {
                    if let Some(el) = uri.as_ref().and_then(|u| evidence_mark(side, u)) {
                        let opts = web_sys::ScrollIntoViewOptions::new();
                        opts.set_block(web_sys::ScrollLogicalPosition::Center);
                        el.scroll_into_view_with_scroll_into_view_options(&opts);
                        flash(&el);
                        if first {
                            let _ = el.focus();
                            first = false;
                        }
                    }
                }
            }>"↧"</button>
    }
}

/// The first mark of `side` (a pane's id selector) that is evidence of `uri`.
fn evidence_mark(side: &str, uri: &str) -> Option<web_sys::HtmlElement> {
    let list = document()
        .query_selector_all(&format!("{side} mark"))
        .ok()?;
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|el| el.get_attribute("data-uri").as_deref() == Some(uri))
}

fn flash(el: &web_sys::HtmlElement) {
    let _ = el.class_list().add_1("flash");
    let el = el.clone();
    set_timeout(
        move || {
            let _ = el.class_list().remove_1("flash");
        },
        std::time::Duration::from_millis(1600),
    );
}

/// Years, title and degree, each one line (only what the texts state).
fn facts(c: &Comparison) -> Vec<AnyView> {
    let mut out = Vec::new();
    for r in &c.experience.required {
        let shown = match &r.resume {
            Some(role) => format!("{} as “{}”", years(r.resume_years), quote(role)),
            None => format!("{} in all", years(r.resume_years)),
        };
        out.push(fact(
            "experience",
            format!(
                "Experience: the post asks for {} (“{}”); your résumé shows {}.",
                years(r.years),
                quote(&r.job),
                shown
            ),
        ));
    }
    if c.experience.required.is_empty() && !c.experience.roles.is_empty() {
        out.push(fact(
            "experience",
            format!(
                "Experience: the post names no years; your résumé's {} dated roles add up to {}.",
                c.experience.roles.len(),
                years(c.experience.resume_years)
            ),
        ));
    }
    if let (Some(job), Some(res)) = (&c.title.job, &c.title.resume) {
        out.push(fact(
            "title",
            format!(
                "Title: “{}” — your closest role “{}” (similarity {:.2}).",
                quote(job),
                quote(res),
                c.title.similarity
            ),
        ));
    }
    let e = &c.education;
    if e.required.is_some() || e.resume_degree.is_some() {
        let asks = match (e.required, &e.job) {
            (Some(d), Some(t)) => format!("the post asks for a {} (“{}”)", degree(d), quote(t)),
            (Some(d), None) => format!("the post asks for a {}", degree(d)),
            _ => "the post names no degree".into(),
        };
        let has = match e.resume_degree {
            Some(d) => format!("your résumé names a {}", degree(d)),
            None => "your résumé names none".into(),
        };
        out.push(fact("education", format!("Education: {asks}; {has}.")));
    }
    out
}

fn fact(key: &'static str, text: String) -> AnyView {
    view! { <li data-fact=key>{text}</li> }.into_any()
}

/// A range's text on one line, shortened to about 90 characters.
fn quote(r: &TextRange) -> String {
    let one: String = r.text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= 90 {
        return one;
    }
    let cut: String = one.chars().take(88).collect();
    format!("{}…", cut.trim_end())
}

#[component]
fn Occupations(comparison: Comparison) -> impl IntoView {
    let list = comparison.occupations;
    if list.is_empty() {
        return view! {
            <p class="muted occupations-note" id="compare-occupations">
                "No ESCO occupations here (the model bundle has none, or they could not be downloaded), so the post's skills are not marked essential or optional."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="occupations" id="compare-occupations">
            <span class="muted">"Likely ESCO occupations of the post: "</span>
            <ul>
                {list.into_iter().map(|o| view! {
                    <li>
                        <a href=o.uri.clone() target="_blank" rel="noopener noreferrer">{o.label.clone()}</a>
                        <span class="muted">{format!(" {:.2}", o.score)}</span>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// The two texts, read-only, with the evidence marked.
#[component]
fn Evidence() -> impl IntoView {
    let cs = expect_context::<CompareState>();
    move || {
        let r: Compared = cs.result.get()?;
        let job = evidence_text(&r.job, job_evidence(&r.comparison));
        let resume = evidence_text(&r.resume, resume_evidence(&r.comparison));
        Some(view! {
            <div class="evidence" id="compare-evidence">
                <ul class="legend" aria-label="Evidence legend">
                    <li><span class="swatch ev-matched"></span>"matched"</li>
                    <li><span class="swatch ev-missing"></span>"missing from the résumé"</li>
                    <li><span class="swatch ev-extra"></span>"extra in the résumé"</li>
                </ul>
                <div class="evidence-panes">
                    <div class="evidence-pane">
                        <h3>"Job post"</h3>
                        <div class="evidence-text" id="evidence-job">{job}</div>
                    </div>
                    <div class="evidence-pane">
                        <h3>"Your résumé"</h3>
                        <div class="evidence-text" id="evidence-resume">{resume}</div>
                    </div>
                </div>
            </div>
        })
    }
}

fn evidence_text(text: &str, marks: Vec<(usize, usize, Evidence)>) -> Vec<AnyView> {
    pieces(text, 0, text.len(), marks)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_string().into_any(),
            Piece::Mark(inner, e) => {
                let title = format!("{}: {}", e.status, e.label);
                view! {
                    <mark class=format!("ev ev-{}", e.status) data-status=e.status data-uri=e.uri
                        title=title tabindex="0">{inner.to_string()}</mark>
                }
                .into_any()
            }
        })
        .collect()
}
