"""From a question to an Answer: analyse once, retrieve, then compose (extractively or with an LLM)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from threading import Lock

import numpy as np

from config import Settings
from indexer.backends.base import IndexBackend
from indexer.records import SearchFilters
from service.answer_composer import Answer, AnswerComposer, ComposerWeights
from service.llm_answerer import LLMAnswerer

log = logging.getLogger(__name__)


class _VectorMemo:
    """Small LRU of sentence vectors: the same clauses come back for related questions."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    def get_many(self, texts: list[str], compute) -> np.ndarray:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in dict.fromkeys(texts):
                if text in self._items:
                    self._items.move_to_end(text)
                    found[text] = self._items[text]
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = compute(missing)
            found.update(zip(missing, vectors, strict=True))
            with self._lock:
                for text in missing:
                    self._items[text] = found[text]
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        # Built from this request's own lookups, so eviction by other requests cannot lose a row.
        return np.stack([found[t] for t in texts])


class Answerer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._memo = _VectorMemo()
        self.llm = LLMAnswerer(settings) if settings.llm_base_url else None

    def composer(self, index: IndexBackend, weights: ComposerWeights | None = None) -> AnswerComposer:
        return AnswerComposer(
            index.analyzer,
            index.term_weights,
            lambda texts: self._memo.get_many(texts, index.embed_sentences),
            index.embed_query,
            weights or ComposerWeights(),
        )

    def answer(self, index: IndexBackend, question: str, top_k: int, filters: SearchFilters | None) -> Answer:
        query = index.analyzer.analyse(question)
        result = index.search(query, top_k=max(top_k, 5), mode="hybrid", filters=filters)
        hits = result.hits[:top_k]
        composer = self.composer(index)
        answerable = result.route_kind is not None or result.confidence >= composer.weights.min_confidence
        extractive = composer.compose(query, hits, answerable, result.route_kind)
        if self.llm is None or not extractive.answerable:
            return extractive
        return self.llm.answer(question, hits, fallback=extractive, first_sentence=composer.first_sentence)
