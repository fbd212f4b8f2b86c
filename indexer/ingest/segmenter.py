"""Split one source text (a gazette issue, a single file) into its documents.

A document starts at its header (issuing body, title, 文号 line such as 青政办〔2017〕10号,
addressees) and is signed off by issuer and date; what follows the signature (an attached
方案/规划, 附件N) stays with it. A short document printed in the middle of another (a notice
set inside item 36 of a plan) is cut out: its host's text continues after it, so the text
after the inserted document's signature goes back to the host. Non-document sections such
as a 大事记 become documents of their own kind.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from indexer.ingest.normalizer import (
    HEADING_MARKER,
    clean_layout,
    fold_width,
    has_heading_marker,
    is_doc_number_line,
    is_issuer_line,
    is_page_break,
    is_table_row,
    is_title_like,
    normalize_document,
    parse_date,
    strip_markup,
)
from indexer.records import Document, SourceText
from indexer.text.patterns import DOC_NUMBER_LOOSE

log = logging.getLogger(__name__)

SECTION_TITLES = {"大事记": "chronicle"}
PARAGRAPH_FORMATS = ("docx", "html")  # their line breaks are paragraphs, never page breaks
_MAX_TITLE_LINES = 3
_MARKER_WINDOW = 100
_ISSUER_AND_SUBJECT = re.compile(r"^(\S{2,40}?)\s+(关于\S.*)$")
_SPACE_NEAR_CJK = re.compile(r"(?<=[\u3400-\u9fff“”《》（）])\s+|\s+(?=[\u3400-\u9fff“”《》（）])")
_ENTRY_MONTH = re.compile(r"^[●•◆■]?\s*(\d{1,2})月\d{1,2}日", re.M)
_TITLE_PERIOD = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")


@dataclass
class _Header:
    first: int
    last: int
    doc_number: str = ""
    issuer: str = ""
    subject: str = ""


@dataclass
class _Section:
    kind: str
    start: int
    header: _Header | None = None
    pieces: list[tuple[int, int]] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


def segment(source: SourceText) -> list[Document]:
    """Documents of one source, in reading order, each with repaired display text."""
    lines = clean_layout(source.text).split("\n")
    starts = _find_starts(lines)
    if len(starts) <= 1 and not any(s.kind != "document" for s in starts):
        section = starts[0] if starts else _Section("document", 0)
        section.start = 0
        section.pieces = [(0, len(lines))]
        return [_build(source, lines, section, single=True)]

    sections: list[_Section] = []
    if _has_text(lines, 0, starts[0].start):
        sections.append(_Section("section", 0, pieces=[(0, starts[0].start)]))
    for section, following in zip(starts, [*starts[1:], None], strict=True):
        end = following.start if following else len(lines)
        section.pieces = [(section.start, end)]
        sections.append(section)
    _restore_interrupted(lines, sections)
    documents = [_build(source, lines, section) for section in sections]
    _date_chronicles(documents)
    return documents


def _find_starts(lines: list[str]) -> list[_Section]:
    starts: list[_Section] = []
    for index, line in enumerate(lines):
        if is_doc_number_line(line):
            previous = starts[-1].header if starts else None
            if previous and not _has_text(lines, previous.last + 1, index):
                continue  # a second 文号 of a jointly issued document
            header = _header_at(lines, index)
            if header.subject and not (starts and starts[-1].start >= header.first):
                starts.append(_Section("document", header.first, header))
        elif (kind := _section_kind(line)) and not (starts and starts[-1].start == index):
            starts.append(_Section(kind, index))
    return starts


def _section_kind(line: str) -> str:
    text = strip_markup(line)
    kind = next((kind for suffix, kind in SECTION_TITLES.items() if text.endswith(suffix)), "")
    return kind if kind and len(text) <= 40 and is_title_like(text) else ""


def _header_at(lines: list[str], number_line: int) -> _Header:
    """Header around a 文号 line: title lines (and issuer) above it, or below it if none above."""
    doc_number = strip_markup(lines[number_line])
    above: list[int] = []
    index = number_line - 1
    while index >= 0 and len(above) < _MAX_TITLE_LINES:
        text = strip_markup(lines[index])
        if not text:
            index -= 1
            continue
        if not _header_line(text):
            break
        above.insert(0, index)
        if is_issuer_line(text) or _ISSUER_AND_SUBJECT.match(text):
            break
        index -= 1
    header = _Header(first=above[0] if above else number_line, last=number_line, doc_number=doc_number)
    texts = [strip_markup(lines[i]) for i in above]
    if all(_letterhead(text) for text in texts):  # 红头: "XX人民政府文件", 文号, then the title
        below = _title_lines_below(lines, number_line)
        if below:
            header.issuer = next((_letterhead(t) for t in texts), "")
            header.last = below[-1]
            texts = [strip_markup(lines[i]) for i in below]
    if len(texts) > 1 and is_issuer_line(texts[0]):
        header.issuer, texts = header.issuer or texts[0], texts[1:]
    subject = " ".join(texts)
    if not header.issuer and (m := _ISSUER_AND_SUBJECT.match(subject)) and is_issuer_line(m.group(1)):
        header.issuer, subject = m.group(1), m.group(2)
    header.subject = _tidy(subject)
    return header


def _letterhead(text: str) -> str:
    """The issuer named by a letterhead line (``青海省人民政府文件`` or a bare issuer line), else ''."""
    name = text[:-2].strip() if text.endswith("文件") else text
    return name if is_issuer_line(name) else ""


def _header_line(text: str) -> bool:
    if is_table_row(text) or parse_date(text) or is_doc_number_line(text) or text.startswith("附件"):
        return False
    if has_heading_marker(text) or len(text) > 80:
        return False
    return not any(p in text for p in "。；！？：:")


def _title_lines_below(lines: list[str], number_line: int) -> list[int]:
    found: list[int] = []
    for index in range(number_line + 1, min(len(lines), number_line + 8)):
        text = strip_markup(lines[index])
        if not text:
            continue
        if not _header_line(text) or len(found) == _MAX_TITLE_LINES:
            break
        found.append(index)
    return found


def _tidy(text: str) -> str:
    return _SPACE_NEAR_CJK.sub("", " ".join(text.split()))


def _signature(lines: list[str], start: int, end: int) -> tuple[int, int] | None:
    """(issuer line, date line) of the first sign-off in lines[start:end]."""
    previous = -1
    for index in range(start, end):
        text = strip_markup(lines[index])
        if not text:
            continue
        if parse_date(text) and previous >= 0 and is_issuer_line(strip_markup(lines[previous])):
            return previous, index
        previous = index
    return None


def _restore_interrupted(lines: list[str], sections: list[_Section]) -> None:
    """Give text that follows an inserted document's signature back to the document it interrupted."""
    for position in range(1, len(sections)):
        section, host = sections[position], sections[position - 1]
        if section.kind != "document" or host.kind != "document" or section.header is None:
            continue
        start, end = section.pieces[0]
        signature = _signature(lines, section.header.last + 1, end)
        if signature is None:
            continue
        tail = _next_text_line(lines, signature[1] + 1, end)
        host_last = _last_text_line(lines, *host.pieces[-1])
        if tail is None or host_last is None or not _continues(lines[host_last], lines[tail]):
            continue
        section.pieces = [(start, signature[1] + 1)]
        host.pieces.append((tail, end))
        section.metadata["inserted_in"] = host.header.doc_number if host.header else ""
        host.metadata["interrupted_by"] = section.header.doc_number
        log.info("%s is printed inside %s; the host's text resumes after it",
                 section.header.doc_number, section.metadata["inserted_in"] or "the previous document")


def _continues(host_last: str, tail_first: str) -> bool:
    """The host ends mid-sentence and the tail goes on, or the tail carries on numbered items."""
    if is_page_break(host_last, tail_first):
        return True
    text = strip_markup(tail_first)
    open_host = not parse_date(strip_markup(host_last))
    return open_host and has_heading_marker(text) and not text.startswith(("附件", "专栏"))


def _next_text_line(lines: list[str], start: int, end: int) -> int | None:
    return next((i for i in range(start, end) if lines[i].strip()), None)


def _last_text_line(lines: list[str], start: int, end: int) -> int | None:
    return next((i for i in range(end - 1, start - 1, -1) if lines[i].strip()), None)


def _has_text(lines: list[str], start: int, end: int) -> bool:
    return _next_text_line(lines, start, end) is not None


def _build(source: SourceText, lines: list[str], section: _Section, single: bool = False) -> Document:
    raw = "\n\n".join("\n".join(lines[a:b]) for a, b in section.pieces)
    normalized = normalize_document(raw, join_breaks=source.fmt not in PARAGRAPH_FORMATS)
    header = section.header
    first, end = section.pieces[0]
    issuer = header.issuer if header else ""
    date = ""
    signature = _signature(lines, header.last + 1 if header else first, end)
    if signature and section.kind == "document":
        issuer = issuer or strip_markup(lines[signature[0]])
        date = parse_date(strip_markup(lines[signature[1]]))
    title = _title(source, lines, section, issuer, single)
    doc_number = header.doc_number if header else ""
    addressees = _addressees(lines, header.last + 1, end) if header else ""
    metadata = {
        **({"subject": header.subject} if header and header.subject else {}),
        **({"addressees": addressees} if addressees else {}),
        "source_lines": [[a + 1, b] for a, b in section.pieces],
        "emphasis": [list(span) for span in normalized.emphasis],
        **section.metadata,
    }
    kind = (_section_kind(title) or section.kind) if single else section.kind
    return Document(
        doc_id=make_doc_id(doc_number, source.source, title, source.metadata.get("id")),
        title=title,
        text=normalized.text,
        source=source.source,
        doc_number=doc_number,
        issuer=issuer,
        date=date,
        kind=kind,
        metadata=metadata,
    )


def _addressees(lines: list[str], start: int, end: int) -> str:
    """The 主送 line right after the header (``各市、自治州人民政府，省政府各委、办、厅、局：``)."""
    index = _next_text_line(lines, start, end)
    text = strip_markup(lines[index]) if index is not None else ""
    return text.rstrip("：:") if len(text) <= 80 and text.endswith(("：", ":")) and "。" not in text else ""


def _title(source: SourceText, lines: list[str], section: _Section, issuer: str, single: bool) -> str:
    header = section.header
    if header and header.subject:
        subject = header.subject
        return issuer + subject if issuer and subject.startswith("关于") else subject
    if single and isinstance(source.metadata.get("title"), str) and source.metadata["title"].strip():
        return _tidy(source.metadata["title"])
    first = _next_text_line(lines, *section.pieces[0])
    if first is None:
        return PurePath(source.source).stem
    text = strip_markup(lines[first])
    if is_title_like(text) or (len(text) <= 60 and not any(p in text for p in "。；！？")):
        return _tidy(text)
    return _leading_title(text) or PurePath(source.source.split("#")[0]).stem


def _leading_title(text: str) -> str:
    """Title of a one-line document: its first words, when they read as a title."""
    head = text.split(None, 1)[0]
    if head != text and is_title_like(head):
        return _tidy(head)
    folded = fold_width(text)
    for match in re.finditer(r"\s+", folded):  # a marker is short: look at a window, not the rest
        if HEADING_MARKER.match(strip_markup(folded[match.end():match.end() + _MARKER_WINDOW])):
            head = text[:match.start()].strip()
            return _tidy(head) if head and is_title_like(head) else ""
    return ""


def _date_chronicles(documents: list[Document]) -> None:
    """Period (YYYY-MM) of a 大事记, from its entries' month; the year from the issue's documents.

    A chronicle's own heading can be wrong (one headed 2016年10月 lists January events), so
    the entries decide the month, and the heading's year is kept only when its month agrees.
    """
    sibling_years = Counter(d.date[:4] for d in documents if d.kind == "document" and d.date)
    for doc in documents:
        if doc.kind != "chronicle":
            continue
        months = Counter(int(m) for m in _ENTRY_MONTH.findall(doc.text))
        stated = _TITLE_PERIOD.search(doc.title)
        stated_period = f"{stated.group(1)}-{int(stated.group(2)):02d}" if stated else ""
        doc.metadata["stated_period"] = stated_period
        if not months:
            doc.date = stated_period
            continue
        month = months.most_common(1)[0][0]
        if stated and int(stated.group(2)) == month:
            doc.date = stated_period
            continue
        year = sibling_years.most_common(1)[0][0] if sibling_years else (stated.group(1) if stated else "")
        doc.date = f"{year}-{month:02d}" if year else ""
        if stated:
            log.info("%s: heading says %s but entries are in month %d; dated %s",
                        doc.title, stated_period, month, doc.date or "(unknown)")


def make_doc_id(doc_number: str, source: str, title: str, record_id: object = None) -> str:
    """Stable, readable id: from the 文号 when there is one, else from the file name and title."""
    if doc_number and (m := DOC_NUMBER_LOOSE.search(fold_width(doc_number))):
        digest = hashlib.sha1(doc_number.encode()).hexdigest()[:6]
        return f"doc-{m.group(1)}-{int(m.group(2))}-{digest}"
    if record_id is not None and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", str(record_id)):
        return str(record_id)
    path, _, record = source.partition("#")
    name = PurePath(path).name  # not the whole path: the same file given another way keeps its ids
    slug = re.sub(r"[^a-z0-9]+", "-", PurePath(name).stem.lower())[:60].strip("-") or "src"
    digest = hashlib.sha1(f"{title}\n{name}#{record}".encode()).hexdigest()[:8]
    return f"{slug}-{digest}"
