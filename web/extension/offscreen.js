// The offscreen document (Chromium): hosts the engine's worker, answers the
// requests the service worker forwards. It has no UI and sees no page.
/* global EngineHost */
const host = new EngineHost(location.href);

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !msg || msg.target !== "offscreen") return false;
  if (msg.type === "status") {
    sendResponse({ ok: true, result: host.status });
    return false;
  }
  const req = { ...msg.request };
  // Messages between extension contexts are JSON: file bytes travel as base64.
  if (req.type === "extract" && typeof req.bytes === "string") {
    req.bytes = Uint8Array.from(atob(req.bytes), (c) => c.charCodeAt(0));
  }
  host.request(req).then(
    (result) => sendResponse({ ok: true, result }),
    (err) => sendResponse({ ok: false, error: String(err && err.message ? err.message : err) }),
  );
  return true; // answers later
});
