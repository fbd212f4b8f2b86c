"""Reports of a run, written to one folder: ``report.md``, ``report.json``, ``report.png``, ``misses.md``.

``report.md`` holds the metric tables (modes side by side), ``misses.md`` every question
not answered at rank 1 by some mode — with its gold evidence and what came first
instead — so a person can see why; ``report.json`` has the same figures for tools.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.beir_eval import BeirModeReport
from evaluation.metrics import recall_at
from evaluation.runner import BeirRun, GoldRun

GOLD_COLUMNS = ("R@1", "R@3", "R@5", "R@10", "MRR@10", "nDCG@10")
DETECTION_COLUMNS = ("unanswerable_precision", "unanswerable_recall", "answerable_flagged")
BEIR_COLUMNS = ("R@10", "R@100", "MRR@10", "nDCG@10", "Hit@1", "Hit@10", "Hit@100")
ASK_COLUMNS = ("answer_accuracy", "answered_rate", "unanswerable_precision", "unanswerable_recall",
               "answerable_flagged", "faithful_segments", "faithful_answers", "p50_ms", "p95_ms")
LABELS = {
    "unanswerable_precision": "unans. P", "unanswerable_recall": "unans. R", "answerable_flagged": "ans. flagged",
    "answer_accuracy": "accuracy", "answered_rate": "answered", "faithful_segments": "faithful segs",
    "faithful_answers": "faithful answers", "p50_ms": "p50 ms", "p95_ms": "p95 ms",
}
SNIPPET = 160


# ---- small pure helpers ---------------------------------------------------------------
def fmt(name: str, value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if name.endswith("_ms") else f"{value:.3f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


def metrics_table(by_mode: dict[str, dict[str, float]], columns: Sequence[str]) -> str:
    header = ["mode", *(LABELS.get(c, c) for c in columns)]
    rows = [[mode, *(fmt(c, m.get(c)) for c in columns)] for mode, m in by_mode.items()]
    return markdown_table(header, rows)


def snippet(text: str, width: int = SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def passage_label(p: dict[str, Any]) -> str:
    path = " > ".join(str(h) for h in (p.get("heading_path") or [])[1:] if h)
    head = p.get("doc_number") or p.get("doc_title") or p.get("doc_id", "")
    return f"{head} | {path}" if path else str(head)


def write_chart(
    by_mode: dict[str, dict[str, float]], columns: Sequence[str], path: Path, title: str,
    latency: Sequence[str] = ("p50_ms", "p95_ms"),
) -> Path:
    """Grouped bars: quality metrics per mode (left), latency per mode (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    modes = list(by_mode)
    fig, (ax, ax_lat) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 1]})
    x = np.arange(len(columns))
    width = 0.8 / max(1, len(modes))
    for i, mode in enumerate(modes):
        values = [by_mode[mode].get(c, 0.0) or 0.0 for c in columns]
        bars = ax.bar(x + (i - (len(modes) - 1) / 2) * width, values, width, label=mode)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(x, list(columns))
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    xl = np.arange(len(latency))
    for i, mode in enumerate(modes):
        values = [by_mode[mode].get(c, 0.0) or 0.0 for c in latency]
        bars = ax_lat.bar(xl + (i - (len(modes) - 1) / 2) * width, values, width, label=mode)
        ax_lat.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
    ax_lat.set_xticks(xl, [LABELS.get(c, c) for c in latency])
    ax_lat.set_ylabel("ms per query")
    ax_lat.set_title("search latency")
    ax_lat.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_json(data: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _target_line(target: dict[str, Any]) -> str:
    where = target.get("index") or target.get("url", "")
    return (f"{target.get('target', '')} `{where}`, encoder `{target.get('encoder', '')}`, "
            f"{target.get('documents', '?')} documents, {target.get('chunks', '?')} chunks")


# ---- gold-evidence sets ---------------------------------------------------------------------
def gold_summary(run: GoldRun) -> dict[str, Any]:
    by_mode = {r.mode: r.metrics for r in run.modes}
    types = sorted({q.type for q in run.questions if q.answerable})
    by_type = {
        t: {r.mode: _mean([recall_at(o.flags, 5) for o in r.outcomes if o.question.type == t and o.question.answerable])
            for r in run.modes} | {"n": sum(1 for q in run.questions if q.type == t and q.answerable)}
        for t in types
    }
    asks = {o.question_id: o for o in run.ask or []}
    questions = []
    for i, q in enumerate(run.questions):
        entry: dict[str, Any] = {"id": q.id, "type": q.type, "answerable": q.answerable, "ranks": {},
                                 "confident": {}, "top1": {}}
        for r in run.modes:
            o = r.outcomes[i]
            entry["ranks"][r.mode] = o.first_relevant_rank
            entry["confident"][r.mode] = o.confident
            entry["top1"][r.mode] = o.top[0].get("chunk_id") if o.top else None
        if q.id in asks:
            a = asks[q.id]
            entry["ask"] = {"answerable": a.answerable, "correct": a.correct, "answer": a.answer,
                            "unfaithful": [s.text for s in a.segments if not s.faithful]}
        questions.append(entry)
    return {"kind": "gold", "dataset": run.dataset, "created": run.created, "target": run.target,
            "retrieval": by_mode, "r5_by_type": by_type, "ask": run.ask_metrics, "questions": questions}


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def gold_markdown(summary: dict[str, Any]) -> str:
    by_mode = summary["retrieval"]
    n = next(iter(by_mode.values()), {}).get("questions", 0)
    n_all = len(summary["questions"])
    out = [
        f"# Evaluation: {Path(summary['dataset']).name}",
        "",
        f"{_target_line(summary['target'])}; run {summary['created']}.",
        "",
        f"## Retrieval ({n} answerable of {n_all} questions, top 10)",
        "",
        metrics_table(by_mode, (*GOLD_COLUMNS, *DETECTION_COLUMNS, "p50_ms", "p95_ms")),
        "",
        "R@k: a relevant passage in the top k; unans. P/R: precision/recall of `confident = false` as a "
        "detector of the unanswerable questions; ans. flagged: answerable questions wrongly flagged.",
    ]
    if summary["ask"]:
        a = summary["ask"]
        out += [
            "",
            f"## Answers (`/v1/ask`, {a.get('keyed_questions', 0):.0f} answerable questions with a key, "
            f"{a.get('segments', 0):.0f} cited segments)",
            "",
            markdown_table([LABELS.get(c, c) for c in ASK_COLUMNS], [[fmt(c, a.get(c)) for c in ASK_COLUMNS]]),
            "",
            "accuracy: the answer contains the key string; answered: answerable questions answered; faithful: a "
            "segment occurs verbatim in the passage its marker cites.",
        ]
    if summary["r5_by_type"]:
        modes = list(by_mode)
        rows = [[t, str(v["n"]), *(fmt("", v.get(m)) for m in modes)] for t, v in summary["r5_by_type"].items()]
        out += ["", "## R@5 by question type", "", markdown_table(["type", "n", *modes], rows)]
    return "\n".join(out) + "\n"


def gold_misses_markdown(run: GoldRun) -> str:
    modes = [r.mode for r in run.modes]
    out = [f"# Misses: {Path(run.dataset).name}", "",
           "Answerable questions not at rank 1 in some mode (rank of the first relevant passage per mode, "
           "`–` = not in the top 10), then unanswerable questions searched with confidence, then wrong answers.", ""]
    misses = []
    for i, q in enumerate(run.questions):
        if not q.answerable:
            continue
        ranks = {r.mode: r.outcomes[i].first_relevant_rank for r in run.modes}
        if any(rank != 1 for rank in ranks.values()):
            misses.append((sum(99 if v is None else v for v in ranks.values()), i, ranks))
    out.append(f"## Retrieval misses ({len(misses)})")
    for _, i, ranks in sorted(misses, key=lambda m: (-m[0], m[1])):
        q = run.questions[i]
        out += ["", f"### {q.id} ({q.type}, {q.doc}) {q.question}",
                "ranks: " + " · ".join(f"{m} {ranks[m] or '–'}" for m in modes),
                "gold evidence: " + " / ".join(f"「{snippet(e, 80)}」" for e in q.evidence)]
        for r in run.modes:
            o = r.outcomes[i]
            if ranks[r.mode] != 1 and o.top:
                top = o.top[0]
                out.append(f"- {r.mode} ranked first: {passage_label(top)} — {snippet(top.get('text', ''))}")
    confident = [(i, q) for i, q in enumerate(run.questions) if not q.answerable
                 and any(r.outcomes[i].confident for r in run.modes)]
    out += ["", f"## Unanswerable but confident ({len(confident)})"]
    for i, q in confident:
        which = [r.mode for r in run.modes if r.outcomes[i].confident]
        top = next((r.outcomes[i].top[0] for r in run.modes if r.outcomes[i].top), {})
        out += ["", f"### {q.id} {q.question}", f"confident in: {', '.join(which)}",
                f"- first: {passage_label(top)} — {snippet(top.get('text', ''))}" if top else "- no results"]
    if run.ask:
        wrong = [o for o in run.ask if (o.truly_answerable and o.key and not o.correct)
                 or (not o.truly_answerable and o.answerable) or any(not s.faithful for s in o.segments)]
        out += ["", f"## Answer problems ({len(wrong)})"]
        for o in wrong:
            problems = []
            if o.truly_answerable and o.key and not o.correct:
                problems.append("not answered" if not o.answerable else f"key 「{o.key}」 missing")
            if not o.truly_answerable and o.answerable:
                problems.append("answered an unanswerable question")
            problems += [f"unfaithful 「{snippet(s.text, 60)}」 ({s.reason})" for s in o.segments if not s.faithful]
            out += ["", f"### {o.question_id} {o.question}", "; ".join(problems), f"- answer: {snippet(o.answer, 300)}"]
    return "\n".join(out) + "\n"


def write_gold_report(run: GoldRun, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = gold_summary(run)
    paths = {
        "markdown": out_dir / "report.md", "json": out_dir / "report.json", "chart": out_dir / "report.png",
        "misses": out_dir / "misses.md",
    }
    paths["markdown"].write_text(gold_markdown(summary), encoding="utf-8")
    write_json(summary, paths["json"])
    write_chart(summary["retrieval"], GOLD_COLUMNS, paths["chart"], f"{Path(run.dataset).name}: retrieval by mode")
    paths["misses"].write_text(gold_misses_markdown(run), encoding="utf-8")
    return paths


# ---- BEIR sets ------------------------------------------------------------------------------
def beir_summary(run: BeirRun) -> dict[str, Any]:
    queries = []
    for i, qid in enumerate(r.query_id for r in (run.modes[0].outcomes if run.modes else [])):
        queries.append({"id": qid, "ranks": {r.mode: r.outcomes[i].first_relevant_rank for r in run.modes},
                        "top1": {r.mode: (r.outcomes[i].top[0].get("doc_id") if r.outcomes[i].top else None)
                                 for r in run.modes}})
    return {"kind": "beir", "dataset": run.dataset, "created": run.created, "target": run.target,
            "corpus": len(run.beir.corpus), "queries_with_qrels": len(run.beir.queries),
            "build": run.build.to_dict() if run.build else None,
            "retrieval": {r.mode: r.metrics for r in run.modes}, "queries": queries}


def beir_markdown(summary: dict[str, Any]) -> str:
    by_mode = summary["retrieval"]
    n = next(iter(by_mode.values()), {}).get("queries", 0)
    out = [f"# Evaluation: {summary['dataset']}", "", f"{_target_line(summary['target'])}; run {summary['created']}.",
           "", f"## Retrieval ({n:.0f} queries, {summary['corpus']} corpus records)", "",
           metrics_table(by_mode, (*BEIR_COLUMNS, "p50_ms", "p95_ms")), "",
           "R@k: share of a query's relevant documents in its top k (BEIR's recall); Hit@k: share of queries with "
           "any relevant document in the top k."]
    build = summary.get("build")
    if build:
        how = "reused (recorded at build)" if build["reused"] else (
            f"built now; embedding cache {build['cache_hits']} hits, {build['cache_misses']} misses")
        out += ["", "## Index build", "", f"{build['chunks']} chunks in {build['seconds']:.1f} s "
                f"({build['chunks_per_s']:.1f} chunks/s), {how}."]
    return "\n".join(out) + "\n"


def beir_misses_markdown(run: BeirRun, max_misses: int = 100) -> str:
    modes = [r.mode for r in run.modes]
    if not modes:
        return "# Misses\n\nno modes were run\n"
    anchor = "hybrid" if "hybrid" in modes else modes[-1]
    reports: dict[str, BeirModeReport] = {r.mode: r for r in run.modes}
    missed = [i for i, o in enumerate(reports[anchor].outcomes) if not any(o.flags[:10])]
    out = [f"# Misses: {run.dataset}", "",
           f"{len(missed)} queries with no relevant document in the {anchor} top 10; the first {max_misses} are "
           "listed with the rank of the first relevant document per mode (`–` = not retrieved).", ""]
    for i in missed[:max_misses]:
        qid = reports[anchor].outcomes[i].query_id
        relevant = run.beir.qrels.get(qid, {})
        gold = [run.beir.corpus.get(doc, {}).get("title", doc) for doc, s in relevant.items() if s > 0]
        out += [f"### {qid} {snippet(run.beir.queries[qid], 200)}",
                "ranks: " + " · ".join(f"{m} {reports[m].outcomes[i].first_relevant_rank or '–'}" for m in modes),
                "gold: " + "、".join(gold)]
        for m in modes:
            top = reports[m].outcomes[i].top
            if top:
                first = top[0]
                out.append(f"- {m} ranked first: {first.get('doc_title', '')} — {snippet(first.get('text', ''), 120)}")
        out.append("")
    return "\n".join(out)


def write_beir_report(run: BeirRun, out_dir: Path, max_misses: int = 100) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = beir_summary(run)
    paths = {"markdown": out_dir / "report.md", "json": out_dir / "report.json", "chart": out_dir / "report.png",
             "misses": out_dir / "misses.md"}
    paths["markdown"].write_text(beir_markdown(summary), encoding="utf-8")
    write_json(summary, paths["json"])
    columns = [c for c in ("R@1", "R@5", "R@10", "R@100", "MRR@10", "nDCG@10", "Hit@10")
               if any(c in m for m in summary["retrieval"].values())]
    write_chart(summary["retrieval"], columns, paths["chart"], f"{summary['dataset']}: retrieval by mode")
    paths["misses"].write_text(beir_misses_markdown(run, max_misses), encoding="utf-8")
    return paths
