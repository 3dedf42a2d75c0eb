"""skillmark: highlights ESCO skills in job posts, offline.

The Rust engine of the skillmark project (the same one as its CLI and its
web app), for Python::

    import skillmark
    engine = skillmark.Engine()                 # the bundle shipped in the wheel
    h = engine.highlight("You will write SQL queries and mentor juniors.")
    [s["label"] for s in h["skills"]]

Results are plain dicts and lists in the project's wire schema (the JSON the
CLI prints; camelCase keys). Every method releases the GIL while the engine
works, in the engine's own thread pool (``threads=``); an ``Engine`` may be
shared by threads. Errors are :class:`SkillmarkError` (a ``ValueError``)
with the engine's message.

Batches of Arrow strings: :meth:`Engine.highlight_arrow`. Data frames:
:mod:`skillmark.spark` (``mapInArrow``) and :mod:`skillmark.ray`
(``map_batches``). See docs/PYTHON.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._skillmark import Engine as _NativeEngine
from ._skillmark import SkillmarkError, __version__

__all__ = ["Engine", "SkillmarkError", "find_bundle", "__version__"]


def find_bundle(path: str | os.PathLike[str] | None = None) -> Path:
    """The bundle directory an :class:`Engine` loads.

    In order: ``path`` when given; the environment variable
    ``SKILLMARK_ASSETS``; the bundle packaged in the wheel (``assets/``
    beside this file: ``scripts/build-python`` puts the shipped bundle there,
    so ``pip install`` of the wheel is all a machine, or a Spark executor,
    needs); in a source checkout (``maturin develop``), the repository's
    ``assets/``.
    """
    if path is not None:
        return Path(path)
    env = os.environ.get("SKILLMARK_ASSETS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "assets", here.parents[3] / "assets" if len(here.parents) > 3 else None):
        if candidate is not None and (candidate / "manifest.json").is_file():
            return candidate
    raise SkillmarkError(
        "no skillmark bundle found: pass Engine(path=...), set SKILLMARK_ASSETS, "
        "or install a wheel built by scripts/build-python (it packages the bundle)"
    )


class Engine(_NativeEngine):
    """The skillmark engine, loaded from one bundle.

    ``Engine(path=None, threads=None)``: ``path`` is a bundle directory
    (``manifest.json`` and the files it lists, each checked against its
    sha256 while loading); ``None`` finds one with :func:`find_bundle` (the
    bundle packaged in the wheel). ``threads`` sizes the engine's own worker
    pool (``None``: one thread per core; in a Spark or Ray worker, 1 per
    worker process usually scales best). Loading takes about a second.

    Methods taking ``text`` accept a ``str`` (one result) or a list of
    ``str`` (a list of results, in order; the texts are worked on in
    parallel). Options are keyword arguments, snake_case or the wire's
    camelCase; an unknown one is an error.

    ``highlight(text, **options)``
        Spans of skills and knowledge in the text, each linked to ESCO skills,
        and the document's skill list: a ``Highlights`` dict
        ``{"spans": [...], "skills": [...], "segments": n}``. Options
        (``HighlightOptions``; defaults: :meth:`default_options`):
        ``min_score``, ``top_k`` (links per span), ``implicit``,
        ``implicit_min_score``, ``link`` ("context", "text", "both"),
        ``text_weight``, ``lexical_bonus``, ``lexical_spans``.
    ``rank(text, k=10)``
        The ``k`` ESCO skills closest to the whole text, best first:
        ``[{"uri", "label", "score"}, ...]``.
    ``compare(job, resume, **options)``
        A job post compared with a résumé (``Comparison``): matched and
        missing skills, experience, title, education and a score in [0, 1].
        Options (``CompareOptions``): ``similar_min``, ``occupations``,
        ``top_occupations``, ``current_year``.
    ``occupations(text, top_k=10, title=False, max_skills=10)``
        The ESCO occupations the text (with ``title=True``: a job title)
        most likely describes, best first. The first call embeds the
        occupations' labels (seconds).
    ``skill(uri)``
        An ESCO skill by URI, or ``None``.
    ``default_options()``
        The bundle's default highlight options.
    ``path``, ``threads``, ``kernel``, ``has_occupations``
        The bundle's directory, the pool's size, the matrix kernel, whether
        the bundle has occupations.
    """

    __slots__ = ()

    def __new__(cls, path: str | os.PathLike[str] | None = None, threads: int | None = None) -> Engine:
        return super().__new__(cls, os.fspath(find_bundle(path)), threads)

    def highlight_arrow(self, array: Any, **options: Any) -> Any:
        """Highlights each string of a pyarrow array: the Arrow batch path.

        ``array``: a ``pyarrow`` ``string`` or ``large_string`` array (also
        ``string_view``, cast; a ``ChunkedArray`` is done chunk by chunk; a
        list of ``str``/``None`` is converted). The strings are read in place
        through the Arrow C Data Interface (no Python string per row), the
        GIL released, rows in parallel in the engine's pool.

        Returns a ``pyarrow.StructArray`` of the wire schema's ``Highlights``
        (:data:`skillmark._arrow.HIGHLIGHTS`: ``spans``, ``skills``,
        ``segments``), one row per input row; a null input row gives a null
        row. ``result.to_pylist()[i]`` equals ``engine.highlight(texts[i])``
        for every non-null row, its scores as float32 (``highlight`` gives
        each f32 score's shortest decimal, as the CLI's JSON). Options as
        :meth:`highlight`.
        """
        try:
            from . import _arrow
        except ImportError as e:
            raise ImportError(
                f"Engine.highlight_arrow needs pyarrow (pip install pyarrow): {e}"
            ) from e
        return _arrow.highlight_arrow(self, array, options)

    def __repr__(self) -> str:
        return f"skillmark.Engine(path={str(self.path)!r}, threads={self.threads})"
