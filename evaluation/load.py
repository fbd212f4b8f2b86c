"""``python -m evaluation load``: many concurrent clients against the HTTP service, with a health prober.

N clients (asyncio + httpx, one connection each) send requests back to back for a set time; client
``i`` uses route ``routes[i % len(routes)]``, so 32 clients on ask and search are 16 on each. A
questions list (the dev set by default) is cycled. Meanwhile a prober in its own thread calls
``/healthz`` every ``probe_interval`` seconds, as an orchestrator would. Reported per route:
requests, throughput, latency p50/p95/p99/max and errors (any non-2xx answer, timeout or broken
connection, counted by kind); for ``/healthz`` p50/p99/max overall and the p99 of each 10 s window.
Unless ``--no-warmup``, every question is first sent once to each route, untimed: the figures are
those of a service in steady use (the answer path memoizes sentence vectors).

Against ``--url`` it measures a running service; otherwise it starts ``python -m service`` on a free
loopback port over ``--index`` and stops it at the end. A benchmark: it prints figures and asserts
nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evaluation.metrics import percentile
from evaluation.runner import RunError
from evaluation.service_process import free_port, wait_ready

ROUTES = {"ask": ("/v1/ask", "question"), "search": ("/v1/search", "query")}
WINDOW_S = 10.0


@dataclass
class LoadConfig:
    url: str | None
    index_dir: Path | None
    clients: int
    duration_s: float
    routes: list[str]
    questions: list[str]
    probe_interval_s: float = 0.1
    timeout_s: float = 60.0
    warmup: bool = True  # ask and search every question once before timing (not counted)


@dataclass
class Samples:
    """Latencies (ms) of successful requests, the start time of each, and errors by kind."""

    latencies: list[float] = field(default_factory=list)
    started_at: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)


# ---- the service under test ------------------------------------------------------------
@contextmanager
def served(index_dir: Path, ready_timeout_s: float = 180.0) -> Iterator[str]:
    """``python -m service`` over ``index_dir`` on a free loopback port; yields its URL, stops it at the end.

    Its log goes to a temporary file (a pipe nobody reads would block the service once full).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, "LOG_LEVEL": "WARNING"}, stdout=subprocess.DEVNULL, stderr=log,
        )
        try:
            wait_ready(process, url, ready_timeout_s, log)
            yield url
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# ---- clients and prober ----------------------------------------------------------------
async def _client(number: int, config: LoadConfig, url: str, deadline: float, samples: dict[str, Samples]) -> None:
    route = config.routes[number % len(config.routes)]
    path, field_name = ROUTES[route]
    mine = samples[route]
    async with httpx.AsyncClient(base_url=url, timeout=config.timeout_s) as client:
        i = number
        while time.monotonic() < deadline:
            question = config.questions[i % len(config.questions)]
            i += config.clients
            started = time.monotonic()
            try:
                response = await client.post(path, json={field_name: question})
            except httpx.HTTPError as exc:
                mine.errors[type(exc).__name__] += 1
                continue
            if response.is_success:
                mine.latencies.append((time.monotonic() - started) * 1000)
                mine.started_at.append(started)
            else:
                mine.errors[f"HTTP {response.status_code}"] += 1


def _probe(url: str, interval_s: float, stop: threading.Event, samples: Samples) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = client.get("/healthz")
            except httpx.HTTPError as exc:
                samples.errors[type(exc).__name__] += 1
            else:
                if response.status_code == 200:
                    samples.latencies.append((time.monotonic() - started) * 1000)
                    samples.started_at.append(started)
                else:
                    samples.errors[f"HTTP {response.status_code}"] += 1
            stop.wait(max(0.0, interval_s - (time.monotonic() - started)))


async def _warm_up(config: LoadConfig, url: str) -> None:
    """One untimed pass over the questions on each route, ``clients`` at a time (a service in steady use)."""
    async with httpx.AsyncClient(base_url=url, timeout=max(config.timeout_s, 600)) as client:
        gate = asyncio.Semaphore(config.clients)

        async def one(path: str, field_name: str, question: str) -> None:
            async with gate:
                await client.post(path, json={field_name: question})

        await asyncio.gather(*(one(*ROUTES[r], q) for r in config.routes for q in config.questions))


async def _drive(config: LoadConfig, url: str) -> tuple[dict[str, Samples], Samples, float, float]:
    if config.warmup:
        await _warm_up(config, url)
    samples = {route: Samples() for route in config.routes}
    health = Samples()
    stop = threading.Event()
    prober = threading.Thread(target=_probe, args=(url, config.probe_interval_s, stop, health), daemon=True)
    started = time.monotonic()
    prober.start()
    try:
        deadline = started + config.duration_s
        await asyncio.gather(*(_client(n, config, url, deadline, samples) for n in range(config.clients)))
    finally:
        stop.set()
        prober.join(timeout=15)
    return samples, health, started, time.monotonic() - started


# ---- figures -----------------------------------------------------------------------------
def _summary(s: Samples, wall_s: float) -> dict[str, Any]:
    lat = s.latencies
    return {
        "requests": len(lat) + sum(s.errors.values()), "ok": len(lat), "errors": sum(s.errors.values()),
        "error_kinds": dict(s.errors), "per_s": round(len(lat) / wall_s, 2) if wall_s else 0.0,
        "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
        "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat, default=0.0), 1),
    }


def _window_p99(s: Samples, started: float, wall_s: float) -> list[float]:
    windows: list[list[float]] = [[] for _ in range(max(1, int(wall_s // WINDOW_S) + 1))]
    for at, ms in zip(s.started_at, s.latencies, strict=True):
        windows[min(int((at - started) // WINDOW_S), len(windows) - 1)].append(ms)
    return [round(percentile(w, 99), 1) for w in windows if w]


def run_load(config: LoadConfig) -> dict[str, Any]:
    """Run the load (starting the service over ``index_dir`` when no ``url`` is given); return the figures."""
    if config.clients < 1 or config.duration_s <= 0:
        raise RunError("--clients and --duration must be positive")
    unknown = sorted(set(config.routes) - set(ROUTES))
    if unknown or not config.routes:
        raise RunError(f"--routes must be a comma-separated subset of {', '.join(ROUTES)}, got {unknown or 'none'}")
    if config.url:
        from evaluation.runner import connect

        connect(config.url).close()  # ready, or one clear error line
        url_context: Any = _given(config.url.rstrip("/"))
    else:
        if config.index_dir is None or not Path(config.index_dir).exists():
            raise RunError(f"{config.index_dir}: no index folder (build one, or give --url)")
        url_context = served(Path(config.index_dir))
    load_before = _loadavg()
    with url_context as url:
        samples, health, started, wall_s = asyncio.run(_drive(config, url))
    return {
        "url": config.url or f"(started over {config.index_dir})", "clients": config.clients,
        "duration_s": round(wall_s, 1), "routes": {r: _summary(samples[r], wall_s) for r in config.routes},
        "healthz": {**_summary(health, wall_s), "window_p99_ms": _window_p99(health, started, wall_s)},
        "warmup": config.warmup, "cpus": os.cpu_count(), "load_average_before": load_before,
    }


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def load_markdown(r: dict[str, Any]) -> str:
    lines = [
        f"{r['clients']} clients for {r['duration_s']} s against {r['url']} ({r['cpus']} CPUs; load average "
        f"before: {', '.join(map(str, r['load_average_before']))}; warm-up pass: {'yes' if r['warmup'] else 'no'})",
        "",
        "| route | requests | per s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in [*((ROUTES[k][0], v) for k, v in r["routes"].items()), ("/healthz (prober)", r["healthz"])]:
        errors = f"{s['errors']}" + (f" ({json.dumps(s['error_kinds'])})" if s["errors"] else "")
        lines.append(f"| {name} | {s['requests']} | {s['per_s']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
                     f"| {s['max_ms']} | {errors} |")
    windows = r["healthz"]["window_p99_ms"]
    lines += ["", f"/healthz p99 per {WINDOW_S:.0f} s window (ms): {', '.join(map(str, windows))}; "
              f"worst {max(windows, default=0.0)}"]
    return "\n".join(lines)


def write_load_report(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "load.json", "markdown": out_dir / "load.md"}
    paths["json"].write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    paths["markdown"].write_text(load_markdown(results) + "\n", encoding="utf-8")
    return paths
