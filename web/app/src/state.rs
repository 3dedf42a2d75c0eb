//! The app's signals in one `Copy` struct, provided as context; components
//! read what they show and call the actions here.

use leptos::prelude::*;

use crate::engine;
use crate::model::{
    merge_skills, Attribution, Chunk, Defaults, DocumentSkill, FromWorker, HighlightSpan,
};

/// Where the engine is.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineStatus {
    Loading {
        loaded: f64,
        total: f64,
        file: String,
    },
    Ready {
        version: String,
        load_ms: f64,
        kernel: String,
    },
    Failed(String),
}

/// The hover/focus card: which span, and where to draw it (page pixels).
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub span: HighlightSpan,
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Copy)]
pub struct AppState {
    /// What the user typed or pasted.
    pub text: RwSignal<String>,
    /// The text the current results refer to (may lag behind `text`).
    pub analysed: RwSignal<String>,
    /// The threshold they were asked with.
    analysed_threshold: StoredValue<Option<f32>>,
    pub chunks: RwSignal<Vec<Chunk>>,
    pub skills: RwSignal<Vec<DocumentSkill>>,
    pub threshold: RwSignal<f32>,
    pub status: RwSignal<EngineStatus>,
    pub attribution: RwSignal<Vec<Attribution>>,
    /// Analysis in flight: (sentences done, sentences total).
    pub progress: RwSignal<Option<(usize, usize)>>,
    pub last_run: RwSignal<Option<(usize, f64)>>,
    /// Runs finished so far (tests wait for the next one).
    pub runs: RwSignal<u32>,
    /// Workers the last finished run used (2: tagger and encoder in parallel).
    pub workers: RwSignal<u32>,
    pub error: RwSignal<Option<String>>,
    pub card: RwSignal<Option<Card>>,
    /// The engine's defaults; the slider moves both thresholds together.
    defaults: StoredValue<Option<Defaults>>,
    request: StoredValue<u32>,
}

pub const DEFAULT_THRESHOLD: f32 = 0.5;

impl AppState {
    pub fn new() -> Self {
        AppState {
            text: RwSignal::new(String::new()),
            analysed: RwSignal::new(String::new()),
            analysed_threshold: StoredValue::new(None),
            chunks: RwSignal::new(Vec::new()),
            skills: RwSignal::new(Vec::new()),
            threshold: RwSignal::new(DEFAULT_THRESHOLD),
            status: RwSignal::new(EngineStatus::Loading {
                loaded: 0.0,
                total: 0.0,
                file: String::new(),
            }),
            attribution: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            last_run: RwSignal::new(None),
            runs: RwSignal::new(0),
            workers: RwSignal::new(0),
            error: RwSignal::new(None),
            card: RwSignal::new(None),
            defaults: StoredValue::new(None),
            request: StoredValue::new(0),
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.status.get_untracked(), EngineStatus::Ready { .. })
    }

    /// Every span of the current results, in text order.
    pub fn all_spans(&self) -> Vec<HighlightSpan> {
        self.chunks
            .with(|c| c.iter().flat_map(|c| c.spans.iter().cloned()).collect())
    }

    /// Sends the current text to the worker; older requests are dropped.
    /// Whether the text or the threshold changed since the last analysis. A
    /// button that sets the text analyses at once; the typing debounce that
    /// follows must not run it again (that run would clear the marks and
    /// redo the same work).
    pub fn changed_since_analysis(&self) -> bool {
        self.analysed_threshold.get_value() != Some(self.threshold.get_untracked())
            || self
                .text
                .with_untracked(|t| self.analysed.with_untracked(|a| t != a))
    }

    pub fn analyse(&self) {
        let text = self.text.get_untracked();
        self.analysed_threshold
            .set_value(Some(self.threshold.get_untracked()));
        let id = self.request.get_value() + 1;
        self.request.set_value(id);
        self.card.set(None);
        self.chunks.set(Vec::new());
        self.skills.set(Vec::new());
        self.error.set(None);
        if text.trim().is_empty() || !self.is_ready() {
            self.analysed.set(text);
            self.progress.set(None);
            return;
        }
        self.progress.set(Some((0, 0)));
        engine::highlight(id, &text, self.options());
        self.analysed.set(text);
    }

    /// The slider sets the link threshold; the sentence-level threshold keeps
    /// its distance from it as in the engine's defaults.
    fn options(&self) -> engine::Options {
        let min_score = self.threshold.get_untracked();
        let implicit_min_score = self.defaults.get_value().and_then(|d| {
            d.implicit_min_score
                .map(|i| (i - d.min_score + min_score).clamp(0.0, 1.0))
        });
        engine::Options {
            min_score,
            implicit_min_score,
        }
    }

    pub fn on_worker(&self, msg: FromWorker) {
        let current = self.request.get_value();
        match msg {
            FromWorker::Loading {
                loaded,
                total,
                file,
            } => self.status.set(EngineStatus::Loading {
                loaded,
                total,
                file,
            }),
            FromWorker::Ready {
                version,
                attribution,
                ms,
                defaults,
                kernel,
            } => {
                if let Some(d) = defaults {
                    self.defaults.set_value(Some(d));
                    self.threshold.set(d.min_score);
                }
                self.status.set(EngineStatus::Ready {
                    version,
                    load_ms: ms,
                    kernel,
                });
                self.attribution.set(attribution);
                if !self.text.get_untracked().trim().is_empty() {
                    self.analyse();
                }
            }
            FromWorker::Result {
                id,
                upto,
                spans,
                skills,
                segments,
                total,
            } if id == current => {
                let len = self.analysed.with_untracked(|t| t.len());
                self.chunks.update(|chunks| {
                    let start = chunks.last().map(|c| c.end).unwrap_or(0);
                    let end = upto.unwrap_or(len).clamp(start, len);
                    chunks.push(Chunk {
                        index: chunks.len(),
                        start,
                        end,
                        spans,
                    });
                });
                self.skills.update(|all| merge_skills(all, skills));
                self.progress.set(Some((segments, total)));
            }
            FromWorker::Done {
                id,
                ms,
                segments,
                workers,
            } if id == current => {
                self.progress.set(None);
                self.workers.set(workers);
                self.last_run.set(Some((segments, ms)));
                self.runs.update(|n| *n += 1);
            }
            FromWorker::Error { id, message } => {
                if id.is_none() && !self.is_ready() {
                    self.status.set(EngineStatus::Failed(message));
                } else if id.is_none() || id == Some(current) {
                    self.progress.set(None);
                    self.error.set(Some(message));
                }
            }
            _ => {} // results of a superseded request
        }
    }
}
