"""Fine-tuning e5-small's top layers on the labelled pool, and judging it on held-out folds and in transfer.

The quality issue's fourth item: adapt the encoder on the pool's training folds
and keep it only if held-out folds and both transfer directions improve. The
recipe, fixed before any figure was looked at and the same for every fit:

- layers below the top ``layers`` frozen (their outputs computed once,
  ``models.top_layers.SplitEncoder``), the top ones trained in fp32;
- e5's own contrastive loss at temperature ``tau``: each question against its
  gold passage, ``negatives`` hard negatives (the passages plain dense search
  ranks highest that are not relevant) and the batch's other passages; a passage
  relevant to a question is never its negative;
- one epoch over the questions in a seeded random order, AdamW without weight
  decay, plus ``anchor`` × ‖θ − θ₀‖² (L2-SP: the weights stay near e5's, which is
  what lets a fit on one corpus carry to another).

The sets: a gold-evidence set over its index's chunks (the dev set over the
gazette), and a BEIR set over a sub-corpus: every relevant article of its
questions plus ``others`` articles drawn at random (seeded), so that a fold's
vectors can be recomputed in seconds; retrieval over the full corpus is judged
by ``crossval`` on an index built with the tuned model.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from evaluation.adapter_fit import AdapterSet, figures_markdown, ranked_flags
from evaluation.candidates import answerable_with_folds, beir_question_ids
from evaluation.metrics import summarize_set
from models.converter import PASSAGE_PREFIX, QUERY_PREFIX

log = logging.getLogger(__name__)
FOLDS = range(5)


@dataclass(frozen=True)
class TuneParams:
    layers: int = 2
    tau: float = 0.05
    negatives: int = 3
    batch: int = 16
    epochs: int = 1
    lr: float = 2e-5
    anchor: float = 0.01
    seed: int = 0


@dataclass
class TuneSet:
    """One labelled set as the fit sees it: texts, not vectors."""

    name: str
    kind: str  # "gold" (a passage is relevant) or "beir" (its document is in the qrels)
    qids: list[str]
    questions: list[str]
    folds: np.ndarray
    passages: list[str]  # what the index embeds of each passage (the encoder adds the prefix)
    gold: list[list[int]]  # relevant passages per question
    docs: list[str]
    n_relevant: list[int]
    states: dict = field(default_factory=dict)  # "questions" / "passages": bottom states (set by ``bottom_states``)
    plain: tuple | None = None  # plain e5's question and passage vectors (``plain_vectors``), computed once

    def rows(self, folds: Sequence[int]) -> list[int]:
        wanted = set(folds)
        return [i for i, f in enumerate(self.folds) if f in wanted]


def gold_set(index, questions, folds: dict[str, int], name: str, recipe: str) -> TuneSet:
    from evaluation.relevance import is_relevant
    from indexer.retrieval.passage_text import dense_text

    answerable = answerable_with_folds(questions, folds)
    chunks = index.chunks
    gold = [[r for r, c in enumerate(chunks) if is_relevant(c.text, q.evidence)] for q in answerable]
    return TuneSet(name, "gold", [q.id for q in answerable], [q.question for q in answerable],
                   np.array([folds[q.id] for q in answerable]), [dense_text(c, recipe) for c in chunks], gold,
                   [c.doc_id for c in chunks], [1] * len(answerable))


def beir_subset(beir, folds: dict[str, int], name: str, recipe: str, others: int = 3000, seed: int = 0) -> TuneSet:
    """A BEIR set's questions over its relevant articles plus ``others`` random ones."""
    from evaluation.beir_eval import corpus_records
    from indexer.retrieval.passage_text import dense_text

    qids = beir_question_ids(beir, folds)
    relevant = [[d for d, s in beir.qrels.get(q, {}).items() if s > 0 and d in beir.corpus] for q in qids]
    _, chunks = corpus_records(beir)
    wanted = {d for rel in relevant for d in rel}
    rest = sorted(c.chunk_id for c in chunks if c.chunk_id not in wanted)
    wanted |= set(random.Random(seed).sample(rest, min(others, len(rest))))
    chunks = [c for c in chunks if c.chunk_id in wanted]
    row = {c.chunk_id: r for r, c in enumerate(chunks)}
    return TuneSet(name, "beir", qids, [beir.queries[q] for q in qids], np.array([folds[q] for q in qids]),
                   [dense_text(c, recipe) for c in chunks], [[row[d] for d in rel] for rel in relevant],
                   [c.doc_id for c in chunks], [len(rel) for rel in relevant])


def bottom_states(encoder, data: TuneSet, cache_dir: Path | None, progress: Callable[[str], None]) -> None:
    """The frozen bottom's output for every question and passage of ``data``, cached on disk by content."""
    texts = {"questions": [QUERY_PREFIX + q for q in data.questions],
             "passages": [PASSAGE_PREFIX + p for p in data.passages]}
    for part, items in texts.items():
        key = hashlib.sha256("\n".join([encoder.fingerprint, str(encoder.split), *items]).encode()).hexdigest()[:20]
        path = cache_dir / f"{data.name}-{part}-{key}.pkl" if cache_dir else None
        if path is not None and path.is_file():
            data.states[part] = pickle.loads(path.read_bytes())
            continue
        progress(f"{data.name}: lower layers of {len(items)} {part}")
        started = time.perf_counter()
        data.states[part] = encoder.bottom(items)
        log.info("%s %s: %.0f s", data.name, part, time.perf_counter() - started)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pickle.dumps(data.states[part], protocol=5))


def plain_vectors(encoder, data: TuneSet) -> tuple[np.ndarray, np.ndarray]:
    """Plain e5's question and passage vectors of ``data``: what hard negatives and the plain figures use."""
    if data.plain is None:
        tuned = encoder.top_state()
        encoder.load_top(encoder.original)
        data.plain = _vectors(encoder, data)
        encoder.load_top(tuned)
    return data.plain


def _relevant_rows(data: TuneSet, q: int) -> set[int]:
    return set(data.gold[q])  # a BEIR sub-corpus has one passage per document


def _hard_negatives(data: TuneSet, questions: np.ndarray, passages: np.ndarray, rows: Sequence[int],
                    count: int) -> dict[int, list[int]]:
    scores = questions[list(rows)] @ passages.T
    out = {}
    for i, q in enumerate(rows):
        relevant = _relevant_rows(data, q)
        ranked = np.argsort(-scores[i], kind="stable")[: count + len(relevant) + 1]
        out[q] = [int(r) for r in ranked if int(r) not in relevant][:count]
    return out


def fit(encoder, parts: Sequence[tuple[TuneSet, Sequence[int]]], params: TuneParams,
        progress: Callable[[str], None] = lambda _: None) -> dict[str, np.ndarray]:
    """Top-layer tensors fitted on the given questions of each set, starting from e5's."""
    import torch

    encoder.load_top(encoder.original)
    torch.manual_seed(params.seed)
    rng = random.Random(params.seed)
    examples, negatives = [], {}
    for s, (data, rows) in enumerate(parts):
        negatives[s] = _hard_negatives(data, *plain_vectors(encoder, data), rows, params.negatives)
        examples += [(s, q) for q in rows if data.gold[q]]
    if not examples:
        raise ValueError("no labelled questions to fit the encoder on")
    weights = [p for layer in encoder.top_layers for p in layer.parameters()]
    for p in weights:
        p.requires_grad_(True)
    anchors = [p.detach().clone() for p in weights]
    optimizer = torch.optim.AdamW(weights, lr=params.lr, weight_decay=0.0)
    steps = 0
    for _ in range(params.epochs):
        rng.shuffle(examples)
        for start in range(0, len(examples), params.batch):
            batch = examples[start:start + params.batch]
            q_states, p_states, keys, targets = [], [], [], []
            for s, q in batch:
                data = parts[s][0]
                q_states.append(data.states["questions"][q])
                targets.append(len(p_states))
                for r in [rng.choice(data.gold[q]), *negatives[s][q]]:
                    p_states.append(data.states["passages"][r])
                    keys.append((s, r))
            logits = encoder.top(q_states) @ encoder.top(p_states).T / params.tau
            mask = torch.zeros_like(logits, dtype=torch.bool)  # another relevant passage is no negative
            for i, (s, q) in enumerate(batch):
                relevant = _relevant_rows(parts[s][0], q)
                for j, (sj, r) in enumerate(keys):
                    mask[i, j] = j != targets[i] and sj == s and r in relevant
            loss = torch.nn.functional.cross_entropy(logits.masked_fill(mask, -1e4), torch.tensor(targets))
            loss = loss + params.anchor * sum(((p - a) ** 2).sum() for p, a in zip(weights, anchors, strict=True))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
            if steps % 10 == 0:
                progress(f"step {steps}: loss {loss.item():.3f}")
    for p in weights:
        p.requires_grad_(False)
    return encoder.top_state()


def _flags(data: TuneSet, questions: np.ndarray, passages: np.ndarray, rows: Sequence[int],
           depth: int = 50) -> list[list[bool]]:
    view = AdapterSet(data.name, data.kind, data.qids, questions, passages, data.gold, data.folds, data.docs,
                      data.n_relevant)
    depth = min(depth, len(passages))
    scores = questions[list(rows)] @ passages.T
    return [ranked_flags(view, scores[i], q, depth) for i, q in enumerate(rows)]


def _figures(data: TuneSet, flags: list[list[bool]], rows: Sequence[int]) -> dict[str, float]:
    return summarize_set(data.kind, flags, [data.n_relevant[q] for q in rows])


def _vectors(encoder, data: TuneSet) -> tuple[np.ndarray, np.ndarray]:
    return encoder.vectors(data.states["questions"]), encoder.vectors(data.states["passages"])


def report(encoder, sets: Sequence[TuneSet], params: TuneParams,
           progress: Callable[[str], None] = lambda _: None) -> dict:
    """Dense figures per set: plain e5; fitted on every set's other folds (held out); fitted on the other sets."""
    out: dict = {"params": asdict(params), "plain": {}, "held-out": {}, "transfer": {}}
    for data in sets:
        q, p = plain_vectors(encoder, data)
        everyone = list(range(len(data.qids)))
        out["plain"][data.name] = _figures(data, _flags(data, q, p, everyone), everyone)
    held: dict[str, list] = {d.name: [] for d in sets}
    order: dict[str, list] = {d.name: [] for d in sets}
    for fold in FOLDS:
        progress(f"fold {fold}: fitting on the other folds")
        tuned = fit(encoder, [(d, d.rows([f for f in FOLDS if f != fold])) for d in sets], params, progress)
        encoder.load_top(tuned)
        for data in sets:
            test = data.rows([fold])
            q, p = _vectors(encoder, data)
            flags = _flags(data, q, p, test)
            held[data.name] += flags
            order[data.name] += test
            figures = _figures(data, flags, test)
            progress(f"fold {fold}, {data.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    for data in sets:
        out["held-out"][data.name] = _figures(data, held[data.name], order[data.name])
    for source in sets:
        progress(f"fitting on all of {source.name}")
        tuned = fit(encoder, [(source, list(range(len(source.qids))))], params, progress)
        encoder.load_top(tuned)
        for target in sets:
            if target is not source:
                q, p = _vectors(encoder, target)
                everyone = list(range(len(target.qids)))
                out["transfer"][f"{source.name}→{target.name}"] = _figures(target, _flags(target, q, p, everyone),
                                                                           everyone)
    encoder.load_top(encoder.original)
    return out


def markdown(result: dict) -> str:
    return figures_markdown(result, {"plain": "plain e5", "held-out": "top layers tuned, held-out folds",
                                     "transfer": "top layers tuned on the other set"})
