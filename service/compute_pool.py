"""Runs the CPU-bound part of a request (a search, an answer) in a small, fixed number of threads.

Each lane (``"search"``, ``"ask"``) has ``COMPUTE_THREADS`` threads; requests beyond that wait their
turn on the event loop, where waiting costs nothing, instead of all running at once in the 40-thread
default pool: with many threads contending for the GIL the event loop (and the health probes on it)
gets its turn only every hundred milliseconds or so, and two cores gain nothing from more than a few
busy threads. Separate lanes keep a quick search from queueing behind slow answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class ComputePool:
    def __init__(self, threads: int = 0) -> None:
        if threads < 0:
            raise ValueError(f"COMPUTE_THREADS must be 0 (one per core) or positive, got {threads}")
        self.threads = threads or default_threads()
        self._lanes: dict[str, anyio.CapacityLimiter] = {}  # made on first use, inside the event loop

    async def run(self, lane: str, function: Callable[..., T], /, *args: object) -> T:
        limiter = self._lanes.get(lane)
        if limiter is None:
            limiter = self._lanes[lane] = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(partial(function, *args), limiter=limiter)
