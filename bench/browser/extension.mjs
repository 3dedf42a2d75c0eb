// scripts/bench-extension: the browser extension (target/extension, the
// test build of scripts/build-extension --test-hosts) in headless Debian
// Chromium, on fixture job pages served on 127.0.0.1 by this file. A
// benchmark, not a test: it measures and prints, and asserts nothing about
// time.
//
// What it measures:
//   cold:  a fresh profile each time: launch Chromium with the extension →
//          open a ~400-word post → the first mark[data-skillmark] (--cold launches)
//   warm, single-page app: with the engine warm (a post already processed),
//          the page inserts a new description element (performance.now()
//          recorded as it does) → the first mark in it, read by a
//          MutationObserver in the page (--runs insertions, posts alternating);
//          also when the content script starts its run (its panel says
//          "Reading the post…"), which shows its 500 ms debounce
//   warm, page load: a new tab with a post, engine warm → the first mark
//          (navigation start → mark; no debounce on a page load)
//   long tasks: a PerformanceObserver('longtask') the page registers in its
//          <head>, before the content script runs (document_idle); a control
//          load of the same page in a Chromium without the extension
//   size:  target/skillmark-extension.zip and the unpacked target/extension
//   memory: RSS and PSS (/proc/PID/smaps_rollup) of the extension's renderer
//          process (--extension-process: its service worker, the offscreen
//          document and the engine's two dedicated workers live there) before
//          any post and after all of them
//
// usage: node bench/browser/extension.mjs [--cold N] [--runs N] [--loads N] [--json FILE]
// Results: a markdown table on stdout, JSON in target/bench-browser/extension.json.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { rendererProcs } from "./procs.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const PW = [path.join(HERE, "node_modules/playwright-core/index.mjs"), path.join(ROOT, "tests/browser/node_modules/playwright-core/index.mjs")].find(fs.existsSync);
if (!PW) throw new Error("playwright-core missing: run scripts/setup-browser-tests");
const { chromium } = await import(pathToFileURL(PW).href);

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const EXT = path.join(ROOT, "target/extension");
const ZIP = path.join(ROOT, "target/skillmark-extension.zip");
const COLD = Number(arg("cold", 3)); // fresh-profile launches
const RUNS = Number(arg("runs", 9)); // single-page-app insertions, engine warm
const LOADS = Number(arg("loads", 7)); // page loads, engine warm
const JSON_OUT = arg("json", path.join(ROOT, "target/bench-browser/extension.json"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 300_000;
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

const log = (...a) => console.error("bench-extension:", ...a);
const median = (xs) => {
  const s = xs.filter((x) => x !== null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
const words = (t) => t.split(/\s+/).filter(Boolean).length;
const MB = (b) => b / 1e6;

// ------------------------------------------------------------------ posts
// Written for this benchmark (fictional employers), ~400 words each.

const DATA_POST = `Data Engineer – Customer Analytics
Brightwave Energy · Leeds or hybrid · Full time

About the team
Brightwave supplies renewable electricity to 800,000 homes. Our customer analytics team builds the data products that power billing forecasts, smart-meter insights and the customer app. We are hiring a data engineer to help us move from nightly batches to near real-time data.

What you will do
- Build and maintain data pipelines in Python and SQL that load smart-meter readings, billing records and app events into our data warehouse.
- Develop streaming jobs with Apache Kafka and Apache Spark to process half-hourly meter readings within minutes.
- Model data in BigQuery with dbt and keep tests and documentation up to date.
- Schedule and monitor workflows in Apache Airflow and respond to failed runs.
- Deploy services with Docker and Kubernetes on Google Cloud Platform, with infrastructure managed in Terraform.
- Write data quality checks and investigate anomalies together with analysts and data scientists.
- Help data scientists deploy churn and consumption forecasting models and track their accuracy.
- Translate questions from the billing and customer service teams into well-defined datasets and dashboards.
- Review pull requests, document your work and share knowledge with the wider engineering group.

What we are looking for
- Three or more years of experience as a data engineer or backend developer.
- Strong programming skills in Python and advanced SQL.
- Experience with a cloud data warehouse such as BigQuery, Snowflake or Redshift.
- Experience with stream processing or message queues, ideally Kafka.
- Understanding of data modelling, ETL processes and version control with Git.
- Awareness of data protection and the GDPR when handling personal data.
- Clear written and spoken communication and a collaborative attitude.

Nice to have
- Experience in the energy or utilities sector.
- Knowledge of time series analysis.
- Experience with Looker or another business intelligence tool.

What we offer
- A competitive salary, a pension with 8 % employer contribution and 28 days of holiday plus bank holidays.
- Hybrid working, with two days a week in our Leeds office.
- A learning budget, paid certifications and ten days a year for personal development.
- Green travel scheme, cycle to work scheme and an electric vehicle salary sacrifice.

We are committed to building a diverse team and encourage people from under-represented groups to apply.`;

const NURSE_POST = `Registered Nurse – Emergency Department
St. Aldhelm General Hospital · Full time, rotating shifts · Permanent contract

About the role
Our emergency department treats around 60,000 patients a year, from minor injuries to major trauma. We are looking for a registered nurse who stays calm under pressure, works well in a team and wants to keep learning. You will join a group of 45 nurses, 12 physicians and a dedicated team of healthcare assistants.

Your responsibilities
- Assess and triage patients on arrival using the Manchester Triage System and escalate deteriorating patients without delay.
- Monitor vital signs, interpret ECGs and recognise early warning signs of sepsis, stroke and cardiac events.
- Administer medication safely, including intravenous therapy, and keep accurate medication records.
- Provide wound care, apply dressings and splints, and assist physicians with procedures such as suturing and plaster casts.
- Take blood samples, insert cannulas and urinary catheters, and prepare patients for imaging.
- Support patients and their families with clear, compassionate communication, including in difficult situations.
- Document care in the electronic patient record and hand over patients accurately at the end of each shift.
- Follow infection prevention and control procedures and keep the resuscitation equipment ready for use.
- Take part in resuscitation as a member of the cardiac arrest team.
- Supervise and mentor nursing students and newly qualified nurses.

Your profile
- Registered nurse with a valid registration and at least two years of experience in acute or emergency care.
- Current Basic Life Support certification; Advanced Life Support or a trauma nursing course is an advantage.
- Knowledge of pharmacology and safe medication management.
- Good IT skills and experience with electronic health records.
- Excellent communication skills, empathy and the ability to work under pressure.
- Willingness to work day, night and weekend shifts.

What we offer
- Salary according to the collective agreement, with allowances for night and weekend work.
- 30 days of annual leave and a structured induction programme of six weeks.
- Funded further training, for example a specialist qualification in emergency nursing.
- Regular clinical supervision, team debriefs after critical incidents and an employee assistance programme.
- Subsidised meals, a staff gym and help with finding accommodation near the hospital.

We value diversity and welcome applications from everyone. Please send your CV and your registration certificate to our nursing recruitment team.`;

const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// A post's description as a board's markup: short lines without a full stop
// are headings, "- " lines list items, the rest paragraphs (its first line,
// the job title, is the page's <h1>).
function descriptionHtml(text, extra = "") {
  const lines = text.split("\n").slice(1).filter((l) => l.trim());
  let html = "";
  let list = false;
  for (const l of lines) {
    const item = l.startsWith("- ");
    if (item && !list) html += "<ul>";
    if (!item && list) html += "</ul>";
    list = item;
    if (item) html += `<li>${escape(l.slice(2))}</li>`;
    else if (l.length < 40 && !/[.!?]$/.test(l)) html += `<h3>${escape(l)}</h3>`;
    else html += `<p>${escape(l)}</p>`;
  }
  if (list) html += "</ul>";
  if (extra) html += `<p>${escape(extra)}</p>`;
  return html;
}

// Runs in the page's <head>, before the content script (document_idle):
// long tasks, the first mark of the current post, and when the panel first
// says "Reading the post…" (the content script's run started).
const PROBE = `<script>
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { window.__longtaskError = String(e); }
  window.__epoch = { inserted: 0, firstMark: null, runStart: null };
  let panelSeen = false;
  const watchPanel = (host) => {
    if (panelSeen || !host.shadowRoot) return;
    panelSeen = true;
    const check = () => {
      if (window.__epoch.runStart === null && /Reading the post/.test(host.shadowRoot.textContent)) window.__epoch.runStart = performance.now();
    };
    new MutationObserver(check).observe(host.shadowRoot, { childList: true, subtree: true, characterData: true });
    check();
  };
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.tagName === "SKILLMARK-PANEL") watchPanel(n);
        if (window.__epoch.firstMark === null && n.matches("mark[data-skillmark]")) window.__epoch.firstMark = performance.now();
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
  // The single-page app's "next job": a new description element replaces the old one.
  window.insertPost = (html) => {
    const d = document.createElement("div");
    d.id = "jobDescriptionText";
    d.innerHTML = html;
    window.__epoch = { inserted: performance.now(), firstMark: null, runStart: null };
    document.getElementById("jobDescriptionText").replaceWith(d);
  };
</script>`;

// A board page (Indeed's markup: #jobDescriptionText) with one post.
function page(text, extra = "") {
  const title = escape(text.split("\n")[0]);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${PROBE}
<style>body{font-family:sans-serif;margin:20px;max-width:60em} nav{background:#eee;padding:8px}</style></head>
<body><nav><a href="#">Jobs</a> · <a href="#">Companies</a> · <a href="#">Sign in</a></nav>
<h1>${title}</h1>
<div id="jobDescriptionText">${descriptionHtml(text, extra)}</div>
<button id="apply">Apply now</button>
</body></html>`;
}

const PAGES = {
  "/data.html": page(DATA_POST),
  "/nurse.html": page(NURSE_POST),
};

function startServer() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const body = PAGES[new URL(req.url, "http://x").pathname];
      res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(body || "not found");
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

// ----------------------------------------------------------- process memory

// Renderer processes of the Chromium this script launched: {pid, extension}.
const renderers = () => rendererProcs().map(({ pid, cmd }) => ({ pid, extension: cmd.includes("--extension-process") }));

// RSS, PSS and private (USS) memory of a process, bytes; peak RSS.
function memoryOf(pid) {
  const kb = (text, key) => Number((text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m")) || [])[1] || 0) * 1024;
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const roll = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return {
    pid,
    rss: kb(status, "VmRSS"),
    hwm: kb(status, "VmHWM"),
    pss: kb(roll, "Pss"),
    uss: kb(roll, "Private_Clean") + kb(roll, "Private_Dirty"),
  };
}

const extensionMemory = () => renderers().filter((r) => r.extension).map((r) => memoryOf(r.pid));
// "RSS MB" of the extension's renderer(s), with the pid where it changes.
let lastPids = "";
function memLabel() {
  const m = extensionMemory();
  const pids = m.map((x) => x.pid).join("+");
  const label = `${Math.round(MB(m.reduce((a, x) => a + x.rss, 0)))}${pids === lastPids ? "" : ` (pid ${pids})`}`;
  lastPids = pids;
  return label;
}

// ------------------------------------------------------------------ browser

function launch(userDataDir, withExtension = true) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...(withExtension ? [`--disable-extensions-except=${EXT}`, `--load-extension=${EXT}`] : [])],
    viewport: { width: 1280, height: 900 },
  });
}

const panelText = (p) => p.evaluate(() => document.querySelector("skillmark-panel")?.shadowRoot?.textContent || "");

// Waits for the current post's first mark, then for the whole run (its
// occupations in the panel: the engine is idle again).
async function waitForPost(p) {
  await p.waitForFunction(() => window.__epoch.firstMark !== null, null, { timeout: TIMEOUT });
  await p
    .waitForFunction(() => /Likely occupations/.test(document.querySelector("skillmark-panel")?.shadowRoot?.textContent || ""), null, { timeout: 120_000 })
    .catch(async () => log(`no occupations in the panel: ${(await panelText(p)).slice(0, 200)}`));
  return p.evaluate(() => ({ ...window.__epoch, timeOrigin: performance.timeOrigin, marks: document.querySelectorAll("mark[data-skillmark]").length }));
}

const longtasks = (p, from = 0) =>
  p.evaluate((t) => (window.__longtasks || []).filter((e) => e.start >= t && e.duration > 50), from);

// The engine's state in the offscreen document (EngineHost.status: its load ms).
async function engineStatus(context) {
  const sw = context.serviceWorkers()[0] || (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
  return sw.evaluate(() => chrome.runtime.sendMessage({ target: "offscreen", type: "status" })).catch((e) => ({ error: String(e) }));
}

let base;

async function coldStart(k) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skillmark-bench-ext-"));
  try {
    const t0 = Date.now();
    const context = await launch(dir);
    const launched = Date.now() - t0;
    const p = context.pages()[0] || (await context.newPage());
    await p.goto(`${base}/data.html?cold=${k}`);
    const e = await waitForPost(p);
    const status = await engineStatus(context);
    const tasks = await longtasks(p);
    await context.close();
    const r = {
      launchMs: launched,
      launchToMark: e.timeOrigin + e.firstMark - t0,
      navToMark: e.firstMark,
      navToRunStart: e.runStart,
      engineLoadMs: status?.result?.ms ?? null,
      marks: e.marks,
      longtasks: tasks,
    };
    log(`cold ${k}: launch → first mark ${r.launchToMark.toFixed(0)} ms (launch ${launched}, navigation → mark ${r.navToMark.toFixed(0)}, run started at ${r.navToRunStart?.toFixed(0)}, engine load ${r.engineLoadMs?.toFixed(0)} ms), ${r.marks} marks, long tasks ${tasks.map((t) => `${Math.round(t.duration)} ms at ${Math.round(t.start)}`).join(", ") || "none"}`);
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The offscreen document over CDP (a "background_page" target, reached from
// a page's session with Target.sendMessageToTarget): records the `ms` of the
// engine worker's "done" messages (one highlight, the worker's own clock), so
// the engine's share of the time to the first mark can be told apart from
// the messaging (content script → service worker → offscreen document →
// worker and back) and the marking. Null where that fails.
async function offscreenProbe(context) {
  try {
    const blank = context.pages().find((x) => x.url() === "about:blank") || (await context.newPage());
    const s = await context.newCDPSession(blank);
    const { targetInfos } = await s.send("Target.getTargets");
    const t = targetInfos.find((x) => x.url.endsWith("/offscreen.html"));
    if (!t) return null;
    const { sessionId } = await s.send("Target.attachToTarget", { targetId: t.targetId, flatten: false });
    let next = 1;
    const waiting = new Map();
    s.on("Target.receivedMessageFromTarget", (e) => {
      if (e.sessionId !== sessionId) return;
      const m = JSON.parse(e.message);
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.error) w.reject(new Error(m.error.message));
      else w.resolve(m.result);
    });
    const send = (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        s.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    const evaluate = async (expression) => {
      const r = await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) throw new Error(r.exceptionDetails.text);
      return r.result.value;
    };
    await evaluate(`globalThis.__done = []; host.worker.addEventListener("message", (e) => {
      const d = e.data;
      if (d && d.type === "done") __done.push({ ms: d.ms, workers: d.workers, segments: d.segments });
    }); true`);
    return { done: () => evaluate("__done.splice(0)") };
  } catch (e) {
    log(`offscreen document not reachable over CDP: ${e.message}`);
    return null;
  }
}

async function warmSession() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skillmark-bench-ext-"));
  const context = await launch(dir);
  try {
    await (context.serviceWorkers()[0] || context.waitForEvent("serviceworker", { timeout: 30_000 }));
    await new Promise((r) => setTimeout(r, 2000));
    const memBefore = extensionMemory();
    // The engine warms up on a first post.
    const p = await context.newPage();
    await p.goto(`${base}/data.html?spa`);
    await p.waitForFunction(() => window.__epoch.firstMark !== null, null, { timeout: TIMEOUT, polling: 20 });
    const memAtFirstMark = extensionMemory();
    const first = await waitForPost(p);
    log(`warm session: first post marked after ${first.firstMark.toFixed(0)} ms (engine loading)`);
    const probe = await offscreenProbe(context);
    const engineMs = async () => {
      if (!probe) return null;
      const d = await probe.done().catch(() => []);
      return d.length ? d.reduce((a, x) => a + x.ms, 0) : null; // a ~400-word post is one request
    };
    const spaStart = await p.evaluate(() => performance.now());
    lastPids = memBefore.map((x) => x.pid).join("+");
    const memSeries = [memLabel()]; // RSS, MB, after each post
    const insertions = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await p.waitForTimeout(300);
      const text = i % 2 ? DATA_POST : NURSE_POST;
      await p.evaluate((html) => window.insertPost(html), descriptionHtml(text, `Reference ${1000 + i}: posted ${i + 1} days ago.`));
      const e = await waitForPost(p);
      const r = { toMark: e.firstMark - e.inserted, toRunStart: e.runStart === null ? null : e.runStart - e.inserted, marks: e.marks };
      memSeries.push(memLabel());
      r.runStartToMark = r.toRunStart === null ? null : r.toMark - r.toRunStart;
      r.engineMs = await engineMs();
      if (i > 0) insertions.push(r); // the first insertion warms up
      log(`spa ${i ? i : "(warm-up)"}: inserted → first mark ${r.toMark.toFixed(0)} ms (run started after ${r.toRunStart?.toFixed(0)} ms; engine highlight ${r.engineMs?.toFixed(0)} ms; ${r.marks} marks)`);
    }
    const spaTasks = await longtasks(p, spaStart);
    const spaLoadTasks = await p.evaluate((t) => (window.__longtasks || []).filter((e) => e.start < t && e.duration > 50), spaStart);
    await p.close();
    const loads = [];
    for (let i = 0; i < LOADS; i++) {
      const q = await context.newPage();
      await q.goto(`${base}/${i % 2 ? "data" : "nurse"}.html?load=${i}`);
      const e = await waitForPost(q);
      const tasks = await longtasks(q);
      await q.close();
      loads.push({ navToMark: e.firstMark, navToRunStart: e.runStart, marks: e.marks, longtasks: tasks, engineMs: await engineMs() });
      memSeries.push(memLabel());
      log(`page load ${i + 1}: navigation → first mark ${e.firstMark.toFixed(0)} ms (run started at ${e.runStart?.toFixed(0)}), long tasks ${tasks.map((t) => `${Math.round(t.duration)} ms at ${Math.round(t.start)}`).join(", ") || "none"}`);
    }
    const memRightAfter = extensionMemory();
    await new Promise((r) => setTimeout(r, 10_000)); // idle: garbage collected meanwhile, or not
    const memAfter = extensionMemory();
    const allRenderers = renderers().map((r) => ({ ...memoryOf(r.pid), extension: r.extension }));
    const status = await engineStatus(context);
    log(`extension renderer RSS after each post, MB: ${memSeries.join(" ")}`);
    return { first, insertions, spaTasks, spaLoadTasks, loads, memBefore, memAtFirstMark, memRightAfter, memAfter, memSeries, allRenderers, status };
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The same page without the extension: the page's own long tasks.
async function control() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skillmark-bench-ext-"));
  const context = await launch(dir, false);
  try {
    const p = context.pages()[0] || (await context.newPage());
    await p.goto(`${base}/data.html?control`);
    await p.waitForTimeout(3000);
    await p.evaluate((html) => window.insertPost(html), descriptionHtml(NURSE_POST));
    await p.waitForTimeout(2000);
    return await longtasks(p);
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Compressed bytes per top-level folder of the zip (its central directory).
function zipParts(file) {
  const b = fs.readFileSync(file);
  let end = b.length - 22;
  while (end >= 0 && b.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) return null;
  const n = b.readUInt16LE(end + 10);
  let at = b.readUInt32LE(end + 16);
  const parts = {};
  for (let i = 0; i < n; i++) {
    const packed = b.readUInt32LE(at + 20);
    const nameLen = b.readUInt16LE(at + 28);
    const name = b.toString("utf8", at + 46, at + 46 + nameLen);
    const top = name.includes("/") ? name.split("/")[0] : "(top)";
    parts[top] = (parts[top] || 0) + packed;
    at += 46 + nameLen + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
  }
  return parts;
}

function sizes() {
  let unpacked = 0;
  const parts = {};
  const walk = (d, top) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f, top ?? e.name);
      else {
        const n = fs.statSync(f).size;
        unpacked += n;
        parts[top ?? "(top)"] = (parts[top ?? "(top)"] || 0) + n;
      }
    }
  };
  walk(EXT, null);
  const zip = fs.existsSync(ZIP) ? fs.statSync(ZIP).size : null;
  return { zip, unpacked, parts, zipParts: zip === null ? null : zipParts(ZIP) };
}

// ------------------------------------------------------------------ main

const fmt = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? "—" : x.toFixed(d));
const taskSummary = (tasks) => ({
  count: tasks.length,
  maxMs: tasks.length ? Math.max(...tasks.map((t) => t.duration)) : 0,
  all: tasks.map((t) => ({ ms: Math.round(t.duration), at: Math.round(t.start) })),
});

async function main() {
  if (!fs.existsSync(path.join(EXT, "manifest.json"))) throw new Error("target/extension missing: run scripts/build-extension --no-site --test-hosts");
  const manifest = JSON.parse(fs.readFileSync(path.join(EXT, "manifest.json"), "utf8"));
  if (!manifest.version_name?.endsWith("-test")) throw new Error("target/extension is not the --test-hosts build (it must run on 127.0.0.1)");
  const size = sizes();
  log(`posts: ${words(DATA_POST)} and ${words(NURSE_POST)} words; ${COLD} cold launches, ${RUNS} insertions, ${LOADS} page loads`);
  const load0 = loadavg();
  const server = await startServer();
  base = `http://127.0.0.1:${server.address().port}`;
  let cold = [];
  let warm;
  let ctl;
  try {
    for (let k = 1; k <= COLD; k++) cold.push(await coldStart(k));
    warm = await warmSession();
    ctl = await control();
  } finally {
    server.close();
  }
  const load1 = loadavg();
  const sum = (ms) => ms.reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss, uss: a.uss + m.uss, hwm: Math.max(a.hwm, m.hwm) }), { rss: 0, pss: 0, uss: 0, hwm: 0 });
  const memBefore = sum(warm.memBefore);
  const memAfter = sum(warm.memAfter);
  const coldTasks = taskSummary(cold.flatMap((c) => c.longtasks));
  const spaTasks = taskSummary(warm.spaTasks);
  const loadTasks = taskSummary(warm.loads.flatMap((l) => l.longtasks));
  const ctlTasks = taskSummary(ctl);
  const r = {
    date: new Date().toISOString().slice(0, 10),
    chromium: (() => {
      try {
        return execFileSync(CHROMIUM, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      } catch {
        return null;
      }
    })(),
    cores: os.cpus().length,
    loadavgBefore: load0,
    loadavgAfter: load1,
    postWords: [words(DATA_POST), words(NURSE_POST)],
    cold: {
      launches: cold.length,
      launchToMarkMs: median(cold.map((c) => c.launchToMark)),
      navToMarkMs: median(cold.map((c) => c.navToMark)),
      engineLoadMs: median(cold.map((c) => c.engineLoadMs)),
      all: cold.map((c) => ({ launchToMark: Math.round(c.launchToMark), launch: c.launchMs, navToMark: Math.round(c.navToMark), engineLoad: c.engineLoadMs && Math.round(c.engineLoadMs), marks: c.marks })),
    },
    spa: {
      runs: warm.insertions.length,
      insertToMarkMs: median(warm.insertions.map((x) => x.toMark)),
      insertToMarkMin: Math.min(...warm.insertions.map((x) => x.toMark)),
      insertToMarkMax: Math.max(...warm.insertions.map((x) => x.toMark)),
      insertToRunStartMs: median(warm.insertions.map((x) => x.toRunStart)),
      runStartToMarkMs: median(warm.insertions.map((x) => x.runStartToMark)),
      engineMs: median(warm.insertions.map((x) => x.engineMs)),
      all: warm.insertions.map((x) => ({ toMark: Math.round(x.toMark), toRunStart: x.toRunStart && Math.round(x.toRunStart), engineMs: x.engineMs && Math.round(x.engineMs), marks: x.marks })),
    },
    pageLoad: {
      loads: warm.loads.length,
      navToMarkMs: median(warm.loads.map((l) => l.navToMark)),
      navToRunStartMs: median(warm.loads.map((l) => l.navToRunStart)),
      engineMs: median(warm.loads.map((l) => l.engineMs)),
      all: warm.loads.map((l) => Math.round(l.navToMark)),
    },
    longtasks: { cold: coldTasks, spa: spaTasks, spaPageLoad: taskSummary(warm.spaLoadTasks), pageLoads: loadTasks, controlWithoutExtension: ctlTasks },
    size: { zipBytes: size.zip, unpackedBytes: size.unpacked, parts: size.parts, zipParts: size.zipParts },
    memory: {
      what: "renderer processes with --extension-process (service worker + offscreen document + the engine's two dedicated workers); hwm is VmHWM, which Chromium resets now and then (clear_refs), so not a true peak",
      processesBefore: warm.memBefore.length,
      processesAfter: warm.memAfter.length,
      before: memBefore,
      atFirstMark: sum(warm.memAtFirstMark),
      rightAfterLastPost: sum(warm.memRightAfter),
      rssAfterEachPostMB: warm.memSeries,
      after: memAfter,
      afterProcesses: warm.memAfter,
      allRenderersAfter: warm.allRenderers,
    },
    engineStatus: warm.status,
  };
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(JSON_OUT, JSON.stringify(r, null, 2));
  const holds = (ok) => (ok ? "yes" : "**no**");
  const worstTask = Math.max(coldTasks.maxMs, spaTasks.maxMs, loadTasks.maxMs);
  console.log(`
Browser extension (${r.date}, ${r.chromium}, ${r.cores} cores, load average ${load0} → ${load1}); posts of ${r.postWords.join(" and ")} words

| measure | value | target | holds |
|---|---|---|---|
| warm, single-page app: description inserted → first mark, median of ${r.spa.runs} | ${fmt(r.spa.insertToMarkMs)} ms (${fmt(r.spa.insertToMarkMin)}–${fmt(r.spa.insertToMarkMax)}) | ≤ 300 ms | ${holds(r.spa.insertToMarkMs <= 300)} |
| … of which inserted → the content script's run starts (its debounce) | ${fmt(r.spa.insertToRunStartMs)} ms | | |
| … and run start → first mark (engine round trip + marking) | ${fmt(r.spa.runStartToMarkMs)} ms | | |
| … of which the engine worker's highlight (its \`done\`.ms) | ${fmt(r.spa.engineMs)} ms | | |
| warm, new tab: navigation start → first mark, median of ${r.pageLoad.loads} (run starts at ${fmt(r.pageLoad.navToRunStartMs)}; engine ${fmt(r.pageLoad.engineMs)} ms) | ${fmt(r.pageLoad.navToMarkMs)} ms | | |
| cold: browser launch → page → first mark, median of ${r.cold.launches} launches | ${fmt(r.cold.launchToMarkMs)} ms (${r.cold.all.map((c) => c.launchToMark).join(", ")}) | ≤ 2 s | ${holds(r.cold.launchToMarkMs <= 2000)} |
| … navigation start → first mark; engine load in the offscreen document | ${fmt(r.cold.navToMarkMs)} ms; ${fmt(r.cold.engineLoadMs)} ms | | |
| long tasks on the page (> 50 ms): cold loads · SPA insertions · warm tab loads | max ${fmt(coldTasks.maxMs)} (${coldTasks.count}) · ${fmt(spaTasks.maxMs)} (${spaTasks.count}) · ${fmt(loadTasks.maxMs)} (${loadTasks.count}) ms (count) | none > 50 ms | ${holds(worstTask <= 50)} |
| … the same page without the extension (control) | max ${fmt(ctlTasks.maxMs)} ms (${ctlTasks.count}) | | |
| package: zip (target/skillmark-extension.zip) · unpacked | ${fmt(MB(size.zip ?? NaN), 2)} MB · ${fmt(MB(size.unpacked), 2)} MB | ≤ 20 MB | ${holds(size.zip !== null && size.zip <= 20e6)} (zip) |
| memory: extension renderer (${r.memory.processesAfter} process), ${1 + r.spa.runs + 1 + r.pageLoad.loads} posts then 10 s idle, RSS · PSS · private | ${fmt(MB(memAfter.rss))} · ${fmt(MB(memAfter.pss))} · ${fmt(MB(memAfter.uss))} MB | ≤ 200 MB | ${holds(memAfter.rss - memBefore.rss <= 200e6)} (RSS growth ${fmt(MB(memAfter.rss - memBefore.rss))}) |
| … right after the last post | ${fmt(MB(r.memory.rightAfterLastPost.rss))} · ${fmt(MB(r.memory.rightAfterLastPost.pss))} · ${fmt(MB(r.memory.rightAfterLastPost.uss))} MB | | |
| … the same before any post (service worker only) | ${fmt(MB(memBefore.rss))} · ${fmt(MB(memBefore.pss))} · ${fmt(MB(memBefore.uss))} MB | | |

unpacked by folder: ${Object.entries(size.parts).map(([k, v]) => `${k} ${MB(v).toFixed(2)} MB`).join(", ")}
zip by folder (compressed): ${Object.entries(size.zipParts || {}).map(([k, v]) => `${k} ${MB(v).toFixed(2)} MB`).join(", ")}
extension renderer RSS after each post, MB: ${r.memory.rssAfterEachPostMB.join(" ")}
extension renderer at the first post's first mark (before its occupations request loads the tagger into the inference worker too): RSS ${fmt(MB(r.memory.atFirstMark.rss))} · PSS ${fmt(MB(r.memory.atFirstMark.pss))} · private ${fmt(MB(r.memory.atFirstMark.uss))} MB
JSON: ${path.relative(ROOT, JSON_OUT)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
