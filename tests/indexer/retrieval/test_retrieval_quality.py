"""Quality gates on the dev set (relevance rule of evaluation/data/README.md)."""

import pytest

from evaluation.gold import read_gold
from evaluation.retrieval_eval import evaluate_mode
from tests.conftest import DEV_SET

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(gazette_index):
    questions = read_gold(DEV_SET)

    def searcher(question: str, mode: str, top_k: int):
        result = gazette_index.search(question, top_k, mode)
        return [h.chunk.to_dict() for h in result.hits], result.confident

    return {mode: evaluate_mode(searcher, questions, mode) for mode in ("bm25", "dense", "hybrid")}


def test_hybrid_meets_the_floors(reports):
    m = reports["hybrid"].metrics
    assert m["R@1"] >= 0.85, m
    assert m["R@5"] >= 0.97, m
    assert m["MRR@10"] >= 0.90, m


def test_hybrid_is_at_least_as_good_as_the_better_single_mode(reports):
    best_single = max(reports["bm25"].metrics["MRR@10"], reports["dense"].metrics["MRR@10"])
    assert reports["hybrid"].metrics["MRR@10"] >= best_single, {m: r.metrics["MRR@10"] for m, r in reports.items()}


def test_confidence_flags_unanswerable_questions(reports):
    m = reports["hybrid"].metrics
    assert m["unanswerable_recall"] >= 0.70, m
    assert m["answerable_flagged"] <= 0.10, m
