"""From a question to an Answer: retrieve, then compose (extractively or with an LLM)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from functools import lru_cache
from threading import Lock

import numpy as np

from config import Settings
from indexer.local_index import LocalIndex
from indexer.records import SearchFilters
from service.answer_composer import Answer, AnswerComposer
from service.llm_answerer import LLMAnswerer

log = logging.getLogger(__name__)


class _VectorMemo:
    """Small LRU of sentence vectors: the same clauses come back for related questions."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    def get_many(self, texts: list[str], compute) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._items]
        if missing:
            vectors = compute(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._items[text] = vec
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        with self._lock:
            return np.stack([self._items[t] for t in texts])


class Answerer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._memo = _VectorMemo()
        self.llm = LLMAnswerer(settings) if settings.llm_base_url else None

    def _composer(self, index: LocalIndex) -> AnswerComposer:
        tokenizer, bm25, encoder = index.tokenizer, index.bm25, index.encoder

        @lru_cache(maxsize=8)
        def question_idf(question: str) -> dict[str, float]:
            # one question is scored against many sentences: tokenize it once
            return {t: float(bm25.idf[bm25.term_ids[t]]) for t in tokenizer(question) if t in bm25.term_ids}

        def lexical_share(question: str, sentence: str) -> float:
            idf = question_idf(question)
            total = sum(idf.values())
            if total <= 0:
                return 0.0
            s_terms = set(tokenizer(sentence))
            return sum(v for t, v in idf.items() if t in s_terms) / total

        return AnswerComposer(
            lexical_share,
            lambda texts: self._memo.get_many(texts, encoder.encode_passages),
            lambda q: encoder.encode_queries([q])[0],
        )

    def answer(self, index: LocalIndex, question: str, top_k: int, filters: SearchFilters | None) -> Answer:
        result = index.search(question, top_k=max(top_k, 5), mode="hybrid", filters=filters)
        hits = result.hits[:top_k]
        extractive = self._composer(index).compose(question, hits, result.confident, result.route_kind)
        if self.llm is None or not result.confident:
            return extractive
        return self.llm.answer(question, hits, fallback=extractive)
