"""Batches of one planned run executed on several single-threaded ONNX Runtime sessions at once.

An index build runs hundreds of batches through the encoder. One session with N intra-op threads
splits every operator N ways, and the encoder graph runs ~500 operators a batch: each is a
wake-up and a wait for the other threads (idle threads sleep, see ``models.encoder.onnx_session``),
and any thread the machine delays holds up the rest. N single-threaded sessions on the same
memory-mapped weights, each running whole batches, keep every core busy without meeting: on
2 cores ~5-6% more passages/s when the machine is quiet, more when another job shares the cores
(README, "Indexing speed"). A batch's vectors do not depend on
the session or the number of threads that run it, so the vectors are the same as one session's.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor


class SessionLanes:
    """``lanes`` sessions made by ``make_session`` on first use; ``map`` runs jobs on them, results in order."""

    def __init__(self, make_session: Callable[[], object], lanes: int) -> None:
        self._make, self.lanes = make_session, lanes
        self._sessions: list | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._sessions is not None

    def sessions(self) -> list:
        with self._lock:
            if self._sessions is None:
                self._sessions = [self._make() for _ in range(self.lanes)]
        return self._sessions

    def map(self, run: Callable, jobs: list[tuple]) -> Iterator:
        """``run(session, *job)`` for every job, each session running one job at a time; yields in job order."""
        free: queue.SimpleQueue = queue.SimpleQueue()
        for session in self.sessions():
            free.put(session)

        def work(job: tuple):
            session = free.get()
            try:
                return run(session, *job)
            finally:
                free.put(session)

        with ThreadPoolExecutor(self.lanes, thread_name_prefix="encoder-lane") as pool:
            yield from pool.map(work, jobs)
