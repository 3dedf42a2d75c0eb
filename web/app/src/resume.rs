//! The résumé's input: a textarea, a file picker and drop zone (the worker
//! reads PDF, DOCX, HTML and text files), and the opt-in "remember".

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::compare_state::CompareState;

/// The file types the worker reads (`extractText`).
const ACCEPT: &str = ".pdf,.docx,.txt,.text,.md,.html,.htm,application/pdf,\
application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain,text/html";

#[component]
pub fn ResumeInput() -> impl IntoView {
    let cs = expect_context::<CompareState>();
    let dragging = RwSignal::new(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_file(cs, file);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            read_file(cs, file);
        }
        input.set_value(""); // the same file again fires `change` again
    };
    view! {
        <div class="resume-input">
            <label class="drop" class:dragging=move || dragging.get() for="resume-file"
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <span class="drop-main">"Drop a PDF, DOCX, TXT or HTML file here, or "<u>"choose one"</u></span>
                <span class="muted">{move || cs.reading.get().map(|n| format!("Reading {n}…")).unwrap_or_default()}</span>
            </label>
            <input type="file" id="resume-file" class="visually-hidden" accept=ACCEPT on:change=on_pick/>
            <textarea id="resume" spellcheck="false"
                aria-label="Résumé text"
                placeholder="…or paste your résumé here (plain text)."
                prop:value=move || cs.resume.get()
                on:input=move |ev| cs.set_resume(event_target_value(&ev))
            ></textarea>
            <p class="file-note muted" id="resume-file-note">{move || cs.file_note.get().unwrap_or_default()}</p>
            <div class="resume-privacy">
                <label class="remember">
                    <input type="checkbox" id="resume-remember"
                        prop:checked=move || cs.remember.get()
                        on:change=move |ev| cs.set_remember(event_target_checked(&ev))/>
                    "Remember my résumé on this device"
                </label>
                <button class="ghost" id="resume-forget" on:click=move |_| cs.forget()>"Forget"</button>
            </div>
            <p class="muted privacy-note" id="resume-privacy">
                "Your résumé stays on this page: it goes only to the in-browser engine, never over the network, and is stored on this device only if you tick “Remember”."
            </p>
        </div>
    }
}

/// Reads `file`'s bytes and hands them to the worker.
fn read_file(cs: CompareState, file: web_sys::File) {
    let name = file.name();
    cs.reading.set(Some(name.clone()));
    leptos::task::spawn_local(async move {
        match JsFuture::from(file.array_buffer()).await {
            Ok(buf) => cs.extract(js_sys::Uint8Array::new(&buf), name),
            Err(_) => {
                cs.reading.set(None);
                cs.error.set(Some(format!("Could not read {name}.")));
            }
        }
    });
}
