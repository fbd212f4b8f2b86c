"""The Milvus backend: chunks, vectors, BM25 sparse vectors, documents and statistics all in Milvus.

A service replica needs nothing but ``MILVUS_URI``: the tokenizer's corpus
dictionary, the document records and texts and the BM25 statistics are read from
the collections (``milvus_schema``). Candidates come from two Milvus searches (the
dense vector, and BM25 as a sparse inner product) with the filters as a Milvus
expression; they are ranked by the same ``HybridRanker`` as the local backend.
Updates apply in place; other processes see them within ``MILVUS_REFRESH_S``.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import numpy as np

from config import Settings
from indexer.backends import milvus_rows as rows_
from indexer.backends.base import BackendUnavailable
from indexer.backends.milvus_filters import filter_expression, literal
from indexer.backends.milvus_schema import FORMAT_VERSION, HNSW_EF_SEARCH
from indexer.backends.milvus_store import MilvusStore
from indexer.backends.milvus_writer import MilvusWriter
from indexer.records import Chunk, Document, Query, SearchFilters, SearchResult, Sentence
from indexer.retrieval import sparse_bm25
from indexer.retrieval.embedding_cache import EmbeddingCache
from indexer.retrieval.metadata_router import MetadataRouter
from indexer.retrieval.passage_vectors import embed_chunks
from indexer.retrieval.ranking import SEARCH_MODES, Candidates, HybridRanker, TermStats
from indexer.text.analyzer import TextAnalyzer
from indexer.text.tokenizer import ChineseTokenizer

log = logging.getLogger(__name__)


class MilvusIndex(MilvusWriter):
    """Implements ``IndexBackend`` on one Milvus index (``MILVUS_URI``, ``MILVUS_COLLECTION``)."""

    def __init__(self, settings: Settings, encoder, reranker=None, store: MilvusStore | None = None) -> None:
        self.settings = settings
        self.encoder = encoder
        self.store = store or MilvusStore(settings.milvus_uri, settings.milvus_token, settings.milvus_collection)
        self.cache = EmbeddingCache(settings.embedding_cache_dir / "embeddings.sqlite")
        self.ranker = HybridRanker.from_settings(settings, reranker)
        self.version: int | None = None
        self.state: dict[str, Any] = rows_.empty_state(encoder.name, encoder.dim, settings.milvus_lexical, 0.0)
        self.user_terms: list[str] = []
        self.tokenizer = ChineseTokenizer()
        self.analyzer = TextAnalyzer(self.tokenizer)
        self._router: MetadataRouter | None = None
        self._df: dict[str, int] = {}
        self._checked = time.monotonic()

    @classmethod
    def open(cls, settings: Settings, encoder, reranker=None) -> MilvusIndex:
        index = cls(settings, encoder, reranker)
        version = index.store.active_version()
        if version is None:
            raise BackendUnavailable(
                f"no Milvus index {settings.milvus_collection!r} at {settings.milvus_uri}; build one "
                "(`INDEX_BACKEND=milvus python -m indexer build corpus`)")
        index._load(version)
        if index.state.get("format_version") != FORMAT_VERSION:
            raise BackendUnavailable(
                f"the Milvus index {settings.milvus_collection!r} has format {index.state.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}; rebuild it "
                "(`INDEX_BACKEND=milvus python -m indexer build corpus`)")
        if index.state["encoder"] != encoder.name:
            raise BackendUnavailable(
                f"the Milvus index {settings.milvus_collection!r} was built with encoder {index.state['encoder']}, "
                f"but the configured encoder is {encoder.name}; rebuild it or set ENCODER to the one it was built with")
        built_with = index.state.get("dense_text", "title_path_text")  # versions from before the setting
        if built_with != settings.dense_text:
            raise BackendUnavailable(
                f"the Milvus index {settings.milvus_collection!r} embeds the chunks' {built_with} (DENSE_TEXT), but "
                f"the configured DENSE_TEXT is {settings.dense_text}; rebuild it or set DENSE_TEXT={built_with}")
        return index

    # ---- loading and refreshing ---------------------------------------------------
    def _load(self, version: int) -> None:
        self.store.use(version)
        self.version = version
        self._load_state(self.store.state(version))

    def _load_state(self, state: dict[str, Any]) -> None:
        state["df_histogram"] = {int(k): int(v) for k, v in state["df_histogram"].items()}
        self.state = state
        user_terms = sorted(r["term"] for r in self.store.scan(self.store.names.terms, "user == true", ["term"]))
        if user_terms != self.user_terms or self._router is None:
            self.user_terms = user_terms
            self.tokenizer = ChineseTokenizer(user_terms)
            self.analyzer = TextAnalyzer(self.tokenizer)
        self._df = {}
        self._router = None
        self._checked = time.monotonic()

    def _maybe_refresh(self) -> None:
        """Notice writes by other processes (a rebuild, an update) at most every ``MILVUS_REFRESH_S``."""
        if time.monotonic() - self._checked < self.settings.milvus_refresh_s:
            return
        self._checked = time.monotonic()
        version = self.store.active_version()
        if version is not None and version != self.version:
            self._load(version)
            return
        state = self.store.state(self.version)
        if state["generation"] != self.state["generation"]:
            self._load_state(state)

    @property
    def router(self) -> MetadataRouter:
        if self._router is None:
            docs = sorted(self.store.scan(self.store.names.docs, "", rows_.DOC_FIELDS), key=lambda r: r["seq"])
            header = {r["doc_id"]: r["header_seq"] for r in docs if r["header_seq"] != rows_.NO_ROW}
            signature = {r["doc_id"]: r["signature_seq"] for r in docs if r["signature_seq"] != rows_.NO_ROW}
            documents = [rows_.document_of(r, "") for r in docs]
            self._router = MetadataRouter(documents, header, signature, self.tokenizer)
        return self._router

    # ---- searching ----------------------------------------------------------------
    def search(
        self,
        query: Query | str,
        top_k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        weights: tuple[float, float] | None = None,
    ) -> SearchResult:
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(SEARCH_MODES)}")
        self._maybe_refresh()
        if isinstance(query, str):
            query = self.analyzer.analyse(query)
        if not self.state["chunks"]:
            return SearchResult(query.text, mode, [], False, 0.0)
        expression = filter_expression(filters)
        idf = self._idf(query.search_terms)
        sparse_query = sparse_bm25.query_vector(query.search_terms, idf)
        query_vec = None if mode == "bm25" else self.embed_query(query)
        rows: dict[int, dict] = {}  # seq → the chunk's fields, from the searches (and lookups)
        lexical = self._lexical(query, sparse_query, expression, rows)
        dense: dict[int, float] = {}
        if query_vec is not None:
            # no metric named: Milvus takes the index's (inner product; COSINE in indexes built before)
            params = {} if self.store.lite else {"params": {"ef": HNSW_EF_SEARCH}}
            dense = self._collect(self.store.client.search(
                self.store.names.chunks, data=[query_vec.tolist()], anns_field="vector",
                limit=self.settings.candidate_k, filter=expression, search_params=params,
                output_fields=rows_.CHUNK_FIELDS), rows)
        extra = ["terms", "sparse", *([] if query_vec is None else ["vector", "heading"])]

        def fetch(keys: list[int]) -> None:
            """Load what scores and confidence read (terms, vectors) for these keys in one query."""
            wanted = [k for k in keys if k not in rows or "terms" not in rows[k]]
            for r in self.store.lookup(self.store.names.chunks, "seq", wanted, [*rows_.CHUNK_FIELDS, *extra]):
                rows[int(r["seq"])] = r

        def row(key: int) -> dict | None:
            if key not in rows or "terms" not in rows[key]:
                fetch([key])
            return rows.get(key)

        def bm25_score(key: int) -> float:
            if key in lexical or self.state["lexical"] != "sparse":
                return lexical.get(key, 0.0)
            return sparse_bm25.score(sparse_query, row(key)["sparse"])

        def dense_score(key: int) -> float:
            if query_vec is None:
                return 0.0
            if key in dense:
                return dense[key]
            return float(np.asarray(row(key)["vector"], dtype=np.float32) @ query_vec)

        def heading_score(key: int) -> float:
            if query_vec is None:
                return 0.0
            return float(np.asarray(row(key)["heading"], dtype=np.float32) @ query_vec)

        found = Candidates(
            lexical=lexical, dense=dense,
            chunk=lambda key: rows_.chunk_of(rows[key]) if key in rows else (
                None if (r := row(key)) is None else rows_.chunk_of(r)),
            bm25_score=bm25_score, dense_score=dense_score,
            heading_score=heading_score,
            context_terms=lambda keys: {t for key in keys for t in row(key)["terms"]},
            prefetch=fetch,
            demoted=self._demotion(filters, rows),
        )
        route = self.router.route(query.text, query.tokens) if mode != "bm25" else None
        if route is not None and expression:  # the routed clause must pass the filters, access included
            allowed = self.store.query(self.store.names.chunks, f"seq == {int(route.row)} and ({expression})",
                                       ["seq"], limit=1)
            route = route if allowed else None
        return self.ranker.rank(query, found, TermStats(idf, self.state["chunks"]), top_k=top_k, mode=mode,
                                route=route, filters=filters, weights=weights)

    @staticmethod
    def _demotion(filters: SearchFilters | None, rows: dict[int, dict]):
        """Lifecycle ``demote``: chunks of documents not in force rank after the others."""
        if filters is None or filters.effective_lifecycle != "demote":
            return None
        return lambda key: not filters.in_force(rows_.lifecycle_of(rows[key]))

    def _lexical(self, query: Query, sparse_query: dict[int, float], expression: str, found_rows: dict
                 ) -> dict[int, float]:
        if self.state["lexical"] == "milvus-bm25":
            data, field, metric = [query.norm], "bm25", "BM25"
        elif sparse_query:
            data, field, metric = [sparse_query], "sparse", "IP"
        else:
            return {}
        scores = self._collect(self.store.client.search(
            self.store.names.chunks, data=data, anns_field=field, limit=self.settings.candidate_k,
            filter=expression, search_params={"metric_type": metric}, output_fields=rows_.CHUNK_FIELDS), found_rows)
        # Milvus Lite reports BM25 as a negative distance (best first); a server as a positive score
        return {key: abs(score) for key, score in scores.items()} if metric == "BM25" else scores

    @staticmethod
    def _collect(result, found_rows: dict[int, dict]) -> dict[int, float]:
        scores = {}
        for hit in result[0]:
            key = int(hit["seq"]) if "seq" in hit else int(hit["id"])
            entity = dict(hit["entity"]) | {"seq": key}
            found_rows[key] = found_rows.get(key, {}) | entity
            scores[key] = float(hit["distance"])
        return scores

    def _idf(self, terms: list[str]) -> dict[str, float]:
        """idf of the terms the index holds (document frequencies cached until the next write)."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if missing:
            found = {r["term"]: int(r["df"]) for r in self.store.lookup(self.store.names.terms, "term", missing,
                                                                         ["term", "df"])}
            self._df.update({t: found.get(t, 0) for t in missing})
        n = self.state["chunks"]
        mean = sparse_bm25.mean_idf(self.state["df_histogram"], n)
        return sparse_bm25.floored_idf({t: self._df[t] for t in dict.fromkeys(terms)}, n, mean)

    def embed_query(self, query: Query) -> np.ndarray:
        if query.vector is None:
            query.vector = self.encoder.encode_queries([query.text])[0]
        return query.vector

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode_passages(texts)

    def sentence_vectors(self, chunk_ids: list[str]) -> list[tuple[list[Sentence], np.ndarray]]:
        """From the embedding cache, which the writer filled when it embedded the chunks."""
        chunks = [c for c in map(self.chunk, chunk_ids) if c is not None]
        per_chunk = [self.analyzer.sentences(c.text) for c in chunks]
        vectors = embed_chunks(self.cache, self.encoder, chunks, per_chunk, self.settings).sentences
        found = {c.chunk_id: pair for c, pair in zip(chunks, zip(per_chunk, vectors, strict=True), strict=True)}
        return [found.get(i, ([], np.zeros((0, self.encoder.dim), np.float32))) for i in chunk_ids]

    def sentence_terms(self, chunk_ids: list[str]) -> list[list[frozenset[str]] | None]:
        """Not stored in Milvus (yet): the composer tokenizes the sentences of its top passages itself."""
        return [None] * len(chunk_ids)

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        return self._idf(terms)

    # ---- records ------------------------------------------------------------------
    def list_documents(self) -> list[Document]:
        names = self.store.names
        texts: dict[str, list[tuple[int, str]]] = {}
        for r in self.store.scan(names.texts, "", ["doc_id", "part", "text"]):
            texts.setdefault(r["doc_id"], []).append((r["part"], r["text"]))
        docs = sorted(self.store.scan(names.docs, "", rows_.DOC_FIELDS), key=lambda r: r["seq"])
        return [rows_.document_of(r, "".join(t for _, t in sorted(texts.get(r["doc_id"], [])))) for r in docs]

    def document(self, doc_id: str) -> Document | None:
        found = self.store.query(self.store.names.docs, f"doc_id == {literal(doc_id)}", rows_.DOC_FIELDS, limit=1)
        if not found:
            return None
        parts = self.store.query(self.store.names.texts, f"doc_id == {literal(doc_id)}", ["part", "text"],
                                 limit=found[0]["text_parts"])
        return rows_.document_of(found[0], "".join(p["text"] for p in sorted(parts, key=lambda p: p["part"])))

    def chunk(self, chunk_id: str) -> Chunk | None:
        found = self.store.query(self.store.names.chunks, f"chunk_id == {literal(chunk_id)}", rows_.CHUNK_FIELDS,
                                 limit=1)
        return rows_.chunk_of(found[0]) if found else None

    def neighbours(self, chunk_id: str, width: int = 1) -> tuple[list[Chunk], list[Chunk]]:
        found = self.store.query(self.store.names.chunks, f"chunk_id == {literal(chunk_id)}",
                                 ["doc_id", "position"], limit=1)
        if not found:
            raise KeyError(chunk_id)
        doc_id, position = found[0]["doc_id"], int(found[0]["position"])
        near = self.store.query(
            self.store.names.chunks,
            f"doc_id == {literal(doc_id)} and position >= {position - width} and position <= {position + width}",
            rows_.CHUNK_FIELDS, limit=2 * width + 1)
        near.sort(key=lambda r: r["position"])
        before = [rows_.chunk_of(r) for r in near if r["position"] < position]
        after = [rows_.chunk_of(r) for r in near if r["position"] > position]
        return before, after

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        found = self.store.scan(self.store.names.chunks, f"doc_id == {literal(doc_id)}", rows_.CHUNK_FIELDS)
        return [rows_.chunk_of(r) for r in sorted(found, key=lambda r: r["position"])]

    def chunk_counts(self) -> dict[str, int]:
        return {r["doc_id"]: int(r["n_chunks"]) for r in self.store.scan(self.store.names.docs, "",
                                                                         ["doc_id", "n_chunks"])}

    def stats(self) -> dict[str, Any]:
        s = self.state
        return {
            "backend": "milvus", "uri": self.store.uri, "collection": self.store.prefix, "version": self.version,
            "encoder": self.encoder.name, "documents": s["documents"], "chunks": s["chunks"],
            "lexical": s["lexical"], "dense_index": "flat" if self.store.lite else "hnsw",
            "generation": s["generation"], "built_at": s.get("built_at", ""),
            "build_seconds": s.get("build_seconds", 0.0), "corpus_fingerprint": s.get("corpus_fingerprint", ""),
        }

    def begin_update(self) -> MilvusIndex:
        """Updates apply in place: Milvus serves searches while it writes."""
        return self

    def with_reranker(self, reranker) -> MilvusIndex:
        view = copy.copy(self)
        view.ranker = HybridRanker.from_settings(self.settings, reranker)
        return view

    def close(self) -> None:
        self.store.close()

