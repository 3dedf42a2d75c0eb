"""Apache Spark: tag a text column of a DataFrame with ``mapInArrow``.

::

    from skillmark.spark import highlight
    tagged = highlight(df, "text")          # adds spans, skills, segments
    tagged.select("id", "skills.label", "skills.bestScore")

Each executor's Python worker loads one :class:`skillmark.Engine` the first
time it gets a batch and keeps it for the worker's life (a module-level cache
keyed by bundle path and thread count; Spark reuses Python workers by
default, ``spark.python.worker.reuse``). The rows travel as Arrow record
batches both ways and the engine reads the text column in place
(:meth:`skillmark.Engine.highlight_arrow`), so no Python object is made per
row. The executors need the package installed (the wheel carries the bundle)
or ``SKILLMARK_ASSETS`` / ``path=`` pointing at a bundle they can read.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Iterator

import pyarrow as pa

from . import Engine, find_bundle
from ._arrow import HIGHLIGHTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType, StructType

__all__ = ["highlight", "engine", "result_schema", "OUTPUT_COLUMNS"]

#: The columns :func:`highlight` adds (the wire schema's ``Highlights``).
OUTPUT_COLUMNS = tuple(HIGHLIGHTS.field(i).name for i in range(HIGHLIGHTS.num_fields))

_engines: dict[tuple[str, int | None], Engine] = {}
_lock = threading.Lock()


def engine(path: str | None = None, threads: int | None = None) -> Engine:
    """This process's engine for ``path`` and ``threads``, loaded once."""
    key = (str(find_bundle(path)), threads)
    with _lock:
        e = _engines.get(key)
        if e is None:
            e = _engines[key] = Engine(key[0], threads=threads)
        return e


def _spark_type(t: pa.DataType) -> DataType:
    from pyspark.sql import types as T

    if pa.types.is_struct(t):
        return T.StructType([T.StructField(f.name, _spark_type(f.type), True) for f in t])
    if pa.types.is_list(t):
        return T.ArrayType(_spark_type(t.value_type), True)
    simple = {
        pa.string(): T.StringType(),
        pa.int64(): T.LongType(),
        pa.float32(): T.FloatType(),
        pa.bool_(): T.BooleanType(),
    }
    return simple[t]


def result_schema(schema: StructType, prefix: str = "") -> StructType:
    """``schema`` with the columns :func:`highlight` adds."""
    from pyspark.sql import types as T

    added = [
        T.StructField(prefix + f.name, _spark_type(f.type), True) for f in HIGHLIGHTS
    ]
    return T.StructType(list(schema.fields) + added)


def _tag(
    batches: Iterator[pa.RecordBatch],
    column: str,
    path: str | None,
    threads: int | None,
    prefix: str,
    options: dict[str, Any],
) -> Iterator[pa.RecordBatch]:
    e = engine(path, threads)
    for batch in batches:
        result = e.highlight_arrow(batch.column(column), **options)
        # flatten(): each field with the row's validity, so a null text gives
        # null spans/skills/segments (not empty lists).
        fields = result.flatten()
        yield pa.RecordBatch.from_arrays(
            list(batch.columns) + fields,
            names=list(batch.schema.names) + [prefix + n for n in OUTPUT_COLUMNS],
        )


def highlight(
    df: DataFrame,
    column: str = "text",
    *,
    path: str | None = None,
    threads: int | None = 1,
    prefix: str = "",
    **options: Any,
) -> DataFrame:
    """``df`` with its string column ``column`` highlighted.

    Adds the columns ``spans`` (array of the wire schema's ``HighlightSpan``
    structs: offsets, text, kind, confidence, ``links`` with each link's
    ``uri``, ``label``, ``score``, ``category``), ``skills`` (array of
    ``DocumentSkill``: ``uri``, ``label``, ``bestScore``, ``count``, …) and
    ``segments``, each name with ``prefix`` before it; a null text gives
    nulls. Scores are ``float`` columns inside them, e.g.
    ``F.col("skills.bestScore")``.

    ``path``: the bundle as the executors see it (default: the one packaged
    in the wheel). ``threads``: each engine's pool; the default 1 lets Spark's
    task slots (``local[N]``, ``spark.executor.cores``) be the parallelism.
    ``options``: highlight options, as :meth:`skillmark.Engine.highlight`.
    """
    taken = set(df.columns) & {prefix + n for n in OUTPUT_COLUMNS}
    if taken:
        raise ValueError(f"the DataFrame already has columns {sorted(taken)}: pass prefix=")
    if column not in df.columns:
        raise ValueError(f"no column {column!r} in the DataFrame (columns: {df.columns})")
    func = partial(
        _tag, column=column, path=path, threads=threads, prefix=prefix, options=dict(options)
    )
    return df.mapInArrow(func, result_schema(df.schema, prefix))
