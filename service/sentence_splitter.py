"""Split a passage into sentences with exact offsets, so a quote is a true substring."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at 。！？；!? (plus any closing quotes/brackets after it) or at a line break.
_END = re.compile(r"[。！？；!?;]+[”’」』）)】]*|\n+")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str, min_chars: int = 2) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end() if not match.group(0).startswith("\n") else match.start()
        _emit(text, start, end, sentences, min_chars)
        start = match.end()
    _emit(text, start, len(text), sentences, min_chars)
    return sentences


def _emit(text: str, start: int, end: int, out: list[Sentence], min_chars: int) -> None:
    while start < end and text[start] in " \t\u3000":
        start += 1
    while end > start and text[end - 1] in " \t\u3000\n":
        end -= 1
    if end - start >= min_chars:
        out.append(Sentence(text[start:end], start, end))
