"""BEIR-style sets (corpus, queries, qrels), such as ``../shared/eval/stard/``.

Each corpus record becomes one `Document` and one `Chunk` whose ``chunk_id`` and
``doc_id`` are the corpus ``_id``, so a hit maps back to a qrels id through its
document. The index folder is built once and reused while the corpus is unchanged;
the embedding cache (``EMBEDDING_CACHE_DIR``) makes a forced rebuild cheap.

Metrics follow BEIR: ``R@k`` is the share of a query's relevant documents in its
top k (STARD queries often have two or three), ``Hit@k`` the share of queries with
any, ``MRR@10`` and ``nDCG@10`` as usual. STARD's queries are lay questions, much
longer and vaguer than the statute wording, so dense retrieval matters there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import Settings
from evaluation.gold import BeirSet
from evaluation.metrics import percentile, summarize_qrels
from evaluation.retrieval_eval import Searcher
from indexer.backends.factory import BackendUnavailable, IndexBackend, new_backend, open_backend, where
from indexer.backends.local_store import records_fingerprint
from indexer.records import Chunk, Document

log = logging.getLogger(__name__)


def corpus_records(beir: BeirSet) -> tuple[list[Document], list[Chunk]]:
    """One document and one chunk per corpus record (ids kept as they are)."""
    documents, chunks = [], []
    for corpus_id, rec in beir.corpus.items():
        text = str(rec.get("text", ""))
        law = str(rec.get("law", "") or "")
        title = str(rec.get("title", "") or law)
        article = str(rec.get("article", "") or "")
        documents.append(Document(
            doc_id=corpus_id, title=title, text=text, source=str(rec.get("source_path", "")), kind="article",
            metadata={k: rec[k] for k in ("law", "article") if k in rec},
        ))
        chunks.append(Chunk(
            chunk_id=corpus_id, doc_id=corpus_id, doc_title=title or law, doc_number="", issuer="", date="",
            heading_path=[p for p in (law or title, article) if p], text=text, start=0, end=len(text),
        ))
    return documents, chunks


@dataclass
class BuildInfo:
    reused: bool
    seconds: float
    chunks: int
    cache_hits: int = 0
    cache_misses: int = 0
    built_at: str = ""

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"reused": self.reused, "seconds": round(self.seconds, 2), "chunks": self.chunks,
                "chunks_per_s": round(self.chunks_per_s, 1), "cache_hits": self.cache_hits,
                "cache_misses": self.cache_misses, "built_at": self.built_at}


def beir_index(
    beir: BeirSet, index_dir: Path, settings: Settings, encoder, rebuild: bool = False, show_progress: bool = True
) -> tuple[IndexBackend, BuildInfo]:
    """Open the configured backend's index (``index_dir`` for local) if it holds exactly this corpus, else build it."""
    documents, chunks = corpus_records(beir)
    expected = records_fingerprint(documents, chunks)
    if not rebuild:
        try:
            index = open_backend(settings, index_dir, encoder)
        except BackendUnavailable as exc:
            log.info("building %s: %s", where(settings, index_dir), exc)
        else:
            stats = index.stats()
            if stats.get("corpus_fingerprint") == expected:
                return index, BuildInfo(True, stats.get("build_seconds", 0.0), stats["chunks"],
                                        built_at=stats.get("built_at", ""))
            log.info("%s holds another corpus; rebuilding it", where(settings, index_dir))
    index = new_backend(settings, index_dir, encoder)
    started = time.perf_counter()
    index.build(documents, chunks, show_progress=show_progress)
    seconds = time.perf_counter() - started
    info = BuildInfo(False, seconds, len(chunks), index.cache.hits, index.cache.misses,
                     index.stats().get("built_at", ""))
    return index, info


def corpus_id(passage: dict[str, Any]) -> str:
    """The qrels id of a retrieved passage: its document's id (chunk id as a fallback)."""
    return str(passage.get("doc_id") or passage.get("chunk_id", ""))


def document_flags(passages: Sequence[dict[str, Any]], relevant: dict[str, int]) -> tuple[list[bool], list[str]]:
    """Relevance per distinct document in rank order (later chunks of a seen document are dropped)."""
    seen: list[str] = []
    flags = []
    for passage in passages:
        doc = corpus_id(passage)
        if doc in seen:
            continue
        seen.append(doc)
        flags.append(relevant.get(doc, 0) > 0)
    return flags, seen


@dataclass
class QueryOutcome:
    query_id: str
    flags: list[bool]
    n_relevant: int
    top: list[dict[str, Any]]
    seconds: float

    @property
    def first_relevant_rank(self) -> int | None:
        return next((i + 1 for i, f in enumerate(self.flags) if f), None)


@dataclass
class BeirModeReport:
    mode: str
    metrics: dict[str, float]
    outcomes: list[QueryOutcome] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


def evaluate_beir_mode(
    searcher: Searcher, beir: BeirSet, mode: str, top_k: int = 100, limit: int | None = None,
    show_progress: bool = False,
) -> BeirModeReport:
    query_ids = sorted(beir.queries, key=_natural)[:limit]
    iterator: Any = query_ids
    if show_progress:
        from tqdm import tqdm

        iterator = tqdm(query_ids, desc=f"queries ({mode})", unit="q")
    outcomes = []
    for qid in iterator:
        started = time.perf_counter()
        passages, _ = searcher(beir.queries[qid], mode, top_k)
        elapsed = time.perf_counter() - started
        relevant = beir.qrels.get(qid, {})
        flags, _ = document_flags(passages, relevant)
        n_relevant = sum(1 for score in relevant.values() if score > 0)
        outcomes.append(QueryOutcome(qid, flags, n_relevant, [_brief(p) for p in passages[:3]], elapsed))
    cutoffs = tuple(k for k in (1, 3, 5, 10, 100) if k <= top_k)
    metrics = summarize_qrels([o.flags for o in outcomes], [o.n_relevant for o in outcomes], cutoffs)
    latencies = [o.seconds * 1000 for o in outcomes]
    metrics |= {"queries": len(outcomes), "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95)}
    return BeirModeReport(mode, metrics, outcomes, latencies)


def _brief(passage: dict[str, Any]) -> dict[str, Any]:
    keys = ("chunk_id", "doc_id", "doc_title", "heading_path", "text", "score")
    return {k: passage[k] for k in keys if k in passage}


def _natural(query_id: str) -> tuple[int, str]:
    return (int(query_id), "") if query_id.isdigit() else (1 << 62, query_id)
