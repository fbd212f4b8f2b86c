"""From a question to an Answer: analyse once, retrieve, then compose (extractively or with an LLM)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from threading import Lock

import numpy as np

from config import Settings
from indexer.backends.base import IndexBackend
from indexer.records import Completion, SearchFilters, Turn, readable_by, status_on
from service.answer_composer import Answer, AnswerComposer, ComposerWeights
from service.lifecycle_notes import References, insert_notes
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

    def complete(self, index: IndexBackend, question: str, history: list[Turn]) -> Completion:
        """The question made self-contained: by the LLM when one is configured, else (or on failure) by rule."""
        if not history:
            return Completion(question, question)
        history = [_with_titles(index, turn) for turn in history]
        rule_based = index.analyzer.complete(question, history)
        if self.llm is not None:
            rewritten = self.llm.rewrite(question, [t.question for t in history])
            if rewritten:
                return Completion(question, rewritten, "llm" if rewritten != question else "none")
        return rule_based

    def answer(
        self, index: IndexBackend, question: str, top_k: int, filters: SearchFilters | None,
        history: list[Turn] | None = None,
    ) -> Answer:
        groups = filters.groups if filters else None
        history = [_readable_turn(index, turn, groups) for turn in history or []]
        completion = self.complete(index, question, history)
        query = index.analyzer.analyse(completion.completed)
        if completion.followup and history:
            query.prefer_doc_ids = _answer_docs(index, history[-1])
        result = index.search(query, top_k=max(top_k, 5), mode="hybrid", filters=filters)
        hits = result.hits[:top_k]
        composer = self.composer(index)
        # the search's `confident` flag keeps its own threshold; answers abstain by the composer's
        # verification and a confidence floor fitted with it (python -m evaluation crossval --answers)
        answerable = result.route_kind is not None or result.confidence >= composer.weights.min_confidence
        answer = composer.compose(query, hits, answerable, result.route_kind)
        if self.llm is not None and answer.answerable:
            try:
                answer = self.llm.answer(completion.completed, hits, fallback=answer,
                                         first_sentence=composer.first_sentence)
            except Exception:  # the endpoint is optional: whatever it sends, the user gets the extractive answer
                log.exception("LLM answer path failed unexpectedly, using the extractive answer")
        answer.question = question
        answer.completed = completion.completed if completion.followup else ""
        answer.confidence = result.confidence
        return _annotate(answer, index, filters)


def _annotate(answer: Answer, index: IndexBackend, filters: SearchFilters | None) -> Answer:
    """Statuses of the cited documents, and a note next to each citation of one not in force today."""
    refs = References(index, filters.groups if filters else None)
    for citation in answer.citations:
        doc = index.document(citation.chunk.doc_id)
        if doc is None:
            continue
        answer.statuses[citation.n] = status_on(doc).value
        if (note := refs.note(doc)) is not None:
            answer.notes[citation.n] = note
    if answer.notes and answer.answerable:
        answer.answer = insert_notes(answer.answer, answer.notes)
    return answer


def _readable_turn(index: IndexBackend, turn: Turn, groups: frozenset[str] | None) -> Turn:
    """The turn with only the chunk ids of documents the caller may read (the client sends them)."""
    def readable(chunk_id: str) -> bool:
        chunk = index.chunk(chunk_id)
        doc = index.document(chunk.doc_id) if chunk is not None else None
        return doc is not None and readable_by(doc, groups)

    return Turn(turn.question, tuple(c for c in turn.chunk_ids if readable(c)), turn.answer, turn.doc_titles)


def _with_titles(index: IndexBackend, turn: Turn) -> Turn:
    chunks = [c for c in (index.chunk(cid) for cid in turn.chunk_ids[:5]) if c is not None]
    titles = tuple(dict.fromkeys(c.doc_title for c in chunks if c.doc_title))
    return Turn(turn.question, turn.chunk_ids, turn.answer, titles)


def _answer_docs(index: IndexBackend, turn: Turn) -> tuple[str, ...]:
    """The document of the previous answer: the one its first citation comes from."""
    for chunk_id in turn.chunk_ids[:1]:
        chunk = index.chunk(chunk_id)
        if chunk is not None:
            return (chunk.doc_id,)
    return ()
