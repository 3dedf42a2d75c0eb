// The engine's host: starts the web app's inference worker (worker/worker.js,
// the same module the site runs: one engine, one asset format) and turns its
// streamed messages into one answer per request. Requests run one at a time
// (the worker drops a highlight that a newer one supersedes).
// Loaded by the offscreen document (Chromium) and by the background page
// (Firefox, which has no offscreen documents but gives its event page a DOM).
/* global mergeSkills */
/* exported EngineHost */
class EngineHost {
  constructor(base) {
    this.worker = new Worker(new URL("worker/worker.js", base), { type: "module" });
    this.nextId = 1;
    this.pending = new Map(); // id → {resolve, reject, spans, skills}
    this.queue = Promise.resolve();
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.status = { state: "loading" };
    this.worker.onmessage = (e) => this.onMessage(e.data);
    this.worker.onerror = (e) => this.fail(`the engine's worker failed: ${e.message || "its script could not be loaded"}`);
  }

  fail(message) {
    this.status = { state: "failed", message };
    this.readyReject(new Error(message));
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
  }

  onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "ready") {
      this.status = { state: "ready", version: msg.version, ms: msg.ms };
      this.readyResolve(msg);
      return;
    }
    if (msg.type === "loading") {
      this.status = { state: "loading", loaded: msg.loaded, total: msg.total };
      return;
    }
    if (msg.type === "error" && (msg.id === undefined || msg.id === null)) {
      this.fail(msg.message);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === "result") {
      p.spans.push(...msg.spans);
      p.parts.push(msg.skills);
    } else if (msg.type === "done") {
      this.pending.delete(msg.id);
      p.resolve({ spans: p.spans, skills: mergeSkills(p.parts), ms: msg.ms });
    } else if (msg.type === "compared") {
      this.pending.delete(msg.id);
      p.resolve({ comparison: msg.comparison, ms: msg.ms });
    } else if (msg.type === "occupations") {
      this.pending.delete(msg.id);
      p.resolve({ occupations: msg.occupations, ms: msg.ms });
    } else if (msg.type === "extracted") {
      this.pending.delete(msg.id);
      p.resolve({ text: msg.text, format: msg.format, warnings: msg.warnings || [] });
    } else if (msg.type === "error") {
      this.pending.delete(msg.id);
      p.reject(new Error(msg.message));
    }
  }

  // One request ({type: "highlight", text, options} · {type: "compare", job,
  // resume, options} · {type: "occupations", text, options} · {type:
  // "extract", bytes, name}) → its answer.
  request(req) {
    const run = async () => {
      await this.ready;
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, spans: [], parts: [] });
        this.worker.postMessage({ ...req, id });
      });
    };
    const answer = this.queue.then(run, run);
    this.queue = answer.catch(() => {});
    return answer;
  }
}

