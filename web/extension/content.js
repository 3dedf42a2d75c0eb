// The content script: finds the job description on the page, asks the
// engine (through the service worker; never in the page) for its skills,
// and marks them in place. It wraps text nodes only (never innerHTML), puts
// its panel in a closed shadow root fixed to the viewport (no layout shift,
// unreachable for the page's scripts), follows single-page-app navigation
// and late-loading posts, and can be turned off per site.
/* global mergeSkills */
(() => {
  "use strict";
  if (window.__skillmarkContent) {
    window.__skillmarkContent.run(true);
    return;
  }

  const TEST_BUILD = /-test$/.test(chrome.runtime.getManifest().version_name || "");
  const MARK_ATTR = "data-skillmark";
  const PART_CHARS = 8000; // characters per engine request
  const MAX_COMPARE = 60000; // longer posts are not compared with the résumé
  const MIN_TEXT = 200; // characters a description has at least
  const NODES_PER_SLICE = 300; // text nodes wrapped per task (a 200 KB post stays responsive)
  const CATEGORY = { technology: "Technology", technical: "Technical", business: "Business", soft: "Soft skills" };
  const COLORS = {
    skill: "rgba(255, 205, 0, 0.42)",
    knowledge: "rgba(80, 180, 255, 0.35)",
    missing: "rgba(255, 110, 110, 0.40)",
  };

  // Site adapters: the description's container on each board. The
  // selectors are tried on every page (a board's markup also identifies it
  // on a mirror or a saved copy); the generic fallback comes last.
  const ADAPTERS = [
    { name: "linkedin", selectors: [".jobs-description__content", ".jobs-box__html-content", "#job-details", ".show-more-less-html__markup"] },
    { name: "indeed", selectors: ["#jobDescriptionText", ".jobsearch-jobDescriptionText"] },
    { name: "greenhouse", selectors: [".job__description", "#content .content-intro", "#app_body #content"] },
    { name: "lever", selectors: ['[data-qa="job-description"]', ".posting-page .section-wrapper .section.page-centered"] },
    { name: "workday", selectors: ['[data-automation-id="jobPostingDescription"]'] },
  ];

  const state = {
    root: null, // the description element
    adapter: null,
    text: "",
    result: null, // {spans, skills}
    comparison: null,
    occupations: null, // the post's likely ESCO occupations
    threshold: 0.55,
    running: 0,
    disabled: false,
    mutating: false,
    error: null,
  };

  function textLength(el) {
    return (el.innerText || el.textContent || "").trim().length;
  }

  // The main text block of any page: the element whose own paragraphs and
  // list items hold the most text (links and navigation discounted).
  function genericRoot() {
    let best = null;
    let bestScore = 0;
    for (const el of document.body.querySelectorAll("article, main, section, div, td")) {
      if (el.closest("nav, header, footer, aside, form")) continue;
      let score = 0;
      for (const child of el.children) {
        if (/^(P|LI|UL|OL|H[1-6]|BR|STRONG|B|EM|SPAN)$/.test(child.tagName)) score += textLength(child);
      }
      for (const a of el.querySelectorAll(":scope > a")) score -= textLength(a);
      if (score > bestScore) {
        best = el;
        bestScore = score;
      }
    }
    return bestScore >= MIN_TEXT ? best : null;
  }

  function findRoot() {
    for (const a of ADAPTERS) {
      for (const sel of a.selectors) {
        const el = document.querySelector(sel);
        if (el && textLength(el) >= 40) return { el, adapter: a.name };
      }
    }
    const el = genericRoot();
    return el ? { el, adapter: "generic" } : null;
  }

  const SKIP = /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|TEXTAREA|INPUT|SELECT|BUTTON|SVG|CANVAS|IFRAME)$/;
  const BLOCK = /^(P|DIV|LI|UL|OL|H[1-6]|SECTION|ARTICLE|TR|TD|TH|TABLE|BR|HR|DL|DT|DD|PRE|BLOCKQUOTE)$/;

  function blockOf(node) {
    let el = node.parentElement;
    while (el && !BLOCK.test(el.tagName)) el = el.parentElement;
    return el;
  }

  // The root's text as the engine reads it, and where each text node sits in
  // it (UTF-16 offsets, as JavaScript strings count): a newline between
  // blocks, so list items and paragraphs are sentences of their own.
  function collect(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode(n) {
        for (let el = n.parentElement; el && el !== root; el = el.parentElement) {
          if (SKIP.test(el.tagName) || el.hidden) return NodeFilter.FILTER_REJECT;
        }
        return n.data.length ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
      },
    });
    const nodes = [];
    let text = "";
    let lastBlock = null;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const block = blockOf(n);
      if (nodes.length && block !== lastBlock && !text.endsWith("\n")) text += "\n";
      lastBlock = block;
      nodes.push({ node: n, start: text.length });
      text += n.data;
    }
    return { text, nodes };
  }

  function visibleSpans(result) {
    if (!result) return [];
    return result.spans.filter(
      (s) => s.kind !== "implicit" && s.links.length && (s.labelMatch || s.links[0].score >= state.threshold),
    );
  }

  // Wraps the spans' text in <mark> elements, text node by text node; the
  // page's own nodes are split, never re-parsed.
  async function wrap(root, nodes, spans, missing) {
    const pieces = new Map(); // node index → [{from, to, span}]
    let k = 0;
    for (const s of spans) {
      while (k < nodes.length && nodes[k].start + nodes[k].node.data.length <= s.startUtf16) k++;
      for (let j = k; j < nodes.length && nodes[j].start < s.endUtf16; j++) {
        const { node, start } = nodes[j];
        const from = Math.max(s.startUtf16 - start, 0);
        const to = Math.min(s.endUtf16 - start, node.data.length);
        if (to <= from) continue;
        if (!pieces.has(j)) pieces.set(j, []);
        pieces.get(j).push({ from, to, span: s });
      }
    }
    const entries = [...pieces.entries()];
    for (let i = 0; i < entries.length; i += NODES_PER_SLICE) {
      if (state.disabled) return;
      state.mutating = true;
      for (const [j, list] of entries.slice(i, i + NODES_PER_SLICE)) {
        const node = nodes[j].node;
        if (!node.parentNode || !root.contains(node)) continue;
        const frag = document.createDocumentFragment();
        let pos = 0;
        list.sort((a, b) => a.from - b.from);
        for (const p of list) {
          if (p.from < pos) continue;
          if (p.from > pos) frag.append(document.createTextNode(node.data.slice(pos, p.from)));
          frag.append(markFor(node.data.slice(p.from, p.to), p.span, missing));
          pos = p.to;
        }
        if (pos < node.data.length) frag.append(document.createTextNode(node.data.slice(pos)));
        node.replaceWith(frag);
      }
      await Promise.resolve();
      state.mutating = false;
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  function markFor(text, span, missing) {
    const m = document.createElement("mark");
    const link = span.links[0];
    m.setAttribute(MARK_ATTR, span.kind);
    m.textContent = text;
    m.title = `${link.label} (${CATEGORY[link.category] || link.category}, ${link.score.toFixed(2)})`;
    const color = missing && missing.has(link.uri) ? COLORS.missing : COLORS[span.kind] || COLORS.skill;
    // Inline, so the page's styles cannot hide it; no padding or margin: the
    // text keeps its exact place.
    m.style.cssText = `background:${color} !important;color:inherit !important;padding:0 !important;margin:0 !important;border-radius:2px;font:inherit !important`;
    return m;
  }

  // Removes every mark: each becomes its text again, and split text nodes are joined.
  function unwrap() {
    state.mutating = true;
    const parents = new Set();
    for (const m of document.querySelectorAll(`mark[${MARK_ATTR}]`)) {
      parents.add(m.parentNode);
      m.replaceWith(document.createTextNode(m.textContent));
    }
    for (const p of parents) if (p) p.normalize();
    Promise.resolve().then(() => (state.mutating = false));
  }

  function ask(request) {
    return new Promise((resolve, reject) => {
      chrome.runtime.sendMessage({ target: "engine", request }, (answer) => {
        if (chrome.runtime.lastError) reject(new Error(chrome.runtime.lastError.message));
        else if (!answer || !answer.ok) reject(new Error((answer && answer.error) || "no answer"));
        else resolve(answer.result);
      });
    });
  }

  async function run(force = false) {
    if (state.disabled) return;
    const found = findRoot();
    if (!found) {
      panel.render();
      return;
    }
    const { text } = collect(found.el);
    if (!force && found.el === state.root && text === state.text) return;
    const ticket = ++state.running;
    unwrap();
    state.root = found.el;
    state.adapter = found.adapter;
    state.text = text;
    state.result = null;
    state.comparison = null;
    state.occupations = null;
    state.error = null;
    panel.render();
    try {
      // Part by part (at line ends), each part's marks drawn as it comes:
      // a long post shows its first skills in seconds, and no request
      // keeps the engine for minutes.
      const result = { spans: [], skills: [] };
      for (const part of parts(text)) {
        const r = await ask({ type: "highlight", text: part.text });
        if (ticket !== state.running || state.disabled) return;
        const spans = r.spans.map((s) => shifted(s, part));
        result.spans.push(...spans);
        result.skills = mergeSkills([result.skills, r.skills]);
        state.result = result;
        const now = collect(state.root);
        if (now.text !== state.text) return; // the page changed: the observer reruns
        await wrap(state.root, now.nodes, visibleSpans({ spans }), null);
        panel.render();
      }
      if (text.length <= MAX_COMPARE) {
        try {
          // From the skills just found: the engine need not read the post again.
          const o = await ask({ type: "occupations", text, skills: result.skills, options: { topK: 3 } });
          if (ticket !== state.running) return;
          state.occupations = o.occupations;
          panel.render();
        } catch (err) {
          state.error = `occupations: ${err.message}`;
        }
      }
      const profile = (await chrome.storage.local.get("profile")).profile;
      if (profile && profile.text && text.length <= MAX_COMPARE) {
        try {
          const c = await ask({ type: "compare", job: text, resume: profile.text, options: {} });
          if (ticket === state.running) state.comparison = c.comparison;
        } catch (err) {
          state.error = `résumé comparison: ${err.message}`;
        }
      }
      if (state.comparison) await apply();
    } catch (err) {
      if (ticket === state.running) state.error = err.message;
    }
    panel.render();
  }

  // The post in parts of about PART_CHARS characters, cut after a newline.
  function parts(text) {
    const out = [];
    let start = 0;
    while (start < text.length) {
      let end = Math.min(start + PART_CHARS, text.length);
      if (end < text.length) {
        const nl = text.lastIndexOf("\n", end);
        if (nl > start) end = nl + 1;
      }
      const prefix = text.slice(0, start);
      out.push({
        text: text.slice(start, end),
        utf16: start,
        chars: [...prefix].length,
        bytes: new TextEncoder().encode(prefix).length,
      });
      start = end;
    }
    return out;
  }

  // A part's span with offsets into the whole post.
  function shifted(s, part) {
    return {
      ...s,
      start: s.start + part.bytes,
      end: s.end + part.bytes,
      startChar: s.startChar + part.chars,
      endChar: s.endChar + part.chars,
      startUtf16: s.startUtf16 + part.utf16,
      endUtf16: s.endUtf16 + part.utf16,
    };
  }

  // (Re)draws the marks of the current result at the current threshold.
  async function apply() {
    unwrap();
    if (!state.root || !state.result) return;
    const { nodes, text } = collect(state.root);
    if (text !== state.text) return; // the page changed meanwhile: the observer reruns
    const missing = state.comparison
      ? new Set(state.comparison.skills.filter((s) => !s.matched).map((s) => s.skill.uri))
      : null;
    await wrap(state.root, nodes, visibleSpans(state.result), missing);
  }

  // ---- the panel: a closed shadow root fixed to the viewport ----
  const panel = (() => {
    let host = null;
    let shadow = null;
    let open = true;
    const el = (tag, props = {}, ...children) => {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(props)) {
        if (k === "class") e.className = v;
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v);
      }
      for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
      return e;
    };
    const CSS = `
      :host { all: initial; }
      .box { position: fixed; right: 12px; bottom: 12px; width: 320px; max-height: 70vh; overflow: auto;
        background: #fff; color: #1d1d1f; border: 1px solid #c9ccd1; border-radius: 10px;
        box-shadow: 0 6px 24px rgba(0,0,0,.18); font: 13px/1.4 system-ui, sans-serif; z-index: 2147483647; }
      header { display: flex; align-items: center; gap: 6px; padding: 8px 10px; border-bottom: 1px solid #eee;
        position: sticky; top: 0; background: #fff; }
      header b { flex: 1; }
      button { font: inherit; border: 1px solid #c9ccd1; background: #f6f7f9; border-radius: 6px; padding: 2px 8px; cursor: pointer; }
      .body { padding: 8px 10px; }
      h4 { margin: 10px 0 4px; font-size: 12px; text-transform: uppercase; color: #555; letter-spacing: .03em; }
      ul { margin: 0; padding-left: 16px; }
      li { margin: 2px 0; }
      a { color: #0b57d0; text-decoration: none; }
      .muted { color: #666; }
      .err { color: #b00020; }
      .score { font-size: 18px; font-weight: 600; }
      .miss { color: #b00020; }
      .ok { color: #1b7a2b; }
      .row { display: flex; gap: 6px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
      input[type=range] { flex: 1; }
    `;
    function ensure() {
      if (host) return;
      host = document.createElement("skillmark-panel");
      host.style.cssText = "all: initial !important; position: fixed !important; z-index: 2147483647 !important";
      // Closed: the page's scripts cannot reach into the panel. The browser
      // tests' build (version_name "…-test", scripts/build-extension
      // --test-hosts) opens it so they can read what it shows.
      shadow = host.attachShadow({ mode: TEST_BUILD ? "open" : "closed" });
      state.mutating = true;
      document.documentElement.append(host);
      Promise.resolve().then(() => (state.mutating = false));
    }
    function remove() {
      if (host) host.remove();
      host = null;
      shadow = null;
    }
    function skillLink(s) {
      return el("a", { href: s.uri, target: "_blank", rel: "noopener noreferrer" }, s.label);
    }
    function download(name, type, content) {
      const url = URL.createObjectURL(new Blob([content], { type }));
      const a = el("a", { href: url, download: name });
      shadow.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }
    function exportRows() {
      const shown = new Set(visibleSpans(state.result).map((s) => s.links[0].uri));
      return state.result.skills.filter((s) => shown.has(s.uri));
    }
    const csvCell = (v) => `"${String(v).replace(/"/g, '""')}"`;
    function render() {
      if (state.disabled) return remove();
      ensure();
      shadow.replaceChildren();
      shadow.append(el("style", {}, CSS));
      const box = el("div", { class: "box", part: "box" });
      const toggle = el("button", { title: "Show or hide the list", onclick: () => { open = !open; render(); } }, open ? "–" : "+");
      const off = el("button", { title: "Turn skillmark off on this site", onclick: () => setSiteDisabled(true) }, "Off here");
      box.append(el("header", {}, el("b", {}, "skillmark"), off, toggle));
      shadow.append(box);
      if (!open) return;
      const body = el("div", { class: "body" });
      box.append(body);
      if (state.error) body.append(el("p", { class: "err" }, state.error));
      if (state.error && !state.result) return;
      if (!state.root) {
        body.append(el("p", { class: "muted" }, "No job description found on this page."));
        return;
      }
      if (!state.result) {
        body.append(el("p", { class: "muted" }, "Reading the post… (on this device)"));
        return;
      }
      const rows = exportRows();
      const slider = el("input", { type: "range", min: "0.3", max: "0.95", step: "0.05", value: String(state.threshold), "aria-label": "Threshold" });
      slider.addEventListener("change", () => {
        state.threshold = Number(slider.value);
        apply().then(render);
      });
      body.append(
        el("div", { class: "row" }, el("span", {}, `${rows.length} skills`), el("span", { class: "muted" }, `(${state.adapter})`)),
        el("div", { class: "row" }, el("span", {}, "Threshold"), slider, el("span", {}, state.threshold.toFixed(2))),
        el(
          "div",
          { class: "row" },
          el("button", { onclick: () => download("skills.json", "application/json", JSON.stringify({ skills: rows, spans: visibleSpans(state.result) }, null, 2)) }, "Export JSON"),
          el("button", {
            onclick: () =>
              download(
                "skills.csv",
                "text/csv",
                ["label,uri,category,count,score"].concat(rows.map((s) => [s.label, s.uri, s.category, s.count, s.bestScore.toFixed(3)].map(csvCell).join(","))).join("\n"),
              ),
          }, "Export CSV"),
        ),
      );
      const c = state.comparison;
      if (c) {
        const matched = c.skills.filter((s) => s.matched);
        const missing = c.skills.filter((s) => !s.matched);
        body.append(
          el("h4", {}, "My résumé"),
          el("div", { class: "row" }, el("span", { class: "score" }, `${Math.round(c.score * 100)} %`), el("span", { class: "muted" }, `match · ${matched.length} of ${c.skills.length} skills`)),
        );
        if (missing.length) {
          body.append(el("div", { class: "miss" }, "Missing:"), el("ul", {}, ...missing.map((s) => el("li", { class: "miss" }, skillLink(s.skill), s.requirement === "essential" ? " (essential)" : ""))));
        }
        if (matched.length) {
          body.append(el("div", { class: "ok" }, "Matched:"), el("ul", {}, ...matched.map((s) => el("li", { class: "ok" }, skillLink(s.skill)))));
        }
      }
      const occupations = state.occupations || (c && c.occupations) || [];
      if (occupations.length) {
        body.append(
          el("h4", {}, "Likely occupations (ESCO)"),
          el("ul", { class: "occupations" }, ...occupations.slice(0, 3).map((o) => el("li", {}, skillLink(o), el("span", { class: "muted" }, ` ${o.score.toFixed(2)}`)))),
        );
      }
      const groups = new Map();
      for (const s of rows) {
        if (!groups.has(s.category)) groups.set(s.category, []);
        groups.get(s.category).push(s);
      }
      for (const [cat, list] of groups) {
        body.append(
          el("h4", {}, `${CATEGORY[cat] || cat} (${list.length})`),
          el("ul", {}, ...list.map((s) => el("li", {}, skillLink(s), el("span", { class: "muted" }, ` ×${s.count} · ${s.bestScore.toFixed(2)}`)))),
        );
      }
      if (!c) body.append(el("p", { class: "muted" }, "Add your résumé in the toolbar popup to see what you match and miss."));
    }
    return { render, remove };
  })();

  async function setSiteDisabled(disabled) {
    const { disabledSites = [] } = await chrome.storage.local.get("disabledSites");
    const sites = new Set(disabledSites);
    if (disabled) sites.add(location.hostname);
    else sites.delete(location.hostname);
    await chrome.storage.local.set({ disabledSites: [...sites] });
  }

  async function applySetting() {
    const { disabledSites = [] } = await chrome.storage.local.get("disabledSites");
    const disabled = disabledSites.includes(location.hostname);
    if (disabled === state.disabled) return;
    state.disabled = disabled;
    if (disabled) {
      state.running++;
      unwrap();
      panel.remove();
      state.root = null;
      state.text = "";
    } else run(true);
  }

  chrome.storage.onChanged.addListener((changes, area) => {
    if (area !== "local") return;
    if (changes.disabledSites) applySetting();
    else if (changes.profile && !state.disabled) run(true);
  });

  // Single-page apps replace the post without a page load, and some boards
  // fill it in late: rerun when the page's text changes, once it has been
  // quiet for QUIET_MS (changes come in bursts), or after MAX_WAIT_MS on a
  // page that never stops changing.
  const QUIET_MS = 100;
  const MAX_WAIT_MS = 1000;
  let timer = null;
  let firstChange = 0;
  new MutationObserver((records) => {
    if (state.mutating || state.disabled) return;
    const ours = records.every((r) =>
      [...r.addedNodes, ...r.removedNodes, r.target].every(
        (n) => (n.nodeType === 1 && (n.hasAttribute?.(MARK_ATTR) || n.tagName === "SKILLMARK-PANEL")) || (n.parentElement && n.parentElement.hasAttribute(MARK_ATTR)),
      ),
    );
    if (ours) return;
    const now = performance.now();
    if (timer === null) firstChange = now;
    clearTimeout(timer);
    const wait = Math.max(0, Math.min(QUIET_MS, firstChange + MAX_WAIT_MS - now));
    timer = setTimeout(() => {
      timer = null;
      run(false);
    }, wait);
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });

  window.__skillmarkContent = { run };
  chrome.storage.local.get("disabledSites").then(({ disabledSites = [] }) => {
    state.disabled = disabledSites.includes(location.hostname);
    if (!state.disabled) run(true);
  });
})();
