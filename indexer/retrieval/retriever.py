"""Hybrid search over one loaded index: BM25, dense, fused, optionally reranked."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

import numpy as np

from indexer.records import Chunk, Document, Hit, Intent, Query, SearchFilters, SearchResult
from indexer.retrieval.bm25_index import BM25Index
from indexer.retrieval.confidence import ConfidenceModel, extract_features
from indexer.retrieval.dense_index import DenseIndex
from indexer.retrieval.fusion import normalized_score_fusion, reciprocal_rank_fusion
from indexer.retrieval.fusion_features import ChunkText, pool_features
from indexer.retrieval.learned_fusion import LinearRanker
from indexer.retrieval.metadata_router import MetadataRouter, Route
from indexer.text.question_intent import carries
from indexer.text.tokenizer import ChineseTokenizer, stopwords

log = logging.getLogger(__name__)

SEARCH_MODES = ("hybrid", "bm25", "dense")


class Retriever:
    def __init__(
        self,
        chunks: Sequence[Chunk],
        bm25: BM25Index,
        dense: DenseIndex,
        tokenizer: ChineseTokenizer,
        encoder,
        *,
        fusion: str,
        weights: tuple[float, float],
        rrf_k: int,
        candidate_k: int,
        confidence: ConfidenceModel,
        reranker=None,
        router=None,
        answer_type_boost: float = 0.0,
        ranker: LinearRanker | None = None,
    ) -> None:
        self.chunks = chunks
        self.bm25 = bm25
        self.dense = dense
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.fusion = fusion
        self.weights = weights
        self.rrf_k = rrf_k
        self.candidate_k = candidate_k
        self.confidence = confidence
        self.reranker = reranker
        self.router = router
        self.answer_type_boost = answer_type_boost
        if fusion == "learned" and ranker is None:
            raise ValueError("fusion 'learned' needs a fusion model (FUSION_MODEL)")
        self.ranker = ranker
        self.texts = ChunkText(chunks)

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
        router = MetadataRouter(documents, chunks, self.tokenizer) if self.router is not None else None
        view = copy.copy(self)
        view.chunks, view.bm25, view.dense, view.router = chunks, bm25, dense, router
        view.texts = ChunkText(chunks)
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
        mask = self._mask(filters)
        bm25_all, lexical, dense_top, query_vec = self.lists(query, mask, dense=mode != "bm25")

        if mode == "bm25":
            # The lexical list alone: the encoder never runs, and confidence reads this ranking.
            fused, route = lexical, None
            context_scores = lexical
        else:
            hybrid, route = self._hybrid(query, (bm25_all, lexical, dense_top, query_vec), weights, mask)
            fused = dense_top if mode == "dense" else hybrid
            # Confidence looks at the hybrid ranking in both dense modes, so it means the same.
            context_scores = hybrid
        ranked = _ranked(fused)
        if demoted is not None:
            ranked = [r for r in ranked if not demoted[r]] + [r for r in ranked if demoted[r]]
        depth = max(top_k, self.reranker.depth if self.reranker else 0)
        hits = [
            Hit(self.chunks[r], float(fused[r]), float(bm25_all[r]),
                0.0 if query_vec is None else float(self.dense.vectors[r] @ query_vec))
            for r in ranked[:depth]
        ]
        if self.reranker is not None and hits:
            hits = self.reranker.rerank(query.text, hits)
        hits = hits[:top_k]

        context_rows = _ranked(context_scores)[:3]
        context = [Hit(self.chunks[r], 0.0, 0.0, 0.0) for r in context_rows]
        features = extract_features(query, context, context_rows, self.bm25, stopwords())
        probability = self.confidence.probability(features)
        # A question that names a document of the corpus and asks for its 文号, title or date
        # is answered by that document's header or signature, whatever the features say.
        confident = route is not None or self.confidence.is_confident(probability)
        routed = route.kind if route is not None and mode == "hybrid" else None
        return SearchResult(query.text, mode, hits, confident, probability, features, routed)

    def lists(
        self, query: Query, mask: np.ndarray | None = None, dense: bool = True
    ) -> tuple[np.ndarray, dict[int, float], dict[int, float], np.ndarray | None]:
        """All BM25 scores, the BM25 candidates (score > 0), the dense candidates, the query vector."""
        bm25_all = self.bm25.scores(query.tokens)
        bm25_top = _top(bm25_all, self.candidate_k, mask)
        lexical = {row: s for row, s in bm25_top.items() if s > 0}
        query_vec = self.embed(query) if dense else None
        dense_top = {} if query_vec is None else self._dense_scores(query_vec, mask)
        return bm25_all, lexical, dense_top, query_vec

    def pool(
        self, query: Query, bm25_all: np.ndarray, lexical: dict[int, float], dense_top: dict[int, float],
        query_vec: np.ndarray,
    ) -> tuple[list[int], np.ndarray]:
        """The learned fusion's candidate rows and their features (``fusion_features``)."""
        vectors = self.dense.vectors
        return pool_features(
            query, _ranked(lexical), bm25_all, _ranked(dense_top),
            lambda rows: vectors[np.asarray(rows, dtype=np.int64)] @ query_vec, self.bm25, self.texts,
        )

    def _hybrid(
        self,
        query: Query,
        lists: tuple[np.ndarray, dict[int, float], dict[int, float], np.ndarray | None],
        weights: tuple[float, float] | None,
        mask: np.ndarray | None,
    ) -> tuple[dict[int, float], Route | None]:
        """Fused scores (a routed clause scored first) and the route.

        ``learned`` ranks the candidate pool with the fusion model and keeps RRF order below it;
        explicit ``weights`` (a request's own) always mean weighted RRF or score fusion.
        """
        bm25_all, lexical, dense_top, query_vec = lists
        rule = self.fusion if weights is None or self.fusion != "learned" else "rrf"
        weights = weights or self.weights
        if rule == "score":
            fused = normalized_score_fusion([lexical, dense_top], weights)
        else:
            fused = reciprocal_rank_fusion([_ranked(lexical), _ranked(dense_top)], weights, self.rrf_k)
        if rule == "learned" and self.ranker is not None and query_vec is not None:
            rows, features = self.pool(query, bm25_all, lexical, dense_top, query_vec)
            fused = self.ranker.fuse(rows, features, fused)
        intent = query.intent
        if rule != "learned" and self.answer_type_boost > 0 and intent in (Intent.NUMBER, Intent.DATE,
                                                                            Intent.DEPARTMENT):
            bonus = self.answer_type_boost * max(fused.values(), default=0.0)
            for row in fused:
                if carries(intent, self.chunks[row].text):
                    fused[row] += bonus
        route = self.router.route(query.text, query.tokens) if self.router is not None else None
        if route is not None and mask is not None and not mask[route.row]:
            route = None
        if route is not None:
            fused[route.row] = max(fused.values(), default=0.0) + 1e-6
        return fused, route


def _top(scores: np.ndarray, k: int, mask: np.ndarray | None) -> dict[int, float]:
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    k = min(k, len(scores))
    if k <= 0:
        return {}
    rows = np.argpartition(-scores, k - 1)[:k]
    return {int(r): float(scores[r]) for r in rows if np.isfinite(scores[r])}


def _ranked(scores: dict[int, float]) -> list[int]:
    return [r for r, _ in sorted(scores.items(), key=lambda rs: (-rs[1], rs[0]))]
