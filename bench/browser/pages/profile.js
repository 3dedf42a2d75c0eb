// scripts/bench-browser: our engine (the build with function names, /names/)
// on the main thread, loaded like ours-worker.js; window.run(text, n)
// highlights `text` n times.
import init, { Highlighter } from "/names/skillmark_wasm.js";

const NEEDED = ["encoder.gguf", "tokenizer.json", "skills.index", "esco.bin", "tagger.gguf"];

async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

window.ready = (async () => {
  const manifestBytes = await bytes("/site/assets/manifest.json");
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  const names = NEEDED.filter((n) => manifest.files[n]);
  const [, ...parts] = await Promise.all([init(), ...names.map((n) => bytes(`/site/assets/${n}`))]);
  const h = new Highlighter(manifestBytes, Object.fromEntries(names.map((n, i) => [n, parts[i]])));
  const options = h.defaultOptions();
  window.run = (text, n) => {
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      h.highlight(text, options);
      ms.push(performance.now() - t);
    }
    return ms;
  };
  return true;
})();
