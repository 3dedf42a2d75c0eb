#!/usr/bin/env node
// The runtime encoder compiled to wasm32 (+simd128), timed in Node: a
// benchmark, not a test. Token ids are synthetic (speed does not depend on
// which ids): one 25-token sentence, and a 25-sentence post of 12–40 tokens.
// Usage: node scripts/bench-wasm-engine.mjs WASM ENCODER.gguf [precision 0|1|2] [kernel 0=best|1=scalar]
import { readFileSync } from "node:fs";

const [wasmPath, ggufPath, precision = "0", kernel = "0"] = process.argv.slice(2);
const stub = new Proxy({}, { get: () => () => 0 });
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
  __wbindgen_placeholder__: stub,
  __wbindgen_externref_xform__: stub,
});
const x = instance.exports;
if (x.sm_selftest() !== 0) throw new Error("wasm SIMD quantizer differs from the portable one");
const gguf = readFileSync(ggufPath);
const put = (bytes) => {
  const p = x.sm_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
};
let t0 = performance.now();
const rc = x.sm_load(put(gguf), gguf.length, +precision, +kernel);
if (rc !== 0) throw new Error(`sm_load failed: ${rc}`);
const loadMs = performance.now() - t0;

let seed = 1;
const rand = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
const sentence = (len) => [101, ...Array.from({ length: len - 2 }, () => 1000 + rand(20000)), 102];
function embed(seqs) {
  const ids = Uint32Array.from(seqs.flat());
  const lens = Uint32Array.from(seqs.map((s) => s.length));
  const pi = put(new Uint8Array(ids.buffer));
  const pl = put(new Uint8Array(lens.buffer));
  return x.sm_embed(pi, pl, seqs.length);
}
// CPU time of this (single-threaded) process: on a shared machine, wall time
// also counts other processes' turns.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const clock = process.env.WALL ? () => performance.now() : cpuMs;
function median(f, n) {
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t = clock();
    f();
    ts.push(clock() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(n / 2)];
}
const one = sentence(25);
const post = Array.from({ length: 25 }, () => sentence(12 + rand(29)));
for (let i = 0; i < 5; i++) embed([one]);
const single = median(() => embed([one]), 60);
const postOneByOne = median(() => post.forEach((s) => embed([s])), 7);
const postBatched = median(() => embed(post), 7);
console.log(JSON.stringify({
  precision: ["int8", "int8-all", "f32"][+precision], kernel: +kernel ? "scalar" : "best", clock: process.env.WALL ? "wall" : "cpu",
  load_ms: +loadMs.toFixed(1), one_sentence_ms: +single.toFixed(2),
  post_25_sentences_one_by_one_ms: +postOneByOne.toFixed(1), post_25_sentences_batched_ms: +postBatched.toFixed(1),
  post_tokens: post.flat().length, wasm_memory_mb: +(x.memory.buffer.byteLength / 1e6).toFixed(1),
}));
