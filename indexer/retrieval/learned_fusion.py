"""Learned fusion: a linear ranker over the candidate pool's features, with boosted trees on top.

The model is a weight per feature of ``fusion_features.FEATURES`` (pairwise logistic
loss on the pooled training sets) and, optionally, a small LambdaRank tree ensemble
fitted on top of the linear score (``indexer.retrieval.tree_ensemble``); both are
fitted by ``python -m evaluation crossval --write-model`` and stored readable in
``indexer/data/fusion.json``. A pool row's fused score is ``1 + sigmoid(w · x + trees(x))``,
so the pool, ordered by the model, comes before the rows outside it, which keep
their RRF order (scores below 1). Scoring: one small matrix-vector product and one
walk down all trees at once, well under a millisecond for a pool.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from indexer.retrieval.fusion_features import FEATURES
from indexer.retrieval.tree_ensemble import TreeEnsemble
from indexer.text.data_files import data_text


@dataclass(frozen=True)
class FusionModel:
    weights: dict[str, float]
    fitted_on: str = ""
    notes: dict[str, object] = field(default_factory=dict)
    trees: TreeEnsemble | None = None

    def __post_init__(self) -> None:
        missing = [f for f in FEATURES if f not in self.weights]
        if missing:
            raise ValueError(f"fusion model lacks weights for {missing}")

    @cached_property
    def vector(self) -> np.ndarray:
        """The weights in ``FEATURES`` order (built once: every search scores with it)."""
        return np.array([self.weights[f] for f in FEATURES], dtype=np.float32)

    def scores(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0, dtype=np.float32)
        linear = features @ self.vector
        return linear if self.trees is None else linear + self.trees.scores(features)

    def fuse(self, rows: Sequence[int], features: np.ndarray, rest: dict[int, float]) -> dict[int, float]:
        """Pool rows scored 1 + sigmoid(w·x); other rows keep ``rest`` scores (RRF, below 1)."""
        fused = dict(rest)
        z = np.clip(self.scores(features), -50, 50)
        for row, value in zip(rows, 1.0 + 1.0 / (1.0 + np.exp(-z)), strict=True):
            fused[row] = float(value)
        return fused

    def save(self, path: Path) -> None:
        data = {"features": list(FEATURES), "weights": {f: round(self.weights[f], 6) for f in FEATURES},
                "fitted_on": self.fitted_on, "notes": self.notes}
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if self.trees is not None:  # one tree per line: ~100 short lines instead of thousands
            lines = ",\n    ".join(json.dumps(t, ensure_ascii=False) for t in self.trees.trees)
            text = text[: text.rindex("}")].rstrip() + f',\n  "trees": [\n    {lines}\n  ]\n}}'
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> FusionModel:
        """The model in ``path`` (FUSION_MODEL; default the shipped one). A file that is not one raises
        ``ValueError`` naming it and what is wrong, which the service reports on /readyz."""
        text = data_text("fusion.json", path)
        try:
            data = json.loads(text)
            trees = TreeEnsemble.from_nodes(data["trees"], FEATURES) if data.get("trees") else None
            return cls({k: float(v) for k, v in data["weights"].items()}, str(data.get("fitted_on", "")),
                       dict(data.get("notes", {})), trees)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{path or 'the shipped fusion.json'}: not a usable fusion model ({detail})") from None
