"""What each index sees of a chunk.

The dense encoder gets ``passage: `` (added by the encoder) + title + clause path +
text, so a clause that says only “到2020年，建成50家” still carries what it is
about. BM25 gets the clause path and the text: the document title repeats in
every chunk of a document, where it adds length but little evidence.
"""

from __future__ import annotations

from indexer.records import Chunk


def _path(chunk: Chunk) -> str:
    return " ".join(h for h in chunk.heading_path[1:] if h)


def dense_text(chunk: Chunk) -> str:
    parts = [chunk.doc_title, _path(chunk), chunk.text]
    return "\n".join(p for p in parts if p)


def bm25_text(chunk: Chunk) -> str:
    return "\n".join(p for p in (chunk.doc_title, chunk.doc_number, _path(chunk), chunk.text) if p)
