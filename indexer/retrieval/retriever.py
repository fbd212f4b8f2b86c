"""Candidates from the in-memory indexes (BM25 matrix, faiss), ranked by the shared ``HybridRanker``."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

import numpy as np

from indexer.records import Chunk, Document, Query, SearchFilters, SearchResult
from indexer.retrieval.bm25_index import BM25Index
from indexer.retrieval.dense_index import DenseIndex
from indexer.retrieval.fusion_features import ChunkText
from indexer.retrieval.metadata_router import MetadataRouter
from indexer.retrieval.ranking import SEARCH_MODES, Candidates, HybridRanker, TermStats

log = logging.getLogger(__name__)

__all__ = ["SEARCH_MODES", "Retriever"]


class Retriever:
    def __init__(
        self,
        chunks: Sequence[Chunk],
        bm25: BM25Index,
        dense: DenseIndex,
        encoder,
        ranker: HybridRanker,
        *,
        candidate_k: int,
        headings: np.ndarray,
        router=None,
    ) -> None:
        self.chunks = chunks
        self.bm25 = bm25
        self.dense = dense
        self.headings = headings  # per row, the chunk's heading vector (``passage_vectors``), float16
        self.encoder = encoder
        self.ranker = ranker
        self.candidate_k = candidate_k
        self.router = router
        self.texts = ChunkText(lambda row: self.chunks[row])  # the learned fusion's per-row memo

    def subset(self, rows: Sequence[int], documents: Sequence[Document]) -> Retriever:
        """The same retriever over some rows only, as if the other chunks were never indexed.

        BM25 statistics (idf, average length), the dense candidates, confidence and metadata
        routing are all computed over the subset, so nothing about the left-out chunks can
        show in what it returns. ``documents`` are the documents of those rows.
        """
        rows = np.asarray(rows, dtype=np.int64)
        chunks = [self.chunks[r] for r in rows]
        bm25 = BM25Index(self.bm25.vocab, self.bm25.tf[rows], self.bm25.params)
        dense = DenseIndex(self.dense.vectors[rows], hnsw_threshold=len(rows) + 1)  # exact search
        router = None
        if self.router is not None:
            router = MetadataRouter.from_chunks(documents, chunks, self.router.tokenizer)
        view = copy.copy(self)
        view.chunks, view.bm25, view.dense, view.router = chunks, bm25, dense, router
        view.headings = np.asarray(self.headings[rows])
        view.texts = ChunkText(lambda row: chunks[row])
        return view

    def _mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return np.fromiter((filters.accepts(c) for c in self.chunks), dtype=bool, count=len(self.chunks))

    def _dense_scores(self, query_vec: np.ndarray, mask: np.ndarray | None) -> dict[int, float]:
        if mask is not None or self.dense.kind == "flat":
            scores = self.dense.all_scores(query_vec)
            return _top(scores, self.candidate_k, mask)
        values, rows = self.dense.search(query_vec, self.candidate_k)
        return dict(zip(rows.tolist(), values.tolist(), strict=True))

    def embed(self, query: Query) -> np.ndarray:
        """The query's vector, encoded on first use and kept on the record."""
        if query.vector is None:
            query.vector = self.encoder.encode_queries([query.text])[0]
        return query.vector

    def search(
        self,
        query: Query,
        top_k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        weights: tuple[float, float] | None = None,
        demoted: np.ndarray | None = None,
    ) -> SearchResult:
        """``demoted`` (a flag per row) ranks the flagged rows after all others (lifecycle ``demote``)."""
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(SEARCH_MODES)}")
        if not self.chunks:
            return SearchResult(query.text, mode, [], False, 0.0)
        found, stats, route = self.candidates(query, mode, filters, demoted)
        return self.ranker.rank(query, found, stats, top_k=top_k, mode=mode, route=route, filters=filters,
                                weights=weights)

    def candidates(
        self, query: Query, mode: str = "hybrid", filters: SearchFilters | None = None,
        demoted: np.ndarray | None = None,
    ):
        """What this index found for the query (``Candidates``), its term statistics and the metadata route."""
        mask = self._mask(filters)
        bm25_all = self.bm25.scores(query.search_terms)
        query_vec = None if mode == "bm25" else self.embed(query)
        chunks = self.chunks
        found = Candidates(
            lexical=_top(bm25_all, self.candidate_k, mask),
            dense={} if query_vec is None else self._dense_scores(query_vec, mask),
            chunk=lambda row: chunks[row] if 0 <= row < len(chunks) else None,
            bm25_score=lambda row: bm25_all[row],
            dense_score=lambda row: 0.0 if query_vec is None else float(self.dense.vectors[row] @ query_vec),
            heading_score=lambda row: 0.0 if query_vec is None else float(
                np.asarray(self.headings[row], dtype=np.float32) @ query_vec),
            context_terms=self.bm25.terms_of,
            demoted=None if demoted is None else (lambda row: bool(demoted[row])),
            texts=self.texts,
        )
        stats = TermStats(self.bm25.idf_of(query.tokens), self.bm25.n_docs)
        route = None
        if mode != "bm25" and self.router is not None:
            route = self.router.route(query.text, query.tokens)
        return found, stats, route


def _top(scores: np.ndarray, k: int, mask: np.ndarray | None) -> dict[int, float]:
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    k = min(k, len(scores))
    if k <= 0:
        return {}
    rows = np.argpartition(-scores, k - 1)[:k]
    values = scores[rows]
    finite = np.isfinite(values)
    return dict(zip(rows[finite].tolist(), values[finite].tolist(), strict=True))
