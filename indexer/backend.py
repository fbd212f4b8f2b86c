"""The one interface an index backend implements; the service depends only on this.

A second backend (a distributed engine for corpora beyond one machine) can
implement the same five operations without touching the service.
"""

from __future__ import annotations

from typing import Any, Protocol

from indexer.records import Chunk, Document, SearchFilters, SearchResult


class IndexBackend(Protocol):
    def build(self, documents: list[Document], chunks: list[Chunk]) -> None:
        """Replace the whole index with these documents."""

    def add(self, documents: list[Document], chunks: list[Chunk]) -> None:
        """Add documents; a document whose doc_id exists is replaced."""

    def remove(self, doc_ids: list[str]) -> list[str]:
        """Delete documents; returns the ids that were present."""

    def search(
        self,
        query: str,
        top_k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        weights: tuple[float, float] | None = None,
    ) -> SearchResult:
        """Ranked chunks for a query; ``weights`` overrides (bm25, dense) fusion weights."""

    def stats(self) -> dict[str, Any]:
        """Counts and build facts for health checks and reports."""
