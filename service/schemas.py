"""Request and response models of the HTTP API (separate in and out models)."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_QUESTION_CHARS = 1000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _clean_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or whitespace")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str | None = Field(default=None, max_length=200)
    doc_number: str | None = Field(default=None, max_length=200, examples=["青政办〔2017〕13号"])
    issuer: str | None = Field(default=None, max_length=200)
    date_from: str | None = Field(default=None, description="YYYY-MM-DD", examples=["2017-01-01"])
    date_to: str | None = Field(default=None, description="YYYY-MM-DD", examples=["2017-12-31"])

    @field_validator("date_from", "date_to")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None and not _ISO_DATE.match(value):
            raise ValueError("must be a date written YYYY-MM-DD")
        return value


AS_OF = Field(default=None, description="YYYY-MM-DD: answer from the documents in force on that day",
              examples=["2019-06-01"])


def _as_of(value: str | None) -> str | None:
    if value is not None:
        if not _ISO_DATE.match(value):
            raise ValueError("must be a date written YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
    return value


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bm25: float = Field(ge=0, le=100)
    dense: float = Field(ge=0, le=100)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, examples=["农村老人的基础养老金今年涨多少？"])
    top_k: int = Field(default=10, ge=1, le=50)
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    filters: Filters | None = None
    weights: Weights | None = Field(default=None, description="override the fusion weights for this request")
    as_of: str | None = AS_OF

    _check_as_of = field_validator("as_of")(_as_of)

    @field_validator("query")
    @classmethod
    def _clean_query(cls, value: str) -> str:
        return _clean_text(value)


class SearchHit(BaseModel):
    chunk_id: str
    doc_id: str
    doc_title: str
    doc_number: str
    date: str
    heading_path: list[str]
    text: str
    status: str = Field(description="the document's status today (现行有效 / 已修订 / 已废止 / 已失效 / 尚未施行)")
    highlights: list[tuple[int, int]]
    score: float
    bm25_score: float
    dense_score: float


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]
    confident: bool
    confidence: float
    took_ms: float


class HistoryTurn(BaseModel):
    """One earlier exchange, as the client keeps it."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    chunk_ids: list[str] = Field(default_factory=list, max_length=20, description="the answer's citations, [1] first")
    answer: str = Field(default="", max_length=10_000)

    @field_validator("question")
    @classmethod
    def _clean_question(cls, value: str) -> str:
        return _clean_text(value)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, examples=["农村老人的基础养老金今年涨多少？"])
    top_k: int = Field(default=5, ge=1, le=20)
    filters: Filters | None = None
    as_of: str | None = AS_OF
    history: list[HistoryTurn] = Field(
        default_factory=list, max_length=10,
        description="earlier turns, oldest first; a follow-up (那…呢, 这个文件…) is completed from them",
    )

    _check_as_of = field_validator("as_of")(_as_of)

    @field_validator("question")
    @classmethod
    def _clean_question(cls, value: str) -> str:
        return _clean_text(value)


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    doc_title: str
    doc_number: str
    heading_path: list[str]
    text: str
    quote: str
    source_url: str = Field(description="the source view at this clause, quote marked (relative to the service)")
    status: str = Field(description="the cited document's status today")
    note: str | None = Field(default=None, description="why the cited document is not in force, and its successor")


class AskResponse(BaseModel):
    answer_id: str
    question: str
    completed_question: str | None = Field(description="the follow-up made self-contained; null when asked in full")
    answer: str
    answerable: bool
    confidence: float
    citations: list[CitationOut]
    took_ms: float


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]{32}$")
    rating: Literal["up", "down"]
    reason: str = Field(default="", max_length=100, examples=["答非所问", "引用不准确", "内容过时", "没有找到"])
    comment: str = Field(default="", max_length=2000)


class FeedbackResponse(BaseModel):
    feedback_id: int
    answer_id: str


class FeedbackItem(BaseModel):
    id: int
    answer_id: str
    created: float
    rating: str
    reason: str
    comment: str
    question: str | None
    completed: str | None
    answer: str | None
    answerable: bool | None
    confidence: float | None


class UnansweredGroup(BaseModel):
    question: str = Field(description="the newest question of the group")
    count: int
    last_asked: float
    questions: list[str]


class HitTestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    top_k: int = Field(default=10, ge=1, le=50)

    @field_validator("query")
    @classmethod
    def _clean_query(cls, value: str) -> str:
        return _clean_text(value)


class HitTestHit(BaseModel):
    rank: int
    chunk_id: str
    doc_id: str
    doc_title: str
    doc_number: str
    heading_path: list[str]
    text: str
    score: float


class HitTestResponse(BaseModel):
    query: str
    tokens: list[str]
    intent: str
    modes: dict[str, list[HitTestHit]]
    confident: bool
    confidence: float
    server_ms: float


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    doc_number: str
    issuer: str
    date: str
    kind: str
    source: str
    n_chunks: int
    status: str = Field(description="status today: 现行有效 / 已修订 / 已废止 / 已失效 / 尚未施行")
    recorded_status: str = Field(description="the status recorded at indexing (or by an administrator)")
    effective_from: str
    effective_to: str
    supersedes: list[str]
    superseded_by: list[str]
    visibility: list[str] = Field(description="groups that may read it; empty = everyone")


class ChunkOut(BaseModel):
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


class DocumentDetail(DocumentSummary):
    text: str
    chunks: list[ChunkOut]


class ChunkContext(BaseModel):
    chunk: ChunkOut
    previous: list[ChunkOut]
    next: list[ChunkOut]


class UploadResponse(BaseModel):
    added: list[DocumentSummary]
    errors: list[str]
    took_ms: float


class DeleteResponse(BaseModel):
    deleted: str
    took_ms: float


class DocumentPatch(BaseModel):
    """An administrator's correction; only the fields given change, and they survive re-indexing."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["现行有效", "已修订", "已废止", "已失效", "尚未施行"] | None = None
    effective_from: str | None = Field(default=None, description="YYYY-MM-DD, or empty for open")
    effective_to: str | None = Field(default=None, description="YYYY-MM-DD (last day in force), or empty")
    supersedes: list[str] | None = Field(default=None, max_length=100)
    superseded_by: list[str] | None = Field(default=None, max_length=100)
    visibility: list[str] | None = Field(default=None, max_length=100, description="groups; empty = everyone")

    @field_validator("effective_from", "effective_to")
    @classmethod
    def _date_or_empty(cls, value: str | None) -> str | None:
        return value if value in (None, "") else _as_of(value)
