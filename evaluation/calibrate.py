"""Fit the confidence model on a gold set's answerable and unanswerable questions.

Logistic regression (Newton's method with a small L2 penalty, classes weighted
to count equally) over the features of ``indexer.retrieval.confidence``. The threshold is
chosen on leave-one-out probabilities (each question scored by a model that
never saw it), to flag as many unanswerable questions as possible while
flagging at most ``max_false_flags`` of the answerable ones; the reported rates
are those leave-one-out rates, an honest estimate for unseen questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.gold import GoldQuestion
from indexer.retrieval.confidence import FEATURES, ConfidenceModel


@dataclass
class Calibration:
    model: ConfidenceModel
    unanswerable_flagged: float
    answerable_flagged: float


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 50) -> tuple[np.ndarray, float]:
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    sample_w = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1)) * n
    w = np.zeros(d + 1)
    penalty = np.eye(d + 1) * l2
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (sample_w * (p - y)) + penalty @ w
        hess = (xb * (sample_w * p * (1 - p))[:, None]).T @ xb + penalty + 1e-9 * np.eye(d + 1)
        w -= np.linalg.solve(hess, grad)
    return w[:-1], float(w[-1])


def calibrate(index, questions: list[GoldQuestion], max_false_flags: float = 0.09) -> Calibration:
    rows, labels = [], []
    for q in questions:
        result = index.search(q.question, top_k=5, mode="hybrid")
        rows.append(result.features.vector())
        labels.append(1.0 if q.answerable else 0.0)
    x, y = np.asarray(rows), np.asarray(labels)
    weights, bias = fit_logistic(x, y)
    model = ConfidenceModel(dict(zip(FEATURES, map(float, weights), strict=True)), bias)
    probs = np.empty(len(y))
    for i in range(len(y)):
        w_i, b_i = fit_logistic(np.delete(x, i, axis=0), np.delete(y, i))
        probs[i] = 1.0 / (1.0 + np.exp(-np.clip(x[i] @ w_i + b_i, -50, 50)))
    best = (-1.0, 0.5)
    levels = np.unique(probs)
    # candidate thresholds sit midway between neighbouring probabilities, away from both
    for threshold in (levels[:-1] + levels[1:]) / 2:
        flagged = probs < threshold
        false_flags = flagged[y == 1].mean() if (y == 1).any() else 0.0
        caught = flagged[y == 0].mean() if (y == 0).any() else 0.0
        if false_flags <= max_false_flags and caught > best[0]:
            best = (caught, float(threshold))
    model = model.with_threshold(best[1])
    flagged = probs < model.threshold
    return Calibration(model, float(flagged[y == 0].mean()), float(flagged[y == 1].mean()))


def write_model(calibration: Calibration, path: Path) -> None:
    calibration.model.save(path)
