"""Typed records passed between the indexing and retrieval stages.

A chunk carries everything a citation needs (document title, 文号, clause path,
offsets), so later stages never have to look the document up again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
