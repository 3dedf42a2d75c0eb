//! All skills of the post, grouped by category, with counts.

use leptos::prelude::*;

use crate::model::{categories, DocumentSkill};
use crate::state::AppState;

#[component]
pub fn SkillList() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <div class="skill-list" id="skill-list">
            {move || {
                let skills = state.skills.get();
                if skills.is_empty() {
                    return view! { <p class="muted">"No skills yet."</p> }.into_any();
                }
                let total: usize = skills.iter().map(|s| s.count).sum();
                let groups = categories().filter_map(|(key, name)| {
                    let mut group: Vec<DocumentSkill> =
                        skills.iter().filter(|s| s.category.name() == key).cloned().collect();
                    if group.is_empty() {
                        return None;
                    }
                    group.sort_by(|a, b| b.count.cmp(&a.count).then(b.best_score.total_cmp(&a.best_score)));
                    let n: usize = group.iter().map(|s| s.count).sum();
                    Some(view! {
                        <section class="group" data-category=key>
                            <h3><span class=format!("swatch cat-{key}")></span>{name}<span class="count">{n}</span></h3>
                            <ul>
                                {group.into_iter().map(|s| view! {
                                    <li class="skill" data-uri=s.uri.clone()>
                                        <a href=s.uri.clone() target="_blank" rel="noopener noreferrer" title=s.description.clone()>{s.label.clone()}</a>
                                        <span class="meta">
                                            {s.implicit.then(|| view! { <span class="tag" title="found at sentence level, not named in a span">"implied"</span> })}
                                            <span class="count" title="mentions">{format!("×{}", s.count)}</span>
                                            <span class="score" title="best ESCO match score">{format!("{:.2}", s.best_score)}</span>
                                        </span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })
                }).collect_view();
                view! {
                    <p class="summary" id="skill-summary">{format!("{} skills, {} mentions", skills.len(), total)}</p>
                    {groups}
                }.into_any()
            }}
        </div>
    }
}
