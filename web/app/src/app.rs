//! The page: header with the controls, the editor and the highlighted
//! document side by side, the skill list, the footer.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::compare::ComparePanel;
use crate::compare_state::CompareState;
use crate::document::{HighlightedDocument, SkillCard};
use crate::engine;
use crate::model::FromWorker;
use crate::sidebar::SkillList;
use crate::state::{AppState, EngineStatus};
use crate::toolbar::{ExportButtons, ThemeToggle, ThresholdControl};

/// The example job post of the "Try an example" button (the CLI demo's input).
pub const EXAMPLE: &str = include_str!("../../../examples/job-post.txt");
/// Typing pause before results refresh.
const DEBOUNCE: Duration = Duration::from_millis(400);

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let compare = CompareState::new();
    provide_context(compare);
    let on_message = move |msg: FromWorker| {
        if CompareState::owns(&msg) {
            compare.on_worker(msg)
        } else {
            state.on_worker(msg)
        }
    };
    if let Err(e) = engine::start(on_message) {
        state.status.set(EngineStatus::Failed(e));
    }

    // Results as you type: re-run after a pause in typing or a threshold move.
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |first: Option<()>| {
        state.text.track();
        state.threshold.track();
        if first.is_none() {
            return;
        }
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(
            move || {
                if state.changed_since_analysis() {
                    state.analyse();
                }
            },
            DEBOUNCE,
        )
        .ok();
        pending.set_value(h);
    });

    view! {
        <a class="skip" href="#editor">"Skip to the editor"</a>
        <header class="top">
            <div class="brand">
                <span class="logo" aria-hidden="true">"◆"</span>
                <h1>"skillmark"</h1>
                <span class="tagline">"Skills in job posts, linked to ESCO — on your device"</span>
            </div>
            <ThemeToggle/>
        </header>
        <EngineBar/>
        <main class="layout">
            <section class="pane editor-pane" aria-label="Job post">
                <div class="pane-head">
                    <h2>"Job post"</h2>
                    <div class="actions">
                        <button class="ghost" id="example" on:click=move |_| {
                            state.text.set(EXAMPLE.to_string());
                            state.analyse();
                        }>"Try an example"</button>
                        <button class="ghost" id="clear" on:click=move |_| {
                            state.text.set(String::new());
                            state.analyse();
                        }>"Clear"</button>
                    </div>
                </div>
                <textarea
                    id="editor"
                    spellcheck="false"
                    placeholder="Paste or type a job post (plain text, or HTML — it is read as text)…"
                    prop:value=move || state.text.get()
                    on:input=move |ev| state.text.set(event_target_value(&ev))
                    on:paste=move |ev| paste_as_text(state, ev)
                ></textarea>
                <div class="editor-foot">
                    <button class="primary" id="highlight" on:click=move |_| state.analyse()
                        disabled=move || !matches!(state.status.get(), EngineStatus::Ready { .. })>
                        "Highlight skills"
                    </button>
                    <ThresholdControl/>
                </div>
            </section>
            <section class="pane result-pane" aria-label="Highlighted skills">
                <div class="pane-head">
                    <h2>"Highlights"</h2>
                    <RunStatus/>
                </div>
                <Legend/>
                <HighlightedDocument/>
                <SkillCard/>
            </section>
            <aside class="pane skills-pane" aria-label="Skills of this post">
                <div class="pane-head">
                    <h2>"Skills"</h2>
                    <ExportButtons/>
                </div>
                <SkillList/>
            </aside>
        </main>
        <div class="layout-wide">
            <ComparePanel/>
        </div>
        <Footer/>
    }
}

/// Inserts pasted text in one step. The browser's own paste edits a
/// textarea piece by piece and takes over a minute for 200 KB in Chromium;
/// `setRangeText` takes milliseconds. Only the plain-text flavour is read, so
/// HTML copied from a page arrives as its text.
fn paste_as_text(state: AppState, ev: leptos::ev::ClipboardEvent) {
    let Some(text) = ev
        .clipboard_data()
        .and_then(|d| d.get_data("text/plain").ok())
    else {
        return;
    };
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
    else {
        return;
    };
    ev.prevent_default();
    let start = el.selection_start().ok().flatten().unwrap_or(0);
    let end = el.selection_end().ok().flatten().unwrap_or(start);
    if el
        .set_range_text_with_start_and_end_and_mode(&text, start, end, "end")
        .is_ok()
    {
        state.text.set(el.value());
    }
}

/// Model loading progress, then a one-line ready note, or the load error.
#[component]
fn EngineBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let mb = |b: f64| format!("{:.1}", b / 1_000_000.0);
    view! {
        <div class="engine" role="status" aria-live="polite" id="engine-status">
            {move || match state.status.get() {
                EngineStatus::Loading { loaded, total, file } => {
                    let pct = if total > 0.0 { loaded / total * 100.0 } else { 0.0 };
                    view! {
                        <div class="loading">
                            <span>{format!("Loading the model… {} of {} MB", mb(loaded), mb(total))}</span>
                            <progress id="load-progress" max="100" value=format!("{pct:.1}")></progress>
                            <span class="muted">{format!("{file} · downloaded once, then cached for offline use")}</span>
                        </div>
                    }.into_any()
                }
                EngineStatus::Ready { version, load_ms, kernel } => view! {
                    <div class="ready" data-ready="true" data-kernel=kernel.clone()
                        title=format!("int8 matrix kernel: {kernel}")>
                        <span class="dot" aria-hidden="true"></span>
                        {format!("Model ready in {:.1} s · runs entirely in your browser · model {version}", load_ms / 1000.0)}
                    </div>
                }.into_any(),
                EngineStatus::Failed(message) => view! {
                    <div class="failed" role="alert">{format!("The model could not be loaded: {message}")}</div>
                }.into_any(),
            }}
        </div>
    }
}

/// "Analysing 3/25 sentences…" or the last run's timing, or an error.
#[component]
fn RunStatus() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <span class="run-status muted" id="run-status" aria-live="polite"
            data-runs=move || state.runs.get().to_string()
            data-workers=move || state.workers.get().to_string()>
            {move || {
                if let Some(e) = state.error.get() {
                    return format!("Error: {e}");
                }
                match (state.progress.get(), state.last_run.get()) {
                    (Some((done, total)), _) if total > 0 => format!("Analysing… {done}/{total} sentences"),
                    (Some(_), _) => "Analysing…".to_string(),
                    (None, Some((n, ms))) => format!("{n} sentences in {ms:.0} ms"),
                    _ => String::new(),
                }
            }}
        </span>
    }
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Colour legend">
            {crate::model::categories().map(|(key, name)| view! {
                <li><span class=format!("swatch cat-{key}")></span>{name}</li>
            }).collect_view()}
            <li><span class="swatch kind-knowledge-sample"></span>"knowledge (dotted)"</li>
        </ul>
    }
}

#[component]
fn Footer() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <footer class="foot">
            <p>
                "Skills and descriptions: "
                <a href="https://esco.ec.europa.eu/" rel="noopener noreferrer" target="_blank">"ESCO"</a>
                " v1.1.1 — © European Union, ESCO (European Skills, Competences, Qualifications and Occupations), reused under the EC reuse policy (Decision 2011/833/EU), CC BY 4.0. Attribution: “ESCO, European Commission”."
            </p>
            <ul class="credits">
                {move || state.attribution.get().into_iter().map(|a| view! {
                    <li>{format!("{} — {} ({})", a.what, a.credit, a.license)}</li>
                }).collect_view()}
            </ul>
            <p class="muted">"Your text never leaves this page: the model runs in a Web Worker on your device. skillmark is MIT-licensed."</p>
        </footer>
    }
}
