"""A calibrated probability that the corpus answers the query.

Unanswerable questions here are near misses: they name a real topic of the
corpus but ask for a detail it does not contain (another province, another
year, a figure never given). So the signal measures what of the question the
best passages leave out, as three indicators:

- ``mismatch``: the question names a province-level region that the top
  passages never mention, or a year that the best passage does not;
- ``low_coverage``: less than ``LOW_COVERAGE`` of the question's idf mass is
  found in the top passages (terms the corpus never uses weigh as much as its
  rarest term; an abbreviation counts as found when its full form is);
- ``unmet_and_missing``: the question asks for a number, date or department and
  no sentence of the best passage that shares a term with it carries one, *and*
  a noun of the question (jieba POS tags) is absent from the top passages.

A logistic model over the indicators, fit on the dev set's answerable and
unanswerable questions (``python -m evaluation calibrate``), turns them into a
probability; it is stored in ``indexer/data/confidence.json``. Dense similarity
was tried as a further feature and carried no signal on the dev set: e5-small
rates near misses as close as true answers.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Container, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from indexer.records import Hit, Intent, Query
from indexer.text.data_files import data_text
from indexer.text.normal_form import to_index_form
from indexer.text.question_intent import carries
from indexer.text.regions import regions
from indexer.text.tokenizer import abbreviations, pos_tagger

FEATURES = ("mismatch", "low_coverage", "unmet_and_missing")
LOW_COVERAGE = 0.4  # tuned on the dev set; answerable questions rarely fall below it
_YEAR = re.compile(r"(?:19|20)\d{2}")
CONTEXT_PASSAGES = 3


_TAGGER_LOCK = threading.Lock()


def _pos_tagger():
    # Under a lock: a fresh process hit by many requests at once built one tagger per request thread.
    with _TAGGER_LOCK:
        return _build_pos_tagger()


def load_tagger() -> None:
    """Build the part-of-speech tagger now (≈ 0.4 s, once per process), not in the first request that needs it."""
    _pos_tagger()


@lru_cache(maxsize=1)
def _build_pos_tagger():
    return pos_tagger()


@dataclass(frozen=True)
class ConfidenceFeatures:
    coverage: float
    mismatch: bool
    # nouns of the question absent from the top passages; counted (jieba POS tags) only when the intent is
    # unmet, the one case the indicator reads them (None: not counted)
    missing_nouns: int | None
    intent_unmet: bool

    def vector(self) -> list[float]:
        return [
            float(self.mismatch),
            float(self.coverage < LOW_COVERAGE),
            float(self.intent_unmet and bool(self.missing_nouns)),
        ]


def extract_features(
    query: Query,
    hits: list[Hit],
    context_tokens: Container[str],
    idf: Mapping[str, float],
    n_docs: int,
    stop: frozenset[str],
) -> ConfidenceFeatures:
    """``context_tokens``: the indexed terms of the top passages; ``idf``: of the query terms the index knows."""
    context = to_index_form(" ".join(
        f"{h.chunk.doc_title} {' '.join(h.chunk.heading_path)} {h.chunk.text} {h.chunk.date}"
        for h in hits[:CONTEXT_PASSAGES]
    ))
    short_forms = abbreviations()

    def present(term: str, where) -> bool:
        # an abbreviation counts as present when its full form is (危化品 ↔ 危险化学品)
        return term in where or any(full in where for full in short_forms.get(term, ()))

    rarest = math.log(n_docs + 0.5) - math.log(0.5) if n_docs else 1.0
    total = found = 0.0
    for term in dict.fromkeys(query.tokens):
        weight = float(idf[term]) if term in idf else rarest
        total += weight
        found += weight if present(term, context_tokens) else 0.0
    coverage = found / total if total > 0 else 0.0
    norm_query = query.norm
    foreign = any(
        any(n in norm_query for n in names) and not any(n in context for n in names) for names in regions()
    )
    # a year must appear in the passage that would answer, not just somewhere near it
    best = hits[0].chunk if hits else None
    best_text = to_index_form(f"{best.doc_title} {best.date} {best.text}") if best else ""
    unseen_year = any(y not in best_text for y in _YEAR.findall(norm_query))
    unmet = _intent_unmet(query.intent, set(query.tokens), hits[:1])
    missing = None
    if unmet:  # tagging is most of this function's time, and only an unmet intent reads the nouns
        nouns = {
            word for word, flag in _pos_tagger().cut(norm_query)
            if (flag.startswith("n") or flag in ("vn", "eng", "m")) and len(word) >= 2 and word not in stop
        }
        missing = sum(1 for word in nouns if not present(word, context))
    return ConfidenceFeatures(coverage, foreign or unseen_year, missing, unmet)


_SENTENCE_END = re.compile(r"(?<=[。；！？\n])")


def _intent_unmet(intent: Intent, query_terms: set[str], hits: list[Hit]) -> bool:
    if intent not in (Intent.NUMBER, Intent.DATE, Intent.DEPARTMENT) or not hits:
        return False
    for sentence in _SENTENCE_END.split(hits[0].chunk.text):
        # query terms are substrings of the normalized text they were cut from
        shares_a_term = any(term in to_index_form(sentence) for term in query_terms)
        if shares_a_term and carries(intent, sentence):
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
        data = json.loads(data_text("confidence.json", path))
        missing = set(FEATURES) - set(data["weights"])
        if missing:
            raise ValueError(f"confidence model lacks weights for {sorted(missing)}")
        return cls(data["weights"], float(data["bias"]), float(data.get("threshold", 0.5)))
