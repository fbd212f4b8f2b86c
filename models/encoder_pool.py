"""Passages embedded by several worker processes at once (``--workers N``), with a single process's vectors.

Each worker opens its own ONNX Runtime session on the int8 model (its weights are memory-mapped,
so the page cache holds one copy) with ``threads // N`` threads; on a multi-core machine N
single-threaded sessions use the cores better than one session whose threads meet at every
operator. The parent tokenizes and plans the length-bucketed batches exactly as
``OnnxInt8Encoder`` does (a text's vector depends a little on the other texts of its batch,
because activations are quantized per batch), hands whole batches to the workers and collects
the vectors in order while later batches run. The workers start loading the model when the pool
is created, so they are ready by the time parsing is done.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from models.converter import PASSAGE_PREFIX
from models.encoder import (
    BATCH_SIZE,
    OnnxInt8Encoder,
    Spans,
    _progress,
    _threads,
    gather_spans,
    onnx_session,
    run_session,
)
from models.onnx_export import INT8_NAME, ONNX_DIR

_session = None  # the worker process's session


def _start_worker(onnx_path: str, threads: int) -> None:
    global _session
    _exit_with_parent()
    _session = onnx_session(Path(onnx_path), threads)


def _exit_with_parent() -> None:
    """A worker whose parent is killed (Ctrl-C twice, SIGKILL) ends too instead of idling on (Linux)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _ready() -> bool:
    return _session is not None


def _run(ids: list[list[int]]) -> np.ndarray:
    return run_session(_session, ids)


def _run_spans(job: tuple[list[list[int]], list[Spans]]) -> tuple[np.ndarray, list[np.ndarray]]:
    return run_session(_session, *job)  # the token states stay in the worker; only pooled vectors come back


class EncoderPool:
    """The ``Encoder`` interface: passages by ``workers`` processes, queries by the in-process encoder."""

    def __init__(self, model_dir: Path, workers: int, threads: int = 0, batch_size: int = BATCH_SIZE) -> None:
        onnx_path = Path(model_dir) / ONNX_DIR / INT8_NAME
        per_worker = max(1, _threads(threads) // workers)
        self._pool = ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), _start_worker,
                                         (str(onnx_path), per_worker))
        self._warm = [self._pool.submit(_ready) for _ in range(workers)]  # every worker starts loading now
        try:  # the parent's copy checks the folder, tokenizes and plans; it runs no passage batch itself
            self.encoder = OnnxInt8Encoder(model_dir, threads, batch_size)
        except BaseException:
            self.close()
            raise
        self.name, self.dim, self.workers = self.encoder.name, self.encoder.dim, workers
        self._desc = f"embedding ({workers} workers)"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode_queries(texts)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batches = self.encoder.plan(texts, PASSAGE_PREFIX)
        results = self._pool.map(_run, [ids for _, ids in batches])
        results = _progress(results, show_progress, self._desc, len(batches))
        for (rows, _), vectors in zip(batches, results, strict=True):
            out[rows] = vectors
        return out

    def encode_passages_with_spans(self, texts: list[str], spans: list[Spans],
                                   show_progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """As ``OnnxInt8Encoder.encode_passages_with_spans``, the batches run by the workers."""
        batches = self.encoder.plan_spans(texts, spans)
        results = self._pool.map(_run_spans, [(ids, ranges) for _, ids, ranges in batches])
        return gather_spans(len(texts), self.dim, batches, _progress(results, show_progress, self._desc, len(batches)))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> EncoderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
