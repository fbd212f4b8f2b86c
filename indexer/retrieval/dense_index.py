"""Dense vectors in faiss: exact inner product by default, HNSW for large corpora.

Vectors are L2-normalized, so inner product is cosine. The raw matrix is kept
(``vectors.npy``) as the source of truth; the faiss structure is derived from it,
which makes removal simple (rebuild from the kept rows) and lets a damaged faiss
file be detected against the matrix on load.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

HNSW_M = 48
HNSW_EF_CONSTRUCTION = 300
HNSW_EF_SEARCH = 1024


class DenseIndex:
    def __init__(self, vectors: np.ndarray, hnsw_threshold: int, faiss_index: faiss.Index | None = None) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.hnsw_threshold = hnsw_threshold
        self.index = faiss_index if faiss_index is not None else self._make_index(self.vectors)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def n_vectors(self) -> int:
        return self.vectors.shape[0]

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSWFlat) else "flat"

    def _make_index(self, vectors: np.ndarray) -> faiss.Index:
        if len(vectors) >= self.hnsw_threshold:
            index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return index

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.vectors = np.vstack([self.vectors, vectors])
        crosses_threshold = self.kind == "flat" and self.n_vectors >= self.hnsw_threshold
        if crosses_threshold:
            self.index = self._make_index(self.vectors)
        elif len(vectors):
            self.index.add(vectors)

    def remove(self, rows: np.ndarray) -> None:
        keep = np.ones(self.n_vectors, dtype=bool)
        keep[np.asarray(rows, dtype=np.int64)] = False
        self.vectors = self.vectors[keep]
        self.index = self._make_index(self.vectors)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) for one query vector; rows are -1-free."""
        k = min(k, self.n_vectors)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, rows = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        valid = rows[0] >= 0
        return scores[0][valid], rows[0][valid]

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """Exact cosine to every vector (used when a filter narrows the candidates)."""
        return self.vectors @ query.astype(np.float32).ravel()

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "vectors.npy", self.vectors)
        faiss.write_index(self.index, str(folder / "faiss.index"))

    @classmethod
    def load(cls, folder: Path, hnsw_threshold: int) -> DenseIndex:
        vectors = np.load(folder / "vectors.npy")
        index = faiss.read_index(str(folder / "faiss.index"))
        if index.ntotal != len(vectors) or index.d != vectors.shape[1]:
            raise ValueError(f"{folder}: faiss index ({index.ntotal}×{index.d}) does not match vectors {vectors.shape}")
        return cls(vectors, hnsw_threshold, index)
