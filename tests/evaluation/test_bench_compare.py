"""The benchmark's comparison with the previous release: figures picked from a run, verdicts per target."""

import json

from evaluation.bench_compare import BASELINE, FIGURES, comparison_markdown, headline, load_baseline

RUN = {
    "service": {
        "one_client": {"search": {"p95_ms": 20.0}, "ask": {"p95_ms": 30.0}},
        "ask_to_search_p95": 1.5,
        "many_clients_ask": {"p95_ms": 900.0, "per_s": 40.0},
        "memory_after_many_clients": {"rss_mb": 650.0, "pss_mb": 600.0, "processes": 1},
    },
    "model_folder_mb": 140.0,
    "build": {"cold_chunks_per_s": 30.0},
    "build_sample": {"cold_chunks_per_s": 120.0},
    "dev": {"dev_hybrid_R@5": 0.97, "dev_hybrid_MRR@10": 0.93, "dev_answer_accuracy": 0.88},
}


def test_the_shipped_baseline_names_only_known_figures():
    baseline = load_baseline(BASELINE)
    assert baseline["release"] and set(baseline["figures"]) <= set(FIGURES)
    assert all(isinstance(v, float) for v in baseline["figures"].values())


def test_headline_picks_every_figure_of_a_full_run():
    figures = headline(RUN)
    assert set(figures) == set(FIGURES)
    assert figures["ask_p95_ms_32_clients_fresh"] == 900.0 and figures["build_stard_chunks_per_s_cold"] == 120.0
    assert headline({"model_folder_mb": 1.0}) == {"model_folder_mb": 1.0}


def test_comparison_shows_direction_and_targets(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"release": "v0", "figures": {"ask_p95_ms_32_clients_fresh": 1800.0,
                                                               "build_gazette_chunks_per_s_cold": 20.0}}))
    table = comparison_markdown(headline(RUN), load_baseline(path))
    lines = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    ask = lines["/v1/ask p95 ms, 32 clients from a fresh start"]
    assert "1800.0" in ask and "900.0" in ask and "×0.50 (better)" in ask and ask.rstrip(" |").endswith("NO")
    build = lines["gazette index build, cold cache, chunks/s"]
    assert "×1.50 (better)" in build and build.rstrip(" |").endswith("NO")
    assert lines["model folder on disk, MB"].rstrip(" |").endswith("yes")
    assert "v0" in table
