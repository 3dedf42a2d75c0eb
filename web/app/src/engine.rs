//! The page's side of the worker: starts `worker/worker.js` (a module
//! worker), sends it requests, hands its messages to one callback.

use std::cell::RefCell;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::model::{CompareOptions, FromWorker};

thread_local! {
    static WORKER: RefCell<Option<web_sys::Worker>> = const { RefCell::new(None) };
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    pub min_score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implicit_min_score: Option<f32>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ToWorker<'a> {
    Highlight {
        id: u32,
        text: &'a str,
        options: Options,
    },
    Compare {
        id: u32,
        job: &'a str,
        resume: &'a str,
        options: &'a CompareOptions,
    },
}

/// Starts the worker; `on_message` receives every message it posts.
pub fn start(on_message: impl Fn(FromWorker) + 'static) -> Result<(), String> {
    let opts = web_sys::WorkerOptions::new();
    opts.set_type(web_sys::WorkerType::Module);
    // `?workers=N` on the page's URL reaches the worker (it decides whether
    // the span tagger gets a worker of its own).
    let workers = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| {
            q.trim_start_matches('?')
                .split('&')
                .find_map(|kv| kv.strip_prefix("workers=").map(str::to_owned))
        })
        .filter(|n| n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()));
    let url = match workers {
        Some(n) => format!("./worker/worker.js?workers={n}"),
        None => "./worker/worker.js".to_string(),
    };
    let worker = web_sys::Worker::new_with_options(&url, &opts)
        .map_err(|e| format!("cannot start the worker: {e:?}"))?;
    let on_message = std::rc::Rc::new(on_message);
    let handler = {
        let on_message = on_message.clone();
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            match serde_wasm_bindgen::from_value::<FromWorker>(e.data()) {
                Ok(msg) => on_message(msg),
                Err(err) => on_message(FromWorker::Error {
                    id: None,
                    message: format!("unexpected message from the worker: {err}"),
                }),
            }
        })
    };
    worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget(); // lives as long as the page

    // A worker script that fails to load (network, syntax) fires a plain
    // `Event` with no `message`: read the field, do not assume an ErrorEvent.
    let on_error = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        let detail = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "its script could not be loaded".into());
        on_message(FromWorker::Error {
            id: None,
            message: format!("the worker failed: {detail}"),
        })
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    WORKER.with(|w| *w.borrow_mut() = Some(worker));
    Ok(())
}

/// Asks for the highlights of `text`; results come back tagged with `id`.
pub fn highlight(id: u32, text: &str, options: Options) {
    send(&ToWorker::Highlight { id, text, options });
}

/// Asks for `job` compared with `resume` (a `compared` message).
pub fn compare(id: u32, job: &str, resume: &str, options: &CompareOptions) {
    send(&ToWorker::Compare {
        id,
        job,
        resume,
        options,
    });
}

/// Asks for the text of a file's bytes (an `extracted` message); the bytes'
/// buffer moves to the worker.
pub fn extract(id: u32, bytes: js_sys::Uint8Array, name: &str) {
    let msg = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = js_sys::Reflect::set(&msg, &JsValue::from_str(k), v);
    };
    set("type", &JsValue::from_str("extract"));
    set("id", &JsValue::from(id));
    set("bytes", &bytes);
    set("name", &JsValue::from_str(name));
    let transfer = js_sys::Array::of1(&bytes.buffer());
    post(&msg, Some(&transfer));
}

fn send(msg: &ToWorker) {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    if let Ok(value) = msg.serialize(&ser) {
        post(&value, None);
    }
}

fn post(value: &JsValue, transfer: Option<&js_sys::Array>) {
    WORKER.with(|w| {
        if let Some(w) = w.borrow().as_ref() {
            let _ = match transfer {
                Some(t) => w.post_message_with_transfer(value, t),
                None => w.post_message(value),
            };
        }
    });
}
