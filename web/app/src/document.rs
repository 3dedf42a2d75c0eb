//! The highlighted document (text nodes and `<mark>`s, never HTML from the
//! user) and the card that a hovered or focused highlight shows.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::marks::{pieces, Piece};
use crate::model::{category_class, Chunk, HighlightSpan};
use crate::state::{AppState, Card};

const HIDE_DELAY: Duration = Duration::from_millis(250);

#[component]
pub fn HighlightedDocument() -> impl IntoView {
    let state = expect_context::<AppState>();
    let empty = move || state.analysed.with(|t| t.trim().is_empty());
    view! {
        <div class="document" id="document" tabindex="-1"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" { state.card.set(None) }
            }>
            <Show when=empty>
                <p class="placeholder muted">
                    "Highlighted skills appear here as you type. Hover or focus (Tab) a highlight for its ESCO skill."
                </p>
            </Show>
            <For
                each=move || state.chunks.get()
                key=|c: &Chunk| c.index
                children=move |c: Chunk| view! { <span class="chunk">{chunk_view(state, &c)}</span> }
            />
        </div>
    }
}

/// The text of one chunk as plain text pieces and marks.
fn chunk_view(state: AppState, chunk: &Chunk) -> Vec<AnyView> {
    let text = state.analysed.get_untracked();
    let ranges = chunk.spans.iter().map(|s| (s.start, s.end, s)).collect();
    pieces(&text, chunk.start, chunk.end, ranges)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_string().into_any(),
            Piece::Mark(inner, span) => mark(state, span.clone(), inner.to_string()),
        })
        .collect()
}

fn mark(state: AppState, span: HighlightSpan, inner: String) -> AnyView {
    let class = format!("hl cat-{} kind-{}", category_class(&span), span.kind);
    let label = match span.skill() {
        Some(l) => format!("{} — ESCO: {} ({:.2})", span.kind, l.label, l.score),
        None => span.kind.to_string(),
    };
    let uri = span.skill().map(|l| l.uri.clone()).unwrap_or_default();
    let show = {
        let span = span.clone();
        move |ev: web_sys::Event| {
            let Some(el) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let r = el.get_bounding_client_rect();
            let w = window();
            let sx = w.scroll_x().unwrap_or(0.0);
            let sy = w.scroll_y().unwrap_or(0.0);
            state.card.set(Some(Card {
                span: span.clone(),
                x: r.left() + sx,
                y: r.bottom() + sy + 6.0,
            }));
        }
    };
    let show2 = show.clone();
    let hide = move || {
        let shown = state.card.get_untracked();
        set_timeout(
            move || {
                if state.card.get_untracked() == shown && !card_hovered() {
                    state.card.set(None);
                }
            },
            HIDE_DELAY,
        );
    };
    view! {
        <mark class=class tabindex="0" aria-label=label data-uri=uri
            on:mouseenter=move |ev| show(ev.into())
            on:focus=move |ev| show2(ev.into())
            on:mouseleave=move |_| hide()
            on:blur=move |_| hide()
        >{inner}</mark>
    }
    .into_any()
}

fn card_hovered() -> bool {
    document()
        .query_selector("#skill-card:hover")
        .ok()
        .flatten()
        .is_some()
}

/// ESCO label, description, link, score and runner-ups of the span under the
/// pointer or focus.
#[component]
pub fn SkillCard() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        let card = state.card.get()?;
        let span = card.span;
        let best = span.links.first().cloned();
        let description = best.as_ref().and_then(|b| {
            state.skills.with_untracked(|all| {
                all.iter()
                    .find(|s| s.uri == b.uri)
                    .map(|s| s.description.clone())
            })
        });
        let runner_ups: Vec<_> = span.links.iter().skip(1).cloned().collect();
        let style = format!("left:{:.0}px;top:{:.0}px", card.x.max(8.0), card.y);
        Some(view! {
            <div class="card" id="skill-card" role="tooltip" style=style
                on:mouseleave=move |_| state.card.set(None)>
                <div class="card-head">
                    <span class=format!("badge cat-{}", category_class(&span))>{category_class(&span)}</span>
                    <span class="badge kind">{span.kind.name()}</span>
                    <span class="muted">{format!("span confidence {:.2}", span.confidence)}</span>
                </div>
                <p class="card-quote">"“"{span.text.clone()}"”"</p>
                {match best {
                    Some(b) => view! {
                        <h3 class="card-label">{b.label.clone()}</h3>
                        <p class="card-score">{format!("ESCO match score {:.3}", b.score)}</p>
                        <p class="card-desc">{description.unwrap_or_default()}</p>
                        <a class="card-link" href=b.uri.clone() target="_blank" rel="noopener noreferrer">{b.uri.clone()}</a>
                    }.into_any(),
                    None => view! { <p class="muted">"No ESCO skill above the threshold."</p> }.into_any(),
                }}
                <Show when={let n = runner_ups.len(); move || n > 0}>
                    <h4>"Runner-ups"</h4>
                </Show>
                <ol class="runner-ups">
                    {runner_ups.iter().map(|l| view! {
                        <li><span>{l.label.clone()}</span><span class="muted">{format!("{:.3}", l.score)}</span></li>
                    }).collect_view()}
                </ol>
            </div>
        })
    }
}
