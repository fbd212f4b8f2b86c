"""BM25 query time at ~100k chunks: ``python -m evaluation.bm25_scale``.

STARD's 58,653 statute articles, repeated ``--copies`` times (each copy with one
extra token, so rows differ), are tokenized with the index's tokenizer and
scored with STARD's real questions. Reports build time, matrix size and query
latency percentiles; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np

from config.settings import PROJECT_ROOT
from indexer.retrieval.bm25_index import BM25Index
from indexer.text.tokenizer import ChineseTokenizer

DEFAULT_STARD = PROJECT_ROOT.parent / "shared" / "eval" / "stard"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.bm25_scale", description=__doc__)
    parser.add_argument("--stard", type=Path, default=DEFAULT_STARD)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    corpus_file = args.stard / "corpus_lawrefbook_plus_gold.jsonl.gz"
    if not corpus_file.is_file():
        print(f"error: {corpus_file}: not found", flush=True)
        return 1
    tokenizer = ChineseTokenizer()
    with gzip.open(corpus_file, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    started = time.perf_counter()
    tokens = [tokenizer(t) for t in texts]
    print(f"tokenized {len(texts)} articles in {time.perf_counter() - started:.1f} s")
    corpus = [[*t, f"copy{c}"] for c in range(args.copies) for t in tokens]
    started = time.perf_counter()
    index = BM25Index.build(corpus)
    print(f"built BM25 over {index.n_docs} chunks in {time.perf_counter() - started:.1f} s, "
          f"{index.nbytes / 2**20:.0f} MiB")
    with open(args.stard / "queries.jsonl", encoding="utf-8") as fh:
        questions = [json.loads(line)["text"] for line in fh if line.strip()][: args.queries]
    latencies = []
    for question in questions:
        q = tokenizer(question)
        started = time.perf_counter()
        scores = index.scores(q)
        np.argpartition(-scores, 10)[:10]
        latencies.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(f"query (score all + top 10) over {index.n_docs} chunks: p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
          f"p99 {p99:.2f} ms ({len(latencies)} questions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
