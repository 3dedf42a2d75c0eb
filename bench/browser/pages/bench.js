// Page side of scripts/bench-browser. ?start= picks the worker (or
// window.start(kind) starts it later):
//   app    : the site's real inference worker (dist/worker/worker.js)
//   ours   : our engine with an encode-only API (ours-worker.js)
//   theirs : transformers.js (theirs-worker.js)
//   none   : no worker yet
// The worker starts as soon as this module runs, so window.readyAt
// (performance.now(), i.e. ms since navigation start) is page load → ready.
const query = new URLSearchParams(location.search);
const kind = query.get("start") || "none";
// ?workers=N reaches the app's worker (2: the span tagger in its own worker).
const appWorkers = query.get("workers");
const urls = {
  app: `/site/worker/worker.js${appWorkers ? `?workers=${encodeURIComponent(appWorkers)}` : ""}`,
  ours: "/bench/ours-worker.js",
  theirs: "/bench/theirs-worker.js",
};

let worker = null;
let nextId = 1;
const waiting = new Map(); // id -> {resolve, reject, onResult}

// Starts a worker; resolves with its `ready` message.
window.start = (which) =>
  new Promise((resolve, reject) => {
    worker = new Worker(urls[which], { type: "module" });
    worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
    worker.onmessage = ({ data }) => {
      if (data.type === "ready") {
        window.readyAt = performance.now();
        resolve(data);
      } else if (data.type === "error" && data.id === undefined) {
        reject(new Error(data.message));
      } else if (data.type === "loading") {
        // progress; ignored
      } else {
        const w = waiting.get(data.id);
        if (!w) return;
        if (data.type === "error") {
          waiting.delete(data.id);
          w.reject(new Error(data.message));
        } else if (data.type === "result") {
          w.onResult?.(data);
        } else {
          waiting.delete(data.id);
          w.resolve(data);
        }
      }
    };
  });

window.ready = kind === "none" ? Promise.resolve({}) : window.start(kind);

// Request/response with the bench workers (ours, theirs).
window.call = (msg) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id });
  });

// The real worker: highlight `text` as the app does, timing the first
// streamed result and the end (ms, page side, postMessage included).
window.highlightApp = (text, options) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    const t0 = performance.now();
    let first = null;
    let spans = 0;
    let results = 0;
    waiting.set(id, {
      reject,
      onResult: (r) => {
        results++;
        spans += r.spans.length;
        if (first === null) first = performance.now() - t0;
      },
      resolve: (done) =>
        resolve({ first, total: performance.now() - t0, workerMs: done.ms, segments: done.segments, spans, results }),
    });
    worker.postMessage({ type: "highlight", id, text, options });
  });

// Memory as the browser attributes it (needs cross-origin isolation).
window.uaMemory = async () => {
  if (!crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null;
  const m = await performance.measureUserAgentSpecificMemory();
  const worker = m.breakdown
    .filter((b) => b.attribution.some((a) => a.scope === "DedicatedWorkerGlobalScope"))
    .reduce((s, b) => s + b.bytes, 0);
  const breakdown = m.breakdown
    .filter((b) => b.bytes > 0)
    .map((b) => ({ bytes: b.bytes, types: b.types, scopes: b.attribution.map((a) => `${a.scope} ${a.url}`) }));
  return { total: m.bytes, worker, breakdown };
};
