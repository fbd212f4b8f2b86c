"""Markup to plain text: markdown syntax dropped, HTML pages turned into one line per block.

Bold survives as ``**…**`` in both (the normalizer reads lead-in phrases from it) and table
rows become tab-separated lines, the form every later stage expects. Every pattern here
stays within one line and runs in linear time.
"""

from __future__ import annotations

import codecs
import re

_BLANK = r"[^\S\n]*"  # spaces within one line
_MD_HEADING = re.compile(rf"^[^\S\n]{{0,3}}#{{1,6}}{_BLANK}", re.M)
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\n]*\)")
_MD_LINK = re.compile(r"\[([^\[\]\n]+)\]\([^()\n]*\)")
_MD_QUOTE = re.compile(rf"^{_BLANK}>[^\S\n]?", re.M)
_MD_RULE_CELL = rf":?-{{3,}}:?{_BLANK}"
_MD_RULE_ROW = re.compile(rf"^{_BLANK}(?:\|{_BLANK})?{_MD_RULE_CELL}(?:\|{_BLANK}{_MD_RULE_CELL})*\|?{_BLANK}$", re.M)
_MD_TABLE_ROW = re.compile(rf"^{_BLANK}\|(.*)\|{_BLANK}$", re.M)


def strip_markdown(text: str) -> str:
    """Drop markdown syntax other than ``**emphasis**`` (the normalizer reads lead-ins from it).

    Every pattern stays inside one line and no two repeats can share a character, so each
    runs in linear time (a run of blank lines or brackets once made this cubic).
    """
    text = _MD_HEADING.sub("", text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_RULE_ROW.sub("", text)
    return _MD_TABLE_ROW.sub(lambda m: "\t".join(c.strip() for c in m.group(1).split("|")), text)


_HTML_SKIP = {"script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "template", "svg"}
_HTML_BLOCKS = {
    "p", "div", "section", "article", "main", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "dl", "dt", "dd", "table", "tbody", "thead", "pre", "blockquote", "center", "title",
}


def html_to_text(markup: str) -> tuple[str, str]:
    """(title, text) of a page: one line per block, table rows tab-separated, bold as ``**``."""
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(markup, "lxml")
    heading = soup.find("h1") or soup.title
    title = " ".join(heading.get_text(" ").split()) if heading else ""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = re.sub(r"\s+", " ", "".join(current)).strip()
        text = re.sub(r"(?<=[\u3400-\u9fff\uff00-\uffef，。、；：]) (?=[\u3400-\u9fff\uff00-\uffef])", "", text)
        if text:
            lines.append(text)
        current.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                current.append(str(child))
            elif child.name in _HTML_SKIP:
                continue
            elif child.name == "br":
                flush()
            elif child.name == "tr":
                flush()
                cells = child.find_all(["td", "th"], recursive=False)
                lines.append("\t".join(" ".join(c.get_text(" ").split()) for c in cells))
            elif child.name in ("strong", "b") and child.get_text().strip():
                current.append(f"**{' '.join(child.get_text(' ').split())}**")
            else:
                block = child.name in _HTML_BLOCKS
                if block:
                    flush()
                walk(child)
                if block:
                    flush()

    walk(soup.body or soup)
    flush()
    return title, "\n".join(lines)


def html_declared_encoding(data: bytes) -> str:
    match = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", data[:4096], re.I)
    if not match:
        return ""
    name = match.group(1).decode("ascii").lower()
    name = {"gb2312": "gb18030", "gbk": "gb18030"}.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        return ""
    return name
