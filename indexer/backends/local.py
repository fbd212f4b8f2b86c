"""The single-machine index backend: BM25 + faiss in one folder (see local_store)."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from config import Settings
from indexer.backends import local_store as index_store
from indexer.backends import versions
from indexer.backends.local_store import IndexLoadError, IndexManifest
from indexer.backends.local_views import AccessViews
from indexer.records import Chunk, Document, Query, SearchFilters, SearchResult, Sentence
from indexer.retrieval.bm25_index import BM25Index, BM25Params
from indexer.retrieval.dense_index import DenseIndex
from indexer.retrieval.embedding_cache import EmbeddingCache
from indexer.retrieval.metadata_router import MetadataRouter
from indexer.retrieval.passage_text import bm25_text
from indexer.retrieval.passage_vectors import embed_chunks
from indexer.retrieval.ranking import HybridRanker
from indexer.retrieval.retriever import Retriever
from indexer.retrieval.sentence_store import SentenceStore
from indexer.retrieval.sentence_terms import SentenceTerms
from indexer.text.analyzer import TextAnalyzer
from indexer.text.tokenizer import ChineseTokenizer, document_terms

log = logging.getLogger(__name__)
_BUILD_LOCK = threading.Lock()


class LocalIndex:
    """Implements ``IndexBackend``. Writes go to a new version folder, then swap in."""

    def __init__(self, index_dir: Path, settings: Settings, encoder, reranker=None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.encoder = encoder
        self.reranker = reranker
        self.cache = EmbeddingCache(settings.embedding_cache_dir / "embeddings.sqlite")
        self.documents: dict[str, Document] = {}
        self.chunks: list[Chunk] = []
        self.user_terms: list[str] = []
        self.tokenizer = ChineseTokenizer()
        self.analyzer = TextAnalyzer(self.tokenizer)
        self.bm25 = BM25Index.build([], BM25Params())
        self.dense = DenseIndex(np.zeros((0, encoder.dim), dtype=np.float32), settings.hnsw_threshold)
        self.sentences = SentenceStore.empty(encoder.dim)
        self.manifest: IndexManifest | None = None
        self.version = ""  # the version folder's name once opened or published
        self.store_seq: int | None = None  # the last document-store event reflected here
        self._rows_by_id: dict[str, int] = {}
        self._text_bytes: int | None = None
        self._retriever: Retriever | None = None
        self._views = AccessViews(self.documents, self.chunks, lambda: self.retriever)

    # ---- loading ----------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: Path, settings: Settings, encoder, reranker=None) -> LocalIndex:
        folder, manifest = index_store.read_manifest(index_dir)
        if manifest.encoder != encoder.name:
            raise IndexLoadError(
                f"{index_dir} was built with encoder {manifest.encoder}, but the configured encoder is "
                f"{encoder.name}; its vectors would not match. Rebuild the index "
                f"(`python -m indexer build ... --index {index_dir}`) or set ENCODER to the one it was built with."
            )
        built_with = manifest.settings.get("dense_text", "title_path_text")  # indexes from before the setting
        if built_with != settings.dense_text:
            raise IndexLoadError(
                f"{index_dir} embeds the chunks' {built_with} (DENSE_TEXT), but the configured DENSE_TEXT is "
                f"{settings.dense_text}; its vectors would not match. Rebuild the index "
                f"(`python -m indexer build ... --index {index_dir}`) or set DENSE_TEXT={built_with}."
            )
        index = cls(index_dir, settings, encoder, reranker)
        try:
            index.documents = {
                d["doc_id"]: Document.from_dict(d) for d in map(json.loads, _lines(folder / "documents.jsonl"))
            }
            index.chunks = [Chunk.from_dict(json.loads(line)) for line in _lines(folder / "chunks.jsonl")]
            index.user_terms = json.loads((folder / "user_terms.json").read_text())
            index.bm25 = BM25Index.load(folder / "bm25")
            index.dense = DenseIndex.load(folder / "dense", settings.hnsw_threshold)
            index.sentences = SentenceStore.load(folder / "sentences")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexLoadError(f"{index_dir} is damaged ({exc}); rebuild the index") from None
        counts = (len(index.chunks), index.bm25.n_docs, index.dense.n_vectors, index.sentences.n_chunks)
        if not all(n == manifest.chunk_count for n in counts):
            raise IndexLoadError(f"{index_dir} is inconsistent (row counts differ); rebuild the index")
        index.tokenizer = ChineseTokenizer(index.user_terms)
        index.analyzer = TextAnalyzer(index.tokenizer)
        index.manifest, index.version, index.store_seq = manifest, folder.name, manifest.store_seq
        index._reindex_rows()
        index.retriever  # noqa: B018 - built now, not by the first requests
        versions.take_lease(index.index_dir, folder.name)
        return index

    # ---- IndexBackend -----------------------------------------------------------
    def build(self, documents: list[Document], chunks: list[Chunk], show_progress: bool = False,
              store_seq: int | None = None) -> None:
        started = time.perf_counter()
        self.documents = {}
        self.chunks = []
        self.user_terms = document_terms(documents)
        self.tokenizer = ChineseTokenizer(self.user_terms)
        self.analyzer = TextAnalyzer(self.tokenizer)
        self.bm25 = BM25Index.build([], BM25Params())
        self.dense = DenseIndex(np.zeros((0, self.encoder.dim), dtype=np.float32), self.settings.hnsw_threshold)
        self.sentences = SentenceStore.empty(self.encoder.dim)
        self._append(documents, chunks, show_progress)
        self._save(time.perf_counter() - started, store_seq)

    def add(self, documents: list[Document], chunks: list[Chunk], show_progress: bool = False,
            store_seq: int | None = None) -> None:
        started = time.perf_counter()
        replaced = [d.doc_id for d in documents if d.doc_id in self.documents]
        self._drop(replaced)
        new_terms = set(document_terms(documents)) - set(self.user_terms)
        if new_terms:
            self.user_terms = sorted(set(self.user_terms) | new_terms)
            self.tokenizer = ChineseTokenizer(self.user_terms)
            self.analyzer = TextAnalyzer(self.tokenizer)
        self._append(documents, chunks, show_progress)
        self._save(time.perf_counter() - started, store_seq)

    def update_documents(self, documents: list[Document], store_seq: int | None = None) -> None:
        unknown = [d.doc_id for d in documents if d.doc_id not in self.documents]
        if unknown:
            raise KeyError(f"no such documents: {unknown[:5]}")
        started = time.perf_counter()
        self.documents.update({d.doc_id: d for d in documents})
        self._reindex_rows()
        self._save(time.perf_counter() - started, store_seq)

    def remove(self, doc_ids: list[str], store_seq: int | None = None) -> list[str]:
        present = [d for d in doc_ids if d in self.documents]
        if present:
            started = time.perf_counter()
            self._drop(present)
            self._save(time.perf_counter() - started, store_seq)
        return present

    def search(
        self,
        query: Query | str,
        top_k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        weights: tuple[float, float] | None = None,
    ) -> SearchResult:
        if isinstance(query, str):
            query = self.analyzer.analyse(query)
        retriever, demoted = self._views.resolve(filters)
        return retriever.search(query, top_k, mode, filters, weights, demoted)

    def embed_query(self, query: Query) -> np.ndarray:
        return self.retriever.embed(query)

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode_passages(texts)

    def sentence_vectors(self, chunk_ids: list[str]) -> list[tuple[list[Sentence], np.ndarray]]:
        out = []
        for chunk_id in chunk_ids:
            row = self._rows_by_id[chunk_id]
            out.append(self.sentences.for_chunk(row, self.chunks[row].text))
        return out

    def sentence_terms(self, chunk_ids: list[str]) -> list[list[frozenset[str]] | None]:
        # valid while the tokenizer is the one that cut them: its corpus dictionary only grows (by `add`)
        return [self.sentences.terms_of(self._rows_by_id[i], len(self.user_terms)) for i in chunk_ids]

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        return self.bm25.idf_of(terms)

    def list_documents(self) -> list[Document]:
        return list(self.documents.values())

    def document(self, doc_id: str) -> Document | None:
        return self.documents.get(doc_id)

    def chunk_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for chunk in self.chunks:
            counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
        return counts

    def begin_update(self) -> LocalIndex:
        """A copy to write while this one serves; every write publishes a new version folder."""
        return self.copy()

    def stats(self) -> dict[str, Any]:
        manifest = asdict(self.manifest) if self.manifest else {}
        manifest.pop("files", None)
        return manifest | {
            "backend": "local",
            "encoder": self.encoder.name,
            "documents": len(self.documents),
            "chunks": len(self.chunks),
            "vocabulary": len(self.bm25.vocab),
            "dense_index": self.dense.kind,
            "memory_bytes": self.memory_bytes(),
        }

    # ---- helpers ----------------------------------------------------------------
    def copy(self) -> LocalIndex:
        """An independent copy to update while this one keeps serving searches."""
        clone = copy.copy(self)
        clone.documents = dict(self.documents)
        clone.chunks = list(self.chunks)
        clone.bm25 = copy.deepcopy(self.bm25)
        clone.dense = DenseIndex(self.dense.vectors.copy(), self.settings.hnsw_threshold)
        clone._rows_by_id = dict(self._rows_by_id)
        clone._retriever = None
        clone._reset_views()
        return clone

    def with_reranker(self, reranker) -> LocalIndex:
        """A view of this index (same data) whose searches go through ``reranker``."""
        view = copy.copy(self)
        view.reranker, view._retriever = reranker, None
        view._reset_views()
        return view

    @property
    def retriever(self) -> Retriever:
        # Built once under a lock: a fresh process hit by many requests at once would otherwise build
        # one per request thread (each with its metadata router), which took a minute and gigabytes.
        if self._retriever is None:
            with _BUILD_LOCK:
                if self._retriever is None:
                    self._retriever = Retriever(
                        self.chunks, self.bm25, self.dense, self.encoder,
                        HybridRanker.from_settings(self.settings, self.reranker),
                        candidate_k=self.settings.candidate_k, headings=self.sentences.headings,
                        router=MetadataRouter.from_chunks(list(self.documents.values()), self.chunks, self.tokenizer),
                    )
        return self._retriever

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self._rows_by_id.get(chunk_id)
        return None if row is None else self.chunks[row]

    def neighbours(self, chunk_id: str, width: int = 1) -> tuple[list[Chunk], list[Chunk]]:
        row = self._rows_by_id[chunk_id]
        doc_id = self.chunks[row].doc_id
        before = [c for c in self.chunks[max(0, row - width) : row] if c.doc_id == doc_id]
        after = [c for c in self.chunks[row + 1 : row + 1 + width] if c.doc_id == doc_id]
        return before, after

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        return [c for c in self.chunks if c.doc_id == doc_id]

    def memory_bytes(self) -> int:
        """Bytes held by the index structures (term matrices, vectors, faiss copy, chunk text)."""
        matrices = self.bm25.nbytes
        vectors = self.dense.vectors.nbytes
        faiss_copy = vectors  # both faiss index kinds store the vectors again (HNSW adds its graph)
        if self._text_bytes is None:  # counted once per set of chunks: stats() is read by every answer
            self._text_bytes = sum(len(c.text.encode("utf-8")) for c in self.chunks)
        return int(matrices + vectors + faiss_copy + self._text_bytes + self.sentences.nbytes)

    def _append(self, documents: list[Document], chunks: list[Chunk], show_progress: bool) -> None:
        known = {d.doc_id for d in documents}
        stray = {c.doc_id for c in chunks} - known
        if stray:
            raise ValueError(f"chunks refer to documents not given: {sorted(stray)[:5]}")
        per_chunk = [self.analyzer.sentences(c.text) for c in chunks]
        # BM25's tokenization and the answer sentences' (jieba, pure Python) run beside the encoder,
        # which releases the GIL.
        with ThreadPoolExecutor(max_workers=1) as pool:
            tokens = pool.submit(lambda: [self.tokenizer(bm25_text(c)) for c in chunks])
            cut = pool.submit(lambda: [[self.tokenizer(s.text) for s in sentences] for sentences in per_chunk])
            vectors = embed_chunks(self.cache, self.encoder, chunks, per_chunk, self.settings, show_progress)
            self.bm25.add(tokens.result())
            terms = SentenceTerms.from_tokens(cut.result(), len(self.user_terms))
        self.dense.add(vectors.chunks)
        flat = np.concatenate(vectors.sentences) if vectors.sentences else np.zeros((0, self.encoder.dim), np.float32)
        self.sentences = self.sentences.extend(
            SentenceStore.from_sentences(per_chunk, flat, vectors.headings, terms))
        self.documents.update({d.doc_id: d for d in documents})
        self.chunks.extend(chunks)
        self._reindex_rows()

    def _drop(self, doc_ids: list[str]) -> None:
        if not doc_ids:
            return
        gone = set(doc_ids)
        rows = [i for i, c in enumerate(self.chunks) if c.doc_id in gone]
        self.bm25.remove(rows)
        self.dense.remove(np.asarray(rows, dtype=np.int64))
        self.sentences = self.sentences.without(rows)
        self.chunks = [c for c in self.chunks if c.doc_id not in gone]
        for doc_id in gone:
            self.documents.pop(doc_id, None)
        self._reindex_rows()

    def _reindex_rows(self) -> None:
        self._rows_by_id = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self._text_bytes = None
        self._retriever = None
        self._reset_views()

    def _reset_views(self) -> None:
        self._views = AccessViews(self.documents, self.chunks, lambda: self.retriever)

    def fingerprint(self) -> str:
        return index_store.records_fingerprint(self.documents.values(), self.chunks)

    def _save(self, seconds: float, store_seq: int | None) -> None:
        """Write a new version folder and publish it; on any failure the served version is untouched."""
        version = versions.start_version(self.index_dir)
        store_seq = self.store_seq if store_seq is None else store_seq
        try:
            with open(version / "documents.jsonl", "w", encoding="utf-8") as fh:
                for doc in self.documents.values():
                    fh.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            with open(version / "chunks.jsonl", "w", encoding="utf-8") as fh:
                for chunk in self.chunks:
                    fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
            (version / "user_terms.json").write_text(json.dumps(self.user_terms, ensure_ascii=False))
            versions.pause_point("write")
            self.bm25.save(version / "bm25")
            self.dense.save(version / "dense")
            self.sentences.save(version / "sentences")
            s = self.settings
            manifest = IndexManifest(
                format_version=index_store.INDEX_FORMAT_VERSION,
                encoder=self.encoder.name,
                model_checksum=self.encoder.name.split(":", 1)[-1],
                corpus_fingerprint=self.fingerprint(),
                doc_count=len(self.documents),
                chunk_count=len(self.chunks),
                built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                build_seconds=round(seconds, 3),
                dense_kind=self.dense.kind,
                settings={"chunk_max_chars": s.chunk_max_chars, "chunk_min_chars": s.chunk_min_chars,
                          "bm25": asdict(self.bm25.params), "hnsw_threshold": s.hnsw_threshold,
                          "dense_text": s.dense_text},
                store_seq=store_seq,
            )
            index_store.finalize_manifest(version, manifest)
            name = versions.publish(self.index_dir, version, s.index_keep_versions)
        except BaseException:
            versions.discard(version)
            raise
        self.manifest, self.version, self.store_seq = manifest, name, store_seq
        versions.take_lease(self.index_dir, name)


def _lines(path: Path) -> list[str]:
    """The records of a JSONL file, split at "\\n" only: ``str.splitlines`` also splits at U+2028,
    U+0085 and other separators that ``json.dumps(ensure_ascii=False)`` leaves in the text."""
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
