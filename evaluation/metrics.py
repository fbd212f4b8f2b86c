"""Retrieval metrics over ranked relevance flags (one list of booleans per query)."""

from __future__ import annotations

import math
from collections.abc import Sequence

CUTOFFS = (1, 3, 5, 10)


def recall_at(flags: Sequence[bool], k: int) -> float:
    """1 if any relevant passage is in the top k (the gold sets need one evidence hit)."""
    return 1.0 if any(flags[:k]) else 0.0


def reciprocal_rank(flags: Sequence[bool], k: int = 10) -> float:
    for rank, relevant in enumerate(flags[:k], start=1):
        if relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(flags: Sequence[bool], k: int = 10, n_relevant: int | None = None) -> float:
    gains = [1.0 / math.log2(rank + 1) for rank, rel in enumerate(flags[:k], start=1) if rel]
    ideal_n = min(k, n_relevant if n_relevant is not None else max(1, sum(flags)))
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_n + 1))
    return sum(gains) / ideal if ideal > 0 else 0.0


def summarize(per_query: list[Sequence[bool]], n_relevant: list[int] | None = None) -> dict[str, float]:
    n = len(per_query)
    if n == 0:
        return {}
    out = {f"R@{k}": sum(recall_at(f, k) for f in per_query) / n for k in CUTOFFS}
    out["MRR@10"] = sum(reciprocal_rank(f) for f in per_query) / n
    rel = n_relevant or [None] * n
    out["nDCG@10"] = sum(ndcg_at(f, 10, r) for f, r in zip(per_query, rel, strict=True)) / n
    return out


def detection(flagged: Sequence[bool], truly_unanswerable: Sequence[bool]) -> dict[str, float]:
    """Precision/recall of flagging a question as unanswerable, and the false-flag rate."""
    tp = sum(f and u for f, u in zip(flagged, truly_unanswerable, strict=True))
    fp = sum(f and not u for f, u in zip(flagged, truly_unanswerable, strict=True))
    n_unans = sum(truly_unanswerable)
    n_ans = len(truly_unanswerable) - n_unans
    return {
        "unanswerable_precision": tp / (tp + fp) if tp + fp else 0.0,
        "unanswerable_recall": tp / n_unans if n_unans else 0.0,
        "answerable_flagged": fp / n_ans if n_ans else 0.0,
    }
