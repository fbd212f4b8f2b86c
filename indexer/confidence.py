"""A calibrated probability that the corpus answers the query.

Two signals from the best hits: the dense cosine of the best passage (how close
in meaning anything is) and the share of the query's BM25 idf mass found in the
best lexical passage (how much of what was asked is literally there). A logistic
model over the two is fit on the dev set's answerable and unanswerable questions
(``python -m evaluation calibrate``); its coefficients live in the settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ConfidenceModel:
    w_dense: float
    w_lexical: float
    bias: float
    threshold: float = 0.5

    def probability(self, dense_top: float, lexical_share: float) -> float:
        z = self.w_dense * dense_top + self.w_lexical * lexical_share + self.bias
        return 1.0 / (1.0 + math.exp(-z))

    def is_confident(self, probability: float) -> bool:
        return probability >= self.threshold
