"""Retrieval metrics over ranked relevance flags (one list of booleans per query)."""

from __future__ import annotations

import math
from collections.abc import Sequence

CUTOFFS = (1, 3, 5, 10)
QRELS_CUTOFFS = (1, 3, 5, 10, 100)


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


def recall_fraction_at(flags: Sequence[bool], k: int, n_relevant: int) -> float:
    """Share of the relevant documents found in the top k (BEIR's recall; needs deduplicated flags)."""
    return min(1.0, sum(flags[:k]) / n_relevant) if n_relevant > 0 else 0.0


def summarize(
    per_query: list[Sequence[bool]], n_relevant: list[int] | None = None, cutoffs: Sequence[int] = CUTOFFS
) -> dict[str, float]:
    n = len(per_query)
    if n == 0:
        return {}
    out = {f"R@{k}": sum(recall_at(f, k) for f in per_query) / n for k in cutoffs}
    out["MRR@10"] = sum(reciprocal_rank(f) for f in per_query) / n
    rel = n_relevant or [None] * n
    out["nDCG@10"] = sum(ndcg_at(f, 10, r) for f, r in zip(per_query, rel, strict=True)) / n
    return out


def summarize_qrels(
    per_query: list[Sequence[bool]], n_relevant: list[int], cutoffs: Sequence[int] = QRELS_CUTOFFS
) -> dict[str, float]:
    """Metrics of a qrels set (several relevant documents a query), as BEIR reports them.

    ``R@k`` is the share of a query's relevant documents in its top k, averaged over queries;
    ``Hit@k`` is the share of queries with at least one relevant document in the top k.
    ``per_query`` flags must be per document (one entry per distinct document, in rank order).
    """
    n = len(per_query)
    if n == 0:
        return {}
    pairs = list(zip(per_query, n_relevant, strict=True))
    out = {f"R@{k}": sum(recall_fraction_at(f, k, r) for f, r in pairs) / n for k in cutoffs}
    out |= {f"Hit@{k}": sum(recall_at(f, k) for f, _ in pairs) / n for k in cutoffs}
    out["MRR@10"] = sum(reciprocal_rank(f) for f, _ in pairs) / n
    out["nDCG@10"] = sum(ndcg_at(f, 10, r) for f, r in pairs) / n
    return out


def summarize_set(kind: str, per_query: list[Sequence[bool]], n_relevant: Sequence[int],
                  cutoffs: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """The figures of a labelled set of ``kind`` "beir" (``summarize_qrels``) or "gold" (``summarize``: any
    relevant passage is a hit, ``n_relevant`` unused)."""
    if kind == "beir":
        return summarize_qrels(per_query, list(n_relevant), cutoffs)
    return summarize(per_query, None, cutoffs)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


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
