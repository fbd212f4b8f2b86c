"""The one interface an index backend implements; the service depends only on this.

A backend holds documents and clause chunks and answers searches over them.
Everything the service reads (documents, a chunk with its neighbours, a
document's chunks) and writes (versioned updates) goes through these methods,
so the local folder backend and a Milvus backend are interchangeable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from indexer.records import Chunk, Completion, Document, Intent, Query, SearchFilters, SearchResult, Sentence, Turn


class BackendUnavailable(RuntimeError):
    """The index (or what it needs) cannot be opened; the message says how to repair it."""


class Analyzer(Protocol):
    """The text analysis bound to one index (its tokenizer and corpus dictionary)."""

    def analyse(self, text: str) -> Query:
        """A query record: normal form, tokens, intent; computed once per request."""

    def complete(self, question: str, history: Sequence[Turn]) -> Completion:
        """The question made self-contained from the earlier turns (oldest first), without a language model."""

    def tokens(self, text: str) -> list[str]:
        """The index's tokens for ``text`` (normalized form)."""

    def normalize(self, text: str) -> str:
        """The normalized form tokens are cut from (a token is a substring of it)."""

    def carries(self, intent: Intent, text: str) -> bool:
        """Whether ``text`` holds the kind of fact ``intent`` asks for."""

    def states_total(self, text: str) -> bool:
        """Whether a question asks for a total (一共, 合计) or a sentence gives one (a table's 合计 row)."""

    def sentences(self, text: str) -> list[Sentence]:
        """Sentences with exact offsets into ``text``."""

    def highlight(self, text: str, terms: list[str]) -> list[tuple[int, int]]:
        """[start, end) offsets in ``text`` of the given (normalized) terms."""


@runtime_checkable
class IndexBackend(Protocol):
    analyzer: Analyzer
    version: str  # the published version this copy was opened from or last published as
    store_seq: int | None  # the last document-store event reflected (None: written without the store)

    # ---- reading ----------------------------------------------------------------
    def search(
        self,
        query: Query | str,
        top_k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        weights: tuple[float, float] | None = None,
    ) -> SearchResult:
        """Ranked chunks; ``weights`` overrides (bm25, dense) fusion weights. A string is analysed first.

        ``filters`` carries access (``groups``) and lifecycle (``lifecycle``, ``as_of``) too; a backend
        applies them before ranking: chunks of documents that ``filters.admits`` rejects are not
        candidates (no score, count, confidence or routing may depend on them), and with
        ``lifecycle="demote"`` chunks of documents not in force rank after all others.
        """

    def embed_query(self, query: Query) -> np.ndarray:
        """The query's vector (kept on the record, so a request encodes at most once)."""

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of answer sentences, rows in the order given (encodes now; see ``sentence_vectors``)."""

    def sentence_vectors(self, chunk_ids: list[str]) -> list[tuple[list[Sentence], np.ndarray]]:
        """Per chunk: its sentences (``analyzer.sentences`` of its text) and their unit vectors, one row each,
        as computed when the chunk was indexed (no encoding at request time)."""

    def sentence_terms(self, chunk_ids: list[str]) -> list[list[frozenset[str]] | None]:
        """Per chunk: the distinct ``analyzer.tokens`` of each of its sentences (as ``sentence_vectors`` lists
        them), cut when the chunk was indexed; None for a chunk whose terms the index does not hold (the
        caller tokenizes its sentences itself)."""

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """idf of each indexed term (unknown terms left out)."""

    def list_documents(self) -> list[Document]:
        """Every document, in index order."""

    def document(self, doc_id: str) -> Document | None: ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...

    def neighbours(self, chunk_id: str, width: int = 1) -> tuple[list[Chunk], list[Chunk]]:
        """Up to ``width`` chunks before and after, within the same document."""

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in reading order."""

    def chunk_counts(self) -> dict[str, int]:
        """Chunks per doc_id."""

    def stats(self) -> dict[str, Any]:
        """Counts and build facts for health checks and reports (includes ``encoder``)."""

    # ---- writing ----------------------------------------------------------------
    # Each write publishes a new version durably (or raises, leaving the published one untouched);
    # ``store_seq`` is recorded with it. Writers hold the writer lock (see ``writer.py``).
    def build(self, documents: list[Document], chunks: list[Chunk], show_progress: bool = False,
              store_seq: int | None = None) -> None:
        """Replace the whole index with these documents."""

    def add(self, documents: list[Document], chunks: list[Chunk], show_progress: bool = False,
            store_seq: int | None = None) -> None:
        """Add documents; a document whose doc_id exists is replaced."""

    def remove(self, doc_ids: list[str], store_seq: int | None = None) -> list[str]:
        """Delete documents; returns the ids that were present."""

    def update_documents(self, documents: list[Document], store_seq: int | None = None) -> None:
        """Replace the metadata (lifecycle, visibility, ...) of indexed documents; their chunks stay.

        Unknown doc_ids raise ``KeyError``. Used for lifecycle links and admin corrections.
        """

    def begin_update(self) -> IndexBackend:
        """The backend to apply one update to while this one keeps serving; serve it once the update returns."""
