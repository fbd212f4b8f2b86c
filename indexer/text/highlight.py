"""Offsets of matched query terms in display text.

Terms come from the index's tokenizer in normalized form (NFKC, simplified,
lower case) while the text is shown as written; each display character is
normalized on its own so a match maps back to exact [start, end) offsets.
"""

from __future__ import annotations

from functools import lru_cache

from indexer.text.normal_form import to_index_form


@lru_cache(maxsize=65536)
def _fold(char: str) -> str:
    return " " if char.isspace() else to_index_form(char)


def highlight_spans(text: str, terms: list[str], min_len: int = 2) -> list[tuple[int, int]]:
    norm_chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold(ch):
            norm_chars.append(c)
            origin.append(i)
    norm = "".join(norm_chars)
    spans: list[tuple[int, int]] = []
    for term in {t for t in terms if len(t) >= min_len or t.isdigit()}:
        start = norm.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = norm.find(term, end)
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
