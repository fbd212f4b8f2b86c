"""From a question to an Answer: analyse once, retrieve, then compose (extractively or with an LLM)."""

from __future__ import annotations

import logging

import numpy as np

from config import Settings
from indexer.backends.base import IndexBackend
from indexer.records import Hit, SearchFilters
from service.answer_composer import Answer, AnswerComposer, ComposerWeights
from service.llm_answerer import LLMAnswerer

log = logging.getLogger(__name__)


class _StoredSentenceVectors:
    """Sentence vectors of the top passages, as the index stored them when it embedded the chunks.

    A sentence the index does not hold (an index built before sentences were
    stored, or a different split) is encoded here, once per request.
    """

    def __init__(self, index: IndexBackend, hits: list[Hit]) -> None:
        self.index = index
        self.vectors: dict[str, np.ndarray] = {}
        for sentences, vectors in index.sentence_vectors([h.chunk.chunk_id for h in hits]):
            for sentence, vector in zip(sentences, vectors, strict=True):
                self.vectors.setdefault(sentence.text, vector)
        self.encoded = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.encoded += len(missing)
            log.debug("encoding %d answer sentences the index does not hold", len(missing))
            self.vectors.update(zip(missing, self.index.embed_sentences(missing), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])


class Answerer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.llm = LLMAnswerer(settings) if settings.llm_base_url else None

    def _composer(self, index: IndexBackend, hits: list[Hit]) -> AnswerComposer:
        return AnswerComposer(
            index.analyzer,
            index.term_weights,
            _StoredSentenceVectors(index, hits[: ComposerWeights().passages]),
            index.embed_query,
        )

    def answer(self, index: IndexBackend, question: str, top_k: int, filters: SearchFilters | None) -> Answer:
        query = index.analyzer.analyse(question)
        result = index.search(query, top_k=max(top_k, 5), mode="hybrid", filters=filters)
        hits = result.hits[:top_k]
        composer = self._composer(index, hits)
        extractive = composer.compose(query, hits, result.confident, result.route_kind)
        if self.llm is None or not result.confident:
            return extractive
        return self.llm.answer(question, hits, fallback=extractive, first_sentence=composer.first_sentence)
