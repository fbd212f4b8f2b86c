"""A calibrated probability that the corpus answers the query.

Unanswerable questions here are near misses: they name a real topic of the
corpus but ask for a detail it does not contain (another province, another
year, a figure never given). So besides how close the best passages are in
meaning, the features measure what of the question the best passages leave
out:

- ``dense_top``: cosine of the best dense match;
- ``coverage``: idf-weighted share of the question's terms found in the top
  passages (terms the corpus never uses weigh as much as the rarest term);
- ``mismatch``: the question names a province-level region or a year that the
  top passages never mention;
- ``missing_nouns``: question nouns (jieba POS tags) absent from the top passages;
- ``intent_unmet``: the question asks for a number, date or department, and no
  sentence of the best passage that shares a term with the question carries one.

A logistic model over them is fit on the dev set (``python -m evaluation
calibrate``), which writes ``indexer/data/confidence.json``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from indexer.bm25_index import BM25Index
from indexer.normal_form import to_index_form
from indexer.question_intent import Intent, carries, classify
from indexer.records import Hit

FEATURES = ("dense_top", "coverage", "mismatch", "missing_nouns", "intent_unmet")
_YEAR = re.compile(r"(?:19|20)\d{2}")
CONTEXT_PASSAGES = 3


@lru_cache(maxsize=1)
def _regions() -> tuple[tuple[str, ...], ...]:
    text = resources.files("indexer.data").joinpath("regions.txt").read_text(encoding="utf-8")
    return tuple(tuple(line.split()) for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _pos_tagger():
    import jieba.posseg

    return jieba.posseg.POSTokenizer()


@dataclass(frozen=True)
class ConfidenceFeatures:
    dense_top: float
    coverage: float
    mismatch: float
    missing_nouns: float
    intent_unmet: float

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in FEATURES]


def extract_features(
    query: str, tokens: list[str], hits: list[Hit], dense_top: float, bm25: BM25Index, tokenizer, stop: frozenset[str]
) -> ConfidenceFeatures:
    context = to_index_form(" ".join(
        f"{h.chunk.doc_title} {' '.join(h.chunk.heading_path)} {h.chunk.text} {h.chunk.date}"
        for h in hits[:CONTEXT_PASSAGES]
    ))
    context_tokens = set(tokenizer(context))
    rarest = math.log(bm25.n_docs + 0.5) - math.log(0.5) if bm25.n_docs else 1.0
    total = found = 0.0
    for term in dict.fromkeys(tokens):
        weight = float(bm25.idf[bm25.term_ids[term]]) if term in bm25.term_ids else rarest
        total += weight
        found += weight if term in context_tokens else 0.0
    coverage = found / total if total > 0 else 0.0
    norm_query = to_index_form(query)
    foreign = any(
        any(n in norm_query for n in names) and not any(n in context for n in names) for names in _regions()
    )
    unseen_year = any(y not in context for y in _YEAR.findall(norm_query))
    nouns = {
        word for word, flag in _pos_tagger().cut(norm_query)
        if (flag.startswith("n") or flag in ("vn", "eng", "m")) and len(word) >= 2 and word not in stop
    }
    missing = sum(1 for word in nouns if word not in context)
    return ConfidenceFeatures(
        dense_top, coverage, float(foreign or unseen_year), float(missing),
        float(_intent_unmet(query, set(tokens), hits[:1], tokenizer)),
    )


_SENTENCE_END = re.compile(r"(?<=[。；！？\n])")


def _intent_unmet(query: str, query_terms: set[str], hits: list[Hit], tokenizer) -> bool:
    intent = classify(query)
    if intent not in (Intent.NUMBER, Intent.DATE, Intent.DEPARTMENT) or not hits:
        return False
    for sentence in _SENTENCE_END.split(hits[0].chunk.text):
        if query_terms & set(tokenizer(sentence)) and carries(intent, sentence):
            return False
    return True


@dataclass(frozen=True)
class ConfidenceModel:
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5

    def probability(self, features: ConfidenceFeatures) -> float:
        z = self.bias + sum(self.weights[name] * value for name, value in zip(FEATURES, features.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def is_confident(self, probability: float) -> bool:
        return probability >= self.threshold

    def with_threshold(self, threshold: float | None) -> ConfidenceModel:
        return self if threshold is None else ConfidenceModel(self.weights, self.bias, threshold)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path | None = None) -> ConfidenceModel:
        if path is None:
            text = resources.files("indexer.data").joinpath("confidence.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        missing = set(FEATURES) - set(data["weights"])
        if missing:
            raise ValueError(f"confidence model lacks weights for {sorted(missing)}")
        return cls(data["weights"], float(data["bias"]), float(data.get("threshold", 0.5)))
