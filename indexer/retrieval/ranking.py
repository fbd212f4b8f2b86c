"""The ranking step every backend shares: fusion, answer-type prior, routing, reranking, confidence.

A backend finds its candidates its own way (arrays in memory, or Milvus searches)
and hands them over as ``Candidates``; from there on one function ranks them, so
an answer never depends on where the index lives. Candidate keys are integers in
the order the chunks were indexed (local row numbers, Milvus sequence numbers);
ties break on them, so equal scores come out in the same order on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass

from indexer.records import Chunk, Hit, Intent, Query, SearchFilters, SearchResult
from indexer.retrieval.confidence import ConfidenceModel, extract_features, load_tagger
from indexer.retrieval.fusion import normalized_score_fusion, reciprocal_rank_fusion
from indexer.retrieval.fusion_features import POOL_DEPTH, ChunkText, pool_features
from indexer.retrieval.learned_fusion import FusionModel
from indexer.retrieval.metadata_router import Route
from indexer.text.question_intent import carries
from indexer.text.tokenizer import stopwords

SEARCH_MODES = ("hybrid", "bm25", "dense")


@dataclass
class Candidates:
    """What one backend found for one query; every key in ``lexical``/``dense`` resolves through ``chunk``."""

    lexical: dict[int, float]  # BM25 scores > 0 of the best candidates (filters applied)
    dense: dict[int, float]  # cosine of the best candidates (filters applied); empty in bm25 mode
    chunk: Callable[[int], Chunk | None]  # also asked for a routed key outside both lists
    bm25_score: Callable[[int], float]
    dense_score: Callable[[int], float]  # 0.0 when the query has no vector
    heading_score: Callable[[int], float]  # cosine to the chunk's heading vector; 0.0 when the query has no vector
    context_terms: Callable[[list[int]], Container[str]]  # the indexed terms of some passages
    prefetch: Callable[[list[int]], None] = lambda keys: None  # told which keys the scores will be asked for
    demoted: Callable[[int], bool] | None = None  # lifecycle "demote": these rank after all others
    texts: ChunkText | None = None  # the backend's long-lived per-key memo for the learned fusion's features


@dataclass(frozen=True)
class TermStats:
    """What confidence needs of the lexical index: idf of the query's known terms, and the corpus size."""

    idf: Mapping[str, float]
    n_docs: int


class HybridRanker:
    """Validated once from the settings; ``rank`` is the shared step."""

    def __init__(
        self,
        *,
        fusion: str,
        weights: tuple[float, float],
        rrf_k: int,
        confidence: ConfidenceModel,
        reranker=None,
        answer_type_boost: float = 0.0,
        followup_doc_boost: float = 0.0,
        model: FusionModel | None = None,
    ) -> None:
        if fusion not in ("learned", "rrf", "score"):
            raise ValueError(f"unknown fusion {fusion!r}; expected 'learned', 'rrf' or 'score'")
        if fusion == "learned" and model is None:
            raise ValueError("fusion 'learned' needs a fusion model (FUSION_MODEL)")
        self.model = model
        self.fusion = fusion
        self.weights = weights
        self.rrf_k = rrf_k
        self.confidence = confidence
        self.reranker = reranker
        self.answer_type_boost = answer_type_boost
        self.followup_doc_boost = followup_doc_boost
        load_tagger()  # confidence tags only some questions: the first of them must not pay for the tagger

    @classmethod
    def from_settings(cls, settings, reranker=None) -> HybridRanker:
        s = settings
        return cls(
            fusion=s.fusion, weights=(s.bm25_weight, s.dense_weight), rrf_k=s.rrf_k,
            confidence=ConfidenceModel.load(s.confidence_model).with_threshold(s.confidence_threshold),
            reranker=reranker, answer_type_boost=s.answer_type_boost, followup_doc_boost=s.followup_doc_boost,
            model=FusionModel.load(s.fusion_model) if s.fusion == "learned" else None,
        )

    def rank(
        self,
        query: Query,
        found: Candidates,
        stats: TermStats,
        *,
        top_k: int,
        mode: str,
        route: Route | None = None,
        filters: SearchFilters | None = None,
        weights: tuple[float, float] | None = None,
    ) -> SearchResult:
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(SEARCH_MODES)}")
        lexical = {key: s for key, s in found.lexical.items() if s > 0}
        if mode == "bm25":
            # The lexical list alone: the encoder never runs, and confidence reads this ranking.
            fused, route = lexical, None
            context_scores = lexical
        else:
            hybrid, route = self._hybrid(query, found, stats, lexical, weights, route, filters)
            fused = found.dense if mode == "dense" else hybrid
            # Confidence looks at the hybrid ranking in both dense modes, so it means the same.
            context_scores = hybrid
        depth = max(top_k, self.reranker.depth if self.reranker else 0)
        by_score = ranked(fused)
        order = by_score
        if found.demoted is not None:
            order = [k for k in order if not found.demoted(k)] + [k for k in order if found.demoted(k)]
        top = order[:depth]
        context_keys = (by_score if context_scores is fused else ranked(context_scores))[:3]
        found.prefetch(list(dict.fromkeys(top + context_keys)))
        hits = [
            Hit(found.chunk(key), float(fused[key]), float(found.bm25_score(key)), float(found.dense_score(key)))
            for key in top
        ]
        if self.reranker is not None and hits:
            hits = self.reranker.rerank(query.text, hits)
        hits = hits[:top_k]
        context = [Hit(found.chunk(key), 0.0, 0.0, 0.0) for key in context_keys]
        features = extract_features(query, context, found.context_terms(context_keys), stats.idf, stats.n_docs,
                                    stopwords())
        probability = self.confidence.probability(features)
        # A question that names a document of the corpus and asks for its 文号, title or date
        # is answered by that document's header or signature, whatever the features say.
        confident = route is not None or self.confidence.is_confident(probability)
        routed = route.kind if route is not None and mode == "hybrid" else None
        return SearchResult(query.text, mode, hits, confident, probability, features, routed)

    def pool(self, query: Query, found: Candidates, stats: TermStats,
             orders: tuple[list[int], list[int]] | None = None) -> tuple[list[int], object]:
        """The learned fusion's candidate keys and their features (``fusion_features``); ``orders``: the
        BM25 (scores > 0) and dense keys ranked, when the caller has them."""
        if orders is None:
            orders = ranked({key: s for key, s in found.lexical.items() if s > 0}), ranked(found.dense)
        by_bm25, by_dense = orders
        found.prefetch(list(dict.fromkeys([*by_bm25[:POOL_DEPTH], *by_dense[:POOL_DEPTH]])))
        return pool_features(query, by_bm25, found.bm25_score, by_dense, found.dense_score,
                             found.heading_score, stats.idf, stats.n_docs,
                             found.texts or ChunkText(found.chunk))

    def _hybrid(
        self,
        query: Query,
        found: Candidates,
        stats: TermStats,
        lexical: dict[int, float],
        weights: tuple[float, float] | None,
        route: Route | None,
        filters: SearchFilters | None,
    ) -> tuple[dict[int, float], Route | None]:
        """Fused scores (a routed clause scored first) and the route kept.

        ``learned`` ranks the candidate pool with the fusion model (RRF order below it); a
        request's own ``weights`` always mean weighted RRF (or score fusion), with the
        answer-type prior the learned model has as a feature.
        """
        rule = "rrf" if self.fusion == "learned" and weights is not None else self.fusion
        weights = weights or self.weights
        orders = None if rule == "score" else (ranked(lexical), ranked(found.dense))
        if rule == "score":
            fused = normalized_score_fusion([lexical, found.dense], weights)
        else:
            fused = reciprocal_rank_fusion(list(orders), weights, self.rrf_k)
        intent = query.intent
        if rule == "learned" and self.model is not None and found.dense:
            keys, features = self.pool(query, found, stats, orders)
            fused = self.model.fuse(keys, features, fused)
        elif self.answer_type_boost > 0 and intent in (Intent.NUMBER, Intent.DATE, Intent.DEPARTMENT):
            bonus = self.answer_type_boost * max(fused.values(), default=0.0)
            for key in fused:
                if carries(intent, found.chunk(key).text):
                    fused[key] += bonus
        if self.followup_doc_boost > 0 and query.prefer_doc_ids:
            # A follow-up most likely continues in the document the previous answer came from.
            bonus = self.followup_doc_boost * max(fused.values(), default=0.0)
            for key in fused:
                if found.chunk(key).doc_id in query.prefer_doc_ids:
                    fused[key] += bonus
        if route is not None:
            target = found.chunk(route.row)
            if target is None or (filters is not None and not filters.accepts(target)):
                route = None  # filtered out, or gone since the router was built
        if route is not None:
            fused[route.row] = max(fused.values(), default=0.0) + 1e-6
        return fused, route


def ranked(scores: dict[int, float]) -> list[int]:
    """Keys by descending score, ties in index order."""
    return [key for key, _ in sorted(scores.items(), key=lambda ks: (-ks[1], ks[0]))]
