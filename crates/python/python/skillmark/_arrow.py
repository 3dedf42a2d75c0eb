"""The Arrow batch path's Python half: the result's type and its assembly
from the Arrow buffers the compiled core writes (``_highlight_arrow``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from . import Engine

#: One link of a span (``SkillLink``).
LINK = pa.struct(
    [
        ("uri", pa.string()),
        ("label", pa.string()),
        ("score", pa.float32()),
        ("category", pa.string()),
    ]
)

#: One highlighted span (``HighlightSpan``): byte, char and UTF-16 offsets.
SPAN = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("startChar", pa.int64()),
        ("endChar", pa.int64()),
        ("startUtf16", pa.int64()),
        ("endUtf16", pa.int64()),
        ("text", pa.string()),
        ("kind", pa.string()),
        ("confidence", pa.float32()),
        ("labelMatch", pa.bool_()),
        ("links", pa.list_(LINK)),
    ]
)

#: One skill of the document (``DocumentSkill``).
SKILL = pa.struct(
    [
        ("uri", pa.string()),
        ("label", pa.string()),
        ("description", pa.string()),
        ("category", pa.string()),
        ("skillType", pa.string()),
        ("count", pa.int64()),
        ("bestScore", pa.float32()),
        ("implicit", pa.bool_()),
    ]
)

#: The result of highlighting one text (``Highlights``), the wire schema's
#: field names and order.
HIGHLIGHTS = pa.struct(
    [
        ("spans", pa.list_(SPAN)),
        ("skills", pa.list_(SKILL)),
        ("segments", pa.int64()),
    ]
)


def _assemble(t: pa.DataType, path: str, n: int, bufs: dict[str, bytes]) -> pa.Array:
    if pa.types.is_struct(t):
        children = [
            _assemble(t.field(i).type, f"{path}.{t.field(i).name}" if path else t.field(i).name, n, bufs)
            for i in range(t.num_fields)
        ]
        validity = bufs.get("validity") if not path else None
        return pa.Array.from_buffers(
            t, n, [pa.py_buffer(validity) if validity is not None else None], children=children
        )
    if pa.types.is_list(t):
        offsets = pa.Array.from_buffers(pa.int32(), n + 1, [None, pa.py_buffer(bufs[path + ".offsets"])])
        m = offsets[n].as_py()
        values = _assemble(t.value_type, path + ".item", m, bufs)
        return pa.ListArray.from_arrays(offsets, values, type=t)
    if pa.types.is_string(t):
        return pa.Array.from_buffers(
            t, n, [None, pa.py_buffer(bufs[path + ".offsets"]), pa.py_buffer(bufs[path + ".data"])]
        )
    return pa.Array.from_buffers(t, n, [None, pa.py_buffer(bufs[path])])


def _strings(array: Any) -> pa.Array:
    if not isinstance(array, pa.Array):
        array = pa.array(array, type=pa.string())
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array
    if pa.types.is_null(t) or pa.types.is_string_view(t):
        return array.cast(pa.large_string())
    raise TypeError(f"highlight_arrow expects a pyarrow string array, got {t}")


def highlight_arrow(engine: Engine, array: Any, options: dict[str, Any]) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array(
            [highlight_arrow(engine, c, options) for c in array.chunks], type=HIGHLIGHTS
        )
    array = _strings(array)
    schema, c_array = array.__arrow_c_array__()
    bufs = engine._highlight_arrow(schema, c_array, **options)
    return _assemble(HIGHLIGHTS, "", len(array), bufs)
