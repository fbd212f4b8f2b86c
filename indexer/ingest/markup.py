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
    """(title, text) of a page: one line per block, table rows tab-separated, bold as ``**``.

    Each text node is read once: bold is wrapped when its outermost tag closes, and a table
    cell keeps its nested tables for lines of their own, so deeply nested ``<b>`` or
    ``<table>`` (libxml2 nests up to 256 deep) cannot make the walk quadratic.
    """
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(markup, "lxml")
    heading = soup.find("h1") or soup.title
    title = " ".join(heading.get_text(" ").split()) if heading else ""
    lines: list[str] = []
    current: list[str] = []
    flushes = 0
    nested_tables: list[Tag] = []

    def flush() -> None:
        nonlocal flushes
        flushes += 1
        text = re.sub(r"\s+", " ", "".join(current)).strip()
        text = re.sub(r"(?<=[\u3400-\u9fff\uff00-\uffef，。、；：]) (?=[\u3400-\u9fff\uff00-\uffef])", "", text)
        if text:
            lines.append(text)
        current.clear()

    def cell_text(cell: Tag) -> str:
        """The cell's words; a table inside it is set aside to be walked after the row."""
        words: list[str] = []
        stack = [cell]
        while stack:
            node = stack.pop()
            for child in reversed(list(node.children)):
                if isinstance(child, Comment):
                    continue
                if isinstance(child, NavigableString):
                    words.append(str(child))
                elif child.name == "table":
                    nested_tables.append(child)
                elif child.name not in _HTML_SKIP:
                    stack.append(child)
        return " ".join(" ".join(words[::-1]).split())

    def walk(node: Tag, in_bold: bool = False) -> None:
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
                lines.append("\t".join(cell_text(c) for c in cells))
                while nested_tables:
                    walk(nested_tables.pop(0))
                    flush()
            elif child.name in ("strong", "b") and not in_bold:
                start, flushed = len(current), flushes
                walk(child, in_bold=True)
                if flushes == flushed:  # a block inside the bold already went out unwrapped
                    words = " ".join("".join(current[start:]).split())
                    del current[start:]
                    if words:
                        current.append(f"**{words}**")
            else:
                block = child.name in _HTML_BLOCKS
                if block:
                    flush()
                walk(child, in_bold)
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
