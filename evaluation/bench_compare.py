"""The benchmark's headline figures beside the previous release's, so a regression shows in one run.

The previous release's figures live in ``evaluation/data/bench_baseline.json`` (flat
``figures``: name → value). ``headline`` picks the same names out of a benchmark run;
each name says which way is better and, where the project set one, its target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.settings import PROJECT_ROOT

BASELINE = PROJECT_ROOT / "evaluation" / "data" / "bench_baseline.json"

# name → (lower is better, target or None, description)
FIGURES: dict[str, tuple[bool, float | None, str]] = {
    "search_p95_ms_one_client": (True, None, "/v1/search p95 ms, fresh process, 1 client"),
    "ask_p95_ms_one_client_cold": (True, None, "/v1/ask p95 ms, fresh process, 1 client"),
    "ask_to_search_p95": (True, 2.0, "ask p95 / search p95 (same run)"),
    "ask_p95_ms_32_clients_fresh": (True, 400.0, "/v1/ask p95 ms, 32 clients from a fresh start"),
    "asks_per_s_32_clients_fresh": (False, None, "asks/s, 32 clients from a fresh start"),
    "service_rss_mb": (True, 700.0, "service RSS MB after the 32-client run"),
    "model_folder_mb": (True, 250.0, "model folder on disk, MB"),
    "build_gazette_chunks_per_s_cold": (False, 60.0, "gazette index build, cold cache, chunks/s"),
    "build_stard_chunks_per_s_cold": (False, 100.0, "STARD-like build, cold cache, chunks/s"),
    "dev_hybrid_R@5": (False, None, "dev set hybrid R@5"),
    "dev_hybrid_MRR@10": (False, None, "dev set hybrid MRR@10"),
    "dev_answer_accuracy": (False, None, "dev set answer accuracy"),
}


def load_baseline(path: Path = BASELINE) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The comparable figures found in a benchmark run (missing sections are left out)."""
    out: dict[str, float] = {}
    service = results.get("service")
    if service:
        one = service["one_client"]
        out["search_p95_ms_one_client"] = one["search"]["p95_ms"]
        out["ask_p95_ms_one_client_cold"] = one["ask"]["p95_ms"]
        if service.get("ask_to_search_p95") is not None:
            out["ask_to_search_p95"] = service["ask_to_search_p95"]
        out["ask_p95_ms_32_clients_fresh"] = service["many_clients_ask"]["p95_ms"]
        out["asks_per_s_32_clients_fresh"] = service["many_clients_ask"]["per_s"]
        memory = service.get("memory_after_many_clients") or {}
        if memory:
            out["service_rss_mb"] = memory["rss_mb"]
    if "model_folder_mb" in results:
        out["model_folder_mb"] = results["model_folder_mb"]
    if "build" in results:
        out["build_gazette_chunks_per_s_cold"] = results["build"]["cold_chunks_per_s"]
    if "build_sample" in results:
        out["build_stard_chunks_per_s_cold"] = results["build_sample"]["cold_chunks_per_s"]
    out.update({k: v for k, v in results.get("dev", {}).items() if k in FIGURES})
    return out


def comparison_markdown(now: dict[str, float], baseline: dict[str, Any]) -> str:
    from evaluation.reports import markdown_table

    before = baseline.get("figures", {})
    rows = []
    for name, (lower_better, target, label) in FIGURES.items():
        if name not in now and name not in before:
            continue
        a, b = before.get(name), now.get(name)
        change = "–"
        if a is not None and b is not None and a != 0:
            ratio = b / a
            better = (ratio < 1) if lower_better else (ratio > 1)
            change = f"×{ratio:.2f} ({'better' if better else 'worse' if ratio != 1 else 'same'})"
        meets = "–"
        if target is not None and b is not None:
            meets = "yes" if (b <= target if lower_better else b >= target) else "NO"
        rows.append([label, _num(a), _num(b), change, _num(target), meets])
    return "\n".join([
        f"## Against the previous release ({baseline.get('release', '?')})", "",
        markdown_table(["figure", "before", "now", "change", "target", "meets"], rows),
    ])


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
