"""The Arrow batch path equals highlight() row for row, nulls kept."""

from __future__ import annotations

import pyarrow as pa
import pytest

import skillmark
from skillmark._arrow import HIGHLIGHTS
from conftest import f32


def expected(engine: skillmark.Engine, texts: list[str | None], **options) -> list[dict | None]:
    """highlight() of each text, scores as float32 (the Arrow columns' type)."""
    return f32([None if t is None else engine.highlight(t, **options) for t in texts])


@pytest.mark.parametrize("type_", [pa.string(), pa.large_string()])
def test_arrow_equals_highlight(engine: skillmark.Engine, posts: list[str], type_: pa.DataType) -> None:
    texts = [posts[0], None, posts[1], "", "Éléments: Zürich, 日本語 and Python.", None, posts[2]]
    arr = pa.array(texts, type=type_)
    out = engine.highlight_arrow(arr)
    assert out.type == HIGHLIGHTS
    assert len(out) == len(texts) and out.null_count == 2
    out.validate(full=True)
    assert out.to_pylist() == expected(engine, texts)


def test_arrow_slices_chunks_and_options(engine: skillmark.Engine, posts: list[str]) -> None:
    texts = [posts[3], None, posts[4], posts[5]]
    arr = pa.array(texts)
    # A sliced array is exported with an offset into its buffers.
    assert engine.highlight_arrow(arr.slice(1, 2)).to_pylist() == expected(engine, texts[1:3])
    chunked = pa.chunked_array([arr.slice(0, 1), arr.slice(1)])
    out = engine.highlight_arrow(chunked)
    assert isinstance(out, pa.ChunkedArray) and out.to_pylist() == expected(engine, texts)
    strict = engine.highlight_arrow(arr, min_score=0.9, implicit=False)
    assert strict.to_pylist() == expected(engine, texts, min_score=0.9, implicit=False)
    # Lists of str/None and all-null arrays are converted.
    assert engine.highlight_arrow([None, "Python"]).to_pylist() == expected(engine, [None, "Python"])
    assert engine.highlight_arrow(pa.nulls(3)).to_pylist() == [None, None, None]
    assert len(engine.highlight_arrow(pa.array([], type=pa.string()))) == 0


def test_arrow_flatten_keeps_nulls(engine: skillmark.Engine) -> None:
    out = engine.highlight_arrow(pa.array(["Python and SQL.", None]))
    spans, skills, segments = out.flatten()
    assert spans.null_count == skills.null_count == segments.null_count == 1


def test_arrow_errors(engine: skillmark.Engine) -> None:
    with pytest.raises(TypeError, match="string"):
        engine.highlight_arrow(pa.array([1, 2]))
    with pytest.raises(skillmark.SkillmarkError, match="unknown highlight option"):
        engine.highlight_arrow(pa.array(["x"]), nope=1)
