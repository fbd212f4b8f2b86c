"""``python -m evaluation crossval``: every fitted fusion rule on held-out folds and in transfer.

Schemes, each scoring a question only with a model that never saw it:
- ``held-out``: the fixed 5 folds; for fold f the rule is fitted on the other four
  folds of *both* sets (the pool) and scores fold f of each set;
- ``STARD→gazette`` / ``gazette→STARD``: fitted on one whole set, scored on the other.
Rules: ``bm25``, ``dense`` and ``rrf`` (k = 5, equal weights) need no fitting;
``rrf-fit`` fits RRF's dense weight, ``linear`` the linear ranker, ``learned`` the
linear ranker with its trees (as shipped). ``--write-model`` fits the learned model
on both whole sets and writes it (the shipped ``indexer/data/fusion.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from evaluation.candidates import LabelledSet, QuestionPool
from evaluation.fusion_fit import (
    HYBRID_RULES,
    fit_dense_weight,
    fit_fusion,
    fit_ranker,
    linear_model,
    ranked_labels,
    rule_scores,
)
from evaluation.metrics import summarize_set
from indexer.retrieval.learned_fusion import FusionModel

RULES = ("bm25", "dense", "rrf", "rrf-fit", "linear", "learned")
FOLDS = range(5)
COLUMNS = ("R@1", "R@5", "R@10", "MRR@10")


@dataclass
class Fitted:
    rule: str
    params: object


def _fit(rule: str, train: Sequence[Sequence[QuestionPool]]) -> Fitted:
    if rule == "rrf-fit":
        return Fitted("rrf", fit_dense_weight(train))
    if rule == "linear":
        return Fitted("learned", linear_model(fit_ranker(train)))
    if rule == "learned":
        return Fitted("learned", fit_fusion(train))
    return Fitted(rule, 1.0 if rule == "rrf" else None)


def _metrics(labelled: LabelledSet, scored: list[tuple[QuestionPool, np.ndarray]], rule: str) -> dict[str, float]:
    flags = [ranked_labels(p, s, rule in HYBRID_RULES) for p, s in scored]
    return summarize_set(labelled.kind, flags, [p.n_relevant for p, _ in scored])


def held_out(sets: Sequence[LabelledSet], rule: str, fit_on: Sequence[LabelledSet] | None = None
             ) -> tuple[dict[str, dict[str, float]], list[object]]:
    """Fold f of every set scored by the rule fitted on the other folds (of ``fit_on``, default the same sets)."""
    scored: dict[str, list] = {s.name: [] for s in sets}
    params = []
    for fold in FOLDS:
        fitted = _fit(rule, [[p for p in s.questions if p.fold != fold] for s in (fit_on or sets)])
        params.append(fitted.params)
        for s in sets:
            scored[s.name] += [(p, rule_scores(p, fitted.rule, fitted.params)) for p in s.questions if p.fold == fold]
    kind = {"rrf-fit": "rrf", "linear": "learned"}.get(rule, rule)
    return {s.name: _metrics(s, scored[s.name], kind) for s in sets}, params


def transfer(source: LabelledSet, target: LabelledSet, rule: str) -> dict[str, float]:
    fitted = _fit(rule, [source.questions])
    return _metrics(target, [(p, rule_scores(p, fitted.rule, fitted.params)) for p in target.questions], fitted.rule)


def run(sets: Sequence[LabelledSet], progress: Callable[[str], None] = lambda _: None,
        plain: Sequence[LabelledSet] | None = None) -> dict:
    """Every rule held out and in transfer. ``plain``: the same sets searched with plain question vectors
    when some of ``sets`` use a query adapter's; adds the learned fusion fitted on those (as shipped)."""
    report: dict = {"held-out": {}, "transfer": {}, "fitted": {}}
    if plain is not None:
        report["held-out"]["learned (fitted without adapter)"] = held_out(sets, "learned", plain)[0]
    for rule in RULES:
        progress(rule)
        metrics, params = held_out(sets, rule)
        report["held-out"][rule] = metrics
        if rule in ("rrf-fit", "linear", "learned"):
            report["fitted"][rule] = [p if rule == "rrf-fit" else [round(float(v), 3) for v in p.vector]
                                      for p in params]
        if len(sets) == 2:
            a, b = sets
            report["transfer"][rule] = {f"{a.name}→{b.name}": transfer(a, b, rule),
                                        f"{b.name}→{a.name}": transfer(b, a, rule)}
    return report


def shipped_model(sets: Sequence[LabelledSet], fold: int | None = None) -> FusionModel:
    """The learned model fitted on every set (on all folds but ``fold``, when given)."""
    model = fit_fusion([[p for p in s.questions if p.fold != fold] for s in sets])
    names = " + ".join(f"{s.name} ({len(s.questions)} questions)" for s in sets)
    held = "" if fold is None else f", fold {fold} held out"
    fitted_on = f"pairwise logistic, then {len(model.trees.trees)} LambdaRank trees, on {names}{held}"
    command = "python -m evaluation crossval --write-model indexer/data/fusion.json"
    return replace(model, fitted_on=fitted_on, notes={"command": command})


def fold_models(sets: Sequence[LabelledSet]) -> dict[int, FusionModel]:
    """Per fold, the learned model fitted on the other folds of every set: what a question of that fold is
    searched with when the answers are calibrated on held-out folds."""
    return {fold: shipped_model(sets, fold) for fold in FOLDS}


FOLD_RULES = ("bm25", "dense", "learned")


def fold_results(sets: Sequence[LabelledSet], fold: int) -> dict:
    """Fold ``fold`` of every set ranked by each rule fitted on the other folds of every set (and, when there
    are two sets, by the learned fusion fitted on the first set alone), per question: its ranked relevance flags
    and relevant count. ``python -m evaluation whole-system`` pools these over folds whose encoders never saw
    them (``summarize_folds``)."""
    out: dict = {"fold": fold, "kinds": {s.name: s.kind for s in sets}, "rankings": {}}

    def rank(name: str, s: LabelledSet, fitted: Fitted) -> None:
        out["rankings"].setdefault(name, {})[s.name] = [
            [ranked_labels(p, rule_scores(p, fitted.rule, fitted.params), fitted.rule in HYBRID_RULES), p.n_relevant]
            for p in s.questions if p.fold == fold]

    for rule in FOLD_RULES:
        fitted = _fit(rule, [[p for p in s.questions if p.fold != fold] for s in sets])
        for s in sets:
            rank(rule, s, fitted)
    if len(sets) == 2:
        fitted = _fit("learned", [sets[0].questions])
        rank(f"learned, fitted on {sets[0].name} only", sets[1], fitted)
    return out


def summarize_folds(results: Sequence[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """Rule → set → metrics over the questions of every fold in ``results`` (``fold_results``' output)."""
    merged: dict[str, dict[str, list]] = {}
    kinds: dict[str, str] = {}
    for result in results:
        kinds.update(result["kinds"])
        for rule, per_set in result["rankings"].items():
            for name, rows in per_set.items():
                merged.setdefault(rule, {}).setdefault(name, []).extend(rows)
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for rule, per_set in merged.items():
        for name, rows in per_set.items():
            flags = [[bool(f) for f in row[0]] for row in rows]
            metrics = summarize_set(kinds[name], flags, [row[1] for row in rows])
            summary.setdefault(rule, {})[name] = {"questions": len(rows), **metrics}
    return summary


def markdown(report: dict) -> str:
    lines = []
    for scheme in ("held-out", "transfer"):
        block = report[scheme]
        if not block:
            continue
        lines.append(f"\n{scheme}:\n")
        lines.append("| set | rule | " + " | ".join(COLUMNS) + " |")
        lines.append("|---|---|" + "---|" * len(COLUMNS))
        by_set: dict[str, list[str]] = {}
        for rule, per_set in block.items():
            for set_name, m in per_set.items():
                cells = " | ".join(f"{m.get(c, float('nan')):.3f}" for c in COLUMNS)
                by_set.setdefault(set_name, []).append(f"| {set_name} | {rule} | {cells} |")
        for rows in by_set.values():
            lines.extend(rows)
    return "\n".join(lines)
