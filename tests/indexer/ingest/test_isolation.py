"""Case 3/4 of issue 12: each file parsed in a worker process; one that needs too much memory or time fails alone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexer.ingest.isolation import ingest_isolated
from indexer.ingest.loaders import ParseLimits
from indexer.ingest.pipeline import ingest
from tests.indexer.ingest.pdf_builders import shared_stream_pdf
from tests.indexer.ingest.test_loaders import NOTICE

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MiB = 1024 * 1024


def test_isolated_ingest_gives_what_in_process_ingest_gives() -> None:
    paths = [FIXTURES / "policy_clean.txt", FIXTURES / "bulk.jsonl", FIXTURES / "notice.html"]
    isolated = ingest_isolated(paths, memory_bytes=1024 * MiB)
    direct = ingest(paths)
    assert [c.__dict__ for c in isolated.chunks] == [c.__dict__ for c in direct.chunks]
    assert [d.__dict__ for d in isolated.documents] == [d.__dict__ for d in direct.documents]
    assert isolated.errors == direct.errors


def test_a_file_needing_too_much_memory_fails_alone(tmp_path: Path) -> None:
    huge = tmp_path / "lines.txt"
    huge.write_bytes(b"a\n" * (20 * MiB))  # 40 MB: 20 million line objects, over 1 GB in Python
    good = tmp_path / "notice.txt"
    good.write_text(NOTICE, encoding="utf-8")
    result = ingest_isolated([huge, good], memory_bytes=320 * MiB, names={str(huge): "lines.txt"})
    [error] = result.errors
    assert error.source == "lines.txt" and "out of memory" in error.message
    assert [d.source for d in result.documents] == [str(good)]


def test_a_file_parsing_past_the_time_limit_is_stopped_and_fails_alone(tmp_path: Path) -> None:
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(shared_stream_pdf(pages=1, operations=200_000))  # one page: tens of seconds in pypdf
    good = tmp_path / "notice.txt"
    good.write_text(NOTICE, encoding="utf-8")
    started = time.monotonic()
    result = ingest_isolated([slow, good], memory_bytes=1024 * MiB, limits=ParseLimits(timeout_s=1.0))
    assert time.monotonic() - started < 10
    [error] = result.errors
    assert error.source == str(slow) and "longer than 1 s" in error.message
    assert [d.source for d in result.documents] == [str(good)]


def test_the_memory_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="memory_bytes"):
        ingest_isolated([], memory_bytes=0)
