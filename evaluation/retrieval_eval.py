"""Retrieval evaluation on a gold-evidence set, for any searcher (in-process or HTTP)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from evaluation.gold import GoldQuestion
from evaluation.metrics import detection, summarize
from evaluation.relevance import is_relevant

# A searcher takes (question, mode, top_k) and returns (passages, confident); each
# passage is a dict with at least "text", "doc_number", "heading_path", "chunk_id".
Searcher = Callable[[str, str, int], tuple[list[dict], bool]]


@dataclass
class QuestionOutcome:
    question: GoldQuestion
    flags: list[bool]
    confident: bool
    top: list[dict]
    seconds: float

    @property
    def first_relevant_rank(self) -> int | None:
        return next((i + 1 for i, f in enumerate(self.flags) if f), None)


@dataclass
class ModeReport:
    mode: str
    metrics: dict[str, float]
    outcomes: list[QuestionOutcome] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


def evaluate_mode(searcher: Searcher, questions: list[GoldQuestion], mode: str, top_k: int = 10) -> ModeReport:
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        passages, confident = searcher(q.question, mode, top_k)
        elapsed = time.perf_counter() - started
        flags = [is_relevant(p["text"], q.evidence) for p in passages] if q.answerable else []
        outcomes.append(QuestionOutcome(q, flags, confident, passages[:3], elapsed))
    answerable = [o for o in outcomes if o.question.answerable]
    metrics = summarize([o.flags for o in answerable])
    metrics |= detection([not o.confident for o in outcomes], [not o.question.answerable for o in outcomes])
    metrics["questions"] = len(answerable)
    return ModeReport(mode, metrics, outcomes, [o.seconds * 1000 for o in outcomes])
