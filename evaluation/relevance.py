"""The relevance rule of the gold-evidence data sets (see ``evaluation/data/README.md``).

A passage is relevant when, after NFKC normalization and removal of all whitespace
and ``*``, it contains an evidence string, or shares a contiguous run of at least
70% of one evidence string with it (chunkers cut at different places).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

_STRIP = re.compile(r"[\s*]+")
MIN_SHARED_FRACTION = 0.7


def normalize_for_match(text: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", text))


def longest_shared_run(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b``."""
    if not a or not b:
        return 0
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size


def is_relevant(passage: str, evidence: Iterable[str]) -> bool:
    norm_passage = normalize_for_match(passage)
    for item in evidence:
        norm_ev = normalize_for_match(item)
        if not norm_ev:
            continue
        if norm_ev in norm_passage:
            return True
        if longest_shared_run(norm_ev, norm_passage) >= MIN_SHARED_FRACTION * len(norm_ev):
            return True
    return False


def contains_answer(text: str, answer: str) -> bool:
    """An answer is correct when it contains the key string after normalization."""
    return normalize_for_match(answer) in normalize_for_match(text)
