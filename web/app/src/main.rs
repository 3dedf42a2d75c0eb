//! skillmark in the browser: paste a job post, see its skills highlighted
//! and linked to ESCO. Leptos CSR; the engine runs in a Web Worker
//! (`worker/worker.js`), so the page never waits on inference.

mod app;
mod document;
mod engine;
mod export;
mod model;
mod sidebar;
mod state;
mod toolbar;

fn main() {
    console_error_panic_hook::set_once();
    register_service_worker();
    leptos::mount::mount_to_body(app::App);
}

/// The service worker (`sw.js`) keeps the app shell for offline use.
fn register_service_worker() {
    let navigator = leptos::prelude::window().navigator();
    if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        let _ = navigator.service_worker().register("./sw.js");
    }
}
