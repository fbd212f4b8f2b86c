"""``python -m evaluation.access_bench``: /v1/search p50 with and without access filtering.

Serves the gazette index in-process (FastAPI TestClient) and times the dev questions three
ways: no filter at all (the search as it was before access control: a trusted caller,
``groups=None``), an anonymous caller while every document is public (the admitted-set
look-up only), and an anonymous caller while one document is restricted to a group (the
search runs on the cached view without it). Prints p50/p95 per row.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from config import get_settings
from config.settings import PROJECT_ROOT
from evaluation.metrics import percentile

GOLD = PROJECT_ROOT / "evaluation" / "data" / "seed_dev.jsonl"
RESTRICTED = "青政办〔2017〕13号"


def main() -> int:
    from fastapi.testclient import TestClient

    from indexer.backends.factory import encoder_from_settings, ingest_files, new_backend
    from indexer.records import SearchFilters
    from service.app import create_app

    settings = get_settings()
    questions = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    encoder = encoder_from_settings(settings)
    result = ingest_files([PROJECT_ROOT / "corpus"], settings)
    rows = []
    with tempfile.TemporaryDirectory(prefix="access-bench-") as tmp:
        for label, restrict in (("all public", False), ("one document restricted", True)):
            docs = [copy.deepcopy(d) for d in result.documents]
            if restrict:
                next(d for d in docs if d.doc_number == RESTRICTED).visibility = ["hr"]
            served = settings.model_copy(update={"index_dir": Path(tmp) / label.replace(" ", "-"),
                                                 "feedback_db": Path(tmp) / "feedback.sqlite"})
            new_backend(served, encoder=encoder).build(docs, result.chunks)
            with TestClient(create_app(served)) as client:
                index = client.app.state.index_holder.current
                for mode in ("bm25", "hybrid"):
                    for q in questions[:10]:  # warm-up (model, caches, views)
                        client.post("/v1/search", json={"query": q, "mode": mode})
                    if not restrict:
                        rows.append((f"{mode}, in-process search, no filter (before)",
                                     _time(lambda q, m=mode, ix=index: ix.search(q, 10, m), questions)))
                        rows.append((f"{mode}, in-process search, anonymous filter, {label}",
                                     _time(lambda q, m=mode, ix=index: ix.search(
                                         q, 10, m, SearchFilters(groups=frozenset(), lifecycle="hide")), questions)))
                    rows.append((f"{mode}, /v1/search anonymous, {label}", _time(
                        lambda q, m=mode, c=client: c.post("/v1/search", json={"query": q, "mode": m}), questions)))
    print("| what | p50 ms | p95 ms |\n|---|---|---|")
    for label, times in rows:
        print(f"| {label} | {statistics.median(times):.2f} | {percentile(times, 95):.2f} |")
    return 0


def _time(call, questions: list[str], rounds: int = 2) -> list[float]:
    times = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            call(q)
            times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == "__main__":
    sys.exit(main())
