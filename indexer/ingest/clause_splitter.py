"""Clause-level chunking of one document: the clause, not a window of characters, is the unit.

The numbering hierarchy (一、 → （一） → 1. → （1） → —— bullets, 第X章/第X条 in regulations,
专栏 boxes, 附件) is read from line starts and, for web text that arrives as one line, from
inline numbers that continue the sequence. Bold lead-ins (``**合理界定财政保障范围。**``) are
sub-headings inside their clause. Each clause's own text becomes a chunk; fragments too small
to stand alone join their neighbour or parent, clauses longer than ``max_chars`` are cut at
sentence ends with a little overlap, and table rows go in small groups under a repeated header
(`indexer.ingest.chunk_sizing`). ``doc.text[chunk.start:chunk.end]`` is the chunk text, except that
later groups of a table carry the header rows in front of it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import dataclass, field

from indexer.ingest.chunk_sizing import Unit, merge_small, split_long, split_tables, trim_span
from indexer.ingest.clause_headings import heading_label, lead_label, match_marker, tidy_label
from indexer.ingest.normalizer import (
    fold_width,
    has_heading_marker,
    is_issuer_line,
    is_table_row,
    is_title_like,
    parse_date,
)
from indexer.records import Chunk, Document
from indexer.text.patterns import SENTENCE_END

_INLINE_KINDS = {"chapter", "section", "article", "cn", "paren_cn", "arabic", "paren_arabic"}
_ITEM_KINDS = {"arabic", "paren_arabic", "circled", "dash", "dot", "lead"}
_INLINE_BOUNDARY = re.compile(r"(?:^|(?<=[。;!?；！？])|(?<=\s))")


@dataclass
class _Frame:
    kind: str
    number: int | None
    labels: tuple[str, ...]


@dataclass
class _Walker:
    """Reads headings in document order and cuts the text into clause units."""

    title: str
    stack: list[_Frame] = field(default_factory=list)
    last: dict[str, int] = field(default_factory=dict)
    events: list[tuple[int, tuple[str, ...], int, int, bool]] = field(default_factory=list)
    scope: int = 0
    box: int | None = None

    def path(self) -> tuple[str, ...]:
        return (self.title, *(label for frame in self.stack for label in frame.labels))

    def event(self, position: int, fixed: bool = False) -> None:
        self.events.append((position, self.path(), len(self.stack), self.scope, fixed))

    def reset(self, frame: _Frame | None = None) -> None:
        self.stack = [frame] if frame else []
        self.box = None
        self.last = {}
        self.scope += 1

    def place(self, kind: str, number: int | None, labels: tuple[str, ...]) -> None:
        frame = _Frame(kind, number, labels)
        kinds = [f.kind for f in self.stack]
        if kind == "box":
            keep = self.box if self.box is not None else len(self.stack)
            while keep and self.stack[keep - 1].kind in _ITEM_KINDS:
                keep -= 1
            self.stack = self.stack[:keep]
            self.box = len(self.stack)
            self.stack.append(frame)
            return
        if self.box is not None:
            inner, outer = kinds[self.box + 1:], kinds[:self.box]
            if kind in inner:
                self._sibling(self.box + 1 + inner.index(kind), frame)
                return
            if kind not in outer or self._starts_inner_list(kind, number, outer):
                self.stack.append(frame)
                return
            self.stack = self.stack[:self.box]
            self.box = None
            kinds = outer
        if kind in kinds:
            self._sibling(kinds.index(kind), frame)
        else:
            self.stack.append(frame)

    def _starts_inner_list(self, kind: str, number: int | None, outer: list[str]) -> bool:
        """Inside a 专栏, a number that does not continue the outer sequence opens the box's own list."""
        frame = self.stack[outer.index(kind)]
        return number is not None and frame.number is not None and number != frame.number + 1

    def _sibling(self, index: int, frame: _Frame) -> None:
        self.stack = [*self.stack[:index], frame]

    def accepts_inline(self, kind: str, number: int) -> bool:
        if number == self.last.get(kind, 0) + 1:
            return True
        return number == 1 and kind not in {f.kind for f in self.stack}


def chunk_document(
    doc: Document,
    max_chars: int | None = None,
    min_chars: int | None = None,
    overlap_chars: int = 80,
    table_rows: int = 5,
) -> list[Chunk]:
    """Clause-level chunks of `doc`; sizes default to `config.settings` (chunk_max/min_chars)."""
    max_chars, min_chars = resolve_sizes(max_chars, min_chars)
    units = clause_units(doc)
    units = split_tables(doc.text, units, max_chars, min_chars, table_rows)
    units = merge_small(doc.text, units, min_chars, max_chars)
    pieces = [piece for unit in units for piece in split_long(doc.text, unit, max_chars, min_chars, overlap_chars)]
    return _to_chunks(doc, pieces)


def resolve_sizes(max_chars: int | None = None, min_chars: int | None = None) -> tuple[int, int]:
    """Chunk size limits, defaults from the settings; a bad pair raises ValueError quoting it."""
    if max_chars is None or min_chars is None:
        from config.settings import get_settings

        settings = get_settings()
        max_chars = settings.chunk_max_chars if max_chars is None else max_chars
        min_chars = settings.chunk_min_chars if min_chars is None else min_chars
    if max_chars < 50 or not 0 <= min_chars < max_chars:
        raise ValueError(f"need max_chars >= 50 and 0 <= min_chars < max_chars, got {max_chars=}, {min_chars=}")
    return max_chars, min_chars


def clause_units(doc: Document) -> list[Unit]:
    """One unit per heading (its own text up to the next heading), in document order."""
    text = doc.text
    walker = _Walker(doc.title)
    walker.event(0)
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    emphasis = sorted((int(a), int(b)) for a, b in doc.metadata.get("emphasis", []))
    signed = _has_signature(text, lines)
    after_signature = False
    skip_until = -1
    for number, (start, end) in enumerate(lines):
        line = text[start:end]
        if start < skip_until:
            continue
        if is_table_row(line):
            after_signature = False
            continue
        date_line = _next_line(lines, number)
        if is_issuer_line(line) and date_line and parse_date(text[date_line[0]:date_line[1]]):
            walker.reset()
            walker.event(start, fixed=True)
            walker.reset()
            walker.event(date_line[1])
            skip_until, after_signature = date_line[1], True
            continue
        if after_signature and is_title_like(line) and not has_heading_marker(line):
            walker.reset(_Frame("part", None, (tidy_label(line),)))
            walker.event(start)
            after_signature = False
            continue
        after_signature = False
        _read_line(walker, text, lines, number, emphasis, signed)
    return _units_from_events(text, walker.events)


def _read_line(
    walker: _Walker, text: str, lines: list[tuple[int, int]], number: int,
    emphasis: list[tuple[int, int]], signed: bool,
) -> None:
    start, end = lines[number]
    folded = fold_width(text[start:end])
    offset = 0
    marker = match_marker(folded, 0)
    if marker:
        kind, value, length = marker
        if kind == "annex":
            if signed and _annex_label_only(folded, length):
                _read_annex(walker, text, lines, number, value, length)
                return
            marker = None
        else:
            lead = next(iter(_spans_within(emphasis, start + length, start + length + 2)), None)
            label = lead_label(text[lead[0]:lead[1]]) if lead else heading_label(kind, text[start:end])
            walker.place(kind, value, (label,) if label else ())
            if value is not None:
                walker.last[kind] = value
            walker.event(start)
            offset = length + (lead[1] - start - length if lead else 0)
    for position, kind, value, label in _inline_candidates(text, start, end, folded, offset, emphasis):
        if kind != "lead" and not walker.accepts_inline(kind, value):
            continue
        walker.place(kind, value, (label,) if label else ())
        if kind != "lead":
            walker.last[kind] = value
        walker.event(position)


def _inline_candidates(
    text: str, start: int, end: int, folded: str, offset: int, emphasis: list[tuple[int, int]],
) -> list[tuple[int, str, int | None, str]]:
    """Numbered headings and bold lead-ins inside a line, each labelled up to the next one."""
    found: list[tuple[int, str, int | None]] = []
    for boundary in _INLINE_BOUNDARY.finditer(folded, offset):
        at = boundary.start()
        if at == 0 or at <= offset:
            continue
        marker = match_marker(folded, at)
        if marker and marker[0] in _INLINE_KINDS and marker[1] is not None:
            found.append((start + at, marker[0], marker[1]))
    leads = {}
    for lead_start, lead_end in _spans_within(emphasis, start + offset, end):
        if offset and lead_start == start + offset:
            continue
        before = text[start:lead_start].rstrip()
        if not before or SENTENCE_END.match(before[-1]):
            found.append((lead_start, "lead", None))
            leads[lead_start] = lead_label(text[lead_start:lead_end])
    found.sort(key=lambda item: item[0])
    stops = [position for position, _, _ in found[1:]] + [end] if found else []
    return [
        (position, kind, value, leads[position] if kind == "lead" else heading_label(kind, text[position:stop]))
        for (position, kind, value), stop in zip(found, stops, strict=True)
    ]


def _read_annex(
    walker: _Walker, text: str, lines: list[tuple[int, int]], number: int, value: int | None, length: int,
) -> None:
    """附件N: its caption is the rest of the line, the next title line, or (layout order of
    extracted tables and figures) the title line just above the label."""
    start, end = lines[number]
    label = "附件" + (str(value) if value is not None else "")
    caption_text = text[start + length:end].strip()
    begin = start
    following = _next_line(lines, number)
    previous = _previous_line(lines, number)
    if not caption_text and following and _is_caption(text[following[0]:following[1]]):
        caption_text = text[following[0]:following[1]]
    elif (
        not caption_text and previous and _is_caption(text[previous[0]:previous[1]])
        and (not following or is_table_row(text[following[0]:following[1]]))
    ):
        caption_text, begin = text[previous[0]:previous[1]], previous[0]
    labels = (label, tidy_label(caption_text)) if caption_text else (label,)
    walker.reset(_Frame("annex", value, labels))
    walker.event(begin)


def _is_caption(line: str) -> bool:
    return is_title_like(line) and not has_heading_marker(line) and not is_table_row(line)


def _annex_label_only(folded: str, length: int) -> bool:
    rest = folded[length:].strip()
    return not rest or (len(rest) <= 50 and not re.search(r"[。,，;；]", rest))


def _has_signature(text: str, lines: list[tuple[int, int]]) -> bool:
    return any(
        is_issuer_line(text[a:b]) and (nxt := _next_line(lines, i)) and parse_date(text[nxt[0]:nxt[1]])
        for i, (a, b) in enumerate(lines)
    )


def _next_line(lines: list[tuple[int, int]], number: int) -> tuple[int, int] | None:
    return lines[number + 1] if number + 1 < len(lines) else None


def _previous_line(lines: list[tuple[int, int]], number: int) -> tuple[int, int] | None:
    return lines[number - 1] if number > 0 else None


def _spans_within(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The (sorted) spans that begin in [start, end)."""
    return spans[bisect.bisect_left(spans, (start, -1)):bisect.bisect_left(spans, (end, -1))]


def _units_from_events(text: str, events: list[tuple[int, tuple[str, ...], int, int, bool]]) -> list[Unit]:
    units: list[Unit] = []
    ordered = sorted(events, key=lambda e: e[0])
    for (start, path, depth, scope, fixed), following in zip(ordered, [*ordered[1:], None], strict=True):
        end = following[0] if following else len(text)
        start, end = trim_span(text, start, end)
        if start < end:
            units.append(Unit(start, end, path, depth, scope, fixed))
    return units


def _to_chunks(doc: Document, pieces: list[Unit]) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for piece in pieces:
        body = piece.prefix + doc.text[piece.start:piece.end]
        digest = hashlib.sha1(json.dumps([list(piece.path), body], ensure_ascii=False).encode()).hexdigest()[:10]
        seen[digest] = seen.get(digest, 0) + 1
        suffix = "" if seen[digest] == 1 else f"-{seen[digest]}"
        chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}_{digest}{suffix}", doc_id=doc.doc_id, doc_title=doc.title,
            doc_number=doc.doc_number, issuer=doc.issuer, date=doc.date, heading_path=list(piece.path),
            text=body, start=piece.start, end=piece.end,
        ))
    return chunks
