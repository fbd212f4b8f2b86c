"""Milvus Lite at scale: N synthetic chunks (STARD article texts, perturbed real vectors), then query latency.

    python -m evaluation.milvus_scale --chunks 1000000 [--query-at 58653,250000] [--uri var/scale/milvus.db]

Each synthetic chunk takes the text of a STARD article (cycling through the 58,653,
numbered so no two are equal) and a unit vector: a real e5 vector of a chunk from the
embedding cache plus Gaussian noise (σ = 0.02 per dimension, then renormalized), so
the vectors keep e5's geometry without 1M model runs. Rows go through the backend's
own row builder (terms, BM25 sparse vector, access columns) into a fresh Milvus index;
queries are STARD questions (text analysed by the index's tokenizer; their vectors are
perturbed cached vectors too). Prints insert rate, query p50/p95 per mode, the
process RSS and the size on disk; nothing is timed as a test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from config import get_settings
from config.settings import PROJECT_ROOT

# The shared evaluation sets sit beside the project checkout (../shared/eval/stard).
STARD = PROJECT_ROOT.parent / "shared" / "eval" / "stard"
BATCH = 2000
WARM_UP = 5  # queries run before timing: the first loads segment indexes, jieba's tagger and the title router


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cached_vectors(cache_dir: Path, limit: int = 20_000) -> np.ndarray:
    with sqlite3.connect(cache_dir / "embeddings.sqlite") as db:
        blobs = [row[0] for row in db.execute("SELECT vec FROM vectors LIMIT ?", (limit,))]
    return np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs])


def _articles(stard: Path, limit: int) -> list[tuple[str, str]]:
    out = []
    with gzip.open(stard / "corpus_lawrefbook_plus_gold.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            out.append((item.get("title", ""), item["text"]))
            if len(out) >= limit:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.milvus_scale", description=__doc__)
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--query-at", default="", metavar="N,N,...",
                        help="also publish the index and time queries when it holds these many chunks (a curve)")
    parser.add_argument("--uri", default=str(PROJECT_ROOT / "var" / "scale" / "milvus.db"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--beir", type=Path, default=STARD, metavar="DIR",
                        help="the STARD folder (default: ../shared/eval/stard beside the checkout)")
    parser.add_argument("--reopen", action="store_true",
                        help="query the index a previous run left at --uri (a fresh process: its RSS is a server's)")
    args = parser.parse_args(argv)

    settings = get_settings().model_copy(update={"index_backend": "milvus", "milvus_uri": args.uri,
                                                 "milvus_collection": "scale", "milvus_refresh_s": 3600.0})
    rng = np.random.default_rng(args.seed)
    base = _cached_vectors(settings.embedding_cache_dir)
    dim = base.shape[1]
    questions = [json.loads(line)["text"] for line in (args.beir / "queries.jsonl").open(encoding="utf-8")]
    questions = questions[: args.queries]

    def vectors(n: int) -> np.ndarray:
        v = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.02, (n, dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    if not args.reopen:
        articles = _articles(args.beir, 60_000)
        print(f"{len(base)} cached vectors (dim {dim}), {len(articles)} STARD articles; RSS {_rss_mb():.0f} MB; "
              f"load {os.getloadavg()[0]:.1f}")
        stops = sorted({int(n) for n in args.query_at.split(",") if n.strip()} - {args.chunks})
        _insert(args.uri, args.chunks, [n for n in stops if n < args.chunks], articles, vectors, dim,
                lambda: _query(settings, questions, vectors, dim))
        del articles
    _query(settings, questions, vectors, dim)
    size = sum(f.stat().st_size for f in Path(args.uri).rglob("*") if f.is_file()) if Path(args.uri).is_dir() \
        else Path(args.uri).stat().st_size
    print(f"RSS {_rss_mb():.0f} MB (peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB); "
          f"on disk {size / 2**20:.0f} MB")
    return 0


def _insert(uri: str, n_chunks: int, stops: list[int], articles: list[tuple[str, str]], vectors, dim: int,
            at_stop) -> None:
    """A fresh version of the ``scale`` index with ``n_chunks`` synthetic chunks, through the backend's row
    builder; at each of ``stops`` chunks the index is published as it is and ``at_stop`` runs."""
    from indexer.backends import milvus_rows as rows_
    from indexer.backends.milvus_store import MilvusStore
    from indexer.records import Chunk, Document
    from indexer.retrieval import sparse_bm25
    from indexer.retrieval.passage_text import bm25_text
    from indexer.text.tokenizer import ChineseTokenizer, stopwords

    store = MilvusStore(uri, "", "scale")
    old = store.active_version()
    version = (old or 0) + 1
    store.create_version(version, dim, "sparse", [], sorted(stopwords()))
    tokenizer = ChineseTokenizer()
    doc = Document(doc_id="synthetic", title="", text="", source="synthetic")
    sample_tokens = [tokenizer(bm25_text(_chunk(Chunk, i, articles))) for i in range(2000)]
    avgdl = float(np.mean([len(t) for t in sample_tokens]))
    df: Counter[str] = Counter()
    written: Counter[str] = Counter()  # document frequencies already in the terms collection

    def publish(done: int) -> None:
        changed = Counter({t: n - written[t] for t, n in df.items() if n != written[t]})
        histogram: dict[int, int] = {}  # of the frequencies written so far, brought up to date by term_rows
        sparse_bm25.update_histogram(histogram, ((0, d) for d in written.values()))
        upserts, _ = rows_.term_rows({t: {"df": written[t]} for t in changed}, changed, [], histogram)
        store.upsert(store.names.terms, upserts)
        written.update(changed)
        state = rows_.empty_state("synthetic", dim, "sparse", avgdl) | {
            "chunks": done, "documents": 0, "next_seq": done + 1, "generation": done,
            "df_histogram": {str(k): v for k, v in histogram.items()}}
        store.put_state(version, state)
        store.publish(version)
        store.settle(store.names.terms)

    started = time.perf_counter()
    paused = 0.0  # time spent querying at the stops, not inserting
    for start in range(0, n_chunks, BATCH):
        n = min(BATCH, n_chunks - start)
        vecs = vectors(n)
        batch = []
        for j in range(n):
            chunk = _chunk(Chunk, start + j, articles)
            tokens = tokenizer(bm25_text(chunk))
            df.update(set(tokens))
            batch.append(rows_.chunk_row(start + j + 1, chunk, doc, start + j, tokens, vecs[j],
                                         vecs[(j + 1) % n],  # a heading vector: another synthetic row's
                                         sparse_bm25.doc_vector(tokens, avgdl), None))
        store.insert(store.names.chunks, batch)
        done = start + n
        stop = next((s for s in stops if start < s <= done), None)
        if done % (BATCH * 25) == 0 or done == n_chunks or stop:
            store.settle(store.names.chunks)  # counted as inserting: a build ends with it
            seconds = time.perf_counter() - started - paused
            print(f"  {done:>9,} chunks  {seconds:7.0f} s  {done / seconds:6.0f} chunks/s  RSS {_rss_mb():.0f} MB  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
        if stop:
            t0 = time.perf_counter()
            publish(done)
            at_stop()
            paused += time.perf_counter() - t0
    publish(n_chunks)
    if old is not None:
        store.drop_version(old)
    store.close()
    print(f"inserted {n_chunks:,} chunks ({n_chunks / (time.perf_counter() - started - paused):.0f} chunks/s); "
          f"RSS {_rss_mb():.0f} MB")


def _query(settings, questions: list[str], vectors, dim: int) -> None:
    """Open the index as a service would and time ``search`` per mode (after a few untimed warm-up queries)."""
    from indexer.backends.milvus import MilvusIndex

    opened = time.perf_counter()
    index = MilvusIndex.open(settings, _FixedEncoder(dim), None)
    qvecs = vectors(len(questions))
    for question, qvec in zip(questions[:WARM_UP], qvecs[:WARM_UP], strict=True):  # one-time loads, not timed
        query = index.analyzer.analyse(question)
        query.vector = qvec
        index.search(query, top_k=10, mode="hybrid")
    print(f"opened and warmed up ({WARM_UP} queries) in {time.perf_counter() - opened:.1f} s; RSS {_rss_mb():.0f} MB",
          flush=True)
    for mode in ("bm25", "dense", "hybrid"):
        times = []
        for question, qvec in zip(questions, qvecs, strict=True):
            query = index.analyzer.analyse(question)
            query.vector = qvec
            t0 = time.perf_counter()
            index.search(query, top_k=10, mode=mode)
            times.append((time.perf_counter() - t0) * 1000)
        p50, p95 = np.percentile(times, [50, 95])
        print(f"{mode:>7}: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({len(times)} queries; load {os.getloadavg()[0]:.1f})",
              flush=True)
    index.close()


def _chunk(chunk_cls, i: int, articles: list[tuple[str, str]]):
    title, text = articles[i % len(articles)]
    return chunk_cls(chunk_id=f"s{i}", doc_id="synthetic", doc_title=title, doc_number="", issuer="", date="",
                     heading_path=[title, f"第{i}条"], text=text, start=0, end=len(text))


class _FixedEncoder:
    """Stands in for the encoder: every query here carries its vector already."""

    name = "synthetic"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode_queries(self, texts):
        raise RuntimeError("queries carry their vectors")


if __name__ == "__main__":
    sys.exit(main())
