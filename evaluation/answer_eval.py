"""Answer metrics for ``/v1/ask``: key-string accuracy and citation faithfulness.

An answer is a sequence of segments, each ending with one or more markers like ``[1]``.
A segment is **faithful** when, with its markers removed and surrounding whitespace
stripped, it occurs verbatim in the passage of every citation its markers name. Text
after the last marker is an uncited segment and counts as unfaithful; an answer without
any marker (the "not found" reply) has no segments and is left out of faithfulness.

Citations are plain dicts with at least ``n`` and ``text`` (the cited passage), as the
HTTP API returns them; `citations_as_dicts` converts in-process ``Citation`` records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evaluation.metrics import detection
from evaluation.relevance import contains_answer

MARKERS = re.compile(r"((?:\[\d+\])+)")
_NUMBER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Segment:
    text: str
    markers: tuple[int, ...]
    faithful: bool
    reason: str = ""


def split_segments(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """``"甲。[1]乙。[2][3]丙"`` → ``[("甲。", (1,)), ("乙。", (2, 3)), ("丙", ())]``."""
    parts = MARKERS.split(answer)
    segments = []
    for i in range(0, len(parts), 2):
        text = parts[i].strip()
        markers = tuple(int(n) for n in _NUMBER.findall(parts[i + 1])) if i + 1 < len(parts) else ()
        if text or markers:
            segments.append((text, markers))
    return segments


def strip_markers(answer: str) -> str:
    return MARKERS.sub("", answer)


def faithfulness(answer: str, citations: Sequence[dict[str, Any]]) -> list[Segment]:
    """Judge every segment of ``answer`` against the passages of ``citations``."""
    passages = {int(c["n"]): str(c.get("text", "")) for c in citations}
    out = []
    for text, markers in split_segments(answer):
        if not markers:
            out.append(Segment(text, markers, False, "no citation marker"))
        elif not text:
            out.append(Segment(text, markers, False, "marker without text"))
        elif missing := [n for n in markers if n not in passages]:
            out.append(Segment(text, markers, False, f"no citation [{missing[0]}]"))
        elif wrong := [n for n in markers if text not in passages[n]]:
            out.append(Segment(text, markers, False, f"not in the passage of [{wrong[0]}]"))
        else:
            out.append(Segment(text, markers, True))
    return out


def answer_correct(answer: str, key: str) -> bool:
    """The answer (markers removed) contains the key string after normalization."""
    return bool(key) and contains_answer(strip_markers(answer), key)


def citations_as_dicts(citations: Iterable[Any]) -> list[dict[str, Any]]:
    """In-process ``Citation(n, chunk, quote)`` records → the API's citation dicts."""
    return [
        {"n": c.n, "chunk_id": c.chunk.chunk_id, "doc_title": c.chunk.doc_title, "doc_number": c.chunk.doc_number,
         "heading_path": list(c.chunk.heading_path), "text": c.chunk.text, "quote": c.quote}
        for c in citations
    ]


@dataclass
class AskOutcome:
    """One question put to ``/v1/ask`` and how its answer scores."""

    question_id: str
    question: str
    key: str
    truly_answerable: bool
    answer: str
    answerable: bool
    citations: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def segments(self) -> list[Segment]:
        return faithfulness(self.answer, self.citations) if self.answerable else []

    @property
    def correct(self) -> bool:
        return self.answerable and answer_correct(self.answer, self.key)


def summarize_ask(outcomes: Sequence[AskOutcome]) -> dict[str, float]:
    """Accuracy on answerable questions with a key, flag rates, and faithfulness of cited segments.

    - ``answer_accuracy``: share of answerable questions (with a key) whose answer contains the key;
      a "not found" reply counts as wrong.
    - ``answered_rate``: share of answerable questions the system answered (``answerable`` true).
    - ``unanswerable_precision/recall``, ``answerable_flagged``: the ``answerable = false`` flag as a detector.
    - ``faithful_segments``: share of all answer segments that are faithful;
      ``faithful_answers``: share of answers with segments whose every segment is faithful.
    """
    if not outcomes:
        return {}
    keyed = [o for o in outcomes if o.truly_answerable and o.key]
    answerable = [o for o in outcomes if o.truly_answerable]
    segmented = [(o, o.segments) for o in outcomes]
    segmented = [(o, s) for o, s in segmented if s]
    n_segments = sum(len(s) for _, s in segmented)
    out = {
        "answer_accuracy": sum(o.correct for o in keyed) / len(keyed) if keyed else 0.0,
        "answered_rate": sum(o.answerable for o in answerable) / len(answerable) if answerable else 0.0,
    }
    out |= detection([not o.answerable for o in outcomes], [not o.truly_answerable for o in outcomes])
    out["faithful_segments"] = (
        sum(seg.faithful for _, s in segmented for seg in s) / n_segments if n_segments else 0.0
    )
    fully = sum(all(seg.faithful for seg in s) for _, s in segmented)
    out["faithful_answers"] = fully / len(segmented) if segmented else 0.0
    out["questions"] = len(outcomes)
    out["keyed_questions"] = len(keyed)
    out["segments"] = n_segments
    return out
