"""The service as a user meets it: a freshly started process, timed over HTTP from its first request.

Two fresh processes are started on a free loopback port (``python -m service``):

- **cold, one client**: each question is searched (``/v1/search``, hybrid) and then asked
  (``/v1/ask``), one request at a time, from the first request on; the ratio of the two
  p95s says whether answering costs more than searching;
- **cold, many clients**: ``/v1/ask`` from ``clients`` concurrent clients, again from the
  first request of a new process (a restart under load), with errors counted.

Memory is read from ``/proc`` for the service process and its workers: RSS, and PSS
(resident memory with shared pages divided among the processes sharing them), which is
what several workers mapping the same model file really cost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evaluation.metrics import percentile
from evaluation.service_process import free_port, wait_ready

READY_TIMEOUT_S = 180


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return pids


def process_memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS summed over ``pid`` and its children, in MB (empty when /proc cannot tell)."""
    rss = pss = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "Rss":
                    rss += int(value.split()[0])
                elif key == "Pss":
                    pss += int(value.split()[0])
        except OSError:
            continue
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1), "processes": len(_tree(pid))} if rss else {}


class ServiceProcess:
    """``python -m service`` on a free loopback port, stopped on exit."""

    def __init__(self, index_dir: Path, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "service", "--index", str(index_dir), "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(workers)]
        # A file, not a pipe: a pipe nobody reads blocks the service once it is full.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__, with the process
        self.process = subprocess.Popen(cmd, env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        self.started = time.perf_counter()

    def wait_ready(self, client) -> float:
        """Seconds from the start until ``/readyz`` answered 200."""
        wait_ready(self.process, self.url, READY_TIMEOUT_S, self.log, client)
        return time.perf_counter() - self.started

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _summary(latencies: list[float], errors: int, wall: float) -> dict[str, float]:
    return {"requests": len(latencies) + errors, "errors": errors, "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95), "p99_ms": percentile(latencies, 99),
            "per_s": (len(latencies) + errors) / wall if wall > 0 else 0.0}


def _post(client, url: str, body: dict) -> float | None:
    started = time.perf_counter()
    try:
        ok = client.post(url, json=body, timeout=120).status_code == 200
    except Exception:  # any failure of a request counts as an error
        ok = False
    return (time.perf_counter() - started) * 1000 if ok else None


def bench_cold_service(index_dir: Path, questions: list[str], requests: int = 120, clients: int = 32,
                       workers: int = 1) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {"index": str(index_dir), "workers": workers, "clients": clients}
    batch = [questions[i % len(questions)] for i in range(requests)]
    limits = httpx.Limits(max_connections=clients + 4)
    with httpx.Client(limits=limits) as client:
        with ServiceProcess(index_dir, workers) as service:
            out["ready_s"] = service.wait_ready(client)
            out["memory_after_start"] = process_memory_mb(service.process.pid)
            timings: dict[str, list[float]] = {"search": [], "ask": []}
            errors = {"search": 0, "ask": 0}
            started = time.perf_counter()
            for q in batch:
                for route, body in (("search", {"query": q, "mode": "hybrid"}), ("ask", {"question": q})):
                    ms = _post(client, f"{service.url}/v1/{route}", body)
                    if ms is None:
                        errors[route] += 1
                    else:
                        timings[route].append(ms)
            wall = time.perf_counter() - started
            out["one_client"] = {route: _summary(timings[route], errors[route], wall) for route in timings}
            out["memory_after_one_client"] = process_memory_mb(service.process.pid)
        with ServiceProcess(index_dir, workers) as service:
            service.wait_ready(client)

            def ask(q: str) -> float | None:
                return _post(client, f"{service.url}/v1/ask", {"question": q})

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                results = list(pool.map(ask, batch * 2))
            wall = time.perf_counter() - started
            out["many_clients_ask"] = _summary([r for r in results if r is not None],
                                               sum(r is None for r in results), wall)
            out["memory_after_many_clients"] = process_memory_mb(service.process.pid)
    one = out["one_client"]
    out["ask_to_search_p95"] = one["ask"]["p95_ms"] / one["search"]["p95_ms"] if one["search"]["p95_ms"] else None
    return out


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20, 1)
