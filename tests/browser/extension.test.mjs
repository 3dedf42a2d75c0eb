// End-to-end tests of the browser extension (target/extension, built by
// scripts/build-extension --test-hosts) in Debian's Chromium, headless, on
// fixture pages shaped like each supported board's job page, served on
// 127.0.0.1 by this file. The test build differs from a release only in
// also matching 127.0.0.1 and in an open panel shadow root (to read it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const EXT = path.join(ROOT, "target/extension");
const ARTIFACTS = path.join(ROOT, "tests/artifacts");
const CHROMIUM = "/usr/bin/chromium";
const ENGINE_TIMEOUT = 240_000; // first load of the engine and assets on 2 cores

const POST = [
  "We are hiring a Data Engineer to join our platform team.",
  "You will build data pipelines in Python and SQL.",
  "Experience with Docker and Kubernetes is a plus.",
  "Strong communication skills and project management.",
];
const NURSE_POST = [
  "We are looking for a registered nurse for our emergency ward.",
  "You will provide first aid and monitor patients.",
  "Knowledge of pharmacology is required.",
];

// The description's markup for a list of sentences.
const paragraphs = (lines) => lines.map((l) => `<p>${l}</p>`).join("\n");

// A board page: `wrap` puts the description in the board's own container.
function page(title, wrap, extra = "") {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;margin:20px} nav{background:#eee;padding:8px}</style></head>
<body><nav><a href="#">Jobs</a> · <a href="#">Companies</a> · <a href="#">Sign in</a></nav>
<h1>${title}</h1>
${wrap}
<button id="apply">Apply</button><span id="clicks">0</span>
<script>
  // The page's own scripts and handlers keep working with the extension on.
  window.clicks = 0;
  document.getElementById("apply").addEventListener("click", () => {
    window.clicks++;
    document.getElementById("clicks").textContent = String(window.clicks);
  });
  window.descriptionClicks = 0;
  const d = document.querySelector("[data-description]");
  if (d) {
    d.addEventListener("click", () => window.descriptionClicks++);
    window.originalHTML = d.innerHTML;
  }
</script>
${extra}
</body></html>`;
}

const BOARDS = {
  linkedin: page("Data Engineer – LinkedIn", `<div class="jobs-description__content" data-description>${paragraphs(POST)}</div>`),
  indeed: page("Data Engineer – Indeed", `<div id="jobDescriptionText" data-description>${paragraphs(POST)}</div>`),
  greenhouse: page("Data Engineer – Greenhouse", `<div class="job__description" data-description>${paragraphs(POST)}</div>`),
  lever: page("Data Engineer – Lever", `<div data-qa="job-description" data-description>${paragraphs(POST)}</div>`),
  workday: page("Data Engineer – Workday", `<div data-automation-id="jobPostingDescription" data-description>${paragraphs(POST)}</div>`),
  generic: page(
    "Careers at Example",
    `<main><article data-description><h2>About the role</h2>${paragraphs(POST)}<ul><li>Competitive salary and a friendly team.</li><li>Remote work possible two days a week.</li></ul></article></main>`,
  ),
};

// A single-page app: "Next" swaps the post without a page load.
const SPA = page(
  "Jobs (app)",
  `<div id="jobDescriptionText" data-description>${paragraphs(POST)}</div><button id="next">Next job</button>`,
  `<script>
    document.getElementById("next").addEventListener("click", () => {
      history.pushState({}, "", "?job=2");
      const d = document.getElementById("jobDescriptionText");
      d.replaceChildren();
      for (const l of ${JSON.stringify(NURSE_POST)}) { const p = document.createElement("p"); p.textContent = l; d.append(p); }
    });
  </script>`,
);

// The description arrives a second and a half after the page.
const LATE = page(
  "Jobs (late)",
  `<div id="slot"></div>`,
  `<script>
    setTimeout(() => {
      const d = document.createElement("div");
      d.id = "jobDescriptionText";
      for (const l of ${JSON.stringify(POST)}) { const p = document.createElement("p"); p.textContent = l; d.append(p); }
      document.getElementById("slot").append(d);
    }, 1500);
  </script>`,
);

// Script-like text in a post (as text: entities in the markup).
const HOSTILE = page(
  "Hostile",
  `<div id="jobDescriptionText" data-description><p>You will write Python &lt;img src=x onerror="window.pwned=1"&gt; and SQL &lt;script&gt;window.pwned=2&lt;/script&gt; daily.</p>${paragraphs(POST.slice(2))}</div>`,
);

// A 200 KB post, built by the page itself.
const BIG = page(
  "Big post",
  `<div id="jobDescriptionText" data-description></div>`,
  `<script>
    {
      const box = document.getElementById("jobDescriptionText");
      const lines = ${JSON.stringify(POST)};
      let size = 0;
      for (let i = 0; size < 200000; i++) { const p = document.createElement("p"); p.textContent = lines[i % lines.length] + " (" + i + ")"; box.append(p); size += p.textContent.length; }
    }
  </script>`,
);

const PAGES = { ...BOARDS, spa: SPA, late: LATE, hostile: HOSTILE, big: BIG };

let server, base, context, worker, userDataDir;
const requests = [];
const dialogs = [];

function startServer() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const name = new URL(req.url, "http://x").pathname.replace(/^\/|\.html$/g, "");
      const body = PAGES[name];
      res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
      res.end(body || "not found");
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

async function open(name) {
  const p = await context.newPage();
  p.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  await p.goto(`${base}/${name}.html`);
  return p;
}

const marks = (p) => p.$$eval("mark[data-skillmark]", (ms) => ms.map((m) => m.textContent));

async function waitForMarks(p, timeout = ENGINE_TIMEOUT) {
  await p.waitForSelector("mark[data-skillmark]", { timeout });
  return marks(p);
}

// What the panel shows (its shadow root is open in the test build).
const panelText = (p) =>
  p.evaluate(() => document.querySelector("skillmark-panel")?.shadowRoot?.textContent || "");

async function storage(set) {
  return worker.evaluate((s) => chrome.storage.local.set(s), set);
}

before(async () => {
  assert.ok(fs.existsSync(path.join(EXT, "manifest.json")), "target/extension missing: run scripts/build-extension --test-hosts");
  const manifest = JSON.parse(fs.readFileSync(path.join(EXT, "manifest.json"), "utf8"));
  assert.ok(manifest.version_name?.endsWith("-test"), "the extension was not built with --test-hosts");
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  base = `http://127.0.0.1:${server.address().port}`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "skillmark-extension-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      `--disable-extensions-except=${EXT}`,
      `--load-extension=${EXT}`,
    ],
    viewport: { width: 1280, height: 900 },
  });
  context.on("request", (r) => requests.push(r.url()));
  worker = context.serviceWorkers()[0] || (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
});

after(async () => {
  await context?.close();
  server?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

test("the manifest asks for little: MV3, strict CSP, boards only, both background forms", () => {
  const m = JSON.parse(fs.readFileSync(path.join(ROOT, "web/extension/manifest.json"), "utf8"));
  assert.equal(m.manifest_version, 3);
  assert.deepEqual(m.permissions.sort(), ["activeTab", "offscreen", "scripting", "storage"]);
  assert.ok(m.host_permissions.every((h) => h.startsWith("https://")), "boards only, over https");
  assert.ok(!m.host_permissions.some((h) => h.includes("<all_urls>") || h === "https://*/*"));
  assert.equal(m.content_security_policy.extension_pages.split(";")[0], "script-src 'self' 'wasm-unsafe-eval'");
  assert.equal(m.background.service_worker, "background.js");
  assert.ok(m.background.scripts.includes("background.js"));
});

for (const board of Object.keys(BOARDS)) {
  test(`${board}: the post's skills are marked in place and listed in the panel`, async () => {
    const p = await open(board);
    const found = await waitForMarks(p);
    assert.ok(found.includes("Python") && found.includes("SQL"), `${board}: ${found}`);
    // Every mark is inside the description, none in the navigation or the title.
    const outside = await p.$$eval("mark[data-skillmark]", (ms) => ms.filter((m) => !m.closest("[data-description]")).length);
    assert.equal(outside, 0);
    await p.waitForFunction(() => /Python/.test(document.querySelector("skillmark-panel")?.shadowRoot?.textContent || ""), null, { timeout: 30_000 });
    const panel = await panelText(p);
    assert.match(panel, /\d+ skills/);
    assert.match(panel, /Technology/);
    const links = await p.evaluate(() =>
      [...document.querySelector("skillmark-panel").shadowRoot.querySelectorAll("a[href]")].map((a) => a.href),
    );
    assert.ok(links.length > 0 && links.every((h) => h.startsWith("http://data.europa.eu/esco/")), links.join(" "));
    // The post's likely ESCO occupations follow the skills.
    await p.waitForFunction(() => /Likely occupations/.test(document.querySelector("skillmark-panel")?.shadowRoot?.textContent || ""), null, { timeout: 60_000 });
    const occupations = await p.evaluate(() =>
      [...document.querySelector("skillmark-panel").shadowRoot.querySelectorAll("ul.occupations a")].map((a) => a.href),
    );
    assert.ok(occupations.length >= 1 && occupations.every((h) => h.startsWith("http://data.europa.eu/esco/occupation/")), occupations.join(" "));
    // The page's own handlers still work.
    await p.click("#apply");
    await p.click("[data-description] mark[data-skillmark]");
    assert.equal(await p.evaluate(() => window.clicks), 1);
    assert.equal(await p.evaluate(() => window.descriptionClicks), 1);
    if (board === "linkedin") await p.screenshot({ path: path.join(ARTIFACTS, "extension-linkedin.png") });
    await p.close();
  });
}

test("turning it off on a site removes every mark and restores the text exactly", async () => {
  const p = await open("indeed");
  await waitForMarks(p);
  await storage({ disabledSites: ["127.0.0.1"] });
  await p.waitForFunction(() => !document.querySelector("mark[data-skillmark]") && !document.querySelector("skillmark-panel"));
  const same = await p.evaluate(() => document.querySelector("[data-description]").innerHTML === window.originalHTML);
  assert.ok(same, "the description's markup is the page's own again");
  // Off stays off on the next visit; on again marks again.
  await p.reload();
  await p.waitForTimeout(3000);
  assert.deepEqual(await marks(p), []);
  await storage({ disabledSites: [] });
  await waitForMarks(p, 60_000);
  await p.close();
});

test("a single-page app that swaps the post gets the new post's skills", async () => {
  const p = await open("spa");
  await waitForMarks(p);
  await p.click("#next");
  await p.waitForFunction(
    () => [...document.querySelectorAll("mark[data-skillmark]")].some((m) => /first aid|pharmacology/i.test(m.textContent)),
    null,
    { timeout: 60_000 },
  );
  const found = await marks(p);
  assert.ok(!found.includes("Python"), `old post's marks are gone: ${found}`);
  await p.close();
});

test("a description that loads late is found and marked", async () => {
  const p = await open("late");
  const found = await waitForMarks(p, 60_000);
  assert.ok(found.includes("Python"), `${found}`);
  await p.close();
});

test("script-like text in a post stays text and never runs", async () => {
  const p = await open("hostile");
  await waitForMarks(p);
  await p.waitForTimeout(1000);
  assert.equal(await p.evaluate(() => window.pwned), undefined);
  assert.equal(await p.$$eval("[data-description] img, [data-description] script", (x) => x.length), 0);
  const text = await p.textContent("[data-description]");
  assert.ok(text.includes('<img src=x onerror="window.pwned=1">'), text);
  assert.deepEqual(dialogs, []);
  await p.close();
});

test("a 200 KB post does not freeze the page", async () => {
  const p = await open("big");
  await p.evaluate(() => {
    window.__gaps = { last: performance.now(), max: 0 };
    window.__ticker = setInterval(() => {
      const now = performance.now();
      window.__gaps.max = Math.max(window.__gaps.max, now - window.__gaps.last);
      window.__gaps.last = now;
    }, 20);
  });
  await waitForMarks(p);
  assert.ok((await p.textContent("[data-description]")).length >= 200_000);
  // The page answers its own events while the extension works.
  await p.click("#apply");
  assert.equal(await p.evaluate(() => window.clicks), 1);
  const gap = await p.evaluate(() => {
    clearInterval(window.__ticker);
    return window.__gaps.max;
  });
  console.log(`200 KB post: longest main-thread gap ${Math.round(gap)} ms`);
  await p.close();
});

test("with a résumé saved, each post shows the match and the gaps", async () => {
  await storage({ profile: { text: "Skills: Python, SQL, Docker\nData Engineer, Acme (2018 - 2023)" } });
  const p = await open("greenhouse");
  await waitForMarks(p);
  await p.waitForFunction(() => /My résumé/.test(document.querySelector("skillmark-panel")?.shadowRoot?.textContent || ""), null, { timeout: 120_000 });
  const panel = await panelText(p);
  assert.match(panel, /\d+ %match/);
  assert.match(panel, /Missing:/);
  await p.screenshot({ path: path.join(ARTIFACTS, "extension-resume.png") });
  await storage({ profile: null });
  await p.close();
});

// A minimal DOCX (a stored zip) with one paragraph per line.
function docx(lines) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
  const files = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
    "word/document.xml": `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="${W}"><w:body>${lines.map((l) => `<w:p><w:r><w:t>${l}</w:t></w:r></w:p>`).join("")}</w:body></w:document>`,
  };
  const parts = [];
  const central = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc(data), 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, data);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}

test("the popup reads a DOCX résumé on this device, saves it, and forgets it", async () => {
  const id = new URL(worker.url()).host;
  const p = await context.newPage();
  await p.goto(`chrome-extension://${id}/popup.html`);
  await p.setInputFiles("#file", { name: "cv.docx", mimeType: "application/octet-stream", buffer: docx(["Jane Doe", "Skills: Python, SQL"]) });
  await p.waitForFunction(() => document.querySelector("#profile").value.includes("Python"), null, { timeout: 60_000 });
  assert.equal(await p.inputValue("#profile"), "Jane Doe\nSkills: Python, SQL");
  await p.click("#save");
  await p.waitForFunction(() => /Saved/.test(document.querySelector("#profile-status").textContent));
  assert.equal((await worker.evaluate(() => chrome.storage.local.get("profile"))).profile.text, "Jane Doe\nSkills: Python, SQL");
  await p.click("#clear");
  await p.waitForFunction(() => /Forgotten/.test(document.querySelector("#profile-status").textContent));
  assert.equal((await worker.evaluate(() => chrome.storage.local.get("profile"))).profile, undefined);
  await p.close();
});

test("no request leaves the machine: only the fixture server and the extension's own files", () => {
  const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith("chrome-extension://"));
  assert.deepEqual(outside, []);
});
