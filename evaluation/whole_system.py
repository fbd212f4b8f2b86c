"""``python -m evaluation whole-system``: retrieval where neither the encoder nor the fusion saw the question.

``crossval`` holds each fold out from the fusion; the shipped encoder's top layers are fitted on
every labelled question, so there a fold is not held out from the encoder. This command holds it
out from both. For each fold F, each step a subprocess with the fold's ``MODEL_DIR`` and
``TUNED_LAYERS`` (settings are read once per process):

1. ``evaluation encoder --without-fold F --write``: the top layers fitted on the other folds;
2. ``models build``: a model folder with them;
3. ``indexer build``: the gold set's corpus indexed with that model (the BEIR set's index is
   built by step 4);
4. ``evaluation crossval --score-fold F``: fold F ranked by bm25, dense and the learned fusion
   fitted on the other folds (and by the fusion fitted on the gold set alone: the transfer).

The folds' rankings are then pooled into one figure per set and rule. Steps whose output exists
are skipped, so an interrupted run resumes; about 8 minutes a fold on two cores for the gazette
and STARD, most of it embedding STARD's 58,653 articles with the fold's model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluation.crossval import COLUMNS, summarize_folds
from evaluation.runner import RunError


@dataclass(frozen=True)
class Plan:
    gold: Path
    gold_folds: Path
    gold_index: Path  # an index of the gold set's corpus: the encoder fit reads its chunks
    beir: Path
    work: Path
    encoder_cache: Path
    folds: Sequence[int] = range(5)


def _step(command: list[str], env: dict[str, str], what: str) -> None:
    print(f"... {what}", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, "-m", *command], env=env, check=False)
    if done.returncode != 0:
        raise RunError(f"{what} failed (exit {done.returncode}): python -m {' '.join(command)}")


def run_fold(plan: Plan, fold: int) -> dict:
    """Fold ``fold``'s rankings (``crossval.fold_results``), computing whatever is missing."""
    folder = plan.work / f"fold-{fold}"
    result = folder / f"fold-{fold}.json"
    if result.is_file():
        return json.loads(result.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    layers = folder / "top_layers.safetensors"
    base = dict(os.environ)  # the configured encoder, which built --index
    env = {**base, "MODEL_DIR": str(folder / "model"), "TUNED_LAYERS": str(layers)}
    if not layers.is_file():  # fitted with the configured encoder's chunks of the gold corpus
        _step(["evaluation", "encoder", "--gold", str(plan.gold), "--folds", str(plan.gold_folds),
               "--index", str(plan.gold_index), "--beir", str(plan.beir), "--cache", str(plan.encoder_cache),
               "--no-report", "--without-fold", str(fold), "--write", str(layers), "--quiet"], base,
              f"fold {fold}: fitting the encoder's top layers without it")
    _step(["models", "build"], env, f"fold {fold}: building its model folder")
    _step(["indexer", "build", "corpus", "--index", str(folder / "gold-index"), "--if-missing"], env,
          f"fold {fold}: indexing the gold corpus with it")
    _step(["evaluation", "crossval", "--gold", str(plan.gold), "--folds", str(plan.gold_folds),
           "--index", str(folder / "gold-index"), "--beir", str(plan.beir), "--beir-index", str(folder / "beir-index"),
           "--cache", str(folder / "pools"), "--out", str(folder), "--score-fold", str(fold), "--quiet"], env,
          f"fold {fold}: indexing the BEIR set with it and ranking the fold")
    return json.loads(result.read_text())


def run(plan: Plan) -> dict:
    results = [run_fold(plan, fold) for fold in plan.folds]
    return {"folds": sorted(r["fold"] for r in results), "figures": summarize_folds(results)}


def markdown(report: dict) -> str:
    lines = [f"folds: {', '.join(map(str, report['folds']))}; each question ranked by an encoder and a fusion "
             "fitted without its fold\n", "| set | rule | questions | " + " | ".join(COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    for rule, per_set in report["figures"].items():
        for name, m in per_set.items():
            cells = " | ".join(f"{m.get(c, float('nan')):.3f}" for c in COLUMNS)
            lines.append(f"| {name} | {rule} | {m['questions']} | {cells} |")
    return "\n".join(lines)
