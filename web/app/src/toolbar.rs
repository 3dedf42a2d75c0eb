//! Small controls: the confidence threshold, export buttons, theme toggle.

use leptos::prelude::*;

use crate::state::AppState;
use crate::{download, export};

#[component]
pub fn ThresholdControl() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <label class="threshold" for="threshold">
            <span>"Min. match score"</span>
            <input id="threshold" type="range" min="0.2" max="0.9" step="0.01"
                prop:value=move || format!("{:.2}", state.threshold.get())
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f32>() {
                        state.threshold.set(v);
                    }
                }/>
            <output id="threshold-value">{move || format!("{:.2}", state.threshold.get())}</output>
        </label>
    }
}

#[component]
pub fn ExportButtons() -> impl IntoView {
    let state = expect_context::<AppState>();
    let none = move || state.skills.with(|s| s.is_empty());
    let json = move || export::to_json(&state.all_spans(), &state.skills.get_untracked());
    let csv = move || export::to_csv(&state.all_spans());
    let copied = RwSignal::new(false);
    view! {
        <div class="actions export">
            <button class="ghost" id="export-json" disabled=none
                on:click=move |_| download::download("skillmark.json", "application/json", &json())>"JSON"</button>
            <button class="ghost" id="export-csv" disabled=none
                on:click=move |_| download::download("skillmark.csv", "text/csv", &csv())>"CSV"</button>
            <button class="ghost" id="copy-json" disabled=none
                on:click=move |_| {
                    download::copy(&json());
                    copied.set(true);
                    set_timeout(move || copied.set(false), std::time::Duration::from_millis(1500));
                }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
        </div>
    }
}

/// Light/dark: follows the system until toggled; the choice is remembered.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let storage = window().local_storage().ok().flatten();
    let saved = storage
        .as_ref()
        .and_then(|s| s.get_item("skillmark-theme").ok().flatten());
    let system_dark = window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .map(|m| m.matches())
        .unwrap_or(false);
    let dark = RwSignal::new(saved.as_deref().map(|t| t == "dark").unwrap_or(system_dark));
    let apply = move |is_dark: bool| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", if is_dark { "dark" } else { "light" });
        }
    };
    if saved.is_some() {
        apply(dark.get_untracked());
    }
    view! {
        <button class="ghost theme" id="theme-toggle"
            aria-label=move || if dark.get() { "Switch to light theme" } else { "Switch to dark theme" }
            on:click=move |_| {
                let next = !dark.get_untracked();
                dark.set(next);
                apply(next);
                if let Some(s) = window().local_storage().ok().flatten() {
                    let _ = s.set_item("skillmark-theme", if next { "dark" } else { "light" });
                }
            }>
            {move || if dark.get() { "☀ Light" } else { "☾ Dark" }}
        </button>
    }
}
