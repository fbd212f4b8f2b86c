"""Sizing clause units into chunks: tables in row groups, tiny clauses merged, long ones cut.

A unit is a span of one document (a clause's own text, from its heading to the next one).
Tables are tab-separated rows: they go in small groups, each later group under the repeated
header (the first row plus rows that start with an empty cell, i.e. sub-headers under merged
cells); the caption or unit line above a table joins its first group, a short note below it
(备注) the last. A heading with no text of its own joins its first child and a clause under
``min_chars`` a neighbour; a clause over ``max_chars`` is cut at paragraph or sentence ends,
balanced, with one short sentence repeated across a sentence cut.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from indexer.text.patterns import SENTENCE_END

_CLAUSE_END = re.compile(r"[，,、：:]")
_PARAGRAPH_BONUS = 60
_MAX_HEADER_ROWS = 3


@dataclass
class Unit:
    """A span of one document that becomes one or more chunks.

    ``depth`` is the heading level, ``scope`` changes at a signature, an attached part or
    an 附件 (nothing merges across), ``fixed`` units (signatures, table groups) are never
    merged, ``prefix`` is the repeated table header put before the span's text.
    """

    start: int
    end: int
    path: tuple[str, ...]
    depth: int
    scope: int
    fixed: bool = False
    prefix: str = ""
    table: bool = False


@dataclass(frozen=True)
class _Table:
    rows: list[tuple[int, int]]

    @property
    def start(self) -> int:
        return self.rows[0][0]

    @property
    def end(self) -> int:
        return self.rows[-1][1]


def split_tables(text: str, units: list[Unit], max_chars: int, min_chars: int, table_rows: int) -> list[Unit]:
    """Replace each unit holding a table by its text before, the row groups, and its text after."""
    result: list[Unit] = []
    for unit in units:
        tables = _tables(text, unit.start, unit.end)
        if not tables:
            result.append(unit)
            continue
        cursor = unit.start
        for table in tables:
            before = trim_span(text, cursor, table.start)
            lead_in = before[0] if before[0] < before[1] else table.start
            if before[1] - before[0] >= min_chars and re.search(r"[。；;]", text[before[0]:before[1]]):
                result.append(replace(unit, start=before[0], end=before[1]))
                lead_in = table.start
            result.extend(_row_groups(text, unit, table, lead_in, max_chars, table_rows))
            cursor = table.end
        after = trim_span(text, cursor, unit.end)
        if after[0] < after[1]:
            last = result[-1]
            if after[1] - after[0] < 2 * min_chars and after[1] - last.start + len(last.prefix) <= max_chars:
                result[-1] = replace(last, end=after[1])
            else:
                result.append(replace(unit, start=after[0], end=after[1]))
    return result


def _tables(text: str, start: int, end: int) -> list[_Table]:
    tables: list[_Table] = []
    rows: list[tuple[int, int]] = []
    offset = start
    for line in text[start:end].split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if "\t" in line:
            rows.append((line_start, line_start + len(line)))
        else:
            if len(rows) >= 2:
                tables.append(_Table(rows))
            rows = []
    if len(rows) >= 2:
        tables.append(_Table(rows))
    return tables


def _row_groups(
    text: str, unit: Unit, table: _Table, lead_in: int, max_chars: int, table_rows: int
) -> list[Unit]:
    header_count = 1
    while (
        header_count < min(_MAX_HEADER_ROWS, len(table.rows) - 1)
        and text[table.rows[header_count][0]:table.rows[header_count][1]].startswith("\t")
    ):
        header_count += 1
    header = text[table.rows[0][0]:table.rows[header_count - 1][1]]
    if len(header) + 1 > max_chars // 2:  # a header this long is not repeated: it would leave no room
        header = ""
    data = table.rows[header_count:]
    if not data:
        return [replace(unit, start=lead_in, end=table.end, fixed=True, table=True)]
    per_group = math.ceil(len(data) / math.ceil(len(data) / max(1, table_rows)))
    budget = max(1, max_chars - len(header) - 1)
    groups: list[list[tuple[int, int]]] = [[]]
    for row in data:
        current = groups[-1]
        size = (row[1] - current[0][0]) if current else 0
        if current and (len(current) >= per_group or size > budget):
            groups.append([row])
        else:
            current.append(row)
    units = []
    for index, group in enumerate(groups):
        first = index == 0
        units.append(replace(
            unit, start=lead_in if first else group[0][0], end=group[-1][1], fixed=True, table=True,
            prefix="" if first or not header else header + "\n",
        ))
    return units



def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _size(text: str, unit: Unit) -> int:
    return len(unit.prefix) + unit.end - unit.start


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


def merge_small(text: str, units: list[Unit], min_chars: int, max_chars: int) -> list[Unit]:
    """Fold a heading with no text of its own into its first child, then tiny clauses into a neighbour."""
    merged: list[Unit] = []
    for unit in reversed(units):
        nxt = merged[-1] if merged else None
        if (
            nxt and not unit.fixed and not nxt.prefix and nxt.scope == unit.scope and nxt.depth > unit.depth
            and _size(text, unit) < min_chars and not (nxt.fixed and not nxt.table)
        ):
            merged[-1] = replace(nxt, start=unit.start)
        else:
            merged.append(unit)
    merged.reverse()
    result: list[Unit] = []
    for unit in merged:
        prev = result[-1] if result else None
        if (
            prev and not unit.fixed and not prev.fixed and prev.scope == unit.scope
            and (_size(text, unit) < min_chars or _size(text, prev) < min_chars)
            and unit.end - prev.start <= max_chars
        ):
            result[-1] = replace(prev, end=unit.end, path=_common(prev.path, unit.path),
                                 depth=min(prev.depth, unit.depth))
        else:
            result.append(unit)
    return result


def split_long(text: str, unit: Unit, max_chars: int, min_chars: int, overlap: int) -> list[Unit]:
    """Cut a unit longer than ``max_chars`` at paragraph or sentence ends, balanced, a sentence overlapping."""
    budget = max_chars - len(unit.prefix)
    if budget <= min_chars:  # no room beside the prefix: size the text alone
        budget = max_chars
    if unit.end - unit.start <= budget:
        return [unit]
    pieces: list[Unit] = []
    position = unit.start
    while unit.end - position > budget:
        remaining = unit.end - position
        target = position + remaining / math.ceil(remaining / budget)
        cut, strong = _best_cut(text, position + min_chars, position + budget, target)
        piece_start, piece_end = trim_span(text, position, cut)
        pieces.append(replace(unit, start=piece_start, end=piece_end, prefix=unit.prefix if not pieces else ""))
        position = cut
        if not strong:
            back = _last_sentence_start(text, piece_start, cut)
            if back is not None and cut - back <= overlap and back > piece_start:
                position = back
        budget = max_chars
    start, end = trim_span(text, position, unit.end)
    if start < end:
        pieces.append(replace(unit, start=start, end=end, prefix=""))
    return pieces


def _best_cut(text: str, low: int, high: int, target: float) -> tuple[int, bool]:
    """Cut nearest the balanced target: a paragraph end if about as close as a sentence end.

    Returns the position and whether it is a paragraph end (no overlap needed there).
    """
    window = text[low:high]
    paragraphs = [low + m.end() for m in re.finditer(r"\n+", window)]
    sentences = [low + m.end() for m in SENTENCE_END.finditer(window)]
    clauses = [low + m.end() for m in _CLAUSE_END.finditer(window)]
    best_paragraph = min(paragraphs, key=lambda c: abs(c - target), default=None)
    best_sentence = min(sentences, key=lambda c: abs(c - target), default=None)
    if best_paragraph is not None and (
        best_sentence is None or abs(best_paragraph - target) <= abs(best_sentence - target) + _PARAGRAPH_BONUS
    ):
        return best_paragraph, True
    if best_sentence is not None:
        return best_sentence, False
    return min(clauses, key=lambda c: abs(c - target), default=high), False


def _last_sentence_start(text: str, start: int, end: int) -> int | None:
    ends = [start + m.end() for m in SENTENCE_END.finditer(text[start:end].rstrip())]
    if len(ends) < 2:
        return None
    back = ends[-2]
    while back < end and text[back].isspace():
        back += 1
    return back


