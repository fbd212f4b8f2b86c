"""Boosted regression trees over the fusion features, evaluated with numpy.

The learned fusion's second stage: a small LambdaRank ensemble (fitted by LightGBM in
``evaluation.fusion_fit`` on top of the linear score) adds a correction where the
features interact, e.g. trusting a row's document-level support more when the two
lists disagree. It is stored in ``fusion.json`` as nested nodes one can read
(``{"feature", "threshold", "left", "right"}`` or ``{"value"}``; a row goes left when
its feature is ≤ the threshold, as LightGBM decides for values that are never
missing), so serving needs no LightGBM. Scoring walks every tree at once, one level
per step: a few array lookups for the whole pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TreeEnsemble:
    trees: tuple[dict, ...]  # nested nodes, as stored
    columns: np.ndarray  # per node: the feature column it splits on (-1 for a leaf)
    threshold: np.ndarray
    left: np.ndarray  # per node: the next node when the row's value is ≤ threshold (a leaf: itself)
    right: np.ndarray
    value: np.ndarray  # per node: its leaf value (0 inside the tree)
    roots: np.ndarray
    depth: int

    @classmethod
    def from_nodes(cls, trees: Sequence[Mapping], feature_names: Sequence[str]) -> TreeEnsemble:
        """Flatten stored trees; ``feature_names`` gives each column's name (the rows scored have these columns)."""
        index = {name: i for i, name in enumerate(feature_names)}
        columns: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        value: list[float] = []

        def add(node: Mapping, level: int) -> tuple[int, int]:
            me = len(columns)
            columns.append(-1)
            threshold.append(0.0)
            left.append(me)
            right.append(me)
            value.append(0.0)
            if "value" in node:
                value[me] = float(node["value"])
                return me, level
            name = node["feature"]
            if name not in index:
                raise ValueError(f"fusion trees split on an unknown feature {name!r}")
            columns[me], threshold[me] = index[name], float(node["threshold"])
            left[me], depth_l = add(node["left"], level + 1)
            right[me], depth_r = add(node["right"], level + 1)
            return me, max(depth_l, depth_r)

        roots, depth = [], 0
        for tree in trees:
            root, tree_depth = add(tree, 0)
            roots.append(root)
            depth = max(depth, tree_depth)
        return cls(tuple(dict(t) for t in trees), np.array(columns, dtype=np.int64), np.array(threshold),
                   np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.array(value),
                   np.array(roots, dtype=np.int64), depth)

    @staticmethod
    def lightgbm_nodes(dump: Mapping, feature_names: Sequence[str]) -> list[dict]:
        """The trees of ``Booster.dump_model()`` as stored nodes (trained on columns named ``feature_names``)."""

        def convert(node: Mapping) -> dict:
            if "leaf_value" in node:
                return {"value": float(node["leaf_value"])}
            if node.get("decision_type", "<=") != "<=":
                raise ValueError(f"unsupported split {node.get('decision_type')!r}")
            return {"feature": feature_names[int(node["split_feature"])], "threshold": float(node["threshold"]),
                    "left": convert(node["left_child"]), "right": convert(node["right_child"])}

        return [convert(t["tree_structure"]) for t in dump["tree_info"]]

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The summed leaf values of every tree for each row of ``x`` (rows × the features named at load)."""
        if not len(x) or not len(self.roots):
            return np.zeros(len(x))
        x = np.asarray(x, dtype=np.float64)
        rows = np.arange(len(x))[:, None]
        node = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        for _ in range(self.depth):
            column = self.columns[node]
            goes_left = x[rows, np.maximum(column, 0)] <= self.threshold[node]
            node = np.where(goes_left, self.left[node], self.right[node])
        return self.value[node].sum(axis=1)
