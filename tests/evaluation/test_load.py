"""The load script's argument checks and figures (the load itself is run by hand: it is a benchmark)."""

from collections import Counter

import pytest

from evaluation.load import LoadConfig, Samples, _summary, _window_p99, load_markdown, run_load
from evaluation.runner import RunError


def _config(**changes) -> LoadConfig:
    values = {"url": None, "index_dir": None, "clients": 4, "duration_s": 1.0, "routes": ["ask", "search"],
              "questions": ["养老金涨多少"]}
    return LoadConfig(**{**values, **changes})


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [({"routes": ["ask", "chat"]}, "--routes"), ({"clients": 0}, "--clients"),
     ({"index_dir": "/nonexistent/index"}, "no index folder"), ({"url": "ftp://x"}, "--url")],
)
def test_bad_arguments_are_one_clear_error(changes, fragment):
    with pytest.raises(RunError, match=fragment):
        run_load(_config(**changes))


def test_summary_and_windows():
    samples = Samples(latencies=[10.0, 20.0, 30.0, 400.0], started_at=[0.0, 5.0, 12.0, 25.0],
                      errors=Counter({"HTTP 503": 1}))
    summary = _summary(samples, wall_s=2.0)
    assert summary["requests"] == 5 and summary["ok"] == 4 and summary["errors"] == 1
    assert summary["per_s"] == 2.0 and summary["p50_ms"] == 25.0 and summary["max_ms"] == 400.0
    assert _window_p99(samples, started=0.0, wall_s=30.0) == [19.9, 30.0, 400.0]
    results = {"url": "http://x", "clients": 4, "duration_s": 2.0, "cpus": 2, "load_average_before": [1.0],
               "warmup": True, "routes": {"ask": summary}, "healthz": {**summary, "window_p99_ms": [19.9]}}
    table = load_markdown(results)
    assert "| /v1/ask | 5 | 2.0 |" in table and "HTTP 503" in table and "worst 19.9" in table
