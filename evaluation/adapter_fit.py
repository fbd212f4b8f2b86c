"""Fitting the query adapter (``models.query_adapter``) on a labelled set, and judging it held out.

A set's training examples are its questions' plain e5 vectors, the vectors of
their gold passages, and hard negatives: the passages plain dense search ranks
highest for the question (``NEGATIVES`` rows). The loss is the contrastive one
e5 was trained with (softmax over positives and negatives at temperature
``tau``, every positive counted), plus ``lam`` × ‖W‖²; full-batch Adam from W = 0.

``out_of_fold`` gives every question the vector of an adapter fitted on the
other folds only, which is what held-out figures (here and in ``crossval
--adapter``) are computed from; ``dense_figures`` scores plain dense retrieval
over the whole corpus with given question vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.candidates import answerable_with_folds, beir_question_ids
from evaluation.metrics import summarize_set
from models.query_adapter import QueryAdapter

NEGATIVES = 255
FOLDS = range(5)


@dataclass(frozen=True)
class AdapterParams:
    tau: float = 0.05
    lam: float = 1e-3
    steps: int = 100
    lr: float = 1e-3
    seed: int = 0


@dataclass
class AdapterSet:
    """One labelled set as the adapter sees it."""

    name: str
    kind: str  # "gold" (a passage is relevant) or "beir" (its document is in the qrels)
    qids: list[str]
    queries: np.ndarray  # questions × dim, plain e5 question vectors
    passages: np.ndarray  # corpus rows × dim, the index's dense vectors
    gold: list[list[int]]  # relevant rows per question
    folds: np.ndarray  # fold per question
    docs: list[str]  # document of each corpus row (BEIR figures count documents)
    n_relevant: list[int]  # relevant documents per question (BEIR), else 1
    encoder: str = ""  # the encoder whose vectors these are (recorded in a written adapter)

    def rows(self, folds: Sequence[int]) -> list[int]:
        return [i for i, f in enumerate(self.folds) if f in set(folds)]


def _training_rows(data: AdapterSet, questions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per question: its gold rows first, then the hardest plain-dense negatives; and the positive mask."""
    k = min(NEGATIVES + 1, len(data.passages))
    rows = np.zeros((len(questions), k), dtype=np.int64)
    positive = np.zeros((len(questions), k), dtype=bool)
    scores = data.queries[list(questions)] @ data.passages.T
    for i, q in enumerate(questions):
        gold = list(dict.fromkeys(data.gold[q]))[: k // 2]
        top = np.argpartition(-scores[i], k - 1)[:k]
        top = top[np.argsort(-scores[i][top])]
        taken = set(gold)
        chosen = gold + [int(r) for r in top if r not in taken][: k - len(gold)]
        rows[i, : len(chosen)] = chosen
        rows[i, len(chosen):] = chosen[-1]
        positive[i, : len(gold)] = True
    return rows, positive


def fit(parts: Sequence[tuple[AdapterSet, Sequence[int]]], params: AdapterParams = AdapterParams(),
        meta: dict | None = None) -> QueryAdapter:
    """An adapter fitted on the given questions of each set (their losses summed, each question once)."""
    import torch

    torch.manual_seed(params.seed)
    batches = []
    for data, questions in parts:
        if not questions:
            continue
        rows, positive = _training_rows(data, questions)
        batches.append((torch.from_numpy(data.queries[list(questions)]), torch.from_numpy(data.passages[rows]),
                        torch.from_numpy(positive)))
    if not batches:
        raise ValueError("no labelled questions to fit the adapter on")
    dim = batches[0][0].shape[1]
    total = sum(len(q) for q, _, _ in batches)
    weights = torch.zeros(dim, dim, requires_grad=True)
    optimizer = torch.optim.Adam([weights], lr=params.lr)
    for _ in range(params.steps):
        optimizer.zero_grad()
        loss = params.lam * (weights**2).sum()
        for queries, passages, positive in batches:
            moved = queries + queries @ weights
            moved = moved / moved.norm(dim=1, keepdim=True)
            logits = torch.einsum("nd,nkd->nk", moved, passages) / params.tau
            loss = loss + (torch.logsumexp(logits, 1)
                           - torch.logsumexp(logits.masked_fill(~positive, -1e9), 1)).sum() / total
        loss.backward()
        optimizer.step()
    return QueryAdapter(weights.detach().numpy().astype(np.float32), dict(meta or {}))


def out_of_fold(data: AdapterSet, params: AdapterParams = AdapterParams()) -> np.ndarray:
    """Every question's vector through an adapter fitted on the set's other folds."""
    out = data.queries.copy()
    for fold in FOLDS:
        test = data.rows([fold])
        if not test:
            continue
        adapter = fit([(data, data.rows([f for f in FOLDS if f != fold]))], params)
        out[test] = adapter.apply(data.queries[test])
    return out


def ranked_flags(data: AdapterSet, scores: np.ndarray, q: int, depth: int) -> list[bool]:
    top = np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
    top = top[np.lexsort((top, -scores[top]))]
    relevant = set(data.gold[q])
    if data.kind == "gold":
        return [int(r) in relevant for r in top]
    relevant_docs = {data.docs[r] for r in relevant}
    seen: list[str] = []
    for r in top:
        if data.docs[r] not in seen:
            seen.append(data.docs[r])
    return [d in relevant_docs for d in seen]


def dense_figures(data: AdapterSet, vectors: np.ndarray, depth: int = 50) -> dict[str, float]:
    """Plain dense retrieval over the whole corpus with these question vectors (one per question)."""
    depth = min(depth, len(data.passages))
    flags = []
    for start in range(0, len(vectors), 256):
        block = vectors[start:start + 256] @ data.passages.T
        flags += [ranked_flags(data, block[i], start + i, depth) for i in range(len(block))]
    return summarize_set(data.kind, flags, data.n_relevant)


def _plain_vectors(index, texts: list[str]) -> np.ndarray:
    encoder = index.encoder
    if getattr(encoder, "query_adapter", None) is not None:
        raise ValueError("QUERY_ADAPTER is set: an adapter is fitted and judged on plain question vectors; unset it")
    return encoder.encode_queries(texts)


def gold_set(index, questions, folds: dict[str, int], name: str) -> AdapterSet:
    """The answerable questions of a gold-evidence set over its corpus's index."""
    from evaluation.relevance import is_relevant

    answerable = answerable_with_folds(questions, folds)
    chunks = index.chunks
    gold = [[r for r, c in enumerate(chunks) if is_relevant(c.text, q.evidence)] for q in answerable]
    return AdapterSet(name, "gold", [q.id for q in answerable], _plain_vectors(index, [q.question for q in answerable]),
                      np.asarray(index.retriever.dense.vectors, dtype=np.float32), gold,
                      np.array([folds[q.id] for q in answerable]), [c.doc_id for c in chunks], [1] * len(answerable),
                      index.encoder.name)


def beir_set(index, beir, folds: dict[str, int], name: str) -> AdapterSet:
    """The questions of a BEIR set (those with a fold) over its corpus's index."""
    qids = beir_question_ids(beir, folds)
    docs = [c.doc_id for c in index.chunks]
    rows_of: dict[str, list[int]] = {}
    for row, doc in enumerate(docs):
        rows_of.setdefault(doc, []).append(row)
    relevant = [[d for d, s in beir.qrels.get(q, {}).items() if s > 0] for q in qids]
    return AdapterSet(name, "beir", qids, _plain_vectors(index, [beir.queries[q] for q in qids]),
                      np.asarray(index.retriever.dense.vectors, dtype=np.float32),
                      [[r for d in rel for r in rows_of.get(d, [])] for rel in relevant],
                      np.array([folds[q] for q in qids]), docs, [len(rel) for rel in relevant], index.encoder.name)


def report(sets: Sequence[AdapterSet], params: AdapterParams = AdapterParams(), progress=lambda _: None) -> dict:
    """Dense figures per set: plain, held-out (own other folds), and fitted on each other whole set."""
    out: dict = {"params": params.__dict__, "plain": {}, "held-out": {}, "transfer": {}}
    for data in sets:
        progress(f"held-out folds of {data.name}")
        out["plain"][data.name] = dense_figures(data, data.queries)
        out["held-out"][data.name] = dense_figures(data, out_of_fold(data, params))
    for source in sets:
        adapter = None
        for target in sets:
            if target is source:
                continue
            progress(f"{source.name} → {target.name}")
            adapter = adapter or fit([(source, list(range(len(source.qids))))], params)
            out["transfer"][f"{source.name}→{target.name}"] = dense_figures(target, adapter.apply(target.queries))
    return out


def figures_markdown(result: dict, labels: dict[str, str]) -> str:
    """A report's dense figures as one table; ``labels`` names its schemes (plain, held-out, transfer)."""
    columns = ("R@1", "R@5", "R@10", "MRR@10")
    lines = ["| dense retrieval | set | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for scheme, label in labels.items():
        for key, m in result[scheme].items():
            name = key.split("→")[-1]
            cells = " | ".join(f"{m.get(c, float('nan')):.3f}" for c in columns)
            lines.append(f"| {label}{' (' + key + ')' if scheme == 'transfer' else ''} | {name} | {cells} |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    return figures_markdown(result, {"plain": "plain e5", "held-out": "adapter, held-out folds",
                                     "transfer": "adapter fitted on the other set"})
