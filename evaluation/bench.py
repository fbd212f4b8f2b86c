"""``python -m evaluation bench``: a benchmark that reports figures (it asserts nothing).

Sections, each run only when its input is given:

- **in-process**: index load time and memory, then search latency p50/p95/p99 and
  throughput per mode at each client concurrency (threads sharing one loaded index);
- **http**: the same latencies against a running service (and its memory with ``--service-pid``);
- **build**: a rebuild of the index's own chunks into a temporary folder with an empty
  embedding cache (cold: chunks/s of the whole build), then again with that cache (warm);
- **encoders**: int8 ONNX and fp32 torch side by side, each loaded in a fresh process:
  load time, memory, passages/s at ~150 and ~400 characters of gazette text, query
  latency, and fidelity (cosine of int8 to torch vectors on 200 gazette passages).

Memory figures come from ``/proc`` (VmRSS now, VmHWM peak); the peak is reset between
sections where the kernel allows it. Do not run it beside other heavy work: the
timings would be wrong.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.metrics import percentile

if TYPE_CHECKING:
    from config import Settings

# The encoder workers import this module in fresh processes: keep module-level imports light
# (no index, faiss or jieba) so their memory figures hold the encoder alone.

WARMUP = 5
AUTO_REBUILD_MAX_CHUNKS = 20_000
PASSAGE_LENGTHS = {150: 256, 400: 128}  # characters → passages timed
FIDELITY_PASSAGES = 200
ENCODER_QUERIES = 100


@dataclass
class BenchConfig:
    index_dir: Path | None
    url: str | None
    service_pid: int | None
    queries: Path
    modes: list[str]
    concurrency: list[int]
    requests: int
    rebuild: str
    encoders: bool
    text: Path
    out: Path
    service: bool = False
    clients: int = 32
    workers: int = 1
    build_workers: int = 1  # encoder processes of the build sections (`indexer build --workers`)
    sample_dir: Path | None = None
    sample_size: int = 5000
    gold: Path | None = None
    baseline: Path | None = None


# ---- measuring helpers ----------------------------------------------------------------
def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of a process, in MB; empty if unknown."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mb" if key == "VmRSS" else "peak_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def time_calls(
    call: Callable[[str], object], queries: Sequence[str], requests: int, concurrency: int
) -> dict[str, float]:
    """Latency percentiles (ms) and throughput of ``requests`` calls from ``concurrency`` threads."""
    for q in queries[:WARMUP]:
        call(q)
    batch = [queries[i % len(queries)] for i in range(requests)]

    def timed(q: str) -> float:
        started = time.perf_counter()
        call(q)
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = list(pool.map(timed, batch))
    wall = time.perf_counter() - started
    return {"requests": requests, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "mean_ms": sum(latencies) / len(latencies), "qps": requests / wall}


def load_queries(path: Path) -> list[str]:
    """Questions from a gold JSONL (``question``) or a BEIR queries file or folder (``text``)."""
    from evaluation.runner import RunError

    path = Path(path)
    if path.is_dir():
        path = next((p for p in sorted(path.iterdir()) if p.name.startswith("queries") and p.suffix == ".jsonl"), path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RunError(f"{path}: cannot read queries ({exc.strerror or exc})") from None
    queries = []
    for line in lines:
        if line.strip():
            try:
                d = json.loads(line)
            except ValueError:
                raise RunError(f"{path}: not JSON lines") from None
            text = d.get("question") or d.get("text") if isinstance(d, dict) else None
            if text:
                queries.append(str(text))
    if not queries:
        raise RunError(f"{path}: no questions (expected JSON lines with 'question' or 'text')")
    return queries


# ---- sections ---------------------------------------------------------------------------
def bench_inprocess(config: BenchConfig, settings: Settings, queries: list[str]) -> tuple[dict[str, Any], Any]:
    from evaluation.runner import open_local

    before = memory_mb()
    reset_peak()
    started = time.perf_counter()
    target = open_local(config.index_dir, settings, config.modes)
    load_s = time.perf_counter() - started
    after_load = memory_mb()
    latency = {}
    for mode in config.modes:
        for conc in config.concurrency:
            latency[f"{mode}@{conc}"] = {"mode": mode, "concurrency": conc} | time_calls(
                lambda q, m=mode: target.searcher(q, m, 10), queries, config.requests, conc)
    index = target.index
    return {
        "index": str(config.index_dir), "documents": len(index.documents), "chunks": len(index.chunks),
        "encoder": index.encoder.name, "dense_index": index.dense.kind, "load_s": load_s,
        "rss_before_load_mb": before.get("rss_mb"), "rss_after_load_mb": after_load.get("rss_mb"),
        "peak_rss_mb": memory_mb().get("peak_mb"), "index_memory_estimate_mb": round(index.memory_bytes() / 2**20, 1),
        "built_at": index.manifest.built_at if index.manifest else "",
        "recorded_build_s": index.manifest.build_seconds if index.manifest else None,
        "latency": latency,
    }, index


def bench_http(config: BenchConfig, queries: list[str]) -> dict[str, Any]:
    from evaluation.runner import connect

    target = connect(config.url)
    latency = {}
    try:
        for mode in config.modes:
            for conc in config.concurrency:
                latency[f"{mode}@{conc}"] = {"mode": mode, "concurrency": conc} | time_calls(
                    lambda q, m=mode: target.searcher(q, m, 10), queries, config.requests, conc)
    finally:
        target.close()
    out: dict[str, Any] = {"url": config.url, "chunks": target.info.get("chunks"), "latency": latency}
    if config.service_pid:
        out["service_memory"] = memory_mb(config.service_pid)
    return out


def bench_build(index, settings: Settings, encoder=None) -> dict[str, Any]:
    """Rebuild the loaded index's documents and chunks: cold (empty cache), then warm (``encoder``: e.g. a pool)."""
    from indexer.backends.local import LocalIndex

    encoder = encoder or index.encoder

    documents, chunks = list(index.documents.values()), list(index.chunks)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        cold_settings = settings.model_copy(update={"embedding_cache_dir": Path(tmp) / "cache"})
        reset_peak()
        rss_before = memory_mb().get("rss_mb")
        times = {}
        for label in ("cold", "warm"):
            fresh = LocalIndex(Path(tmp) / f"index-{label}", cold_settings, encoder)
            started = time.perf_counter()
            fresh.build(documents, chunks)
            times[label] = time.perf_counter() - started
            fresh.cache.close()
        peak = memory_mb().get("peak_mb")
    return {"documents": len(documents), "chunks": len(chunks), "workers": getattr(encoder, "workers", 1),
            # in-passage sentence vectors come from the chunks' own runs: only "separate" embeds the sentences
            "embedded_texts": len(chunks) + (len(fresh.sentences.spans) if settings.sentence_vectors == "separate"
                                             else 0),
            "cold_s": times["cold"],
            "cold_chunks_per_s": len(chunks) / times["cold"], "warm_s": times["warm"],
            "warm_chunks_per_s": len(chunks) / times["warm"], "rss_before_mb": rss_before, "peak_rss_mb": peak}


def passage_windows(text: str, length: int, count: int) -> list[str]:
    """``count`` evenly spaced windows of ``length`` characters from ``text`` (lines joined)."""
    flat = "".join(line.strip() for line in text.splitlines() if line.strip())
    if len(flat) <= length:
        return [flat] * count
    step = max(1, (len(flat) - length) // count)
    return [flat[i * step : i * step + length] for i in range(count)]


def fidelity_passages(text_path: Path, recipe: str, count: int = FIDELITY_PASSAGES) -> list[str]:
    """``count`` real chunks of the text (as the dense index sees them with ``DENSE_TEXT=recipe``), evenly spaced."""
    from indexer.ingest.pipeline import ingest
    from indexer.retrieval.passage_text import dense_text

    chunks = ingest([text_path]).chunks
    if len(chunks) < count:
        return [dense_text(c, recipe) for c in chunks] + passage_windows(text_path.read_text(encoding="utf-8"), 300,
                                                                  count - len(chunks))
    step = len(chunks) / count
    return [dense_text(chunks[int(i * step)], recipe) for i in range(count)]


def _encoder_worker(kind: str, model_dir: str, threads: int, batch_size: int, passages: dict[int, list[str]],
                    queries: list[str], fidelity: list[str]) -> dict[str, Any]:
    """Runs in a fresh process so load time and memory include nothing else."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from models.encoder import load_encoder

    before = memory_mb()
    started = time.perf_counter()
    encoder = load_encoder(kind, Path(model_dir), threads, batch_size)
    load_s = time.perf_counter() - started
    after = memory_mb()
    encoder.encode_passages(passages[min(passages)][:8])
    rates = {}
    for length, texts in passages.items():
        started = time.perf_counter()
        encoder.encode_passages(texts)
        rates[str(length)] = len(texts) / (time.perf_counter() - started)
    for q in queries[:WARMUP]:
        encoder.encode_queries([q])
    latencies = []
    for q in queries:
        started = time.perf_counter()
        encoder.encode_queries([q])
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "name": encoder.name, "load_s": load_s, "rss_before_load_mb": before.get("rss_mb"),
        "rss_after_load_mb": after.get("rss_mb"), "peak_rss_mb": memory_mb().get("peak_mb"),
        "passages_per_s": rates, "query_p50_ms": percentile(latencies, 50), "query_p95_ms": percentile(latencies, 95),
        "passage_vectors": encoder.encode_passages(fidelity), "query_vectors": encoder.encode_queries(queries),
    }


def bench_encoders(config: BenchConfig, settings: Settings, queries: list[str]) -> dict[str, Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    text = config.text.read_text(encoding="utf-8")
    passages = {length: passage_windows(text, length, n) for length, n in PASSAGE_LENGTHS.items()}
    fidelity = fidelity_passages(config.text, settings.dense_text)
    qs = queries[:ENCODER_QUERIES]
    results = {}
    for kind in ("onnx-int8", "torch"):
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            results[kind] = pool.submit(_encoder_worker, kind, str(settings.model_dir), settings.encoder_threads,
                                        settings.encoder_batch_size, passages, qs, fidelity).result()
    fid = {}
    for what in ("passage_vectors", "query_vectors"):
        a, b = results["onnx-int8"].pop(what), results["torch"].pop(what)
        cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        fid[what.split("_")[0]] = {"n": len(cos), "mean_cosine": float(cos.mean()), "min_cosine": float(cos.min())}
    mean_chars = {str(k): sum(map(len, v)) / len(v) for k, v in passages.items()}
    return {"encoders": results, "fidelity": fid, "passage_chars": mean_chars, "threads": settings.encoder_threads,
            "batch_size": settings.encoder_batch_size}


def run_bench(config: BenchConfig, settings: Settings) -> dict[str, Any]:
    queries = load_queries(config.queries)
    results: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cores": len(os.sched_getaffinity(0)), "python": platform.python_version(),
                    "platform": platform.platform(), "encoder_threads": settings.encoder_threads},
        "queries": {"file": str(config.queries), "count": len(queries)},
    }
    index = None
    if config.baseline is not None:
        results["baseline"] = str(config.baseline)
    if config.index_dir is not None:
        results["inprocess"], index = bench_inprocess(config, settings, queries)
    if config.url:
        results["http"] = bench_http(config, queries)
    if index is not None and (config.rebuild == "always" or
                              (config.rebuild == "auto" and len(index.chunks) <= AUTO_REBUILD_MAX_CHUNKS)):
        from evaluation.bench_sections import build_encoder

        with build_encoder(settings, config.build_workers, index.encoder) as encoder:
            results["build"] = bench_build(index, settings, encoder)
    if config.encoders:
        results["encoders"] = bench_encoders(config, settings, queries)
    from evaluation.bench_sections import extra_sections

    extra_sections(results, config, settings, queries, index)
    return results


# ---- report -------------------------------------------------------------------------------
def _f(value: Any, digits: int = 1) -> str:
    return "–" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def _latency_table(latency: dict[str, dict[str, Any]]) -> str:
    from evaluation.reports import markdown_table

    rows = [[v["mode"], str(v["concurrency"]), str(v["requests"]), _f(v["p50_ms"]), _f(v["p95_ms"]),
             _f(v["p99_ms"]), _f(v["qps"])] for v in latency.values()]
    return markdown_table(["mode", "concurrency", "requests", "p50 ms", "p95 ms", "p99 ms", "queries/s"], rows)


def bench_markdown(r: dict[str, Any]) -> str:
    from evaluation.reports import markdown_table

    m = r["machine"]
    out = ["# Benchmark", "", f"{r['created']}; {m['cores']} cores, Python {m['python']}; "
           f"{r['queries']['count']} distinct questions from `{r['queries']['file']}`."]
    if "inprocess" in r:
        p = r["inprocess"]
        out += ["", f"## Search in-process: `{p['index']}` ({p['documents']} documents, {p['chunks']} chunks, "
                f"{p['dense_index']} dense index)", "",
                f"index load {p['load_s']:.1f} s; RSS {_f(p['rss_before_load_mb'])} → {_f(p['rss_after_load_mb'])} MB "
                f"after load, peak {_f(p['peak_rss_mb'])} MB while searching (index estimate "
                f"{_f(p['index_memory_estimate_mb'])} MB); recorded build {_f(p['recorded_build_s'])} s.", "",
                _latency_table(p["latency"])]
    if "http" in r:
        h = r["http"]
        mem = h.get("service_memory") or {}
        mem_line = f"; service RSS {_f(mem.get('rss_mb'))} MB, peak {_f(mem.get('peak_mb'))} MB" if mem else ""
        out += ["", f"## Search over HTTP: {h['url']} ({h['chunks']} chunks){mem_line}", "",
                _latency_table(h["latency"])]
    if "build" in r:
        b = r["build"]
        out += ["", "## Index build", "", markdown_table(
            ["chunks", "texts embedded", "workers", "cold s", "cold chunks/s", "warm (cached) s", "warm chunks/s",
             "peak RSS MB"],
            [[str(b["chunks"]), str(b.get("embedded_texts", "–")), str(b.get("workers", 1)),
              _f(b["cold_s"]), _f(b["cold_chunks_per_s"]), _f(b["warm_s"]),
              _f(b["warm_chunks_per_s"]), _f(b["peak_rss_mb"])]])]
    if "encoders" in r:
        e = r["encoders"]
        chars = e["passage_chars"]
        header = ["encoder", "load s", "RSS after load MB", "peak RSS MB",
                  *(f"passages/s @{float(c):.0f} chars" for c in chars.values()), "query p50 ms", "query p95 ms"]
        rows = [[kind, _f(v["load_s"], 2), _f(v["rss_after_load_mb"]), _f(v["peak_rss_mb"]),
                 *(_f(v["passages_per_s"][k]) for k in chars), _f(v["query_p50_ms"]), _f(v["query_p95_ms"])]
                for kind, v in e["encoders"].items()]
        fid = e["fidelity"]
        out += ["", f"## Encoders (threads {e['threads'] or 'all'}, batch {e['batch_size']}; each in a fresh process)",
                "", markdown_table(header, rows), "",
                f"Fidelity int8 vs torch: passages mean cosine {fid['passage']['mean_cosine']:.4f} "
                f"(min {fid['passage']['min_cosine']:.4f}, n={fid['passage']['n']}); queries mean "
                f"{fid['query']['mean_cosine']:.4f} (min {fid['query']['min_cosine']:.4f}, n={fid['query']['n']})."]
    from evaluation.bench_sections import extra_markdown

    out += extra_markdown(r)
    return "\n".join(out) + "\n"


def write_bench_report(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    from evaluation.reports import write_json

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out_dir / "bench.md", "json": out_dir / "bench.json"}
    paths["markdown"].write_text(bench_markdown(results), encoding="utf-8")
    write_json(results, paths["json"])
    return paths
