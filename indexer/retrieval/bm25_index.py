"""Okapi BM25 with rank_bm25's exact formula, scored through a sparse matrix.

rank_bm25 loops over every document in Python for each query term; at 100k
chunks that is far too slow. Here the per-(document, term) saturation weights
are precomputed into a CSC matrix, so a query is a column slice and one sparse
matrix-vector product. The idf follows ``rank_bm25.BM25Okapi`` exactly
(including its floor for negative idf: epsilon × mean idf), so scores are equal.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


class BM25Index:
    """Rows are documents (chunks) in insertion order; columns are vocabulary terms."""

    def __init__(self, vocab: list[str], tf: sparse.csr_matrix, params: BM25Params = BM25Params()) -> None:
        self.params = params
        self.vocab = list(vocab)
        self.term_ids = {t: i for i, t in enumerate(self.vocab)}
        self.tf = tf.tocsr().astype(np.float32)
        self._refresh()

    @classmethod
    def build(cls, corpus_tokens: Sequence[Sequence[str]], params: BM25Params = BM25Params()) -> BM25Index:
        index = cls([], sparse.csr_matrix((0, 0), dtype=np.float32), params)
        index.add(corpus_tokens)
        return index

    @property
    def n_docs(self) -> int:
        return self.tf.shape[0]

    def add(self, corpus_tokens: Sequence[Sequence[str]]) -> None:
        rows, cols, vals = [], [], []
        for row, tokens in enumerate(corpus_tokens):
            for term, count in Counter(tokens).items():
                col = self.term_ids.get(term)
                if col is None:
                    col = self.term_ids[term] = len(self.vocab)
                    self.vocab.append(term)
                rows.append(row)
                cols.append(col)
                vals.append(count)
        new = sparse.csr_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(corpus_tokens), len(self.vocab))
        )
        old = self.tf
        old.resize((old.shape[0], len(self.vocab)))
        self.tf = sparse.vstack([old, new], format="csr")
        self._refresh()

    def remove(self, rows: Sequence[int]) -> None:
        keep = np.ones(self.n_docs, dtype=bool)
        keep[np.asarray(rows, dtype=np.int64)] = False
        self.tf = self.tf[keep]
        self._refresh()

    def _refresh(self) -> None:
        p = self.params
        n = self.n_docs
        self.doc_len = np.asarray(self.tf.sum(axis=1)).ravel()
        avgdl = float(self.doc_len.mean()) if n else 0.0
        self.df = np.asarray((self.tf > 0).sum(axis=0)).ravel() if n else np.zeros(len(self.vocab), dtype=np.int64)
        self.idf = okapi_idf(n, self.df, p.epsilon)
        weights = self.tf.tocoo()
        data = saturation(weights.data, self.doc_len[weights.row], avgdl, p) if weights.nnz else weights.data
        self._weights = sparse.csc_matrix((data.astype(np.float32), (weights.row, weights.col)), shape=self.tf.shape)

    def idf_of(self, terms: Iterable[str]) -> dict[str, float]:
        """idf of the given terms that occur in the index (terms of removed chunks only are left out)."""
        ids = self.term_ids
        return {t: float(self.idf[ids[t]]) for t in terms if t in ids and self.df[ids[t]] > 0}

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query (repeated terms count again, as in rank_bm25)."""
        counts = Counter(t for t in query_tokens if t in self.term_ids)
        if not counts or not self.n_docs:
            return np.zeros(self.n_docs, dtype=np.float32)
        cols = np.fromiter((self.term_ids[t] for t in counts), dtype=np.int64)
        qweights = self.idf[cols] * np.fromiter(counts.values(), dtype=np.float32)
        return np.asarray(self._weights[:, cols] @ qweights).ravel()

    def terms_of(self, rows: Sequence[int]) -> set[str]:
        """The indexed terms of some documents (read from the matrix, no re-tokenizing)."""
        terms: set[str] = set()
        for row in rows:
            start, end = self.tf.indptr[row], self.tf.indptr[row + 1]
            terms.update(self.vocab[col] for col in self.tf.indices[start:end])
        return terms

    @property
    def nbytes(self) -> int:
        return sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in (self.tf, self._weights))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(folder / "tf.npz", self.tf)
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False))
        (folder / "params.json").write_text(json.dumps(asdict(self.params)))

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        params = BM25Params(**json.loads((folder / "params.json").read_text()))
        vocab = json.loads((folder / "vocab.json").read_text())
        tf = sparse.load_npz(folder / "tf.npz").tocsr()
        if tf.shape[1] != len(vocab):
            raise ValueError(f"{folder}: term matrix has {tf.shape[1]} columns for {len(vocab)} terms")
        return cls(vocab, tf, params)


def raw_idf(n_docs: int, df: np.ndarray) -> np.ndarray:
    """rank_bm25's idf before the floor: log(N − df + ½) − log(df + ½)."""
    df = np.asarray(df, dtype=np.float64)
    return np.log(n_docs - df + 0.5) - np.log(df + 0.5)


def okapi_idf(n_docs: int, df: np.ndarray, epsilon: float) -> np.ndarray:
    """idf per term as ``rank_bm25.BM25Okapi``: a negative idf becomes epsilon × the mean idf; absent terms 0."""
    idf = raw_idf(n_docs, df)
    present = np.asarray(df) > 0
    if present.any():
        idf[present & (idf < 0)] = epsilon * float(idf[present].mean())
    idf[~present] = 0.0
    return idf.astype(np.float32)


def saturation(tf: np.ndarray, doc_len: np.ndarray, avgdl: float, p: BM25Params) -> np.ndarray:
    """The document side of Okapi BM25: tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))."""
    return tf * (p.k1 + 1) / (tf + p.k1 * (1 - p.b + p.b * doc_len / avgdl))
