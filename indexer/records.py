"""Typed records passed between the indexing and retrieval stages.

A chunk carries everything a citation needs (document title, 文号, clause path,
offsets), so later stages never have to look the document up again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SourceText:
    """Decoded text of one input file (or one record of a JSONL bulk file)."""

    source: str
    text: str
    encoding: str
    fmt: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    """One official document (or a non-document section such as a 大事记)."""

    doc_id: str
    title: str
    text: str
    source: str
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    kind: str = "document"
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Chunk:
    """A clause-level passage; `start`/`end` index into `Document.text`."""

    chunk_id: str
    doc_id: str
    doc_title: str
    doc_number: str
    issuer: str
    date: str
    heading_path: list[str]
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SearchFilters:
    """Restrict a search; every given field must match (dates are ISO ``YYYY-MM-DD``)."""

    doc_id: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def accepts(self, chunk: Chunk) -> bool:
        if self.doc_id and chunk.doc_id != self.doc_id:
            return False
        if self.doc_number and chunk.doc_number != self.doc_number:
            return False
        if self.issuer and self.issuer not in chunk.issuer:
            return False
        if (self.date_from or self.date_to) and not chunk.date:
            return False
        if self.date_from and chunk.date < self.date_from:
            return False
        return not (self.date_to and chunk.date > self.date_to)


class Intent(StrEnum):
    """The kind of fact a question asks for."""

    NUMBER = "number"
    DATE = "date"
    DEPARTMENT = "department"
    LIST = "list"
    DOC_NUMBER = "doc_number"
    OTHER = "other"


@dataclass
class Query:
    """A question analysed once at the edge and passed down to every stage.

    ``vector`` is filled by the first stage that needs the dense side (never in
    ``bm25`` mode), so one request encodes its question at most once.
    """

    text: str
    norm: str
    tokens: list[str]
    intent: Intent
    vector: np.ndarray | None = None
    # Documents a follow-up question leans on (the previous answer's); hybrid search prefers them.
    prefer_doc_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, as the client keeps it (oldest first)."""

    question: str
    chunk_ids: tuple[str, ...] = ()
    answer: str = ""
    doc_titles: tuple[str, ...] = ()  # titles of the cited chunks' documents, filled by the service


@dataclass(frozen=True)
class Completion:
    """A question made self-contained from the conversation before it.

    ``rule`` names how: ``none`` (asked in full), ``substitute`` (“那X呢”), ``anaphor``
    (这/该/其/它…), ``carry`` (no subject of its own, or a leading 那/还有), ``llm``.
    """

    question: str
    completed: str
    rule: str = "none"

    @property
    def followup(self) -> bool:
        return self.rule != "none"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage; ``start``/``end`` index into the passage text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class IngestError:
    """One input that could not be read, segmented or chunked."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass
class IngestResult:
    """Documents and chunks of the files that could be read, and one error per file that could not."""

    documents: list[Document] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)

    def chunk_counts(self) -> Counter[str]:
        return Counter(chunk.doc_id for chunk in self.chunks)


@dataclass
class Hit:
    chunk: Chunk
    score: float
    bm25_score: float
    dense_score: float

    def to_dict(self) -> dict[str, Any]:
        return self.chunk.to_dict() | {
            "score": self.score, "bm25_score": self.bm25_score, "dense_score": self.dense_score,
        }


@dataclass
class SearchResult:
    query: str
    mode: str
    hits: list[Hit]
    confident: bool
    confidence: float
    features: Any = None  # the ConfidenceFeatures behind `confidence`
    route_kind: str | None = None  # "header"/"signature" when a metadata question was routed
