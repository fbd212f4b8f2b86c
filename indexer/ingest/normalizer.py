"""Repair of extracted text, and the line grammar the repair depends on.

Extracted government text has blank lines that cut a sentence in two at page breaks,
markdown ``**bold**`` around lead-in phrases, and full- and half-width punctuation mixed.
Display text keeps the original characters; ``fold_width`` gives a same-length copy for
pattern matching (so offsets stay valid); the indexing form is `indexer.text.normal_form`.

The line predicates (document number, date, issuer, heading marker, title-like line) live
here because deciding whether a line break is a page break needs them; the segmenter and
the clause splitter reuse them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from indexer.text.patterns import DOC_NUMBER_LOOSE
from indexer.text.patterns import SENTENCE_END_CHARS as SENTENCE_END

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FOLDABLE = re.compile("[\uff01-\uff5e\u3000]")

CN_NUM = "一二三四五六七八九十百零〇两"
_TERMINAL_END = SENTENCE_END + "：:…）)】」』》”’"
_INNER_PUNCT = re.compile(r"[，、；。：,;:！？!?]")

_DOC_NUMBER_LINE = re.compile(rf"^{DOC_NUMBER_LOOSE.pattern}$")
_ARABIC_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_CN_NUM_DAY = "[一二三四五六七八九十]{1,3}"
_CN_DATE = re.compile(rf"^([〇○零一二三四五六七八九]{{4}})年({_CN_NUM_DAY})月({_CN_NUM_DAY})日$")
_ISSUER_LINE = re.compile(
    r"^[\u4e00-\u9fff（）() ]{2,40}(人民政府|政府|办公厅|办公室|委员会|厅|局|委|办|院|部|署|会|中心|公司|银行|集团)$"
)
HEADING_MARKER = re.compile(
    rf"^(?:[{CN_NUM}]+、|[（(][{CN_NUM}]+[）)]|\d{{1,3}}[.．、](?!\d)|[（(]\d{{1,3}}[）)]|[①-⑳]"
    rf"|—{{1,2}}|[●•◆■▲★◇□]|第[{CN_NUM}\d]+[编章节条]|专栏\s*[{CN_NUM}\d]+|附件)"
)
_TITLE_WORDS = (
    "规划", "方案", "办法", "意见", "通知", "决定", "规定", "细则", "条例", "表", "图", "目录",
    "说明", "报告", "纲要", "计划", "大事记", "公告", "通报", "批复", "函", "令", "决议", "标准",
    "清单", "指南", "要点", "章程", "措施", "制度",
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# titles, 文号 and date lines are shorter: a longer line is none of them (and costs no more tests)
SHORT_LINE = 200


@dataclass(frozen=True)
class NormalizedText:
    """Repaired display text plus the spans (in that text) that were marked as emphasis."""

    text: str
    emphasis: list[tuple[int, int]] = field(default_factory=list)


def fold_width(text: str) -> str:
    """Map full-width ASCII variants to ASCII, one character for one, so offsets stay valid."""
    return text.translate(_FOLD) if not text.isascii() and _FOLDABLE.search(text) else text


def is_table_row(line: str) -> bool:
    return "\t" in line


def is_doc_number_line(line: str) -> bool:
    return len(line) <= SHORT_LINE and bool(_DOC_NUMBER_LINE.match(fold_width(line.strip())))


def parse_date(line: str) -> str:
    """ISO date of a signature date line (``2017年1月24日`` or ``二〇一七年一月二十四日``), else ''."""
    line = line.strip()
    if len(line) > SHORT_LINE:
        return ""
    if m := _ARABIC_DATE.match(line):
        year, month, day = (int(g) for g in m.groups())
    elif m := _CN_DATE.match(line):
        year = int("".join(str(_cn_digit(c)) for c in m.group(1)))
        month, day = cn_to_int(m.group(2)), cn_to_int(m.group(3))
    else:
        return ""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def is_issuer_line(line: str) -> bool:
    line = line.strip()
    return len(line) <= 40 and bool(_ISSUER_LINE.match(line))


def cn_to_int(text: str) -> int:
    """Value of a Chinese numeral up to the hundreds (``十二`` -> 12, ``一百零五`` -> 105)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _cn_digit(char)
    return total + current


def _cn_digit(char: str) -> int:
    return {"〇": 0, "○": 0, "零": 0, "两": 2}.get(char, "一二三四五六七八九".find(char) + 1)


def strip_markup(line: str) -> str:
    return line.strip().strip("*").strip()


def has_heading_marker(line: str) -> bool:
    return bool(HEADING_MARKER.match(fold_width(strip_markup(line))))


def is_title_like(line: str) -> bool:
    """A short line that stands alone: a heading, a title, an issuer or a caption."""
    text = strip_markup(line)
    if not text or len(text) > SHORT_LINE or is_table_row(text):
        return False
    marker = HEADING_MARKER.match(fold_width(text))
    if marker:
        if text[0] in "—●•◆■▲★◇□":
            return False
        rest = text[marker.end():]
        return len(rest) <= 30 and not _INNER_PUNCT.search(rest)
    if _INNER_PUNCT.search(text) or len(text) > 50:
        return False
    bare = re.sub(r"[（(][^（()）]*[）)]$", "", text)
    return text.startswith("关于") or bare.endswith(_TITLE_WORDS) or is_issuer_line(text)


def ends_sentence(line: str) -> bool:
    text = strip_markup(line)
    return not text or text[-1] in _TERMINAL_END


def _is_continuation(line: str) -> bool:
    text = line.strip()
    if not text or text.startswith("**") or is_table_row(line):
        return False
    text = strip_markup(text)
    return not (
        has_heading_marker(text)
        or is_doc_number_line(text)
        or parse_date(text)
        or is_issuer_line(text)
        or text.startswith("关于")
    )


_WORD_TAIL = re.compile(r"^[^\s，、。；：,;:）)]{1,2}[，、。；,;）)]")


def is_page_break(before: str, after: str) -> bool:
    """Whether the break between two lines cuts one sentence (and should be joined).

    A line that looks like a complete heading is kept unless the next line starts with the
    one- or two-character tail of a cut word (``保险制`` / ``度。``).
    """
    if is_table_row(before) or ends_sentence(before):
        return False
    if is_doc_number_line(before) or parse_date(before) or not _is_continuation(after):
        return False
    return not is_title_like(before) or bool(_WORD_TAIL.match(after.strip()))


_PAGE_NUMBER = re.compile(r"^(?:[-—－–]+\s*\d{1,4}\s*[-—－–]+|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?)$")


def clean_layout(text: str) -> str:
    """Unify line ends, drop zero-width characters, indentation, trailing blanks and page numbers.

    Leading tabs are kept: they are empty first cells of table rows. A page-number line
    (``— 3 —``, ``第3页``) becomes a blank line, so the page break around it can be joined.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.translate(_ZERO_WIDTH)
    lines = (line.rstrip().lstrip(" \u3000\u00a0") for line in text.split("\n"))
    return "\n".join("" if _PAGE_NUMBER.match(line) and "\t" not in line else line for line in lines)


def repair_page_breaks(text: str) -> str:
    """Join lines cut by page breaks; keep one blank line between paragraphs, none in tables.

    The line before a break is judged through `_joined_view`, so a run of thousands of cut
    lines costs linear time, not the square of its length.
    """
    out: list[str] = []
    previous = ""
    blank_run = False
    for line in text.split("\n"):
        if not line.strip():
            blank_run = True
            continue
        if previous and is_page_break(previous, line):
            joiner = " " if _ascii_alnum(previous.rstrip()[-1]) and _ascii_alnum(line[0]) else ""
            out.extend((joiner, line))
            previous = _joined_view(previous, joiner + line)
        else:
            if out:
                tight = not blank_run or (is_table_row(previous) and is_table_row(line))
                out.append("\n" if tight else "\n\n")
            out.append(line)
            previous = line
        blank_run = False
    return "".join(out)


_VIEW = SHORT_LINE


def _joined_view(previous: str, addition: str) -> str:
    """A joined line as the page-break predicates need it: its first and last `_VIEW` characters.

    The predicates read a line's end (``ends_sentence``) or recognise short lines (title,
    文号, date: at most `SHORT_LINE` characters), so the middle of a long joined line never
    matters and is not copied and scanned again at each join.
    """
    joined = previous + addition
    return joined if len(joined) <= 2 * _VIEW else joined[:_VIEW] + joined[-_VIEW:]


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


_EMPHASIS_OPEN = re.compile(r"\*\*(?=[^\s*])")
_EMPHASIS_CLOSE = re.compile(r"(?<=[^\s*])\*\*")


def strip_emphasis(text: str) -> NormalizedText:
    """Remove ``**`` markers, remembering where the emphasised phrases are.

    A phrase opens at ``**`` followed by a visible character and closes at the nearest
    ``**`` on the same line after a visible character (the lazy ``\\*\\*(\\S.*?\\S)\\*\\*``
    reading), found by bisecting the closing candidates so a line full of unpaired
    markers costs linear time.
    """
    closes = [m.start() for m in _EMPHASIS_CLOSE.finditer(text)]
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    last = 0  # text[:last] is done
    resume = 0  # no phrase opens before this
    line_end = -1
    for opening in _EMPHASIS_OPEN.finditer(text):
        start = opening.start()
        if start < resume:
            continue
        if start > line_end:
            found = text.find("\n", start)
            line_end = len(text) if found < 0 else found
        index = bisect.bisect_left(closes, start + 3)
        close = closes[index] if index < len(closes) else line_end
        if close >= line_end:
            resume = line_end  # no phrase can open later on this line either
            continue
        before = text[last:start]
        parts.append(before)
        length += len(before)
        inner = text[start + 2:close]
        spans.append((length, length + len(inner)))
        parts.append(inner)
        length += len(inner)
        last = resume = close + 2
    parts.append(text[last:])
    return NormalizedText("".join(parts), spans)


def normalize_document(raw: str, join_breaks: bool = True) -> NormalizedText:
    """Display text of one document: layout cleaned, page breaks joined, emphasis stripped.

    ``join_breaks=False`` for formats whose line breaks are real paragraphs (.docx, HTML).
    """
    cleaned = clean_layout(raw)
    repaired = repair_page_breaks(cleaned) if join_breaks else re.sub(r"\n{3,}", "\n\n", cleaned)
    return strip_emphasis(repaired.strip("\n"))


def contains_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
