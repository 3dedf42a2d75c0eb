"""skillmark.ray in Ray local mode, when Ray is installed (it is not in the
test venv: docs/PYTHON.md, "Ray Data")."""

from __future__ import annotations

import pytest

import skillmark
from conftest import f32, make_posts

ray = pytest.importorskip("ray")


def test_ray_highlight_equals_engine(engine: skillmark.Engine) -> None:
    from skillmark.ray import highlight

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        posts = make_posts(200, sentences=3, seed=7)
        rows = [{"id": i, "text": None if i % 37 == 5 else p} for i, p in enumerate(posts)]
        out = highlight(ray.data.from_items(rows), "text", concurrency=2, batch_size=64).take_all()
    finally:
        ray.shutdown()
    got = {r["id"]: r for r in out}
    assert sorted(got) == list(range(len(rows)))
    for r in rows:
        g = got[r["id"]]
        if r["text"] is None:
            assert g["spans"] is None and g["skills"] is None and g["segments"] is None
        else:
            want = f32(engine.highlight(r["text"]))
            assert {k: g[k] for k in ("spans", "skills", "segments")} == want, r["id"]
