"""Typed records passed between the indexing and retrieval stages.

A chunk carries everything a citation needs (document title, 文号, clause path,
offsets), so later stages never have to look the document up again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date as _date
from enum import StrEnum
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class SourceText:
    """Decoded text of one input file (or one record of a JSONL bulk file)."""

    source: str
    text: str
    encoding: str
    fmt: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Status(StrEnum):
    """Where a document stands in its lifecycle."""

    IN_FORCE = "现行有效"
    REVISED = "已修订"
    REPEALED = "已废止"
    EXPIRED = "已失效"
    PENDING = "尚未施行"


ENDED_STATUSES = frozenset({Status.REVISED, Status.REPEALED, Status.EXPIRED})
LifecyclePolicy = Literal["hide", "demote", "show"]
LIFECYCLE_POLICIES: tuple[str, ...] = ("hide", "demote", "show")


@dataclass
class Document:
    """One official document (or a non-document section such as a 大事记).

    Lifecycle: ``status`` is the recorded status, ``effective_from``/``effective_to`` the
    first and last day in force (ISO dates, ``""`` = open), ``supersedes``/``superseded_by``
    the 文号 (or doc ids when there is none) of the documents it repeals or revises and of
    those that repeal or revise it. Use ``status_on`` for the status on a given day.
    Access: ``visibility`` lists the groups that may read it; empty = everyone.
    """

    doc_id: str
    title: str
    text: str
    source: str
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    kind: str = "document"
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str = Status.IN_FORCE.value
    effective_from: str = ""
    effective_to: str = ""
    supersedes: list[str] = field(default_factory=list)
    superseded_by: list[str] = field(default_factory=list)
    visibility: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Also reads records written before the lifecycle and access fields existed."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def reference(self) -> str:
        """How other documents refer to this one: its 文号, else its id."""
        return self.doc_number or self.doc_id


def today_iso() -> str:
    return _date.today().isoformat()


def status_on(doc: Document, day: str | None = None) -> Status:
    """The document's status on ``day`` (ISO date; default today), from its dates and recorded status.

    Before ``effective_from`` it is 尚未施行; after ``effective_to`` it has ended (with its recorded
    ended status, else 已失效); a recorded ended status without an end date counts as ended on
    every day (set ``effective_to`` to make ``as_of`` exact).
    """
    day = day or today_iso()
    recorded = Status(doc.status) if doc.status in Status._value2member_map_ else Status.IN_FORCE
    if doc.effective_from and day < doc.effective_from:
        return Status.PENDING
    if doc.effective_to and day > doc.effective_to:
        return recorded if recorded in ENDED_STATUSES else Status.EXPIRED
    if recorded in ENDED_STATUSES and not doc.effective_to:
        return recorded
    return Status.IN_FORCE


def readable_by(doc: Document, groups: frozenset[str] | None) -> bool:
    """Whether a caller in ``groups`` may read ``doc`` (``None`` = a trusted caller that reads everything)."""
    return groups is None or not doc.visibility or not groups.isdisjoint(doc.visibility)


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
    """Restrict a search; every given field must match (dates are ISO ``YYYY-MM-DD``).

    Access and lifecycle (every backend applies these BEFORE ranking: a document they
    exclude is not a candidate, so no score, count or confidence depends on it):

    - ``groups``: the caller's groups. ``None`` = a trusted caller (CLI, evaluation) that
      reads everything; a set (empty for an anonymous caller) = only documents whose
      ``visibility`` is empty or shares a group (``readable_by``).
    - ``lifecycle``: ``hide`` = only documents in force (``status_on(doc, as_of or today)``);
      ``demote`` = all, those not in force ranked after those in force; ``show`` = all.
    - ``as_of``: the day the lifecycle is judged on (default today); given, it means
      "what applied on that day", so ``show`` then acts as ``hide``.

    ``admits`` is the access + lifecycle predicate for one document and ``accepts_document``
    adds the metadata filters; a backend may compute the admitted set once per ``access_key``
    and cache it.
    """

    doc_id: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    groups: frozenset[str] | None = None
    lifecycle: LifecyclePolicy = "show"
    as_of: str | None = None

    def is_empty(self) -> bool:
        """No metadata restriction (doc_id, 文号, issuer, dates); access and lifecycle aside."""
        return not any((self.doc_id, self.doc_number, self.issuer, self.date_from, self.date_to))

    @property
    def effective_lifecycle(self) -> LifecyclePolicy:
        return "hide" if self.as_of and self.lifecycle == "show" else self.lifecycle

    def restricts_documents(self) -> bool:
        """Whether access or lifecycle can exclude documents (not just reorder them)."""
        return self.groups is not None or self.effective_lifecycle == "hide"

    def in_force(self, doc: Document) -> bool:
        return status_on(doc, self.as_of) == Status.IN_FORCE

    def admits(self, doc: Document) -> bool:
        """Access and lifecycle (``hide``) for one document: whether its chunks may be candidates at all."""
        if not readable_by(doc, self.groups):
            return False
        return self.effective_lifecycle != "hide" or self.in_force(doc)

    def accepts_document(self, doc: Document) -> bool:
        """``admits`` and the metadata filters together."""
        return self.admits(doc) and (self.is_empty() or self.accepts(doc))

    def access_key(self) -> tuple:
        """Everything that decides which documents are candidates (for caching a readable set)."""
        day = self.as_of or today_iso()
        return (self.groups, self.effective_lifecycle, day if self.effective_lifecycle != "show" else None)

    def accepts(self, chunk: Chunk | Document) -> bool:
        """The metadata filters (doc_id, 文号, issuer, dates) for a chunk or a document."""
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
    # Words of the full forms of the corpus's own abbreviations in the question (``ChineseTokenizer.expansion``).
    expansion: tuple[str, ...] = ()

    @property
    def search_terms(self) -> list[str]:
        """What the lexical search scores: the question's tokens and their expansion."""
        return [*self.tokens, *self.expansion]


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
    ``focus`` are the follow-up's own words (what it asks about: X of “那X呢”); when an
    answer to ``completed`` quotes none of them, ``fallback`` is the lighter reading to try
    (the follow-up's own words without the carried predicate), "" when there is none.
    """

    question: str
    completed: str
    rule: str = "none"
    focus: tuple[str, ...] = ()
    fallback: str = ""

    @property
    def followup(self) -> bool:
        return self.rule != "none"

    def quoted_in(self, answer: str, normalize: Callable[[str], str]) -> bool:
        """Whether ``answer`` names every one of the follow-up's own words (compared in ``normalize``'s form)."""
        text = normalize(answer)
        return all(normalize(word) in text for word in self.focus)


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
