// scripts/bench-compare: the site's résumé comparison in headless Debian
// Chromium, as a user runs it. A benchmark, not a test: it measures and
// prints, and asserts nothing about time.
//
// The real app (dist/, scripts/build-site) is served by scripts/serve-site on
// 127.0.0.1. For each of --loads fresh browser contexts: page load → ready,
// the job post below pasted into #editor and highlighted, the résumé below
// pasted into #resume, then
//   - the first comparison (its worker fetches occupations.bin/.index and
//     loads the span tagger into itself before comparing), and
//   - --runs more comparisons of the same texts (warm).
// Each comparison is timed twice:
//   worker: `ms` of the worker's {type:"compared"} message (Highlighter.compare
//           alone: no loading, no messaging, no rendering);
//   wall:   click on #compare → the result in the DOM (#compare-status's
//           data-runs counts up), read by a MutationObserver in the page; and
//           → the next frame (requestAnimationFrame + a task).
// The worker's messages are read by wrapping the page's Worker constructor
// (an init script): the app's own handler still gets every message.
//
// usage: node bench/browser/compare.mjs [--dist DIR] [--loads N] [--runs N] [--json FILE]
// Results: a markdown table on stdout, JSON in target/bench-browser/compare.json.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { renderers } from "./procs.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
// playwright-core: the browser tests' copy (scripts/setup-browser-tests) or this folder's.
const PW = [path.join(HERE, "node_modules/playwright-core/index.mjs"), path.join(ROOT, "tests/browser/node_modules/playwright-core/index.mjs")].find(fs.existsSync);
if (!PW) throw new Error("playwright-core missing: run scripts/setup-browser-tests");
const { chromium } = await import(pathToFileURL(PW).href);

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const DIST = path.resolve(arg("dist", path.join(ROOT, "dist")));
const LOADS = Number(arg("loads", 3)); // fresh contexts: one first comparison each
const RUNS = Number(arg("runs", 7)); // warm comparisons per context
const JSON_OUT = arg("json", path.join(ROOT, "target/bench-browser/compare.json"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 300_000;

const log = (...a) => console.error("bench-compare:", ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
const words = (t) => t.split(/\s+/).filter(Boolean).length;

// ------------------------------------------------------------------ texts
// Written for this benchmark (fictional company and person): a
// data-engineering post (662 words) and a matching two-page résumé (843 words) with
// dated roles, education, certifications and skills.

export const JOB = `Senior Data Engineer (m/f/d) – Logistics Analytics Platform
Hamburg or remote within Germany · Full time · Permanent

About us
Nordhafen Logistics moves more than two million parcels a week across Northern Europe. Our analytics platform turns scanner events, route plans and warehouse data into the numbers our planners, drivers and customers rely on every morning. We are a team of twelve engineers, analysts and data scientists, and we are looking for a senior data engineer who enjoys building reliable systems and helping colleagues grow.

What you will do
- Design, build and maintain batch and streaming data pipelines in Python and SQL that ingest about 400 million events a day.
- Operate and extend our Apache Kafka streams and the Apache Spark jobs that aggregate them into our Snowflake data warehouse.
- Model data for analytics with dbt: dimensional models, tests, documentation and clear ownership of every table.
- Orchestrate workflows with Apache Airflow and keep them observable with metrics, logs and alerting.
- Run our infrastructure on AWS (S3, EMR, Lambda, IAM) and describe it as code with Terraform.
- Package services with Docker and deploy them to Kubernetes through GitLab CI/CD pipelines.
- Own data quality: write validation checks, investigate incidents and fix root causes instead of symptoms.
- Work closely with data scientists to bring demand forecasting models into production and monitor their performance.
- Translate business requirements from operations and finance into technical specifications and realistic plans.
- Review code, mentor two junior engineers and share knowledge in internal workshops.
- Take part in the on-call rotation, about one week in eight, with a clear escalation policy.

What you bring
- A degree in computer science, mathematics, engineering or a related field, or equivalent practical experience.
- At least five years of professional experience in data engineering or backend software development.
- Excellent Python and SQL skills, including query optimisation on large datasets.
- Hands-on experience with Apache Spark and a message broker such as Kafka or RabbitMQ.
- Experience with cloud platforms, ideally AWS, and with infrastructure as code.
- A solid understanding of data modelling, data warehousing and ETL/ELT patterns.
- Familiarity with containerisation and container orchestration (Docker, Kubernetes).
- Knowledge of data protection rules such as the GDPR and how they affect data retention and access control.
- Strong communication skills in English; you can explain technical trade-offs to non-technical stakeholders.
- A structured, careful way of working, attention to detail and the ability to prioritise under pressure.

Nice to have
- Experience with stream processing frameworks such as Apache Flink or Kafka Streams.
- Knowledge of machine learning operations (MLOps), feature stores or model serving.
- Experience with geospatial data, route optimisation or logistics.
- German language skills at B1 level or above.
- Contributions to open-source projects.

How we work
We work in cross-functional teams with two-week sprints, short daily stand-ups and regular retrospectives. Decisions are written down in design documents that anyone can comment on. We pair program on tricky problems, we budget time for refactoring and documentation, and we measure ourselves by how reliable the data is, not by how many tickets we close. Most of the team works remotely, and we meet in the Hamburg office for a planning week every quarter.

What we offer
- A salary between 78,000 and 92,000 EUR a year, depending on experience, plus a yearly bonus.
- 30 days of paid holiday, flexible working hours and the option to work from another EU country for up to eight weeks a year.
- A personal training budget of 2,000 EUR a year for conferences, courses and certifications.
- A company pension scheme, a public transport ticket and a modern laptop of your choice.

Apply
Send us your CV and a short note on a data system you built and what you would do differently today. We answer every application within ten working days. We welcome applications from people of all backgrounds, ages and abilities.`;

export const RESUME = `Katrin Hollander
Data Engineer
Lübeck, Germany · katrin.hollander@example.org · +49 151 0000 0000 · linkedin.com/in/khollander-example

Profile
Data engineer with seven years of experience building batch and streaming data platforms for retail and transport companies. I design pipelines in Python and SQL, run Apache Spark and Kafka in production on AWS, and care about data quality, clear documentation and teams that can rely on their numbers. I enjoy mentoring junior colleagues and explaining technical trade-offs to business stakeholders.

Experience

Data Engineer, Baltic Freight Systems GmbH, Lübeck
March 2021 – present
- Built and operate the company's event pipeline: Kafka topics fed by 3,000 scanners and vehicle trackers, processed by Spark Structured Streaming on Amazon EMR and landed in S3 and Snowflake (about 150 million events a day).
- Migrated 60 nightly cron jobs to Apache Airflow, with retries, service level agreements and alerting in Slack; failed runs dropped from about ten a week to one a month.
- Introduced dbt for the warehouse layer: 180 models, automated tests on every merge request and generated documentation used by the analysts.
- Wrote the Terraform modules for our data infrastructure on AWS (S3, EMR, Glue, Lambda, IAM roles) and reviewed changes from three other teams.
- Containerised our Python services with Docker and moved them to Kubernetes (Amazon EKS), deployed through GitLab CI/CD.
- Worked with two data scientists to put a delivery-time prediction model into production, including feature pipelines, batch scoring and drift monitoring.
- Led the GDPR review of our data flows: retention rules, pseudonymisation of driver data and access control in Snowflake.
- Mentor two junior data engineers; I organise a monthly internal workshop on SQL performance tuning.
- Reduced the monthly AWS bill of the data platform by 30 % by moving cold data to S3 Glacier and right-sizing the EMR clusters.
- Take part in the on-call rotation for the data platform.

Data Engineer, Hanse Retail Group, Hamburg
September 2018 – February 2021
- Designed the sales data warehouse on PostgreSQL and later Amazon Redshift, with a dimensional model of stores, products, promotions and customers.
- Developed ETL jobs in Python (pandas, SQLAlchemy) and SQL that loaded point-of-sale data from 240 stores every night.
- Rewrote the slowest reporting queries, cutting the runtime of the weekly margin report from three hours to twelve minutes.
- Built data validation checks with Great Expectations and a small dashboard that showed the freshness of every source.
- Gathered requirements from the finance and merchandising teams and turned them into technical specifications and estimates.
- Automated the monthly inventory reconciliation between the warehouse system and the accounting system, saving the finance team two working days a month.
- Introduced code review and unit testing with pytest for the team's pipelines.

Junior Software Developer, Nordlicht Software GmbH, Kiel
August 2016 – August 2018
- Developed backend services in Java and Python for a warehouse management product used by mid-sized logistics companies.
- Wrote REST APIs, database migrations and integration tests; worked in Scrum with two-week sprints.
- Maintained the Jenkins build pipeline and introduced Docker images for local development.
- Supported customers during go-live and analysed production incidents together with the support team.

Working Student, Data Analytics, Stadtwerke Kiel
April 2015 – July 2016
- Prepared energy consumption data for reports in SQL and Excel and automated recurring reports with Python scripts.
- Built a first prototype of a load forecasting model with scikit-learn.

Education

M.Sc. Computer Science, Kiel University
October 2014 – July 2016
Focus on databases and distributed systems. Thesis: "Incremental view maintenance for streaming aggregates in Apache Flink", grade 1.3.

B.Sc. Business Informatics, Lübeck University of Applied Sciences
October 2011 – September 2014
Courses in statistics, operations research, software engineering and accounting. Thesis on demand forecasting for a regional bakery chain.

Certifications
- AWS Certified Data Analytics – Specialty (2022)
- Databricks Certified Associate Developer for Apache Spark (2021)
- Professional Scrum Master I (2019)

Skills
Programming: Python, SQL, Java, Bash; some Scala.
Data processing: Apache Spark, Spark Structured Streaming, Apache Kafka, Apache Flink (university), pandas.
Warehousing and modelling: Snowflake, Amazon Redshift, PostgreSQL, dbt, dimensional modelling, data vault basics.
Orchestration and quality: Apache Airflow, Great Expectations, data quality monitoring, data lineage.
Cloud and infrastructure: AWS (S3, EMR, Glue, Lambda, IAM, EKS), Terraform, Docker, Kubernetes, GitLab CI/CD, Jenkins.
Machine learning: feature engineering, model deployment and monitoring, scikit-learn.
Methods: Scrum, code review, test-driven development, technical documentation, requirements analysis.
Data protection: GDPR, pseudonymisation, role-based access control.
Soft skills: mentoring, communication with non-technical stakeholders, workshop facilitation, prioritisation, problem solving.

Languages
German (native), English (fluent, C1; daily working language since 2018), Danish (basic, A2).

Projects and Community
- Co-organiser of the Lübeck Data Engineering Meetup since 2019 (about 40 attendees a month); talks on Airflow testing and Kafka consumer lag.
- Contributor to an open-source Airflow provider package: fixes to the Snowflake operator and its documentation.
- Volunteer teacher at a weekend coding school for teenagers, teaching Python basics and data visualisation.

Interests
Sailing on the Baltic Sea, long-distance cycling, and board games with far too many rules.`;

// ----------------------------------------------------------- process CPU

const rss = (pid) => Number((fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m) || [])[1] || 0) * 1024;

// CPU time (user + system) of a process and its threads (the page's workers), ms.
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ = 100
}

// ------------------------------------------------------------------ server

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn("python3", [path.join(ROOT, "scripts/serve-site"), "--port", "0", "--dir", DIST], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    p.on("error", reject);
    p.stdout.once("data", (d) => resolve({ proc: p, url: d.toString().trim() }));
  });
}

// ------------------------------------------------------------------ page

// Runs in the page before its scripts: keeps every {type:"compared"} message
// of the app's worker, with the time it arrived.
function recordWorkerMessages() {
  const Native = window.Worker;
  window.__compared = [];
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const d = e.data;
        if (d && d.type === "compared") window.__compared.push({ at: performance.now(), ms: d.ms, id: d.id });
      });
    }
  };
}

// Clicks Compare and resolves when the result is in the DOM, with the times.
function compareOnce() {
  const status = document.querySelector("#compare-status");
  const runs0 = Number(status.dataset.runs);
  const seen = window.__compared.length;
  return new Promise((resolve, reject) => {
    let t0;
    const obs = new MutationObserver(() => {
      const err = document.querySelector("#compare-error");
      if (err) {
        obs.disconnect();
        reject(new Error(`compare failed: ${err.textContent}`));
        return;
      }
      if (Number(status.dataset.runs) <= runs0) return;
      const dom = performance.now() - t0;
      obs.disconnect();
      requestAnimationFrame(() =>
        setTimeout(() => {
          const msg = window.__compared[seen];
          const score = document.querySelector("#compare-score")?.dataset.score;
          resolve({
            dom,
            frame: performance.now() - t0,
            message: msg ? msg.at - t0 : null,
            worker: msg ? msg.ms : null,
            shown: status.textContent.trim(),
            score: score === undefined ? null : Number(score),
            matched: document.querySelectorAll("#compare-matched li.cmp-skill").length,
            missing: document.querySelectorAll("#compare-missing li.cmp-skill").length,
            extra: document.querySelectorAll("#compare-extra li.cmp-skill").length,
          });
        }, 0),
      );
    });
    obs.observe(document.body, { attributes: true, childList: true, subtree: true, characterData: true });
    t0 = performance.now();
    document.querySelector("#compare").click();
  });
}

async function highlightPost(page) {
  const runs = Number(await page.getAttribute("#run-status", "data-runs"));
  await page.fill("#editor", JOB);
  await page.click("#highlight");
  await page.waitForFunction(
    (n) => Number(document.querySelector("#run-status").dataset.runs) > n && /sentences in/.test(document.querySelector("#run-status").textContent),
    runs,
    { timeout: TIMEOUT },
  );
}

async function oneLoad(browser, base, i) {
  const before = new Set(renderers());
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  await context.addInitScript(recordWorkerMessages);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(base);
  await page.waitForSelector("[data-ready]", { timeout: TIMEOUT });
  const ready = Date.now() - t0;
  await highlightPost(page);
  const workers = await page.getAttribute("#run-status", "data-workers");
  await page.fill("#resume", RESUME);
  await page.waitForTimeout(300);
  // This context's renderer (the page and its workers): the biggest new one.
  const pid = renderers().filter((p) => !before.has(p)).sort((a, b) => rss(b) - rss(a))[0];
  const first = await page.evaluate(compareOnce);
  log(`load ${i + 1}: ready ${ready} ms; first compare: worker ${first.worker?.toFixed(0)} ms, click → result ${first.dom.toFixed(0)} ms (${first.shown})`);
  const warm = [];
  let cpu = 0;
  for (let r = 0; r < RUNS; r++) {
    await page.waitForTimeout(200);
    const c0 = cpuMs(pid);
    const w = await page.evaluate(compareOnce);
    cpu += cpuMs(pid) - c0;
    warm.push(w);
  }
  log(`load ${i + 1}: warm compares, worker ms ${warm.map((w) => w.worker.toFixed(0)).join(" ")}; click → result ms ${warm.map((w) => w.dom.toFixed(0)).join(" ")}`);
  await context.close();
  return { ready, workers, first, warm, cpuPerWarm: RUNS ? cpu / RUNS : null, errors };
}

// Where a comparison's time goes: the same engine build the worker runs
// (relaxed SIMD), on a page's main thread of the site's origin, all bundle
// files loaded at once; each call timed alone (median of 3). Highlighter.compare
// highlights both texts itself (plus list items), embeds the post for its
// occupations and matches the skills.
async function breakdown(browser, base) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(new URL("assets/manifest.json", base).href);
  const out = await page.evaluate(
    async ([job, resume]) => {
      const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
      const manifestBytes = await get("/assets/manifest.json");
      const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
      const files = {};
      for (const n of Object.keys(manifest.files)) files[n] = await get(`/assets/${n}`);
      const glue = await import("/engine/skillmark_wasm.js");
      await glue.default({ module_or_path: "/engine/skillmark_wasm_relaxed_bg.wasm" });
      const h = new glue.Highlighter(manifestBytes, files);
      const opts = h.defaultOptions();
      const currentYear = new Date().getFullYear();
      const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const time = (f) => {
        const xs = [];
        for (let i = 0; i < 4; i++) {
          const t0 = performance.now();
          f();
          if (i) xs.push(performance.now() - t0); // the first call warms up
        }
        return med(xs);
      };
      return {
        kernel: h.kernel(),
        highlightJob: time(() => h.highlight(job, opts)),
        highlightResume: time(() => h.highlight(resume, opts)),
        occupationsJob: time(() => h.occupations([job], {})),
        compare: time(() => h.compare(job, resume, { currentYear })),
      };
    },
    [JOB, RESUME],
  );
  await context.close();
  return out;
}

// ------------------------------------------------------------------ main

const fmt = (x) => (x === null || Number.isNaN(x) ? "—" : Math.round(x).toString());

async function main() {
  if (!fs.existsSync(path.join(DIST, "index.html"))) throw new Error(`${DIST}/index.html missing: run scripts/build-site`);
  log(`job post ${words(JOB)} words, résumé ${words(RESUME)} words; ${LOADS} loads × (1 first + ${RUNS} warm) compares`);
  const load0 = loadavg();
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  const version = browser.version();
  const loads = [];
  let parts = null;
  try {
    for (let i = 0; i < LOADS; i++) loads.push(await oneLoad(browser, server.url, i));
    log("breakdown: the engine on a page's main thread");
    parts = await breakdown(browser, server.url);
  } finally {
    await browser.close();
    server.proc.kill();
  }
  const load1 = loadavg();
  const firsts = loads.map((l) => l.first);
  const warms = loads.flatMap((l) => l.warm);
  const pick = (xs, k) => xs.map((x) => x[k]);
  const r = {
    date: new Date().toISOString().slice(0, 10),
    chromium: version,
    cores: os.cpus().length,
    loadavgBefore: load0,
    loadavgAfter: load1,
    jobWords: words(JOB),
    resumeWords: words(RESUME),
    loads: LOADS,
    warmRuns: warms.length,
    workers: loads[0]?.workers ?? null,
    readyMs: median(loads.map((l) => l.ready)),
    first: {
      workerMs: median(pick(firsts, "worker")),
      messageMs: median(pick(firsts, "message")),
      domMs: median(pick(firsts, "dom")),
      frameMs: median(pick(firsts, "frame")),
      all: firsts.map((f) => ({ worker: Math.round(f.worker), message: Math.round(f.message), dom: Math.round(f.dom), frame: Math.round(f.frame) })),
    },
    warm: {
      workerMs: median(pick(warms, "worker")),
      messageMs: median(pick(warms, "message")),
      domMs: median(pick(warms, "dom")),
      frameMs: median(pick(warms, "frame")),
      domMin: Math.min(...pick(warms, "dom")),
      domMax: Math.max(...pick(warms, "dom")),
      perLoadDomMedian: loads.map((l) => Math.round(median(pick(l.warm, "dom")))),
      cpuMsPerCompare: median(loads.map((l) => l.cpuPerWarm)),
      all: warms.map((w) => ({ worker: Math.round(w.worker), dom: Math.round(w.dom) })),
    },
    result: { score: warms.at(-1)?.score, matched: warms.at(-1)?.matched, missing: warms.at(-1)?.missing, extra: warms.at(-1)?.extra, shown: warms.at(-1)?.shown },
    breakdown: parts,
    pageErrors: loads.flatMap((l) => l.errors),
  };
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(JSON_OUT, JSON.stringify(r, null, 2));
  const target = r.warm.domMs <= 400 ? "met" : "not met";
  console.log(`
Résumé comparison in the browser (${r.date}, Chromium ${version}, ${r.cores} cores, load average ${load0} → ${load1})
Job post ${r.jobWords} words, résumé ${r.resumeWords} words; ${LOADS} page loads, ${r.warmRuns} warm compares; app workers: ${r.workers ?? "?"}

| measure | worker (\`compared\`.ms) | click → message | click → result in DOM | click → next frame |
|---|---|---|---|---|
| first compare (loads tagger + occupations), median of ${LOADS} | ${fmt(r.first.workerMs)} | ${fmt(r.first.messageMs)} | ${fmt(r.first.domMs)} | ${fmt(r.first.frameMs)} |
| warm compare, median of ${r.warmRuns} | ${fmt(r.warm.workerMs)} | ${fmt(r.warm.messageMs)} | ${fmt(r.warm.domMs)} (${fmt(r.warm.domMin)}–${fmt(r.warm.domMax)}) | ${fmt(r.warm.frameMs)} |

page load → ready: ${fmt(r.readyMs)} ms (median); renderer CPU per warm compare: ${fmt(r.warm.cpuMsPerCompare)} ms
first compares (worker/dom ms): ${r.first.all.map((f) => `${f.worker}/${f.dom}`).join(", ")}
where the time goes (engine on a page's main thread, ${parts.kernel}, median of 3 calls each): compare ${fmt(parts.compare)} ms; highlight(job) ${fmt(parts.highlightJob)} ms, highlight(résumé) ${fmt(parts.highlightResume)} ms, occupations(job) ${fmt(parts.occupationsJob)} ms
result: score ${r.result.score?.toFixed(3)}, ${r.result.matched} matched, ${r.result.missing} missing, ${r.result.extra} extra ("${r.result.shown}")
target ≤ 400 ms after load (warm, click → result): ${target}
JSON: ${path.relative(ROOT, JSON_OUT)}`);
  if (r.pageErrors.length) log(`page errors: ${r.pageErrors.join(" | ")}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
