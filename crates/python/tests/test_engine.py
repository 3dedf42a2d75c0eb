"""The Python API over the engine: results in the wire schema, errors, the
GIL and the thread pool."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

import skillmark

JOB = "You will write SQL queries in Python and mentor junior engineers."


def test_default_bundle_loads(engine: skillmark.Engine) -> None:
    assert (Path(engine.path) / "manifest.json").is_file()
    assert engine.threads == 2
    assert engine.kernel
    assert engine.has_occupations
    assert "threads=2" in repr(engine)
    assert skillmark.__version__


def test_highlight_str(engine: skillmark.Engine) -> None:
    h = engine.highlight(JOB)
    assert set(h) == {"spans", "skills", "segments"}
    assert h["spans"] and h["skills"]
    for span in h["spans"]:
        # camelCase wire names; char offsets slice a Python str.
        assert JOB[span["startChar"] : span["endChar"]] == span["text"]
        assert span["kind"] in {"skill", "knowledge", "implicit"}
        for link in span["links"]:
            assert 0.0 <= link["score"] <= 1.0
    assert any(s["label"].lower().startswith("python") for s in h["skills"])
    assert {"uri", "label", "bestScore", "implicit", "skillType"} <= set(h["skills"][0])


def test_highlight_list_equals_each(engine: skillmark.Engine, posts: list[str]) -> None:
    many = engine.highlight(posts)
    assert isinstance(many, list) and len(many) == len(posts)
    assert many == [engine.highlight(p) for p in posts]
    assert engine.highlight([]) == []
    assert engine.highlight(("a tuple works too",))[0]["segments"] == 1


def test_highlight_options(engine: skillmark.Engine) -> None:
    strict = engine.highlight(JOB, min_score=0.99, implicit=False, lexical_spans=False)
    camel = engine.highlight(JOB, minScore=0.99, implicit=False, lexicalSpans=False)
    assert strict == camel
    assert all(not s["links"] for s in strict["spans"])
    assert engine.default_options()["minScore"] == pytest.approx(0.55, abs=0.2)


def test_rank(engine: skillmark.Engine) -> None:
    one = engine.rank("Proficient in Python programming.", k=3)
    assert len(one) == 3 and one[0]["score"] >= one[1]["score"] >= one[2]["score"]
    many = engine.rank(["Proficient in Python programming.", "Fluent in Spanish."])
    assert len(many) == 2 and all(len(r) == 10 for r in many)
    assert many[0][0] == engine.rank("Proficient in Python programming.")[0]


def test_compare(engine: skillmark.Engine) -> None:
    c = engine.compare("We need Python and SQL.", "I write Python every day.", occupations=False)
    assert 0.0 <= c["score"] <= 1.0
    python = next(s for s in c["skills"] if s["skill"]["label"].lower().startswith("python"))
    assert python["matched"] is not None
    assert c["occupations"] == []
    assert set(c["job"]) == {"spans", "skills", "segments"}


def test_occupations(engine: skillmark.Engine) -> None:
    one = engine.occupations("Senior Java Developer", top_k=3, title=True)
    assert len(one) == 3 and one[0]["score"] >= one[1]["score"]
    many = engine.occupations(["Senior Java Developer", "Registered nurse"], top_k=2, title=True)
    assert [len(x) for x in many] == [2, 2]
    assert many[0] == engine.occupations("Senior Java Developer", top_k=2, title=True)


def test_skill(engine: skillmark.Engine) -> None:
    uri = engine.highlight(JOB)["skills"][0]["uri"]
    assert engine.skill(uri)["uri"] == uri
    assert engine.skill("not a uri") is None


def test_bad_path_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-bundle"
    with pytest.raises(skillmark.SkillmarkError, match="no-such-bundle"):
        skillmark.Engine(missing)
    assert issubclass(skillmark.SkillmarkError, ValueError)


def test_bad_options_are_errors(engine: skillmark.Engine) -> None:
    with pytest.raises(skillmark.SkillmarkError, match="min_scor"):
        engine.highlight(JOB, min_scor=0.5)
    with pytest.raises(skillmark.SkillmarkError, match="top_k"):
        engine.highlight(JOB, top_k="five")
    with pytest.raises(skillmark.SkillmarkError, match="link"):
        engine.highlight(JOB, link="sideways")
    with pytest.raises(skillmark.SkillmarkError, match="similar"):
        engine.compare(JOB, JOB, similar=0.5)
    with pytest.raises(skillmark.SkillmarkError, match="threads"):
        skillmark.Engine(threads=0)
    with pytest.raises(TypeError):
        engine.highlight(42)
    with pytest.raises(TypeError):
        engine.highlight(["ok", 42])


def test_threads_1_gives_the_same_results(engine: skillmark.Engine, posts: list[str]) -> None:
    one = skillmark.Engine(threads=1)
    assert one.threads == 1
    assert one.highlight(posts[:4]) == engine.highlight(posts[:4])
    assert one.highlight(posts[0]) == engine.highlight(posts[0])


def test_gil_is_released(engine: skillmark.Engine, posts: list[str]) -> None:
    """A Python thread makes progress while the engine works. With a switch
    interval of 1000 s, a thread holding the GIL would keep it for the whole
    call, so the counter could not move unless the call released it."""
    counter = 0
    stop = threading.Event()
    started = threading.Event()

    def count() -> None:
        nonlocal counter
        started.set()
        while not stop.is_set():
            counter += 1
            time.sleep(0)  # releases the GIL, so the caller gets it back at once

    texts = posts * 3
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        t = threading.Thread(target=count)
        t.start()
        started.wait()
        before = counter
        engine.highlight(texts)
        during = counter - before
    finally:
        stop.set()
        sys.setswitchinterval(old)
        t.join()
    assert during > 0


def test_shared_by_threads(engine: skillmark.Engine, posts: list[str]) -> None:
    expected = [engine.highlight(p) for p in posts[:6]]
    results: dict[int, object] = {}

    def work(i: int) -> None:
        results[i] = engine.highlight(posts[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(6)] == expected
