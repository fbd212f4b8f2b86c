"""The write side of the Milvus backend: build a new version, add or replace documents, remove them.

Order of a write, so an interrupted one never loses what was indexed: the new chunks
are inserted first, then the replaced or removed chunks are deleted, then the
document rows, the term table and the statistics are written (``generation`` + 1).
A build writes a fresh version of the collections and flips ``active`` when it is
complete; the previous version serves until then and is dropped afterwards.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import numpy as np

from indexer.backends import milvus_rows as rows_
from indexer.backends import milvus_schema
from indexer.backends.local_store import records_fingerprint
from indexer.backends.milvus_filters import in_list
from indexer.records import Chunk, Document
from indexer.retrieval import sparse_bm25
from indexer.retrieval.metadata_router import header_and_signature
from indexer.retrieval.passage_text import bm25_text
from indexer.retrieval.passage_vectors import ChunkVectors, embed_chunks
from indexer.text.analyzer import TextAnalyzer
from indexer.text.normal_form import to_index_form
from indexer.text.tokenizer import ChineseTokenizer, dictionary_terms, document_terms, stopwords

log = logging.getLogger(__name__)


class MilvusWriter:
    """Mixed into ``MilvusIndex``; uses its ``store``, ``encoder``, ``cache``, ``state`` and tokenizer."""

    def build(self, documents: list[Document], chunks: list[Chunk], show_progress: bool = False,
              store_seq: int | None = None) -> None:
        started = time.perf_counter()
        _check_refs(documents, chunks)
        rows_.check_sizes(documents, chunks)
        user_terms = document_terms(documents)
        tokenizer = ChineseTokenizer(user_terms)
        vectors = self._embed(chunks, show_progress)
        tokens = [tokenizer(bm25_text(c)) for c in chunks]
        avgdl = float(np.mean([len(t) for t in tokens])) if tokens else 1.0
        old = self.store.active_version()
        version = (old or 0) + 1
        lexical = self.settings.milvus_lexical
        self.store.create_version(version, self.encoder.dim, lexical, dictionary_terms(user_terms), sorted(stopwords()))
        self.version, self.user_terms, self.tokenizer = version, user_terms, tokenizer
        self.analyzer = TextAnalyzer(tokenizer)
        self.state = rows_.empty_state(self.encoder.name, self.encoder.dim, lexical, max(avgdl, 1.0))
        self.state["store_seq"] = store_seq  # the document-store event this version reflects
        self.state["dense_text"] = self.settings.dense_text  # what the chunk vectors embed (checked on open)
        self._df, self._router = {}, None
        try:
            self._write(documents, chunks, tokens, vectors, replaced=[], new_user_terms=user_terms)
            self.state["build_seconds"] = round(time.perf_counter() - started, 3)
            self.state["corpus_fingerprint"] = records_fingerprint(documents, chunks)
            self.store.put_state(version, self.state)
            self.store.publish(version)
        except BaseException:
            self.store.drop_version(version)
            if old is not None:
                self._load(old)
            raise
        if old is not None:
            self.store.drop_version(old)

    def add(self, documents: list[Document], chunks: list[Chunk], show_progress: bool = False,
            store_seq: int | None = None) -> None:
        _check_refs(documents, chunks)
        rows_.check_sizes(documents, chunks)
        self._maybe_refresh()
        self._note_store_seq(store_seq)
        new_terms = sorted(set(document_terms(documents)) - set(self.user_terms))
        if new_terms:
            self.user_terms = sorted(set(self.user_terms) | set(new_terms))
            self.tokenizer = ChineseTokenizer(self.user_terms)
            self.analyzer = TextAnalyzer(self.tokenizer)
        vectors = self._embed(chunks, show_progress)
        tokens = [self.tokenizer(bm25_text(c)) for c in chunks]
        self._write(documents, chunks, tokens, vectors, replaced=[d.doc_id for d in documents],
                    new_user_terms=new_terms)

    def remove(self, doc_ids: list[str], store_seq: int | None = None) -> list[str]:
        self._maybe_refresh()
        self._note_store_seq(store_seq)
        names = self.store.names
        present = [r["doc_id"] for r in self.store.lookup(names.docs, "doc_id", doc_ids, ["doc_id"])]
        present = [d for d in dict.fromkeys(doc_ids) if d in set(present)]
        if present:
            none = np.zeros((0, self.encoder.dim), dtype=np.float32)
            self._write([], [], [], ChunkVectors(none, [], none), replaced=present, new_user_terms=[])
        return present

    def update_documents(self, documents: list[Document], store_seq: int | None = None) -> None:
        """New metadata for indexed documents: their rows, and the access/lifecycle columns of their chunks."""
        self._maybe_refresh()
        self._note_store_seq(store_seq)
        names = self.store.names
        ids = [d.doc_id for d in documents]
        current = {r["doc_id"]: r for r in self.store.lookup(names.docs, "doc_id", ids, rows_.DOC_FIELDS)}
        unknown = [i for i in ids if i not in current]
        if unknown:
            raise KeyError(f"no such documents: {unknown[:5]}")
        rows_.check_sizes(documents, [])
        by_id = {d.doc_id: d for d in documents}
        doc_rows = [current[i] | {"record": {k: v for k, v in by_id[i].to_dict().items() if k != "text"},
                                  "_v": milvus_schema.placeholder()} for i in by_id]
        self.store.upsert(names.docs, doc_rows)
        fields = [*rows_.CHUNK_FIELDS, "terms", "vector", "heading", "sparse"]
        if self.state["lexical"] == "milvus-bm25":
            fields.append("lexical_text")
        chunk_rows = [r | rows_.doc_columns(by_id[r["doc_id"]])
                      for r in self.store.scan(names.chunks, in_list("doc_id", list(by_id)), fields)]
        self.store.upsert(names.chunks, chunk_rows)
        self.state["generation"] += 1
        self.store.put_state(self.version, _jsonable(self.state))
        self.store.settle(names.docs, names.chunks)
        self._router = None

    @property
    def store_seq(self) -> int | None:
        """The last document-store event this index reflects (saved with its state)."""
        return self.state.get("store_seq")

    def _note_store_seq(self, store_seq: int | None) -> None:
        if store_seq is not None:
            self.state["store_seq"] = store_seq

    # ---- one write ----------------------------------------------------------------
    def _write(self, documents: list[Document], chunks: list[Chunk], tokens: list[list[str]], vectors: ChunkVectors,
               replaced: list[str], new_user_terms: list[str]) -> None:
        names, state = self.store.names, self.state
        old_docs = self.store.lookup(names.docs, "doc_id", replaced, ["doc_id", "n_chunks"]) if replaced else []
        old_ids = [r["doc_id"] for r in old_docs]
        old_chunks = list(self.store.scan(names.chunks, in_list("doc_id", old_ids), ["seq", "terms"])) if old_ids \
            else []
        lexical_text = self.state["lexical"] == "milvus-bm25"
        positions = _positions(chunks)
        by_id = {d.doc_id: d for d in documents}
        seqs = list(range(state["next_seq"], state["next_seq"] + len(chunks)))
        new_rows = [
            rows_.chunk_row(seqs[i], c, by_id[c.doc_id], positions[i], tokens[i], vectors.chunks[i],
                            vectors.headings[i],
                            sparse_bm25.doc_vector(tokens[i], state["avgdl"]),
                            to_index_form(bm25_text(c)) if lexical_text else None)
            for i, c in enumerate(chunks)
        ]
        self.store.insert(names.chunks, new_rows)
        state["next_seq"] += len(chunks)
        for start in range(0, len(old_chunks), 1000):
            self.store.delete(names.chunks, in_list("seq", [r["seq"] for r in old_chunks[start : start + 1000]]))
        if old_ids:
            self.store.delete(names.texts, in_list("doc_id", old_ids))
            self.store.delete(names.docs, in_list("doc_id", old_ids))

        header, signature = header_and_signature(zip(seqs, chunks, strict=True))
        counts = Counter(c.doc_id for c in chunks)
        doc_rows, text_rows = [], []
        for doc in documents:
            row, texts = rows_.doc_rows(doc, state["next_doc_seq"], counts[doc.doc_id], header.get(doc.doc_id),
                                        signature.get(doc.doc_id))
            state["next_doc_seq"] += 1
            doc_rows.append(row)
            text_rows.extend(texts)
        self.store.upsert(names.texts, text_rows)
        self.store.upsert(names.docs, doc_rows)

        delta: Counter[str] = Counter()
        for terms in tokens:
            delta.update(set(terms))
        for r in old_chunks:
            delta.subtract(set(r["terms"]))
        affected = list(set(delta) | set(new_user_terms))
        old_terms = {r["term"]: r for r in self.store.lookup(names.terms, "term", affected, ["term", "df", "user"])}
        upserts, deletes = rows_.term_rows(old_terms, delta, new_user_terms, state["df_histogram"])
        self.store.upsert(names.terms, upserts)
        for start in range(0, len(deletes), 1000):
            self.store.delete(names.terms, in_list("term", deletes[start : start + 1000]))

        state["chunks"] += len(chunks) - len(old_chunks)
        state["documents"] += len(documents) - len(old_ids)
        state["generation"] += 1
        state["corpus_fingerprint"] = ""  # known for a build only (set after this write)
        state["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.store.put_state(self.version, _jsonable(state))
        self.store.settle(*names.versioned())
        self._df, self._router = {}, None

    def _embed(self, chunks: list[Chunk], show_progress: bool) -> ChunkVectors:
        # The chunks' sentence vectors go into the embedding cache, where ``sentence_vectors`` finds them
        # when an answer is composed (no encoding at request time); their heading vectors into the rows.
        per_chunk = [self.analyzer.sentences(c.text) for c in chunks]
        return embed_chunks(self.cache, self.encoder, chunks, per_chunk, self.settings, show_progress)


def _check_refs(documents: list[Document], chunks: list[Chunk]) -> None:
    stray = {c.doc_id for c in chunks} - {d.doc_id for d in documents}
    if stray:
        raise ValueError(f"chunks refer to documents not given: {sorted(stray)[:5]}")


def _positions(chunks: list[Chunk]) -> list[int]:
    """Each chunk's place among its document's chunks, in the order given (reading order)."""
    seen: Counter[str] = Counter()
    positions = []
    for chunk in chunks:
        positions.append(seen[chunk.doc_id])
        seen[chunk.doc_id] += 1
    return positions


def _jsonable(state: dict[str, Any]) -> dict[str, Any]:
    return state | {"df_histogram": {str(k): v for k, v in state["df_histogram"].items()}}
