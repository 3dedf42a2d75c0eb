"""Ray Data: tag a text column of a Dataset with ``map_batches``.

::

    import ray
    from skillmark.ray import highlight
    tagged = highlight(ray.data.from_items([{"text": t} for t in texts]), "text")

:class:`Highlighter` is the callable class Ray Data runs in an actor pool:
each actor loads one :class:`skillmark.Engine` when it starts and keeps it.
Batches travel as ``pyarrow.Table`` and the engine reads the text column in
place (:meth:`skillmark.Engine.highlight_arrow`). docs/PYTHON.md says what
was measured of Ray on the project's machines (it is not in the test
command: its install is larger than the rest of the test venv together).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ._arrow import HIGHLIGHTS
from .spark import engine as _engine

if TYPE_CHECKING:
    import ray.data

__all__ = ["Highlighter", "highlight"]

OUTPUT_COLUMNS = tuple(HIGHLIGHTS.field(i).name for i in range(HIGHLIGHTS.num_fields))


class Highlighter:
    """``map_batches`` callable: adds ``spans``, ``skills`` and ``segments``
    (with ``prefix``) to each ``pyarrow.Table`` batch, highlighting
    ``column``; a null text gives nulls. ``path``, ``threads`` and
    ``options`` as :func:`skillmark.spark.highlight`."""

    def __init__(
        self,
        column: str = "text",
        path: str | None = None,
        threads: int | None = 1,
        prefix: str = "",
        **options: Any,
    ) -> None:
        self.column = column
        self.prefix = prefix
        self.options = options
        self.engine = _engine(path, threads)

    def __call__(self, batch: pa.Table) -> pa.Table:
        result = self.engine.highlight_arrow(batch.column(self.column), **self.options)
        if isinstance(result, pa.ChunkedArray):
            result = result.combine_chunks() if result.num_chunks else pa.array([], type=HIGHLIGHTS)
        for name, field in zip(OUTPUT_COLUMNS, result.flatten()):
            batch = batch.append_column(self.prefix + name, field)
        return batch


def highlight(
    ds: ray.data.Dataset,
    column: str = "text",
    *,
    path: str | None = None,
    threads: int | None = 1,
    prefix: str = "",
    concurrency: int | tuple[int, int] = 1,
    batch_size: int | None = 256,
    **options: Any,
) -> ray.data.Dataset:
    """``ds`` with its string column ``column`` highlighted by
    ``concurrency`` actors (an int, or ``(min, max)`` for an autoscaling
    pool; one engine each), ``batch_size`` rows a batch."""
    import ray.data

    if isinstance(concurrency, int):
        pool = ray.data.ActorPoolStrategy(size=concurrency)
    else:
        pool = ray.data.ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    return ds.map_batches(
        Highlighter,
        fn_constructor_kwargs=dict(column=column, path=path, threads=threads, prefix=prefix, **options),
        batch_format="pyarrow",
        batch_size=batch_size,
        compute=pool,
    )
