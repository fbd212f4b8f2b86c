"""Numbering markers of official documents and the short labels of the headings they start.

一、/（一）/1./（1）/①/——/● items, 第X章/节/条 in regulations, 专栏 boxes and 附件 are matched at a
position of width-folded text; a heading's label is its own words (``（三）主要目标``), never the
body that follows on the same line.
"""

from __future__ import annotations

import re

from indexer.ingest.normalizer import CN_NUM, cn_to_int, fold_width

_N = rf"[{CN_NUM}\d]+"
# (kind, pattern) tried in order at a line start; inline ones also after 。；！？ or whitespace.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"第({_N})[编章](?=\s|[^的之、,，])")),
    ("section", re.compile(rf"第({_N})节(?=\s|[^的之、,，])")),
    ("article", re.compile(rf"第({_N})条(?=\s|[^的之、,，款项])")),
    ("cn", re.compile(rf"([{CN_NUM}]+)、(?![{CN_NUM}]+[、类级])")),
    ("paren_cn", re.compile(rf"\(([{CN_NUM}]+)\)")),
    ("arabic", re.compile(r"(\d{1,3})[.、](?!\d)")),
    ("paren_arabic", re.compile(r"\((\d{1,3})\)")),
    ("circled", re.compile(r"([①-⑳])")),
    ("box", re.compile(rf"专栏\s*({_N})")),
    ("annex", re.compile(rf"附件\s*({_N})?\s*[:：]?\s*")),
    ("dash", re.compile(r"—{1,2}(?!—)")),
    ("dot", re.compile(r"[●•◆■▲★]")),
)
_DATE_LABEL = re.compile(r"\d{1,2}月\d{1,2}日(?:[和至—\-~、](?:\d{1,2}月)?\d{1,2}日)?")
_LABEL_MAX = 30
_WORD_GAP = re.compile(r"(?<=[\u3400-\u9fff，、；：”）)])\s+(?=[\u3400-\u9fff“（(])")


def match_marker(folded: str, at: int) -> tuple[str, int | None, int] | None:
    """(kind, number or None, length) of the numbering marker at ``at``, or None."""
    for kind, pattern in _MARKERS:
        match = pattern.match(folded, at)
        if match:
            value = _marker_value(match.group(1)) if match.groups() and match.group(1) else None
            return kind, value, match.end() - at
    return None


def _marker_value(token: str) -> int:
    if "①" <= token <= "⑳":
        return ord(token) - ord("①") + 1
    return cn_to_int(token)


def heading_label(kind: str, line: str) -> str:
    """Short name of a heading: ``（三）主要目标`` from ``（三）主要目标。到2020年，…``."""
    line = line.strip()
    if kind == "dot":
        match = _DATE_LABEL.search(line[:16])
        return match.group(0) if match else ""
    if kind in ("dash", "circled"):
        body = line.lstrip("—①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳ ")
        lead = _first_clause(body, "。：:；;")
        return tidy_label(lead) if lead != body and len(lead) <= _LABEL_MAX else ""
    if kind in ("box", "chapter", "section"):
        return tidy_label(line[:40])
    if kind == "article":
        match = re.match(rf"第{_N}条", line)
        return match.group(0) if match else ""
    marker = match_marker(fold_width(line), 0)
    if marker:  # web text: "三、组织保障 各地区…" has the heading and its body on one line
        body = len(line[:marker[2]]) + len(line[marker[2]:]) - len(line[marker[2]:].lstrip())
        gap = _WORD_GAP.search(line, body + 1)
        line = line[:gap.start()] if gap else line
    label = _first_clause(line, "。！？；;!?")
    if len(label) > _LABEL_MAX:
        label = _strip_trailing_parenthetical(label)
    if len(label) > _LABEL_MAX:
        label = _first_clause(label, "，,：:")
    if len(label) > _LABEL_MAX + 10:
        label = label[:_LABEL_MAX] + "…"
    return tidy_label(label)


def lead_label(text: str) -> str:
    return tidy_label(text.strip().rstrip("。：:，,；;"))


def tidy_label(text: str) -> str:
    return " ".join(text.split()).strip().rstrip("。")


def _first_clause(text: str, stops: str) -> str:
    depth = 0
    for index, char in enumerate(text):
        if char in "（(【《“":
            depth += 1
        elif char in "）)】》”":
            depth = max(0, depth - 1)
        elif char in stops and depth == 0 and index > 0:
            return text[:index]
    return text


def _strip_trailing_parenthetical(text: str) -> str:
    """``(一)“互联网+”创新创业`` from ``(一)“互联网+”创新创业(牵头单位:…(州)政府…)``."""
    body = text.rstrip("。")
    if not body.endswith(("）", ")")):
        return text
    depth = 0
    for index in range(len(body) - 1, -1, -1):
        depth += body[index] in "）)"
        depth -= body[index] in "（("
        if depth == 0:
            return body[:index].rstrip() if index >= 4 else text
    return text
