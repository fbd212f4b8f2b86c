"""A query-side linear adapter: e5's question vectors moved toward one corpus's passages.

The passages keep the vectors the model gives them (an index needs no rebuild);
a question's vector ``q`` becomes ``normalize(q + q W)``, with ``W`` fitted on that
corpus's labelled questions (``python -m evaluation adapter``). The map is
residual and L2-regularized, so ``W = 0`` is the plain model. It is corpus-specific:
on the held-out folds of the set it was fitted on it lifts dense retrieval a
lot, on another corpus it loses (README, "Query adapter"), so it is off unless
``QUERY_ADAPTER`` names a file.

The file is a NumPy ``.npz`` holding ``W`` (dim × dim, float32) and ``meta`` (JSON:
what it was fitted on, with which command and parameters).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.manifest import ModelFolderError


class QueryAdapterError(ModelFolderError):
    """The adapter file is missing, unreadable or does not fit the encoder (handled as a model error)."""


@dataclass(frozen=True)
class QueryAdapter:
    weights: np.ndarray  # dim × dim residual map
    meta: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.weights.shape[0])

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """The adapted unit vectors of ``vectors`` (rows are unit question vectors)."""
        moved = vectors + vectors @ self.weights
        norms = np.linalg.norm(moved, axis=1, keepdims=True)
        return (moved / np.maximum(norms, 1e-12)).astype(np.float32)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, W=self.weights.astype(np.float32),
                                meta=np.array(json.dumps(self.meta, ensure_ascii=False)))

    @classmethod
    def load(cls, path: Path, dim: int | None = None) -> QueryAdapter:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = np.asarray(data["W"], dtype=np.float32)
                meta = json.loads(str(data["meta"])) if "meta" in data else {}
        except FileNotFoundError:
            raise QueryAdapterError(f"{path}: no such file (QUERY_ADAPTER)") from None
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise QueryAdapterError(f"{path}: not a query adapter file ({exc})") from None
        if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
            raise QueryAdapterError(f"{path}: W must be a square matrix, found shape {weights.shape}")
        if dim is not None and weights.shape[0] != dim:
            raise QueryAdapterError(f"{path}: fitted for {weights.shape[0]}-dim vectors, the encoder gives {dim}")
        if not np.isfinite(weights).all():
            raise QueryAdapterError(f"{path}: W holds non-finite values")
        return cls(weights, meta)
