//! skillmark in the browser: paste a job post, see its skills highlighted
//! and linked to ESCO. Leptos CSR; the engine runs in a Web Worker
//! (`worker/worker.js`), so the page never waits on inference.
//!
//! The app runs only in the browser (wasm32). A native build compiles just
//! the pure modules (`model`, `export`, `marks`, `comparison`) so their unit tests run without
//! building Leptos for the host.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod comparison;
mod export;
mod marks;
mod model;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod compare;
#[cfg(target_arch = "wasm32")]
mod compare_state;
#[cfg(target_arch = "wasm32")]
mod document;
#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(target_arch = "wasm32")]
mod engine;
#[cfg(target_arch = "wasm32")]
mod resume;
#[cfg(target_arch = "wasm32")]
mod sidebar;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod toolbar;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("skillmark-web runs in the browser: build it with scripts/build-site");
}

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    register_service_worker();
    leptos::mount::mount_to_body(app::App);
}

/// The service worker (`sw.js`) keeps the app shell for offline use.
#[cfg(target_arch = "wasm32")]
fn register_service_worker() {
    let navigator = leptos::prelude::window().navigator();
    if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        let _ = navigator.service_worker().register("./sw.js");
    }
}
