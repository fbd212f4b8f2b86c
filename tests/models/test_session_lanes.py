"""Many batches run on single-threaded sessions at once (indexing) give the vectors of one session, in order."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from models.session_lanes import SessionLanes


class _Recorder:
    """A stand-in for an ONNX Runtime session: records which jobs it ran and whether two overlapped on it."""

    def __init__(self) -> None:
        self.busy = threading.Lock()
        self.jobs: list[int] = []
        self.overlapped = False

    def __call__(self, job: int) -> int:
        if not self.busy.acquire(blocking=False):
            self.overlapped = True
            self.busy.acquire()
        try:
            time.sleep(0.002 * (job % 3))  # jobs finish out of order
            self.jobs.append(job)
            return job * 10
        finally:
            self.busy.release()


def test_lanes_return_results_in_job_order_and_run_one_job_per_session_at_a_time():
    made: list[_Recorder] = []
    lanes = SessionLanes(lambda: made.append(_Recorder()) or made[-1], 2)
    results = list(lanes.map(lambda session, job: session(job), [(j,) for j in range(40)]))
    assert results == [j * 10 for j in range(40)]
    assert len(made) == 2 and all(s.jobs for s in made)  # both sessions did work
    assert sorted(made[0].jobs + made[1].jobs) == list(range(40))
    assert not any(s.overlapped for s in made)
    list(lanes.map(lambda session, job: session(job), [(1,), (2,)]))
    assert len(made) == 2  # made once


@pytest.mark.slow
def test_an_indexing_run_on_the_lanes_gives_the_single_sessions_vectors(model_dir, gazette_ingest):
    from indexer.retrieval.passage_text import dense_text
    from models.encoder import BULK_TEXTS, OnnxInt8Encoder, run_session

    encoder = OnnxInt8Encoder(model_dir, threads=2)
    encoder.encode_queries(["农村低保一年人均能拿到多少？"])
    assert not encoder.lanes.started  # a question runs on the encoder's own session
    passages = [dense_text(c, "title_path_text") for c in gazette_ingest.chunks[:BULK_TEXTS + 40]]
    spans = [[(0, len(p) // 2), (len(p) // 2, len(p))] for p in passages]
    vectors, pooled = encoder.encode_passages_with_spans(passages, spans)
    assert encoder.lanes.started and len(encoder.lanes.sessions()) == 2  # the run went through the lanes
    single = encoder.plan_spans(passages, spans)
    assert len(single) > 2
    for rows, ids, ranges in single:  # the same batches, one after the other on the two-threaded session
        alone, alone_pooled = run_session(encoder.session, ids, ranges)
        np.testing.assert_array_equal(vectors[rows], alone)
        for row, part in zip(rows, alone_pooled, strict=True):
            np.testing.assert_array_equal(pooled[row], part)
    np.testing.assert_array_equal(encoder.encode_passages(passages), vectors)
