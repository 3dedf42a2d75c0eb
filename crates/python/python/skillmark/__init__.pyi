"""Type stubs of the skillmark package (the compiled core and its Python part).

Results are the wire schema's JSON as dicts (camelCase keys); the TypedDicts
below name their fields for type checkers (docs/PYTHON.md; the schema's
source: crates/schema, web/schema/skillmark.d.ts).
"""

import os
from pathlib import Path
from typing import Any, Literal, TypedDict, overload

__version__: str

class SkillmarkError(ValueError):
    """An error of the skillmark engine, with its message."""

class SkillLink(TypedDict):
    uri: str
    label: str
    score: float
    category: Literal["technology", "technical", "business", "soft"]

class HighlightSpan(TypedDict):
    start: int
    end: int
    startChar: int
    endChar: int
    startUtf16: int
    endUtf16: int
    text: str
    kind: Literal["skill", "knowledge", "implicit"]
    confidence: float
    labelMatch: bool
    links: list[SkillLink]

class DocumentSkill(TypedDict):
    uri: str
    label: str
    description: str
    category: Literal["technology", "technical", "business", "soft"]
    skillType: str
    count: int
    bestScore: float
    implicit: bool

class Highlights(TypedDict):
    spans: list[HighlightSpan]
    skills: list[DocumentSkill]
    segments: int

class RankedSkill(TypedDict):
    uri: str
    label: str
    score: float

class HighlightOptions(TypedDict, total=False):
    minScore: float
    topK: int
    implicit: bool
    implicitMinScore: float
    link: Literal["text", "context", "both"]
    textWeight: float
    lexicalBonus: float | None
    lexicalSpans: bool

def find_bundle(path: str | os.PathLike[str] | None = None) -> Path: ...

class Engine:
    def __new__(
        cls, path: str | os.PathLike[str] | None = None, threads: int | None = None
    ) -> Engine: ...
    @property
    def path(self) -> Path: ...
    @property
    def threads(self) -> int: ...
    @property
    def kernel(self) -> str: ...
    @property
    def has_occupations(self) -> bool: ...
    def default_options(self) -> HighlightOptions: ...
    @overload
    def highlight(
        self,
        text: str,
        *,
        min_score: float = ...,
        top_k: int = ...,
        implicit: bool = ...,
        implicit_min_score: float = ...,
        link: Literal["text", "context", "both"] = ...,
        text_weight: float = ...,
        lexical_bonus: float | None = ...,
        lexical_spans: bool = ...,
    ) -> Highlights: ...
    @overload
    def highlight(
        self,
        text: list[str],
        *,
        min_score: float = ...,
        top_k: int = ...,
        implicit: bool = ...,
        implicit_min_score: float = ...,
        link: Literal["text", "context", "both"] = ...,
        text_weight: float = ...,
        lexical_bonus: float | None = ...,
        lexical_spans: bool = ...,
    ) -> list[Highlights]: ...
    @overload
    def rank(self, text: str, k: int = 10) -> list[RankedSkill]: ...
    @overload
    def rank(self, text: list[str], k: int = 10) -> list[list[RankedSkill]]: ...
    def compare(
        self,
        job: str,
        resume: str,
        *,
        similar_min: float = ...,
        occupations: bool = ...,
        top_occupations: int = ...,
        current_year: int | None = ...,
    ) -> dict[str, Any]:
        """The wire schema's ``Comparison``."""
    @overload
    def occupations(
        self, text: str, top_k: int = 10, title: bool = False, max_skills: int = 10
    ) -> list[dict[str, Any]]: ...
    @overload
    def occupations(
        self, text: list[str], top_k: int = 10, title: bool = False, max_skills: int = 10
    ) -> list[list[dict[str, Any]]]: ...
    def skill(self, uri: str) -> DocumentSkill | None: ...
    def highlight_arrow(self, array: Any, **options: Any) -> Any:
        """A ``pyarrow.StructArray`` (or ``ChunkedArray``) of ``Highlights``."""
