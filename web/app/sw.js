// Service worker: keeps the app shell (HTML, JS, wasm, CSS) for offline use.
// Network first, so a new deploy is picked up at once; the cache answers when
// the network does not. The model files under assets/ are cached by the
// inference worker itself (keyed by sha256), so they pass through here.
const SHELL = "skillmark-shell-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.includes("/assets/")) return;
  e.respondWith(
    (async () => {
      const cache = await caches.open(SHELL);
      try {
        const res = await fetch(req);
        if (res.ok) await cache.put(req, res.clone());
        return res;
      } catch (err) {
        const hit =
          (await cache.match(req)) ||
          (req.mode === "navigate" ? await cache.match(new URL("./", self.registration.scope).href) : null);
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});
