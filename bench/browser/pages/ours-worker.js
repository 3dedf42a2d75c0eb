// scripts/bench-browser: our engine (the site's wasm, dist/engine/) in a
// worker, with an encode-only API so it can be timed like for like with
// transformers.js. Assets come from the site's dist/assets/, as the real
// worker loads them (but without the Cache API).
import init, { Highlighter } from "/site/engine/skillmark_wasm.js";

// The build the site's worker picks in this browser (relaxed SIMD where it validates).
const RELAXED_SIMD = WebAssembly.validate(
  new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]),
);
const ENGINE = `/site/engine/${RELAXED_SIMD ? "skillmark_wasm_relaxed_bg.wasm" : "skillmark_wasm_bg.wasm"}`;
const NEEDED = ["encoder.gguf", "tokenizer.json", "skills.index", "esco.bin", "tagger.gguf"];
let wasm;
let h;

async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function load() {
  const t0 = performance.now();
  const manifestBytes = await bytes("/site/assets/manifest.json");
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  const names = NEEDED.filter((n) => manifest.files[n]);
  const [exports, ...parts] = await Promise.all([init({ module_or_path: ENGINE }), ...names.map((n) => bytes(`/site/assets/${n}`))]);
  wasm = exports;
  const files = Object.fromEntries(names.map((n, i) => [n, parts[i]]));
  const t1 = performance.now();
  h = new Highlighter(manifestBytes, files);
  const t2 = performance.now();
  return { fetchMs: t1 - t0, buildMs: t2 - t1, defaults: h.defaultOptions(), wasmMemory: wasm.memory.buffer.byteLength, kernel: h.kernel() };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(f, reps) {
  const ms = [];
  let out;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    out = f();
    ms.push(performance.now() - t);
  }
  return { ms, out };
}

const handlers = {
  // Encode only: tokenize + encoder + mean pool + normalise, one call per rep.
  embed({ texts, reps = 1, vectors = false }) {
    const { ms, out } = time(() => h.embed(texts), reps);
    const dim = h.dim();
    const rows = vectors ? texts.map((_, i) => Array.from(out.subarray(i * dim, (i + 1) * dim))) : null;
    return { ms, rows };
  },
  // Where the time of one full highlight goes, measured from JS: the same
  // post highlighted whole, its sentences encoded alone, its span texts
  // encoded alone (the linker's extra encoder pass), and the JS-object
  // conversion of the result (estimated by converting it again).
  profile({ text, options, reps = 5 }) {
    const seg = time(() => h.segments(text), reps);
    const segments = seg.out;
    const enc = new TextEncoder();
    const bytes = enc.encode(text);
    const dec = new TextDecoder();
    const sentences = segments.map((s) => dec.decode(bytes.subarray(s.start, s.end)));
    const full = time(() => h.highlight(text, options), reps);
    const spanTexts = full.out.spans.filter((s) => s.kind !== "implicit").map((s) => s.text);
    const encode = time(() => h.embed(sentences), reps);
    const spanEncode = time(() => (spanTexts.length ? h.embed(spanTexts) : null), reps);
    const clone = time(() => structuredClone(full.out), reps);
    return {
      segments: segments.length,
      spans: full.out.spans.length,
      spanTexts: spanTexts.length,
      segmentsMs: median(seg.ms),
      highlightMs: median(full.ms),
      encodeSentencesMs: median(encode.ms),
      encodeSpanTextsMs: median(spanEncode.ms),
      structuredCloneMs: median(clone.ms),
    };
  },
  highlight({ text, options, reps = 1 }) {
    const { ms, out } = time(() => h.highlight(text, options), reps);
    return { ms, spans: out.spans.length, skills: out.skills.length };
  },
  memory() {
    return { wasmMemory: wasm.memory.buffer.byteLength };
  },
};

const ready = load().then(
  (info) => self.postMessage({ type: "ready", ...info }),
  (err) => self.postMessage({ type: "error", message: String(err?.message || err) }),
);

self.onmessage = async ({ data }) => {
  await ready;
  try {
    self.postMessage({ type: "reply", id: data.id, ...handlers[data.type](data) });
  } catch (err) {
    self.postMessage({ type: "error", id: data.id, message: String(err?.message || err) });
  }
};
