"""From a question to an Answer: analyse once, retrieve, then compose (extractively or with an LLM)."""

from __future__ import annotations

import logging

import numpy as np

from config import Settings
from indexer.backends.base import IndexBackend
from indexer.records import Completion, Hit, SearchFilters, SearchResult, Turn, readable_by, status_on
from service.answer_composer import Answer, AnswerComposer, ComposerWeights
from service.lifecycle_notes import References, insert_notes
from service.llm_answerer import LLMAnswerer

log = logging.getLogger(__name__)


class _StoredSentenceVectors:
    """Sentence vectors (and tokens) of the top passages, as the index stored them when it indexed the chunks.

    A sentence the index does not hold (an index built before sentences were
    stored, or a different split) is encoded here, once per request; one whose
    tokens it does not hold is tokenized by the composer.
    """

    def __init__(self, index: IndexBackend, hits: list[Hit]) -> None:
        self.index = index
        self.vectors: dict[str, np.ndarray] = {}
        self.terms: dict[str, frozenset[str]] = {}
        chunk_ids = [h.chunk.chunk_id for h in hits]
        stored = index.sentence_vectors(chunk_ids)
        for (sentences, vectors), terms in zip(stored, index.sentence_terms(chunk_ids), strict=True):
            for sentence, vector in zip(sentences, vectors, strict=True):
                self.vectors.setdefault(sentence.text, vector)
            if terms is not None:
                self.terms.update(zip((s.text for s in sentences), terms, strict=True))
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

    def composer(self, index: IndexBackend, weights: ComposerWeights | None = None,
                 hits: list[Hit] | None = None) -> AnswerComposer:
        # The index's stored vectors and tokens of the top passages' sentences; without hits, computed on demand.
        stored = _StoredSentenceVectors(index, hits[: (weights or ComposerWeights()).passages]) \
            if hits is not None else None
        return AnswerComposer(
            index.analyzer,
            index.term_weights,
            stored if stored is not None else index.embed_sentences,
            index.embed_query,
            weights or ComposerWeights(),
            known_terms=stored.terms if stored is not None else None,
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
        prefer = _answer_docs(index, history[-1]) if completion.followup and history else ()
        asked = completion.completed
        composed = self._compose(index, asked, top_k, filters, prefer)
        if completion.fallback and not _answers(index, completion, composed[0]):
            # The completed follow-up kept a predicate that does not fit what it now asks about
            # (“二级公路收费呢？” after “…要改扩建多少公里？”): the lighter reading, if its answer does.
            lighter = self._compose(index, completion.fallback, top_k, filters, prefer)
            if _answers(index, completion, lighter[0]):
                asked, composed = completion.fallback, lighter
        answer, result, hits, composer = composed
        if self.llm is not None and answer.answerable:
            try:
                answer = self.llm.answer(asked, hits, fallback=answer, first_sentence=composer.first_sentence)
            except Exception:  # the endpoint is optional: whatever it sends, the user gets the extractive answer
                log.exception("LLM answer path failed unexpectedly, using the extractive answer")
        answer.question = question
        answer.completed = asked if completion.followup else ""
        answer.confidence = result.confidence
        return _annotate(answer, index, filters)

    def _compose(
        self, index: IndexBackend, text: str, top_k: int, filters: SearchFilters | None, prefer: tuple[str, ...],
    ) -> tuple[Answer, SearchResult, list[Hit], AnswerComposer]:
        """The extractive answer to ``text`` (analysed once, searched once)."""
        query = index.analyzer.analyse(text)
        query.prefer_doc_ids = prefer
        result = index.search(query, top_k=max(top_k, 5), mode="hybrid", filters=filters)
        hits = result.hits[:top_k]
        composer = self.composer(index, hits=hits)
        # the search's `confident` flag keeps its own threshold; answers abstain by the composer's
        # verification and a confidence floor fitted with it (python -m evaluation crossval --answers)
        answerable = result.route_kind is not None or result.confidence >= composer.weights.min_confidence
        return composer.compose(query, hits, answerable, result.route_kind), result, hits, composer


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


def _answers(index: IndexBackend, completion: Completion, answer: Answer) -> bool:
    """Whether the answer found something and its quoted sentences name the follow-up's own words."""
    return answer.answerable and completion.quoted_in(answer.answer, index.analyzer.normalize)


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
