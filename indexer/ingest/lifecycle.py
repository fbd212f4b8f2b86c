"""What a document says about its own validity and about the documents it repeals or revises.

Official documents state it in a few set phrases: ``本办法自2019年3月1日起施行`` /
``自印发之日起执行`` (start), ``有效期至2020年12月31日`` / ``有效期5年`` (end),
``原《…》（…号）同时废止`` / ``予以废止`` / ``停止执行`` (repeal) and ``修订后的《…》`` /
``对《…》进行修订`` (revision). Without a start phrase the date of issue is the start.

The claims on other documents are kept in ``metadata["lifecycle"]["claims"]`` (title, 文号,
kind, from) and resolved against the indexed documents by ``lifecycle_links``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from indexer.ingest.normalizer import cn_to_int, fold_width, parse_date
from indexer.records import Document, status_on
from indexer.text.patterns import (
    DOC_NUMBER,
    DOC_REFERENCE,
    REPEAL_WORDS,
    REVISES,
    STOPS_FROM,
    TAKES_EFFECT,
    VALID_UNTIL,
    VALID_YEARS,
)
from indexer.text.sentences import split_sentences

REPEAL, REVISE = "repeal", "revise"
_CLAUSE_END = re.compile(r"[，；,;]")
_FOLLOW_UP = re.compile(r"^\s*(?:自|同时|均|一律|予以|一并|即行)")
_LIST_ITEM = re.compile(
    r"^\s*(?:\d{1,3}[.．、]|[（(]\d{1,3}[）)]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])"
)


def extract_lifecycle(doc: Document, today: str | None = None) -> Document:
    """Fill ``effective_from``/``effective_to``/``status``/``supersedes`` from the text (in place)."""
    text = fold_width(doc.text)
    sentences = [s.text for s in split_sentences(text)]
    start = _own_start(sentences, doc.date)
    end = _own_end(text, start)
    claims = _claims(sentences, doc.title, start, doc.date)
    if start:
        doc.effective_from = start
    if end:
        doc.effective_to = end
    doc.supersedes = _unique([c["doc_number"] or f"《{c['title']}》" for c in claims])
    doc.metadata["lifecycle"] = {"claims": claims}
    doc.status = status_on(doc, today).value
    return doc


def day_before(iso: str) -> str:
    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()


def _date_of(phrase: str, issue_date: str) -> str:
    """ISO date of a ``2019年3月1日`` phrase; an ``印发之日`` phrase means the date of issue."""
    return parse_date(re.sub(r"\s+", "", phrase)) if phrase[:1].isdigit() else _full_date(issue_date)


def _full_date(value: str) -> str:
    return value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or "") else ""


def _own_start(sentences: list[str], issue_date: str) -> str:
    """The first 施行/执行 phrase about the document itself (no 《other document》 before it)."""
    for sentence in sentences:
        for match in TAKES_EFFECT.finditer(sentence):
            if "《" not in sentence[: match.start()]:
                return _date_of(match.group(1), issue_date) or _full_date(issue_date)
    return _full_date(issue_date)


def _own_end(text: str, start: str) -> str:
    if match := VALID_UNTIL.search(text):
        return parse_date(re.sub(r"\s+", "", match.group(1)))
    if (match := VALID_YEARS.search(text)) and start:
        years = cn_to_int(match.group(1))
        first = date.fromisoformat(start)
        try:
            last = first.replace(year=first.year + years)
        except ValueError:  # 29 February
            last = first.replace(year=first.year + years, day=28)
        return (last - timedelta(days=1)).isoformat()
    return ""


def _claims(sentences: list[str], own_title: str, start: str, issue_date: str) -> list[dict[str, str]]:
    """Repeal and revision claims: {"title", "doc_number", "kind", "from"} (from = first day not in force)."""
    claims: dict[tuple[str, str], dict[str, str]] = {}
    revised_titles = {t for s in sentences for m in REVISES.finditer(s) for t in m.groups() if t}
    revised_numbers = {title: number for s in sentences if REVISES.search(s)
                       for title, number in _references(s) if title in revised_titles and number}
    for i, sentence in enumerate(sentences):
        scope = _repealed_scope(sentence)
        if scope is None:
            continue
        if sentence.rstrip().endswith(("：", ":")):  # 决定废止以下文件： then a list
            for follower in sentences[i + 1 :]:
                if not _LIST_ITEM.match(follower):
                    break
                scope += "\n" + follower
        stops = STOPS_FROM.search(sentence)
        ends_from = _date_of(stops.group(1), issue_date) if stops else start
        for title, number in _references(scope):
            if title and title == own_title:
                continue
            kind = REVISE if title in revised_titles else REPEAL
            claims[(title, number)] = {"title": title, "doc_number": number, "kind": kind, "from": ends_from}
    for title in revised_titles:
        if not any(c["title"] == title for c in claims.values()) and title != own_title:
            number = revised_numbers.get(title, "")
            claims[(title, number)] = {"title": title, "doc_number": number, "kind": REVISE, "from": start}
    return list(claims.values())


def _repealed_scope(sentence: str) -> str | None:
    """The text naming what a sentence repeals: its clause up to the repeal word (and, for a
    clause like ``自…起废止`` or ``同时废止`` that names nothing, the clause before); ``None``
    when the sentence repeals nothing."""
    clauses = _CLAUSE_END.split(sentence)
    for n, clause in enumerate(clauses):
        word = REPEAL_WORDS.search(clause)
        if word is None:
            continue
        before = clause[: word.start()]
        if "《" in before or DOC_NUMBER.search(before):
            return before
        if n and _FOLLOW_UP.match(clause):
            return clauses[n - 1]
        return clause if clause.rstrip().endswith(("：", ":")) else ""
    return None


def _references(scope: str) -> list[tuple[str, str]]:
    """(title, 文号) of every document the text names: 《title》（文号）, 《title》, or a bare 文号."""
    refs = [(m.group(1).strip(), m.group(2) or "") for m in DOC_REFERENCE.finditer(scope)]
    quoted = DOC_REFERENCE.sub(" ", scope)
    refs += [("", m.group(0)) for m in DOC_NUMBER.finditer(quoted)]
    return refs


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
