"""Per-question candidate pools with features and labels, cached so refits take seconds.

For every question of a labelled set the index's retriever gives the learned
fusion's pool (``Retriever.pool``: rows and ``fusion_features.FEATURES``), and each
pool row gets its label: for a gold-evidence set, whether the passage is relevant
(``evaluation.relevance``); for a BEIR set, whether its document is in the qrels.
The cache (one pickle per set in ``var/crossval/``) is keyed by the index's corpus
fingerprint, its encoder and dictionary, the feature list and the questions, so it is rebuilt only when one
of them changes.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.gold import BeirSet, GoldQuestion
from evaluation.relevance import is_relevant
from indexer.retrieval.fusion_features import FEATURES, POOL_DEPTH

log = logging.getLogger(__name__)
_ADAPTED = "-adapted"  # cache file suffix of pools searched with a query adapter's vectors


@dataclass
class QuestionPool:
    qid: str
    fold: int
    rows: np.ndarray  # pool rows (chunk rows of the index)
    features: np.ndarray  # rows × FEATURES
    labels: np.ndarray  # bool per pool row
    n_relevant: int  # relevant documents (BEIR) or 1 (gold)
    docs: list[str]  # doc id per pool row
    route_row: int = -1  # the header/signature clause the metadata router sends the question to
    route_label: bool = False


@dataclass
class LabelledSet:
    name: str
    kind: str  # "gold" (chunk relevance, R@k = any hit) or "beir" (document qrels, BEIR recall)
    questions: list[QuestionPool]


def read_folds(path: Path) -> dict[str, int]:
    with open(path, encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        return {row[0]: int(row[1]) for row in reader if len(row) >= 2 and row[1].strip().isdigit()}


def answerable_with_folds(questions: list[GoldQuestion], folds: dict[str, int]) -> list[GoldQuestion]:
    """The answerable questions with evidence, the ones a gold set is scored on; each must have a fold."""
    answerable = [q for q in questions if q.answerable and q.evidence]
    missing = [q.id for q in answerable if q.id not in folds]
    if missing:
        raise ValueError(f"questions without a fold: {missing[:5]}")
    return answerable


def beir_question_ids(beir: BeirSet, folds: dict[str, int]) -> list[str]:
    """The BEIR set's questions that have a fold, in a fixed order (shortest id first)."""
    return [q for q in sorted(beir.queries, key=lambda s: (len(s), s)) if q in folds]


def _cache_key(index, ids: list[str], vectors: Mapping[str, np.ndarray] | None) -> str:
    digest = hashlib.sha256()
    encoder = getattr(getattr(index, "encoder", None), "name", "")  # another model gives other pools
    terms = "\n".join(getattr(index, "user_terms", ()))  # ... and another dictionary (its abbreviations) too
    for part in (index.fingerprint(), encoder, terms, ",".join(FEATURES), str(POOL_DEPTH), "route", "\n".join(ids)):
        digest.update(part.encode())
    if vectors is not None:  # questions searched with given vectors (an adapter's)
        for qid in sorted(vectors):
            digest.update(qid.encode() + np.ascontiguousarray(vectors[qid], dtype=np.float32).tobytes())
    return digest.hexdigest()[:20]


def _pool(index, text: str, vector: np.ndarray | None = None):
    """The pool's rows and features, and the routed row (-1: none), as hybrid search sees them.

    ``vector``: the question's vector to search with instead of the encoder's.
    """
    retriever = index.retriever
    query = index.analyzer.analyse(text)
    if vector is not None:
        query.vector = np.asarray(vector, dtype=np.float32)
    found, stats, route = retriever.candidates(query)
    rows, x = retriever.ranker.pool(query, found, stats)
    return rows, x, (route.row if route is not None else -1)


def _cached(path: Path, key: str, build) -> list[QuestionPool]:
    if path.is_file():
        try:
            stored_key, pools = pickle.loads(path.read_bytes())
            if stored_key == key:
                return pools
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
            pass
    pools = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps((key, pools)))
    return pools


def gold_pools(index, questions: list[GoldQuestion], folds: dict[str, int], cache_dir: Path,
               name: str = "gazette", vectors: Mapping[str, np.ndarray] | None = None) -> LabelledSet:
    answerable = answerable_with_folds(questions, folds)

    def build() -> list[QuestionPool]:
        pools = []
        for q in answerable:
            rows, x, route = _pool(index, q.question, vectors.get(q.id) if vectors else None)
            labels = np.array([is_relevant(index.chunks[r].text, q.evidence) for r in rows], dtype=bool)
            routed = route >= 0 and is_relevant(index.chunks[route].text, q.evidence)
            pools.append(QuestionPool(q.id, folds[q.id], np.asarray(rows), x, labels, 1,
                                      [index.chunks[r].doc_id for r in rows], route, routed))
        return pools

    key = _cache_key(index, [f"{q.id}:{q.question}" for q in answerable], vectors)
    return LabelledSet(name, "gold", _cached(cache_dir / f"{name}{_ADAPTED if vectors else ''}.pkl", key, build))


def beir_pools(index, beir: BeirSet, folds: dict[str, int], cache_dir: Path, name: str = "stard",
               show_progress: bool = False, vectors: Mapping[str, np.ndarray] | None = None) -> LabelledSet:
    qids = beir_question_ids(beir, folds)

    def build() -> list[QuestionPool]:
        iterator = qids
        if show_progress:
            from tqdm import tqdm

            iterator = tqdm(qids, desc=f"pools ({name})", unit="q")
        pools = []
        for qid in iterator:
            rows, x, route = _pool(index, beir.queries[qid], vectors.get(qid) if vectors else None)
            relevant = {d for d, s in beir.qrels.get(qid, {}).items() if s > 0}
            docs = [index.chunks[r].doc_id for r in rows]
            routed = route >= 0 and index.chunks[route].doc_id in relevant
            pools.append(QuestionPool(qid, folds[qid], np.asarray(rows), x,
                                      np.array([d in relevant for d in docs], dtype=bool), len(relevant), docs,
                                      route, routed))
        return pools

    key = _cache_key(index, [f"{q}:{beir.queries[q]}" for q in qids], vectors)
    return LabelledSet(name, "beir", _cached(cache_dir / f"{name}{_ADAPTED if vectors else ''}.pkl", key, build))
