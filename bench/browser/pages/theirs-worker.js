// scripts/bench-browser: transformers.js (npm @huggingface/transformers, its
// self-contained browser build) running all-MiniLM-L6-v2 int8 ONNX, every file
// from this localhost server: no remote models, ONNX Runtime's wasm served
// locally, one thread (our engine runs on one).
import { env, pipeline } from "/tjs/transformers.min.js";

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = "/models/";
env.backends.onnx.wasm.wasmPaths = "/ort/";
env.backends.onnx.wasm.numThreads = 1;

let extractor;

async function load() {
  const t0 = performance.now();
  extractor = await pipeline("feature-extraction", "all-MiniLM-L6-v2", { dtype: "q8", device: "wasm" });
  return { buildMs: performance.now() - t0 };
}

function embed(texts) {
  return extractor(texts, { pooling: "mean", normalize: true });
}

const handlers = {
  async embed({ texts, reps = 1, vectors = false }) {
    const ms = [];
    let out;
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      out = await embed(texts);
      ms.push(performance.now() - t);
    }
    const rows = vectors ? out.tolist() : null;
    return { ms, rows, dims: out.dims };
  },
  async tokens({ texts }) {
    const enc = extractor.tokenizer(texts, { padding: true, truncation: true });
    return { dims: enc.input_ids.dims };
  },
};

const ready = load().then(
  (info) => self.postMessage({ type: "ready", ...info }),
  (err) => self.postMessage({ type: "error", message: String(err?.stack || err?.message || err) }),
);

self.onmessage = async ({ data }) => {
  await ready;
  try {
    self.postMessage({ type: "reply", id: data.id, ...(await handlers[data.type](data)) });
  } catch (err) {
    self.postMessage({ type: "error", id: data.id, message: String(err?.stack || err?.message || err) });
  }
};
