"""Send questions about a document's own particulars to the clause that states them.

In an official document the title and 文号 stand in the header and the date of
issue in the signature, far from the words of the question (“民生十件实事的通知
是哪天发的？”). When a question asks for one of these, the header or signature
chunk of the document whose title the question names is promoted to the top of
the hybrid ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.records import Chunk, Document
from indexer.retrieval.bm25_index import BM25Index

_ASKS_NUMBER_OR_TITLE = re.compile(r"文号|几号文|发文字号|哪个文件|标题|题目|全称|文件名")
_ASKS_ISSUE_DATE = re.compile(
    r"(哪天|哪一天|何时|什么时候|什么时间|几月几[日号]|哪年|日期|时间)[^，。？?]{0,4}(印发|发布|下发|发的|出台|成文|签发|发出)"
    r"|(印发|发布|下发|出台|成文|签发|发文)(的)?(日期|时间)"
)
_SIGNATURE = re.compile(r"^\s*\S{2,30}\s*\n*\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
RUNNER_UP_MAX_SHARE = 0.8  # the named title must beat the next best by 20%


@dataclass(frozen=True)
class Route:
    kind: str  # "header" or "signature"
    row: int  # the key of the clause in the backend's candidate space


def header_and_signature(keyed_chunks: Iterable[tuple[int, Chunk]]) -> tuple[dict[str, int], dict[str, int]]:
    """Per doc_id, the key of its header clause (the first in the text) and of its signature clause.

    ``keyed_chunks`` come in index order; the first of equals wins.
    """
    header: dict[str, tuple[int, int]] = {}
    signature: dict[str, int] = {}
    for key, chunk in keyed_chunks:
        if chunk.doc_id not in header or chunk.start < header[chunk.doc_id][1]:
            header[chunk.doc_id] = (key, chunk.start)
        if is_signature(chunk):
            signature.setdefault(chunk.doc_id, key)
    return {doc_id: key for doc_id, (key, _) in header.items()}, signature


def is_signature(chunk: Chunk) -> bool:
    return bool(_SIGNATURE.match(chunk.text))


class MetadataRouter:
    def __init__(
        self, documents: Sequence[Document], header: dict[str, int], signature: dict[str, int], tokenizer
    ) -> None:
        """``header``/``signature``: doc_id → the key (row) of that clause, as ``header_and_signature`` gives."""
        self.tokenizer = tokenizer
        self.doc_ids = [d.doc_id for d in documents if d.kind == "document"]
        self.titles = BM25Index.build([tokenizer(f"{d.title} {d.doc_number}") for d in documents
                                       if d.kind == "document"])
        self.header = header
        self.signature = signature

    @classmethod
    def from_chunks(cls, documents: Sequence[Document], chunks: Sequence[Chunk], tokenizer) -> MetadataRouter:
        """Keys are the chunks' positions in ``chunks``."""
        return cls(documents, *header_and_signature(enumerate(chunks)), tokenizer)

    def route(self, query: str, tokens: list[str]) -> Route | None:
        """``tokens`` are the query's own, from the index's tokenizer."""
        if _ASKS_ISSUE_DATE.search(query):
            kind, table = "signature", self.signature
        elif _ASKS_NUMBER_OR_TITLE.search(query):
            kind, table = "header", self.header
        else:
            return None
        if not self.doc_ids:
            return None
        scores = self.titles.scores(tokens)
        best = int(scores.argmax())
        ranked = sorted(scores, reverse=True)
        if ranked[0] <= 0 or (len(ranked) > 1 and ranked[1] > ranked[0] * RUNNER_UP_MAX_SHARE):
            return None  # the question does not name one document clearly
        row = table.get(self.doc_ids[best])
        return Route(kind, row) if row is not None else None
