//! The "Compare with my résumé" panel's signals and actions: the résumé
//! (only on this page and in the worker; in localStorage only when the user
//! opts in), files read by the worker, compare requests and their results.

use leptos::prelude::*;

use crate::engine;
use crate::model::{CompareOptions, Comparison, FromWorker};

/// Compare and extract requests number from here, apart from the highlight
/// requests' ids, so the app knows whose answer a message is.
pub const FIRST_ID: u32 = 1 << 30;
/// The localStorage key of the remembered résumé (set only when opted in).
pub const STORAGE_KEY: &str = "skillmark-resume";

/// A finished comparison and the texts it refers to (its offsets are into these).
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    pub comparison: Comparison,
    pub job: String,
    pub resume: String,
    pub ms: f64,
}

#[derive(Clone, Copy)]
pub struct CompareState {
    pub resume: RwSignal<String>,
    /// "Remember my résumé on this device".
    pub remember: RwSignal<bool>,
    pub result: RwSignal<Option<Compared>>,
    /// A compare request is running.
    pub busy: RwSignal<bool>,
    /// A file is being read.
    pub reading: RwSignal<Option<String>>,
    /// What the last file gave: "Read cv.pdf (PDF, 1,234 characters)", warnings.
    pub file_note: RwSignal<Option<String>>,
    pub error: RwSignal<Option<String>>,
    /// Results shown so far (tests wait for the next one).
    pub runs: RwSignal<u32>,
    next_id: StoredValue<u32>,
    compare_id: StoredValue<u32>,
    /// The request and texts of the compare in flight.
    pending: StoredValue<Option<(String, String)>>,
    extract_id: StoredValue<u32>,
}

impl CompareState {
    /// The state, with the résumé remembered on this device if there is one.
    pub fn new() -> Self {
        let saved = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        CompareState {
            remember: RwSignal::new(saved.is_some()),
            resume: RwSignal::new(saved.unwrap_or_default()),
            result: RwSignal::new(None),
            busy: RwSignal::new(false),
            reading: RwSignal::new(None),
            file_note: RwSignal::new(None),
            error: RwSignal::new(None),
            runs: RwSignal::new(0),
            next_id: StoredValue::new(FIRST_ID),
            compare_id: StoredValue::new(0),
            pending: StoredValue::new(None),
            extract_id: StoredValue::new(0),
        }
    }

    /// Whether a worker message answers one of this panel's requests.
    pub fn owns(msg: &FromWorker) -> bool {
        match msg {
            FromWorker::Compared { .. } | FromWorker::Extracted { .. } => true,
            FromWorker::Error { id: Some(id), .. } => *id >= FIRST_ID,
            _ => false,
        }
    }

    fn new_id(&self) -> u32 {
        let id = self.next_id.get_value() + 1;
        self.next_id.set_value(id);
        id
    }

    /// Compares `job` with the résumé in the worker.
    pub fn compare(&self, job: String) {
        let resume = self.resume.get_untracked();
        if job.trim().is_empty() || resume.trim().is_empty() {
            return;
        }
        let id = self.new_id();
        self.compare_id.set_value(id);
        self.error.set(None);
        self.busy.set(true);
        let options = CompareOptions {
            current_year: Some(js_sys::Date::new_0().get_full_year() as u16),
            ..Default::default()
        };
        engine::compare(id, &job, &resume, &options);
        self.pending.set_value(Some((job, resume)));
    }

    /// Sends a file's bytes to the worker, which reads its text.
    pub fn extract(&self, bytes: js_sys::Uint8Array, name: String) {
        let id = self.new_id();
        self.extract_id.set_value(id);
        self.error.set(None);
        self.file_note.set(None);
        self.reading.set(Some(name.clone()));
        engine::extract(id, bytes, &name);
    }

    /// Sets the résumé's text (typed, pasted or read from a file); stored
    /// only when the user opted in.
    pub fn set_resume(&self, text: String) {
        if self.remember.get_untracked() {
            if let Some(s) = storage() {
                let _ = s.set_item(STORAGE_KEY, &text);
            }
        }
        self.resume.set(text);
    }

    /// The checkbox: stores the résumé now, or removes it from storage.
    pub fn set_remember(&self, on: bool) {
        self.remember.set(on);
        if let Some(s) = storage() {
            let _ = if on {
                s.set_item(STORAGE_KEY, &self.resume.get_untracked())
            } else {
                s.remove_item(STORAGE_KEY)
            };
        }
    }

    /// Forget: out of storage and off the page in one step.
    pub fn forget(&self) {
        self.set_remember(false);
        self.resume.set(String::new());
        self.result.set(None);
        self.file_note.set(None);
        self.error.set(None);
        self.pending.set_value(None);
        self.compare_id.set_value(0);
        self.extract_id.set_value(0); // a file still being read is dropped too
        self.reading.set(None);
        self.busy.set(false);
    }

    pub fn on_worker(&self, msg: FromWorker) {
        match msg {
            FromWorker::Compared { id, comparison, ms } if id == self.compare_id.get_value() => {
                self.busy.set(false);
                if let Some((job, resume)) = self.pending.get_value() {
                    self.result.set(Some(Compared {
                        comparison: *comparison,
                        job,
                        resume,
                        ms,
                    }));
                    self.runs.update(|n| *n += 1);
                }
            }
            FromWorker::Extracted {
                id,
                text,
                format,
                warnings,
            } if id == self.extract_id.get_value() => {
                let name = self.reading.get_untracked().unwrap_or_default();
                self.reading.set(None);
                let mut note = format!(
                    "Read {name} ({}, {} characters).",
                    format.to_uppercase(),
                    text.chars().count()
                );
                for w in warnings {
                    note.push(' ');
                    note.push_str(&w);
                }
                self.file_note.set(Some(note));
                self.set_resume(text);
            }
            FromWorker::Error {
                id: Some(id),
                message,
            } => {
                if id == self.extract_id.get_value() {
                    let name = self.reading.get_untracked().unwrap_or_default();
                    self.reading.set(None);
                    self.error
                        .set(Some(format!("Could not read {name}: {message}")));
                } else if id == self.compare_id.get_value() {
                    self.busy.set(false);
                    self.error
                        .set(Some(format!("The comparison failed: {message}")));
                }
            }
            _ => {} // an answer to a superseded request
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}
