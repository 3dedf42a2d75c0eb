// The span tagger's worker, started by the inference worker (worker.js): it
// runs the tagger's layers while worker.js encodes the same sentences with
// the ranker's layers, so a highlight uses both cores. It needs only the
// tokenizer, the encoder and the tagger, which worker.js hands it.
// Messages:
//   in : {type:"load", manifest, files, engine (a compiled WebAssembly.Module)}
//        {type:"tag", id, text, parts}
//   out: {type:"ready", kernel, wasmMemory, ms} · {type:"tags", id, part, tags}
//        {type:"error", id?, message}
import init, { SpanTagger } from "../engine/skillmark_wasm.js";

let tagger = null;
let latest = 0; // the newest request; parts of older ones are skipped
const queue = [];
let busy = false;

const yieldToMessages = () => new Promise((r) => setTimeout(r, 0));
const message = (err) => String(err && err.message ? err.message : err);

async function load({ manifest, files, engine }) {
  const t0 = performance.now();
  try {
    const wasm = await init({ module_or_path: engine });
    tagger = new SpanTagger(manifest, files);
    self.postMessage({
      type: "ready",
      kernel: tagger.kernel(),
      wasmMemory: wasm.memory.buffer.byteLength,
      ms: performance.now() - t0,
    });
    drain();
  } catch (err) {
    self.postMessage({ type: "error", message: message(err) });
  }
}

// Tags the parts of one text in order, yielding between parts so that a
// newer request can supersede this one.
async function tag({ id, text, parts }) {
  for (let part = 0; part < parts.length; part++) {
    if (id !== latest) return;
    try {
      const tags = tagger.tagSegments(text, parts[part]);
      self.postMessage({ type: "tags", id, part, tags });
    } catch (err) {
      self.postMessage({ type: "error", id, message: message(err) });
      return;
    }
    await yieldToMessages();
  }
}

async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const msg = queue.shift();
    if (msg.id === latest) await tag(msg);
  }
  busy = false;
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === "load") {
    load(msg);
  } else if (msg.type === "tag") {
    latest = msg.id;
    queue.push(msg);
    if (tagger) drain();
  }
};
