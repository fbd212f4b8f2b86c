"""Fusing ranked lists from BM25 and dense retrieval.

Two rules, chosen by setting:
- ``rrf``: weighted reciprocal-rank fusion, Σ wᵢ / (k + rankᵢ) with ranks from 1.
  Scale-free, robust when one retriever's scores are poorly calibrated.
- ``score``: each list's scores are min–max normalized to [0, 1] over its own
  candidates, then summed with weights; a document missing from a list gets 0
  there. Keeps the size of score gaps, which RRF throws away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

FUSION_RULES = ("learned", "rrf", "score")


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60
) -> dict[int, float]:
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight == 0:
            continue  # a switched-off retriever contributes no candidates either
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused


def normalized_score_fusion(
    score_lists: Sequence[Mapping[int, float]], weights: Sequence[float]
) -> dict[int, float]:
    if len(score_lists) != len(weights):
        raise ValueError(f"{len(score_lists)} score lists but {len(weights)} weights")
    fused: dict[int, float] = {}
    for scores, weight in zip(score_lists, weights, strict=True):
        if not scores or weight == 0:
            continue
        low, high = min(scores.values()), max(scores.values())
        span = high - low
        for doc, value in scores.items():
            norm = (value - low) / span if span > 0 else 1.0
            fused[doc] = fused.get(doc, 0.0) + weight * norm
    return fused
