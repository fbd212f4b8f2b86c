"""Unanswered questions grouped by similarity, so an administrator sees each gap once with a count.

Two questions fall in one group when their token sets overlap enough (Jaccard on the
index's tokens, falling back to character bigrams for a question with no indexed term).
Groups are greedy in time order, newest first: each question joins the first group
whose newest question is similar enough, else starts its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SIMILARITY = 0.5


def _terms(text: str, tokens: Callable[[str], list[str]]) -> frozenset[str]:
    found = frozenset(tokens(text))
    if found:
        return found
    compact = "".join(text.split())
    return frozenset(compact[i: i + 2] for i in range(max(len(compact) - 1, 1)))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a | b) and len(a & b) / len(a | b) >= SIMILARITY


def group_unanswered(rows: list[dict[str, Any]], tokens: Callable[[str], list[str]]) -> list[dict[str, Any]]:
    """``rows`` newest first (question, completed, created) → groups, newest first."""
    groups: list[dict[str, Any]] = []
    keys: list[frozenset[str]] = []
    for row in rows:
        text = row.get("completed") or row["question"]
        terms = _terms(text, tokens)
        for group, key in zip(groups, keys, strict=True):
            if _similar(terms, key):
                group["count"] += 1
                if row["question"] not in group["questions"]:
                    group["questions"].append(row["question"])
                break
        else:
            groups.append({"question": text, "count": 1, "last_asked": row["created"], "questions": [row["question"]]})
            keys.append(terms)
    return groups
