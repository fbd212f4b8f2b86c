"""Abstention calibrated on held-out folds, with synthetic unanswerable questions.

Every answerable dev question is asked twice: as it is, and with its gold
document(s) hidden (a retriever over the other documents only, as if those were
never indexed: ``Retriever.subset``) — then the corpus does not answer it, and
the service should say so. The real unanswerable questions are asked as they are.
Each ask records the retrieval confidence probability, whether a metadata route
fired, the composer's verification support (``AnswerComposer.verify``) and the
answer composed with abstention off.

The two thresholds — confidence below ``t_conf`` or support below ``t_support``
→ "not found" — are fitted on four folds (flag as many unanswerable questions,
real and synthetic, as possible while flagging at most ``max_false_flags`` of
the answerable ones) and applied to the fifth; the figures are those held-out
decisions. The cache (``var/crossval/answers-*.pkl``) makes a refit instant.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from evaluation.gold import GoldQuestion
from evaluation.relevance import contains_answer, is_relevant
from service.answer_composer import ComposerWeights
from service.answering import Answerer

CACHE_VERSION = "4"  # bump when what a record holds changes
SUPPORT_GRID = tuple(round(x, 2) for x in np.arange(0.0, 0.81, 0.02))


@dataclass
class AskRecord:
    qid: str
    fold: int
    kind: str  # "answerable", "unanswerable" (real) or "synthetic" (gold documents hidden)
    confidence: float
    routed: bool
    support: float
    correct: bool  # the answer (abstention off) holds the key string
    answer: str
    query: object = None  # the analysed question (vector dropped) and the top hits, to re-verify
    hits: list = field(default_factory=list)


def gold_documents(index, q: GoldQuestion) -> set[str]:
    """Documents holding the question's evidence (or bearing its 文号)."""
    docs = {c.doc_id for c in index.chunks if q.doc and c.doc_number == q.doc}
    docs |= {c.doc_id for c in index.chunks if is_relevant(c.text, q.evidence)}
    return docs


def _ask(index, retriever, answerer: Answerer, q: GoldQuestion, fold: int, kind: str) -> AskRecord:
    query = index.analyzer.analyse(q.question)
    result = retriever.search(query, top_k=5, mode="hybrid")
    composer = answerer.composer(index, ComposerWeights(min_support=0.0))
    answer = composer.compose(query, result.hits, True, result.route_kind)
    correct = bool(q.answer) and contains_answer(answer.answer, q.answer)
    query.vector = None
    return AskRecord(q.id, fold, kind, float(result.confidence), result.route_kind is not None,
                     float(answer.support), correct, answer.answer, query, list(result.hits))


def reverify(records: list[AskRecord], composer) -> list[AskRecord]:
    """The records with support recomputed by ``composer.verify`` (no model, no retrieval)."""
    return [replace(r, support=composer.verify(r.query, r.hits)) for r in records]


def _model_key(model) -> str:
    return "" if model is None else repr(model.weights) + repr(model.trees.trees if model.trees else None)


def _ranking_with(retriever, model):
    """``retriever`` ranking with the fusion ``model`` instead of its own; the index keeps its own."""
    ranker = copy.copy(retriever.ranker)
    ranker.model = model
    view = copy.copy(retriever)
    view.ranker = ranker
    return view


def collect(index, questions: list[GoldQuestion], folds: dict[str, int], settings, cache_dir: Path,
            fusion_by_fold: dict | None = None) -> list[AskRecord]:
    """Every question asked (answerable ones also with their documents hidden). ``fusion_by_fold``: the fusion
    model each fold's questions are searched with (fitted without that fold); else the index's own."""
    ranker = index.retriever.ranker
    models = fusion_by_fold or {}
    used = [_model_key(m) for _, m in sorted(models.items())] or [ranker.fusion, _model_key(ranker.model)]
    key = CACHE_VERSION + index.fingerprint() + "".join(used) + "|".join(f"{q.id}:{q.question}" for q in questions)
    digest = hashlib.sha256(key.encode())
    path = cache_dir / f"answers-{digest.hexdigest()[:16]}.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    answerer = Answerer(settings)
    retrievers = {fold: _ranking_with(index.retriever, model) for fold, model in models.items()}
    records = []
    for q in questions:
        fold = folds[q.id]
        full = retrievers.get(fold, index.retriever)
        records.append(_ask(index, full, answerer, q, fold, "answerable" if q.answerable else "unanswerable"))
        if q.answerable:
            hidden = gold_documents(index, q)
            rows = [i for i, c in enumerate(index.chunks) if c.doc_id not in hidden]
            docs = [d for d in index.documents.values() if d.doc_id not in hidden]
            records.append(_ask(index, full.subset(rows, docs), answerer, q, fold, "synthetic"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(records))
    return records


def flagged(r: AskRecord, t_conf: float, t_support: float) -> bool:
    if r.routed:
        return False  # a routed metadata question is answered from the header or signature
    return r.confidence < t_conf or r.support < t_support


VARIANTS = tuple((u, h) for u in (0.0, 0.25, 0.5, 1.0) for h in (0.0, 0.5, 1.0))  # (unseen_weight, heading_credit)


def variants(records: list[AskRecord], composer_for) -> dict[tuple[float, float], list[AskRecord]]:
    """The records re-verified under each (unseen_weight, heading_credit) of ``VARIANTS``."""
    return {v: reverify(records, composer_for(ComposerWeights(unseen_weight=v[0], heading_credit=v[1])))
            for v in VARIANTS}


def fit_thresholds(train: list[AskRecord], max_false_flags: float) -> tuple[tuple[float, float], tuple]:
    """(t_conf, t_support) flagging the most unanswerable training questions within the false-flag budget."""
    answerable = [r for r in train if r.kind == "answerable"]
    unanswerable = [r for r in train if r.kind != "answerable"]
    levels = sorted({r.confidence for r in train})
    conf_grid = [0.0, *((a + b) / 2 for a, b in pairwise(levels))]
    best, best_key = (0.0, 0.0), (-1.0, 0.0, 0.0)
    for t_conf in conf_grid:
        for t_support in SUPPORT_GRID:
            false = np.mean([flagged(r, t_conf, t_support) for r in answerable]) if answerable else 0.0
            if false > max_false_flags:
                continue
            caught = np.mean([flagged(r, t_conf, t_support) for r in unanswerable]) if unanswerable else 0.0
            key = (float(caught), -float(false), -t_support)
            if key > best_key:
                best, best_key = (float(t_conf), float(t_support)), key
    return best, best_key


def fit(by_variant: dict, fold: int | None, max_false_flags: float) -> dict:
    """The variant and thresholds that do best on every fold but ``fold`` (all folds for None)."""
    best: dict = {}
    for variant, records in by_variant.items():
        train = [r for r in records if r.fold != fold]
        (t_conf, t_support), key = fit_thresholds(train, max_false_flags)
        if not best or key > best["key"]:
            best = {"key": key, "unseen_weight": variant[0], "heading_credit": variant[1],
                    "t_conf": round(t_conf, 4), "t_support": t_support}
    best.pop("key")
    return best


def held_out(by_variant: dict, max_false_flags: float = 0.03) -> dict:
    decisions: list[tuple[AskRecord, bool]] = []
    fitted = []
    for fold in range(5):
        chosen = fit(by_variant, fold, max_false_flags)
        fitted.append(chosen)
        records = by_variant[(chosen["unseen_weight"], chosen["heading_credit"])]
        decisions += [(r, flagged(r, chosen["t_conf"], chosen["t_support"])) for r in records if r.fold == fold]
    return summarize(decisions) | {"fitted": fitted}


def summarize(decisions: list[tuple[AskRecord, bool]]) -> dict:
    def rate(kind: str, value) -> float:
        chosen = [(r, f) for r, f in decisions if r.kind == kind]
        return float(np.mean([value(r, f) for r, f in chosen])) if chosen else float("nan")

    unanswerable = [f for r, f in decisions if r.kind != "answerable"]
    return {
        "key string (answerable)": rate("answerable", lambda r, f: r.correct and not f),
        "answerable flagged": rate("answerable", lambda r, f: f),
        "real unanswerable flagged": rate("unanswerable", lambda r, f: f),
        "synthetic unanswerable flagged": rate("synthetic", lambda r, f: f),
        "unanswerable flagged (real+synthetic)": float(np.mean(unanswerable)) if unanswerable else float("nan"),
    }
