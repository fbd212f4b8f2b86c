"""Benchmark sections beside the search and encoder ones: a cold build of a BEIR-style sample, dev figures.

- **build sample**: ``sample`` articles of a BEIR corpus (e.g. STARD's statute articles,
  evenly spaced through the corpus) indexed into a temporary folder with an empty
  embedding cache, as ``run --beir`` indexes them (one document and one chunk each);
- **dev**: hybrid R@5 and MRR@10 and the answer accuracy on a gold set, so a speed change
  that moves quality shows beside the timings.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config import Settings
    from evaluation.bench import BenchConfig


@contextmanager
def build_encoder(settings: Settings, workers: int, loaded=None) -> Iterator:
    """The encoder the build sections time: a pool of ``workers`` processes (as ``indexer build --workers``;
    started and loaded before the clock starts), else ``loaded`` or the configured encoder."""
    from indexer.backends.factory import encoder_from_settings, indexing_encoder

    with indexing_encoder(settings, workers) as pool:
        if pool is not None:
            pool.encode_passages(["预热"])  # every worker has its session before the timed build
        yield pool or loaded or encoder_from_settings(settings)


def bench_build_sample(folder: Path, sample: int, settings: Settings, encoder) -> dict[str, Any]:
    from evaluation.beir_eval import corpus_records
    from evaluation.gold import BeirSet
    from evaluation.runner import load_beir
    from indexer.backends.local import LocalIndex

    beir = load_beir(folder)
    ids = list(beir.corpus)
    step = max(1, len(ids) // sample) if sample else 1
    chosen = ids[::step][:sample] if sample else ids
    documents, chunks = corpus_records(BeirSet({i: beir.corpus[i] for i in chosen}, {}, {}))
    with tempfile.TemporaryDirectory(prefix="bench-sample-") as tmp:
        cold = settings.model_copy(update={"embedding_cache_dir": Path(tmp) / "cache"})
        index = LocalIndex(Path(tmp) / "index", cold, encoder)
        started = time.perf_counter()
        index.build(documents, chunks, show_progress=True)  # a long build shows its rate as it goes
        seconds = time.perf_counter() - started
        index.cache.close()
    return {"corpus": str(folder), "corpus_size": len(ids), "chunks": len(chunks),
            "workers": getattr(encoder, "workers", 1),
            "mean_chars": sum(len(c.text) for c in chunks) / max(1, len(chunks)),
            "cold_s": seconds, "cold_chunks_per_s": len(chunks) / seconds}


def dev_figures(gold: Path, index_dir: Path, settings: Settings) -> dict[str, float]:
    from evaluation import runner

    questions = runner.load_gold(gold)
    target = runner.open_local(index_dir, settings, ["hybrid"])
    run = runner.run_gold(questions, target, ["hybrid"], str(gold))
    metrics = run.modes[0].metrics
    return {"dev_hybrid_R@5": metrics["R@5"], "dev_hybrid_MRR@10": metrics["MRR@10"],
            "dev_answer_accuracy": run.ask_metrics.get("answer_accuracy", 0.0)}


def extra_sections(results: dict[str, Any], config: BenchConfig, settings: Settings, queries: list[str],
                   index) -> None:
    """The sections issue 15 asks for: a fresh service process, a BEIR sample build, dev figures, model size."""
    from evaluation.bench_service import bench_cold_service, folder_mb

    results["model_folder_mb"] = folder_mb(settings.model_dir)
    if config.service and config.index_dir is not None:
        results["service"] = bench_cold_service(config.index_dir, queries, config.requests, config.clients,
                                                config.workers)
    if config.sample_dir is not None:
        with build_encoder(settings, config.build_workers, index.encoder if index is not None else None) as encoder:
            results["build_sample"] = bench_build_sample(config.sample_dir, config.sample_size, settings, encoder)
    if config.gold is not None and config.index_dir is not None:
        results["dev"] = dev_figures(config.gold, config.index_dir, settings)


def extra_markdown(r: dict[str, Any]) -> list[str]:
    from evaluation.bench import _f
    from evaluation.bench_compare import comparison_markdown, headline, load_baseline

    out = []
    if "service" in r:
        s = r["service"]
        one, many = s["one_client"], s["many_clients_ask"]
        mem = s.get("memory_after_many_clients") or {}
        out += ["", f"## Fresh service process ({s['workers']} worker(s); ready in {s['ready_s']:.1f} s)", "",
                f"one client, from the first request: /v1/search p50 {_f(one['search']['p50_ms'])} / p95 "
                f"{_f(one['search']['p95_ms'])} ms; /v1/ask p50 {_f(one['ask']['p50_ms'])} / p95 "
                f"{_f(one['ask']['p95_ms'])} ms (ask/search p95 {_f(s['ask_to_search_p95'], 2)}); "
                f"{s['clients']} clients /v1/ask from a fresh start: p50 {_f(many['p50_ms'])}, "
                f"p95 {_f(many['p95_ms'])}, p99 {_f(many['p99_ms'])} ms, {_f(many['per_s'])}/s, "
                f"{many['errors']} errors; RSS {_f(mem.get('rss_mb'))} MB (PSS {_f(mem.get('pss_mb'))} MB, "
                f"{mem.get('processes', '–')} processes)."]
    if "build_sample" in r:
        b = r["build_sample"]
        out += ["", f"## Cold build of {b['chunks']} of {b['corpus_size']} articles from {b['corpus']} "
                f"(mean {b['mean_chars']:.0f} characters, {b.get('workers', 1)} encoder worker(s)): "
                f"{b['cold_s']:.1f} s, "
                f"{b['cold_chunks_per_s']:.1f} chunks/s"]
    if "dev" in r:
        out += ["", "## Dev set: " + ", ".join(f"{k} {v:.3f}" for k, v in r["dev"].items())]
    if r.get("baseline"):
        out += ["", f"Model folder: {_f(r.get('model_folder_mb'))} MB.", "",
                comparison_markdown(headline(r), load_baseline(Path(r["baseline"])))]
    return out
