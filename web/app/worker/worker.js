// The inference worker: fetches the asset bundle once (progress in bytes of
// the manifest's total), keeps it in the Cache API for offline use, builds the
// wasm Highlighter and answers highlight requests, streaming results batch by
// batch of sentences. Messages (in the style of candle's wasm examples):
//   in : {type:"highlight", id, text, options} · {type:"skill", id, uri}
//        {type:"compare", id, job, resume, options} · {type:"extract", id, bytes, name}
//        {type:"occupations", id, text, skills?, options}
//   out: {type:"loading", loaded, total, file} · {type:"ready", ...}
//        {type:"result", id, upto, spans, skills, segments, total}
//        {type:"done", id, ms, segments, workers} · {type:"skill", id, skill}
//        {type:"compared", id, comparison, ms} · {type:"extracted", id, text, format, warnings}
//        {type:"occupations", id, occupations, ms}
//        {type:"error", id?, message}
// Where the machine has two cores or more (`?workers=1` on the page's URL
// turns it off), a second worker (tagger.js) runs the span tagger's layers
// while this one runs the ranker's over the same sentences; its tags come
// back part by part. A 400-word post: 270 ms instead of 377 on this 2-core
// machine (docs/BENCHMARKS.md). Without it (failed to start, or an error)
// this worker loads the tagger and runs it itself.
import init, { Highlighter } from "../engine/skillmark_wasm.js";

const ASSETS = new URL("../assets/", import.meta.url);
// Relaxed SIMD (Chrome 114+) has an int8 dot product the engine's matrix
// kernel uses; the site ships the engine built both ways. This module (one
// relaxed swizzle) validates exactly where relaxed SIMD is available.
const RELAXED_SIMD = WebAssembly.validate(
  new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]),
);
const PLAIN_ENGINE = new URL("../engine/skillmark_wasm_bg.wasm", import.meta.url);
// The browser extension's Chromium package carries the relaxed build only,
// its Firefox package the simd128 build only: try the other when one is missing.
const ENGINES = RELAXED_SIMD
  ? [new URL("../engine/skillmark_wasm_relaxed_bg.wasm", import.meta.url), PLAIN_ENGINE]
  : [PLAIN_ENGINE];
const CACHE = "skillmark-assets";
// The files the engine reads at load (the tagger where the manifest lists
// it); the occupations' files are fetched when a request first needs them
// (loadOccupationsHere); any other file the manifest lists is left alone.
const NEEDED = ["encoder.gguf", "tokenizer.json", "skills.index", "esco.bin", "tagger.gguf"];

const TAGGER_FILES = ["tokenizer.json", "encoder.gguf", "tagger.gguf"];
const WORKERS =
  Number(new URL(self.location.href).searchParams.get("workers")) ||
  ((self.navigator.hardwareConcurrency || 1) >= 2 ? 2 : 1);

let highlighter = null;
// The span tagger's worker: {worker, ready, tags: Map "id:part" → tags,
// waiting: Map "id:part" → resolve}; null when there is none or it failed.
let spanTagger = null;
// Whether `highlighter` holds the span tagger itself.
let withTagger = true;
let latest = 0; // id of the newest highlight request; older ones stop early
const queue = [];
let busy = false;

function post(msg) {
  self.postMessage(msg);
}

async function fetchManifest(cache) {
  const url = new URL("manifest.json", ASSETS).href;
  try {
    const res = await fetch(url, { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await cache.put(url, new Response(bytes));
    return bytes;
  } catch (err) {
    const cached = await cache.match(url); // offline: the last manifest seen
    if (cached) return new Uint8Array(await cached.arrayBuffer());
    throw new Error(`cannot load assets/manifest.json: ${err.message}`);
  }
}

// Streams one file into memory, reporting bytes as they arrive.
async function download(url, name, onBytes) {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(`cannot load assets/${name}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
    onBytes(value.length);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Packaged assets (the browser extension: chrome-extension:// or
// moz-extension://) are on disk already, and the Cache API refuses those
// schemes: read them directly.
const NO_CACHE = {
  match: async () => undefined,
  put: async () => {},
  keys: async () => [],
  delete: async () => false,
};
const CACHEABLE = ASSETS.protocol === "http:" || ASSETS.protocol === "https:";

async function loadAssets(quiet = false, wanted = NEEDED) {
  const cache = CACHEABLE ? await caches.open(CACHE) : NO_CACHE;
  const manifestBytes = await fetchManifest(cache);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  const names = wanted.filter((n) => manifest.files[n]);
  const total = names.reduce((s, n) => s + manifest.files[n].bytes, 0);
  let loaded = 0;
  const progress = (file) => quiet || post({ type: "loading", loaded, total, file });
  progress("manifest.json");
  const files = {};
  // The sha in the key makes a changed file a cache miss; entries of no file
  // of this manifest are deleted below (ones fetched later are kept).
  const keyOf = (name) => new URL(`${name}?sha256=${manifest.files[name].sha256}`, ASSETS).href;
  const keep = new Set([new URL("manifest.json", ASSETS).href, ...Object.keys(manifest.files).map(keyOf)]);
  for (const name of names) {
    const key = keyOf(name);
    const hit = await cache.match(key);
    let bytes;
    if (hit) {
      bytes = new Uint8Array(await hit.arrayBuffer());
      loaded += bytes.length;
      progress(name);
    } else {
      bytes = await download(new URL(name, ASSETS).href, name, (n) => {
        loaded += n;
        progress(name);
      });
      await cache.put(key, new Response(bytes));
    }
    files[name] = bytes;
  }
  for (const req of await cache.keys()) {
    if (!keep.has(req.url)) await cache.delete(req);
  }
  return { manifest, manifestBytes, files, total };
}

// The engine, compiled once: the span tagger's worker instantiates the same
// module (no second download, no second compilation).
async function compileEngine() {
  let res = null;
  for (const url of ENGINES) {
    res = await fetch(url).catch(() => null); // a packaged file that is not there: a network error
    if (res && res.ok) break;
  }
  if (!res || !res.ok) throw new Error(`cannot load the engine: ${res ? `HTTP ${res.status}` : "not found"}`);
  if (WebAssembly.compileStreaming && res.headers.get("content-type") === "application/wasm") {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

function dropSpanTagger() {
  if (!spanTagger) return;
  const { worker, waiting, settle } = spanTagger;
  spanTagger = null;
  worker.terminate();
  settle();
  for (const resolve of waiting.values()) resolve(null);
}

// Starts the span tagger's worker with `needed` (TAGGER_FILES), whose
// buffers move to it (this worker's copies are in wasm memory already).
function startSpanTagger(manifestBytes, needed, module) {
  let worker;
  try {
    worker = new Worker(new URL("./tagger.js", import.meta.url), { type: "module" });
  } catch {
    return; // no nested workers: this worker tags
  }
  const t = { worker, ready: false, tags: new Map(), waiting: new Map() };
  t.loaded = new Promise((resolve) => (t.settle = resolve)); // ready or failed
  spanTagger = t;
  worker.onmessage = (e) => {
    const msg = e.data;
    if (msg.type === "ready") {
      t.ready = true;
      t.wasmMemory = msg.wasmMemory;
      t.settle();
    } else if (msg.type === "tags") {
      const key = `${msg.id}:${msg.part}`;
      const resolve = t.waiting.get(key);
      if (resolve) {
        t.waiting.delete(key);
        resolve(msg.tags);
      } else t.tags.set(key, msg.tags);
    } else if (msg.type === "error") dropSpanTagger();
  };
  worker.onerror = () => dropSpanTagger();
  const buffers = TAGGER_FILES.map((n) => needed[n].buffer);
  worker.postMessage({ type: "load", manifest: manifestBytes, files: needed, engine: module }, buffers);
}

// Rebuilds this worker's highlighter with the span tagger (its worker
// failed), from the files the Cache API holds since the first load.
async function loadTaggerHere() {
  if (withTagger) return;
  const { manifestBytes, files } = await loadAssets(true);
  const full = new Highlighter(manifestBytes, files);
  highlighter.free();
  highlighter = full;
  withTagger = true;
}

// The bundle's occupations (occupations.bin, occupations.index: 0.9 MB
// brotli), fetched and cached the first time a request needs them, so a
// page that only highlights never downloads them. After loadTaggerHere,
// which builds a new highlighter.
async function loadOccupationsHere() {
  const names = highlighter.pendingOccupationFiles();
  if (!names.length) return;
  const { files } = await loadAssets(true, names);
  highlighter.addOccupations(files);
}

// The span tagger's tags for one part of a request, or null (none coming).
function tagsFor(id, part) {
  const t = spanTagger;
  if (!t) return Promise.resolve(null);
  const key = `${id}:${part}`;
  if (t.tags.has(key)) {
    const tags = t.tags.get(key);
    t.tags.delete(key);
    return Promise.resolve(tags);
  }
  return new Promise((resolve) => t.waiting.set(key, resolve));
}

async function start() {
  const t0 = performance.now();
  try {
    const [{ manifest, manifestBytes, files, total }, module] = await Promise.all([loadAssets(), compileEngine()]);
    const wasm = await init({ module_or_path: module });
    if (WORKERS >= 2 && TAGGER_FILES.every((n) => files[n])) {
      // The tagger runs in a worker of its own: this one loads without it,
      // then hands it the files. One load after the other, so their peaks
      // do not add up; the tagger's loads while nothing else runs.
      const { "tagger.gguf": tagger, ...rest } = files;
      highlighter = new Highlighter(manifestBytes, rest);
      withTagger = false;
      const needed = { "tokenizer.json": rest["tokenizer.json"], "encoder.gguf": rest["encoder.gguf"], "tagger.gguf": tagger };
      startSpanTagger(manifestBytes.slice(), needed, module);
      if (spanTagger) await spanTagger.loaded;
      if (!spanTagger) await loadTaggerHere();
    } else {
      highlighter = new Highlighter(manifestBytes, files);
    }
    post({
      type: "ready",
      version: manifest.version,
      attribution: manifest.attribution || [],
      bytes: total,
      defaults: highlighter.defaultOptions(),
      kernel: highlighter.kernel(),
      workers: spanTagger && spanTagger.ready ? 2 : 1,
      // wasm linear memory of this worker and of the tagger's, bytes
      wasmMemory: [wasm.memory.buffer.byteLength, spanTagger?.wasmMemory ?? 0],
      ms: performance.now() - t0,
    });
  } catch (err) {
    post({ type: "error", message: String(err && err.message ? err.message : err) });
  }
}

const yieldToMessages = () => new Promise((r) => setTimeout(r, 0));

// The parts a request is highlighted in: the first sentence alone, so the
// first highlights show soon, then doubling up to 16 sentences.
function partsOf(segments) {
  const parts = [];
  let batch = 1;
  for (let done = 0; done < segments.length; done += batch, batch = Math.min(batch * 2, 16)) {
    parts.push(segments.slice(done, done + batch));
  }
  return parts;
}

async function highlight({ id, text, options }) {
  const t0 = performance.now();
  const segments = highlighter.segments(text);
  const parts = partsOf(segments);
  // Tags only from a tagger that is ready now; it then tags ahead of us.
  const parallel = spanTagger && spanTagger.ready;
  if (parallel) {
    for (const key of spanTagger.tags.keys()) if (!key.startsWith(`${id}:`)) spanTagger.tags.delete(key);
    spanTagger.worker.postMessage({ type: "tag", id, text, parts });
  }
  let done = 0;
  let workers = parallel ? 2 : 1;
  for (let i = 0; i < parts.length; i++) {
    if (id !== latest) return; // superseded by a newer request
    const part = parts[i];
    let h;
    if (parallel) {
      // The ranker's passes first: they need no tags, so they run while the
      // tagger's worker tags this part.
      const encoded = highlighter.encodeSegments(text, part);
      const tags = await tagsFor(id, i);
      if (id !== latest) {
        encoded.free();
        return;
      }
      if (tags) h = highlighter.highlightEncoded(encoded, tags, options);
      else encoded.free();
    }
    if (!h) {
      workers = 1;
      await loadTaggerHere();
      if (id !== latest) return;
      h = highlighter.highlightSegments(text, part, options);
    }
    done += part.length;
    const upto = done < segments.length ? part[part.length - 1].end : null;
    post({ type: "result", id, upto, spans: h.spans, skills: h.skills, segments: done, total: segments.length });
    await yieldToMessages();
  }
  post({ type: "done", id, ms: performance.now() - t0, segments: segments.length, workers });
}

// A job post against a résumé (the wasm `Highlighter.compare`). The engine
// highlights both texts itself, so this worker needs the span tagger: where
// the tagger runs in its own worker, the first compare loads it here too (the
// same spans as the page's highlights; highlights keep the parallel path).
async function compare({ id, job, resume, options }) {
  await loadTaggerHere();
  try {
    await loadOccupationsHere();
  } catch {
    // Offline before they were ever fetched: compare without occupations.
  }
  const t0 = performance.now();
  const comparison = highlighter.compare(job, resume, options ?? {});
  post({ type: "compared", id, comparison, ms: performance.now() - t0 });
}

// The ESCO occupations of one text. With its highlighted `skills` (the
// extension has them), from those and the text's vector alone
// (`occupationsForSkills`); without, the engine highlights the text itself,
// which needs the span tagger in this worker too, as compare does.
async function occupations({ id, text, skills, options }) {
  if (!Array.isArray(skills)) await loadTaggerHere();
  await loadOccupationsHere();
  const t0 = performance.now();
  const found = Array.isArray(skills)
    ? highlighter.occupationsForSkills(text, skills, options ?? {})
    : highlighter.occupations([text], options ?? {})[0];
  post({ type: "occupations", id, occupations: found ?? [], ms: performance.now() - t0 });
}

// PDF and DOCX reading lives in a module of its own (crates/extract-wasm),
// loaded on the first file: most visits never drop one.
let reader = null;
function fileReader() {
  reader ??= import("../extract/skillmark_extract_wasm.js").then(async (m) => {
    await m.default({ module_or_path: new URL("../extract/skillmark_extract_wasm_bg.wasm", import.meta.url) });
    return m.extractText;
  });
  reader.catch(() => (reader = null)); // a failed load is tried again next time
  return reader;
}

async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const msg = queue.shift();
    try {
      if (msg.type === "highlight") {
        if (msg.id === latest) await highlight(msg);
      } else if (msg.type === "skill") {
        post({ type: "skill", id: msg.id, skill: highlighter.skill(msg.uri) });
      } else if (msg.type === "compare") {
        await compare(msg);
      } else if (msg.type === "occupations") {
        await occupations(msg);
      } else if (msg.type === "extract") {
        const extractText = await fileReader();
        const { text, format, warnings } = extractText(new Uint8Array(msg.bytes), msg.name ?? undefined);
        post({ type: "extracted", id: msg.id, text, format, warnings });
      }
    } catch (err) {
      post({ type: "error", id: msg.id, message: String(err && err.message ? err.message : err) });
    }
  }
  busy = false;
}

const ready = start();
self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === "highlight") {
    latest = msg.id;
    // A request waiting for the tags of an older one stops now.
    if (spanTagger) {
      for (const [key, resolve] of spanTagger.waiting) {
        if (!key.startsWith(`${msg.id}:`)) {
          spanTagger.waiting.delete(key);
          resolve(null);
        }
      }
    }
  }
  queue.push(msg);
  await ready;
  if (highlighter) drain();
};
