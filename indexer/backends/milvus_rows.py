"""Records ↔ Milvus rows, and the bookkeeping a write does (document frequencies, statistics).

Every field of ``Document`` and ``Chunk`` survives the round trip: the fields that
filters or lookups need are columns, the rest (and any field added later) travels
in a JSON ``record``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from indexer.backends import milvus_schema as schema
from indexer.records import Chunk, Document
from indexer.retrieval.sparse_bm25 import update_histogram

CHUNK_COLUMNS = ("chunk_id", "doc_id", "doc_number", "issuer", "date", "text")
DOC_ON_CHUNK = ("visibility", "status", "effective_from", "effective_to")
CHUNK_FIELDS = ["seq", *CHUNK_COLUMNS, *DOC_ON_CHUNK, "position", "record"]
DOC_FIELDS = ["doc_id", "seq", "record", "n_chunks", "text_parts", "header_seq", "signature_seq"]
NO_ROW = -1


def check_sizes(documents: Iterable[Document], chunks: Iterable[Chunk]) -> None:
    """Refuse what a Milvus field cannot hold, before anything is written."""
    for doc in documents:
        if len(doc.doc_id.encode()) > schema.ID_CHARS:
            raise ValueError(f"doc_id {doc.doc_id[:60]!r}… is longer than {schema.ID_CHARS} bytes")
        doc_columns(doc)
    for chunk in chunks:
        if len(chunk.chunk_id.encode()) > schema.ID_CHARS:
            raise ValueError(f"chunk_id {chunk.chunk_id[:60]!r}… is longer than {schema.ID_CHARS} bytes")
        for name in ("text", "doc_number", "issuer"):
            size = len(getattr(chunk, name).encode())
            if size > schema.LONG:
                raise ValueError(f"chunk {chunk.chunk_id}: {name} is {size:,} bytes; Milvus holds {schema.LONG:,}")


def chunk_row(seq: int, chunk: Chunk, doc: Document, position: int, terms: list[str], vector: np.ndarray,
              heading: np.ndarray, sparse: dict[int, float], lexical_text: str | None) -> dict[str, Any]:
    data = chunk.to_dict()
    row = {"seq": seq} | {name: data.pop(name) for name in CHUNK_COLUMNS} | doc_columns(doc)
    row |= {"position": position, "record": data, "terms": list(dict.fromkeys(terms)),
            # the heading at the local index's float16 precision (``sentence_store``): both backends score alike
            "vector": vector.astype(np.float32).tolist(),
            "heading": heading.astype(np.float16).astype(np.float32).tolist(),
            "sparse": sparse}
    if lexical_text is not None:
        row["lexical_text"] = lexical_text
    return row


def doc_columns(doc: Document) -> dict[str, Any]:
    """The document fields its chunks carry for filtering (access, lifecycle)."""
    if len(doc.visibility) > schema.MAX_GROUPS:
        raise ValueError(f"document {doc.doc_id}: {len(doc.visibility)} groups; Milvus holds {schema.MAX_GROUPS}")
    return {"visibility": list(doc.visibility), "status": doc.status, "effective_from": doc.effective_from,
            "effective_to": doc.effective_to}


def lifecycle_of(row: dict[str, Any]) -> Document:
    """A stand-in document with a chunk row's lifecycle fields, for ``SearchFilters.in_force``."""
    return Document(doc_id=row["doc_id"], title="", text="", source="", status=row["status"],
                    effective_from=row["effective_from"], effective_to=row["effective_to"])


def chunk_of(row: dict[str, Any]) -> Chunk:
    data = dict(row["record"]) | {name: row[name] for name in CHUNK_COLUMNS}
    return Chunk.from_dict(data)


def doc_rows(doc: Document, seq: int, n_chunks: int, header: int | None, signature: int | None
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The document's row and its text parts."""
    record = {k: v for k, v in doc.to_dict().items() if k != "text"}
    size = schema.TEXT_PART_CHARS
    parts = [doc.text[i : i + size] for i in range(0, len(doc.text), size)] or [""]
    row = {"doc_id": doc.doc_id, "seq": seq, "record": record, "n_chunks": n_chunks, "text_parts": len(parts),
           "header_seq": NO_ROW if header is None else header,
           "signature_seq": NO_ROW if signature is None else signature, "_v": schema.placeholder()}
    texts = [{"key": f"{doc.doc_id}#{i}", "doc_id": doc.doc_id, "part": i, "text": part,
              "_v": schema.placeholder()} for i, part in enumerate(parts)]
    return row, texts


def document_of(row: dict[str, Any], text: str) -> Document:
    return Document.from_dict(row["record"] | {"text": text})


def term_rows(
    old: dict[str, dict[str, Any]], delta: Counter[str], new_user_terms: Iterable[str], histogram: dict[int, int]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows to upsert and terms to delete after a write; updates the df histogram in place.

    ``old``: the current rows of every affected term; ``delta``: the change of each term's
    document frequency (+1 per new chunk holding it, −1 per removed one).
    """
    user = set(new_user_terms)
    upserts, deletes, changes = [], [], []
    for term in set(delta) | user:
        if len(term.encode()) > schema.ID_CHARS:
            continue
        before = old.get(term, {})
        df_old = int(before.get("df", 0))
        df_new = max(0, df_old + delta.get(term, 0))
        is_user = bool(before.get("user", False)) or term in user
        changes.append((df_old, df_new))
        if df_new > 0 or is_user:
            upserts.append({"term": term, "df": df_new, "user": is_user, "_v": schema.placeholder()})
        elif before:
            deletes.append(term)
    update_histogram(histogram, changes)
    return upserts, deletes


def empty_state(encoder: str, dim: int, lexical: str, avgdl: float) -> dict[str, Any]:
    return {"format_version": schema.FORMAT_VERSION, "encoder": encoder, "dim": dim, "lexical": lexical,
            "avgdl": avgdl, "chunks": 0, "documents": 0, "next_doc_seq": 0, "next_seq": 1,
            "df_histogram": {}, "generation": 0}
