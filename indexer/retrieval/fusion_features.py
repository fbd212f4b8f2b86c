"""Corpus-independent features of the fusion candidates (the pool the learned fusion ranks).

The pool is the union of the top ``depth`` rows of the BM25 list and of the dense
list. Every feature is a ratio, a reciprocal rank or a normalized score, so a
model fitted on one corpus means the same on another:

- per list: BM25 score over the best BM25 score, cosine minus the best cosine,
  reciprocal ranks, weighted RRF (k = 5), whether both lists hold the row;
- text: the idf-weighted share of the question's terms the passage text holds, the
  share found in its title and clause path, the share of the question's
  character bigrams it holds and the longest run of them (phrase credit), whether
  it carries the asked-for kind of fact (a number for 多少, a date, a department);
- question-level, crossed with the reciprocal ranks so a linear model can shift
  trust between the lists per question: BM25 margin between first and second,
  dense margin, agreement of the two top fives, how specific (high-idf) the
  question's terms are, and how long the question is;
- document-level: how strongly the pool's other rows of the same document back the
  row (their best RRF over the pool's best, and how many there are). A document is
  the first element of the heading path: the title of a gazette document, the law
  of a statute article indexed as a document of its own;
- heading: the cosine of the question to the chunk's heading vector (its title and
  clause path read in its run, ``passage_vectors``) minus the pool's best. The
  passage's own vector mixes a long title repeated across a document into every
  clause; this lets the fit weigh the context apart.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from indexer.records import Chunk, Intent, Query
from indexer.text.normal_form import to_index_form
from indexer.text.question_intent import carries

FEATURES = (
    "bm25_rel", "bm25_rr", "dense_gap", "dense_rr", "rrf", "both",
    "coverage", "head_coverage", "bigram_coverage", "phrase", "carry",
    "bm25_rr_x_margin", "dense_rr_x_margin", "bm25_rr_x_specific", "dense_rr_x_long",
    "bm25_rr_x_long", "bm25_rr_x_agree", "dense_rr_x_agree",
    "group_rrf", "group_rows", "heading_gap",
)
POOL_DEPTH = 30
RRF_K = 5
LONG_QUESTION_CHARS = 60
GROUP_ROWS_FULL = 5  # other rows of the same document in the pool at which ``group_rows`` reaches 1
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_FACT_INTENTS = (Intent.NUMBER, Intent.DATE, Intent.DEPARTMENT)


class ChunkText:
    """Normalized text, heading line and fact carrying of chunks, computed on first use and kept."""

    def __init__(self, chunk: Callable[[int], Chunk]) -> None:
        self.chunk = chunk
        self._body: dict[int, str] = {}
        self._head: dict[int, str] = {}
        self._carries: dict[tuple[int, Intent], bool] = {}
        self._group: dict[int, str] = {}

    def body(self, row: int) -> str:
        text = self._body.get(row)
        if text is None:
            text = self._body[row] = to_index_form(self.chunk(row).text)
        return text

    def carries(self, row: int, intent: Intent) -> bool:
        key = (row, intent)
        value = self._carries.get(key)
        if value is None:
            value = self._carries[key] = carries(intent, self.chunk(row).text)
        return value

    def head(self, row: int) -> str:
        text = self._head.get(row)
        if text is None:
            c = self.chunk(row)
            text = self._head[row] = to_index_form(" ".join([c.doc_title, *c.heading_path]))
        return text


    def group(self, row: int) -> str:
        """The document the row belongs to for the document-level features (see the module docstring)."""
        key = self._group.get(row)
        if key is None:
            c = self.chunk(row)
            key = self._group[row] = c.heading_path[0] if c.heading_path and c.heading_path[0] else c.doc_id
        return key


def _ranks(ranked: Sequence[int]) -> dict[int, int]:
    return {row: i for i, row in enumerate(ranked, start=1)}


def _term_coverage(terms: list[str], weights: np.ndarray, total: float, texts: list[str]) -> np.ndarray:
    """Per text, the idf-weighted share (of ``total``) of the query terms it contains."""
    covered = np.zeros(len(texts), dtype=np.float32)
    for term, weight in zip(terms, weights, strict=True):
        covered += weight * np.fromiter((term in t for t in texts), dtype=np.float32, count=len(texts))
    return covered / total


def _group_support(groups: list[str], rrf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the best RRF among the *other* rows of its group over the pool's best (0 when alone), and
    how many other rows its group has, as a share of ``GROUP_ROWS_FULL``."""
    top: dict[str, list[float]] = {}  # group -> its two best RRF values
    for group, value in zip(groups, rrf.tolist(), strict=True):
        best = top.setdefault(group, [0.0, 0.0])
        if value > best[0]:
            best[:] = [value, best[0]]
        elif value > best[1]:
            best[1] = value
    counts = Counter(groups)
    peak = float(rrf.max()) if len(rrf) else 0.0
    other = np.array([top[g][1] if v == top[g][0] else top[g][0] for g, v in zip(groups, rrf.tolist(), strict=True)],
                     dtype=np.float32)
    rows = np.array([min(1.0, (counts[g] - 1) / GROUP_ROWS_FULL) for g in groups], dtype=np.float32)
    return (other / peak if peak > 0 else other), rows


def _bigrams(norm: str) -> list[list[str]]:
    """Character bigrams of each Han run of the question, in order."""
    return [[run[i : i + 2] for i in range(len(run) - 1)] for run in _HAN_RUN.findall(norm)]


def pool_features(
    query: Query,
    bm25_ranked: Sequence[int],
    bm25_score: Callable[[int], float],
    dense_ranked: Sequence[int],
    dense_score: Callable[[int], float],
    heading_score: Callable[[int], float],
    idf: Mapping[str, float],
    n_docs: int,
    texts: ChunkText,
    depth: int = POOL_DEPTH,
) -> tuple[list[int], np.ndarray]:
    """The pool's keys (BM25 order first, then dense) and their feature matrix (keys × FEATURES).

    ``idf`` holds the question's terms the corpus knows; a term it never uses weighs as its rarest.
    """
    rows = list(dict.fromkeys([*bm25_ranked[:depth], *dense_ranked[:depth]]))
    if not rows:
        return [], np.zeros((0, len(FEATURES)), dtype=np.float32)
    b_rank, d_rank = _ranks(bm25_ranked), _ranks(dense_ranked)
    n = len(rows)
    b_top = float(bm25_score(bm25_ranked[0])) if bm25_ranked else 0.0
    b_second = float(bm25_score(bm25_ranked[1])) if len(bm25_ranked) > 1 else 0.0
    cos = np.array([dense_score(r) for r in rows], dtype=np.float32)
    d_top = float(dense_score(dense_ranked[0])) if dense_ranked else float(cos.max())
    d_second = float(dense_score(dense_ranked[1])) if len(dense_ranked) > 1 else d_top

    b_rr = np.array([1.0 / b_rank[r] if r in b_rank else 0.0 for r in rows], dtype=np.float32)
    d_rr = np.array([1.0 / d_rank[r] if r in d_rank else 0.0 for r in rows], dtype=np.float32)
    rrf = np.array([(1.0 / (RRF_K + b_rank[r]) if r in b_rank else 0.0)
                    + (1.0 / (RRF_K + d_rank[r]) if r in d_rank else 0.0) for r in rows], dtype=np.float32)
    b_rel = (np.array([bm25_score(r) for r in rows], dtype=np.float32) / b_top) if b_top > 0 \
        else np.zeros(n, np.float32)

    terms = list(dict.fromkeys(query.tokens))
    rarest = math.log(n_docs + 0.5) - math.log(0.5) if n_docs else 1.0
    weights = np.array([float(idf[t]) if t in idf else rarest for t in terms], dtype=np.float32)
    total = float(weights.sum())
    coverage = _term_coverage(terms, weights, total, [texts.body(r) for r in rows]) if total > 0 \
        else np.zeros(n, dtype=np.float32)
    head_cov = _term_coverage(terms, weights, total, [texts.head(r) for r in rows]) if total > 0 \
        else np.zeros(n, dtype=np.float32)

    runs = _bigrams(query.norm)
    n_bigrams = sum(len(run) for run in runs)
    bigram_cov = np.zeros(n, dtype=np.float32)
    phrase = np.zeros(n, dtype=np.float32)
    if n_bigrams:
        for j, row in enumerate(rows):
            body = texts.body(row)
            hits = longest = 0
            for run in runs:
                streak = 0
                for gram in run:
                    if gram in body:
                        hits += 1
                        streak += 1
                        if streak > longest:
                            longest = streak
                    else:
                        streak = 0
            bigram_cov[j] = hits / n_bigrams
            phrase[j] = min(longest, 6) / 6.0
    fact = query.intent in _FACT_INTENTS
    carry = np.array([texts.carries(r, query.intent) for r in rows] if fact else np.zeros(n), dtype=np.float32)

    b_margin = (b_top - b_second) / b_top if b_top > 0 else 0.0
    d_margin = min(1.0, max(0.0, (d_top - d_second) * 20.0))
    agree = len(set(bm25_ranked[:5]) & set(dense_ranked[:5])) / 5.0
    known_w = np.array([float(idf[t]) for t in terms if t in idf], dtype=np.float32)
    specific = float(known_w.mean() / rarest) if len(known_w) and rarest > 0 else 0.0
    long_q = min(1.0, len(query.norm) / LONG_QUESTION_CHARS)
    both = ((b_rr > 0) & (d_rr > 0)).astype(np.float32)
    group_rrf, group_rows = _group_support([texts.group(r) for r in rows], rrf)
    heading = np.array([heading_score(r) for r in rows], dtype=np.float32)

    columns = [
        b_rel, b_rr, cos - d_top, d_rr, rrf, both,
        coverage, head_cov, bigram_cov, phrase, carry,
        b_rr * b_margin, d_rr * d_margin, b_rr * specific, d_rr * long_q,
        b_rr * long_q, b_rr * agree, d_rr * agree,
        group_rrf, group_rows, heading - heading.max(),
    ]
    return rows, np.stack(columns, axis=1).astype(np.float32)
