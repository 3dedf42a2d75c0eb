// The service worker (Chromium) or event page (Firefox): routes messages
// between the extension's own contexts and the engine, and injects the
// content script on demand. It holds no state worth keeping: it may sleep at
// any moment; the engine lives in the offscreen document (Chromium) or in
// this page (Firefox), settings in chrome.storage.local.
/* global EngineHost */
const OFFSCREEN = "offscreen.html";
const MAX_TEXT = 2 * 1024 * 1024; // characters of a post or résumé
const MAX_FILE_BASE64 = Math.ceil((20 * 1024 * 1024 * 4) / 3) + 4;

// Firefox: no offscreen documents; the event page hosts the engine itself.
const localHost =
  typeof chrome.offscreen === "undefined" && typeof EngineHost !== "undefined"
    ? new EngineHost(chrome.runtime.getURL("/"))
    : null;

let creating = null;
async function ensureOffscreen() {
  if (chrome.runtime.getContexts) {
    const open = await chrome.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"] });
    if (open.length) return;
  }
  if (!creating) {
    creating = chrome.offscreen
      .createDocument({
        url: OFFSCREEN,
        reasons: ["WORKERS"],
        justification: "Runs the skill engine (WebAssembly) in a worker, away from the pages you read.",
      })
      .catch((err) => {
        // Created meanwhile by another request: fine.
        if (!String(err).includes("single offscreen")) throw err;
      })
      .finally(() => (creating = null));
  }
  await creating;
}

const isString = (x, max) => typeof x === "string" && x.length <= max;
const isOptions = (x) => x === undefined || x === null || (typeof x === "object" && !Array.isArray(x));

// A highlight's skill list as the occupations request carries it.
const validSkills = (x) =>
  Array.isArray(x) &&
  x.length <= 5000 &&
  x.every((s) => s && typeof s === "object" && isString(s.uri, 300) && typeof s.bestScore === "number" && Number.isFinite(s.bestScore));

// The requests the engine answers, checked field by field: anything else is dropped.
function validRequest(r) {
  if (!r || typeof r !== "object") return null;
  switch (r.type) {
    case "highlight":
      return isString(r.text, MAX_TEXT) && isOptions(r.options)
        ? { type: "highlight", text: r.text, options: r.options || {} }
        : null;
    case "occupations":
      return isString(r.text, MAX_TEXT) && isOptions(r.options) && validSkills(r.skills)
        ? { type: "occupations", text: r.text, skills: r.skills.map((s) => ({ uri: s.uri, bestScore: s.bestScore })), options: r.options || {} }
        : null;
    case "compare":
      return isString(r.job, MAX_TEXT) && isString(r.resume, MAX_TEXT) && isOptions(r.options)
        ? { type: "compare", job: r.job, resume: r.resume, options: r.options || {} }
        : null;
    case "extract":
      return isString(r.bytes, MAX_FILE_BASE64) && (r.name === undefined || isString(r.name, 300))
        ? { type: "extract", bytes: r.bytes, name: r.name }
        : null;
    default:
      return null;
  }
}

async function askEngine(request) {
  if (localHost) {
    const req = { ...request };
    if (req.type === "extract") req.bytes = Uint8Array.from(atob(req.bytes), (c) => c.charCodeAt(0));
    return { ok: true, result: await localHost.request(req) };
  }
  await ensureOffscreen();
  const answer = await chrome.runtime.sendMessage({ target: "offscreen", request });
  return answer || { ok: false, error: "the engine did not answer" };
}

async function injectInto(tabId) {
  await chrome.scripting.executeScript({ target: { tabId }, files: ["skills.js", "content.js"] });
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  // Only the extension's own pages and content scripts; never a web page.
  if (sender.id !== chrome.runtime.id || !msg || typeof msg !== "object") return false;
  if (msg.target === "engine") {
    const request = validRequest(msg.request);
    if (!request) {
      sendResponse({ ok: false, error: "malformed request" });
      return false;
    }
    askEngine(request).then(sendResponse, (err) =>
      sendResponse({ ok: false, error: String(err && err.message ? err.message : err) }),
    );
    return true;
  }
  if (msg.target === "inject" && Number.isInteger(msg.tabId)) {
    injectInto(msg.tabId).then(
      () => sendResponse({ ok: true }),
      (err) => sendResponse({ ok: false, error: String(err && err.message ? err.message : err) }),
    );
    return true;
  }
  return false;
});
