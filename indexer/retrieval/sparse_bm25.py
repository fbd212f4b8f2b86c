"""Okapi BM25 as sparse vectors, for an index that can only take inner products (Milvus).

BM25(q, d) = Σ_t idf(t)·count_q(t) · sat(tf_d(t), |d|). The document side ``sat`` goes
into the stored vector, the query side ``idf·count`` into the query vector, so their
inner product is the score ``BM25Index`` computes — with two differences, stated here:

- ``sat`` needs the mean document length; a stored vector keeps the mean of the
  index it was written into (``avgdl``, fixed at build, kept by incremental updates);
  a rebuild re-normalizes every vector. On a fresh build the scores are identical.
- terms become dimensions through a hash into Milvus's 2³² − 1 dimensions; two terms
  that collide share one (expected colliding pairs: 0.01 among 10⁴ terms, ~100 among 10⁶).

idf is exact: document frequencies per term live in a table, and the floor for
negative idf (epsilon × the mean idf over the vocabulary, as rank_bm25) is computed
from a histogram of document frequencies, which a write can keep up to date.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np

from indexer.retrieval.bm25_index import BM25Params, raw_idf, saturation

MAX_DIM = 2**32 - 1  # Milvus accepts dimensions 0 … 2³² − 2
DEFAULT_PARAMS = BM25Params()


@lru_cache(maxsize=200_000)
def term_dim(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little") % MAX_DIM


def doc_vector(tokens: Sequence[str], avgdl: float, params: BM25Params = DEFAULT_PARAMS) -> dict[int, float]:
    """The stored side: saturated term frequencies of one chunk."""
    counts = Counter(tokens)
    if not counts:
        return {}
    tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    weights = saturation(tf, float(len(tokens)), avgdl, params)
    vector: dict[int, float] = {}
    for term, weight in zip(counts, weights.tolist(), strict=True):
        dim = term_dim(term)
        vector[dim] = vector.get(dim, 0.0) + weight
    return vector


def query_vector(tokens: Sequence[str], idf: Mapping[str, float]) -> dict[int, float]:
    """The query side: idf × count of the query's indexed terms (a repeated term counts again)."""
    vector: dict[int, float] = {}
    for term, count in Counter(t for t in tokens if t in idf).items():
        weight = idf[term] * count
        if weight > 0:
            dim = term_dim(term)
            vector[dim] = vector.get(dim, 0.0) + weight
    return vector


def score(query: Mapping[int, float], doc: Mapping[int, float]) -> float:
    return float(sum(w * doc[d] for d, w in query.items() if d in doc))


def mean_idf(df_histogram: Mapping[int, int], n_docs: int) -> float:
    """Mean raw idf over the vocabulary, from {document frequency: number of terms}."""
    dfs = np.fromiter((int(df) for df in df_histogram), dtype=np.int64)
    counts = np.fromiter((int(c) for c in df_histogram.values()), dtype=np.float64)
    keep = (dfs > 0) & (counts > 0)
    if not keep.any():
        return 0.0
    return float((raw_idf(n_docs, dfs[keep]) * counts[keep]).sum() / counts[keep].sum())


def floored_idf(
    df: Mapping[str, int], n_docs: int, mean: float, params: BM25Params = DEFAULT_PARAMS
) -> dict[str, float]:
    """idf of terms with known document frequencies, as ``bm25_index.okapi_idf`` (terms with df 0 left out)."""
    terms = [t for t, d in df.items() if d > 0]
    if not terms:
        return {}
    values = raw_idf(n_docs, np.fromiter((df[t] for t in terms), dtype=np.int64, count=len(terms)))
    values[values < 0] = params.epsilon * mean
    return dict(zip(terms, values.astype(np.float32).tolist(), strict=True))


def update_histogram(histogram: dict[int, int], changes: Iterable[tuple[int, int]]) -> None:
    """Apply (old df, new df) changes of some terms to {df: number of terms} in place."""
    for old, new in changes:
        if old == new:
            continue
        if old > 0:
            histogram[old] -= 1
            if histogram[old] == 0:
                del histogram[old]
        if new > 0:
            histogram[new] = histogram.get(new, 0) + 1
