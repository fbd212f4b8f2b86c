"""Tell the reader when a cited document is not in force, and by what it was replaced.

A citation of a document that is not in force today gets a note right after its marker in
the answer text — ``[1]【注：所引文件已废止，已被《…》（东政办〔2021〕8号）替代】`` — and the
citation carries the note and the status. Successors are named only when the caller may read
them, and references to documents the caller may not read are dropped from every record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.backends.base import IndexBackend
from indexer.records import Document, Status, readable_by, status_on

# The note as it appears in answer text (evaluation strips it before judging quotes).
LIFECYCLE_NOTE = re.compile(r"【注：[^】]*】")
_MARKERS_AT = r"\[{n}\](?:\[\d+\])*"


class References:
    """Resolves 文号 / doc ids to the index's documents (the 文号 table is built on first use)."""

    def __init__(self, index: IndexBackend, groups: frozenset[str] | None) -> None:
        self.index = index
        self.groups = groups
        self._by_number: dict[str, Document] | None = None

    def resolve(self, reference: str) -> Document | None:
        doc = self.index.document(reference)
        if doc is not None:
            return doc
        if self._by_number is None:
            self._by_number = {d.doc_number: d for d in self.index.list_documents() if d.doc_number}
        return self._by_number.get(reference)

    def visible(self, references: Iterable[str]) -> list[str]:
        """The references the caller may see: unknown ones (outside the index) and readable ones."""
        out = []
        for ref in references:
            doc = self.resolve(ref)
            if doc is None or readable_by(doc, self.groups):
                out.append(ref)
        return out

    def note(self, doc: Document, day: str | None = None) -> str | None:
        """``None`` for a document in force on ``day`` (default today), else the note's words."""
        status = status_on(doc, day)
        if status == Status.IN_FORCE:
            return None
        if status == Status.PENDING:
            return f"所引文件尚未施行（自{doc.effective_from}起施行）"
        successors = []
        for ref in self.visible(doc.superseded_by):
            successor = self.resolve(ref)
            successors.append(f"《{successor.title}》（{successor.doc_number}）" if successor and successor.doc_number
                              else f"《{successor.title}》" if successor else ref)
        words = f"所引文件{status.value}"
        if doc.effective_to:
            words += f"（{doc.effective_to}后不再适用）"
        if successors:
            words += f"，已被{'、'.join(successors)}替代"
        return words


def insert_notes(answer: str, notes: dict[int, str]) -> str:
    """Each note right after the first occurrence of its citation's marker (or marker group)."""
    for n, words in sorted(notes.items()):
        match = re.search(_MARKERS_AT.format(n=n), answer)
        if match is None:
            continue
        answer = f"{answer[: match.end()]}【注：{words}】{answer[match.end():]}"
    return answer
