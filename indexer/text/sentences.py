"""Split a passage into sentences with exact offsets, so a quote is a true substring.

Two habits of official documents shape the rules: a responsibility note in
brackets follows the sentence it belongs to (“……保险制度。（省卫生计生委牵头）”),
so a sentence made only of a bracketed note is joined to the one before; and a
table row (tab-separated) is one unit, whatever punctuation its cells contain.
"""

from __future__ import annotations

import re

from indexer.records import Sentence
from indexer.text.patterns import CLOSING_CHARS, SENTENCE_END_CHARS

# A sentence ends at 。！？；!? (plus any closing quotes/brackets after it) or at a line break.
_END = re.compile(rf"[{SENTENCE_END_CHARS}]+[{CLOSING_CHARS}]*|\n+")
_BRACKETED_NOTE = re.compile(r"^[（(][^（()）]*[）)][。；;]?$")


def split_sentences(text: str, min_chars: int = 2) -> list[Sentence]:
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        line_end = line_start + len(line)
        if "\t" in line:
            spans.append((line_start, line_end))
        else:
            start = line_start
            for match in _END.finditer(line):
                spans.append((start, line_start + match.end()))
                start = line_start + match.end()
            spans.append((start, line_end))
        line_start = line_end + 1
    sentences: list[Sentence] = []
    for start, end in spans:
        start, end = _trim(text, start, end)
        if end - start < min_chars:
            continue
        piece = text[start:end]
        if sentences and _BRACKETED_NOTE.match(piece) and "\n" not in text[sentences[-1].end : start]:
            prev = sentences.pop()
            sentences.append(Sentence(text[prev.start : end], prev.start, end))
        else:
            sentences.append(Sentence(piece, start, end))
    return sentences


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\u3000":
        start += 1
    while end > start and text[end - 1] in " \t\u3000\n":
        end -= 1
    return start, end
