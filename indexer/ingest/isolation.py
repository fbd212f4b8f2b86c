"""Ingestion in a worker process per file, under a memory and a wall-time limit.

A file that exhausts memory, crashes a parser or parses for too long then fails alone,
with a per-file error, instead of freezing or killing the process that serves searches.
Workers are forked from a small ``forkserver`` process that has the ingestion modules
loaded (not from the serving process, which holds the model), so starting one is cheap;
each worker sets ``RLIMIT_AS`` before it reads its file, and is killed when its time is up.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
from collections.abc import Iterable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path

from indexer.ingest.clause_splitter import resolve_sizes
from indexer.ingest.parse_limits import ParseLimits
from indexer.ingest.pipeline import ingest, merge_results
from indexer.records import IngestError, IngestResult

log = logging.getLogger(__name__)

GRACE_S = 1.0  # beyond the parse deadline, for the worker to start and send its result
_PRELOAD = ["indexer.ingest.pipeline", "indexer.ingest.office_formats", "bs4", "docx", "pypdf"]


def ingest_isolated(
    paths: Iterable[str | Path],
    *,
    memory_bytes: int,
    limits: ParseLimits | None = None,
    max_chars: int | None = None,
    min_chars: int | None = None,
    names: Mapping[str, str] | None = None,
) -> IngestResult:
    """Like `indexer.ingest.pipeline.ingest`, each path parsed in its own worker process.

    A worker gets `memory_bytes` of address space and ``limits.timeout_s`` (plus `GRACE_S`)
    of wall time; a worker that runs out of either, or dies, gives its file one error.
    """
    if memory_bytes <= 0:
        raise ValueError(f"memory_bytes must be > 0, got {memory_bytes!r}")
    limits = limits or ParseLimits()
    max_chars, min_chars = resolve_sizes(max_chars, min_chars)
    names = names or {}
    parts = [
        _ingest_in_worker(str(path), names.get(str(path), str(path)), limits, memory_bytes, max_chars, min_chars)
        for path in paths
    ]
    return merge_results(parts)


def _ingest_in_worker(
    path: str, name: str, limits: ParseLimits, memory_bytes: int, max_chars: int, min_chars: int
) -> IngestResult:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_worker, args=(sender, path, name, limits, memory_bytes, max_chars, min_chars),
        name="ingest-worker", daemon=True,
    )
    worker.start()
    sender.close()
    try:
        if not receiver.poll(limits.timeout_s + GRACE_S):
            log.warning("%s: parsing exceeded %.1f s; worker %s killed", name, limits.timeout_s, worker.pid)
            return _failed(name, f"parsing took longer than {limits.timeout_s:g} s (limit PARSE_TIMEOUT_S)")
        return receiver.recv()
    except EOFError:  # the worker died without a word: killed by the kernel, a parser crashed
        worker.join(timeout=5)
        log.warning("%s: ingest worker died (exit code %s)", name, worker.exitcode)
        return _failed(name, f"the parser ran out of memory or crashed (limit {memory_bytes:,} bytes of "
                             f"memory, PARSE_MEMORY_BYTES; worker exit code {worker.exitcode})")
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(timeout=5)
        receiver.close()


def _worker(
    sender: Connection, path: str, name: str, limits: ParseLimits, memory_bytes: int, max_chars: int, min_chars: int
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        result = ingest([path], max_chars=max_chars, min_chars=min_chars, limits=limits, names={path: name})
    except MemoryError:
        result = _failed(name, f"out of memory while parsing (limit {memory_bytes:,} bytes; PARSE_MEMORY_BYTES)")
    sender.send(result)
    sender.close()


def _failed(name: str, message: str) -> IngestResult:
    return IngestResult(errors=[IngestError(name, message)])
