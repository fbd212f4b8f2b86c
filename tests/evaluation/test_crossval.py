"""Held-out-fold gates of the learned fusion on the dev set (the fixed folds of evaluation/data)."""

import pytest

from evaluation import crossval
from evaluation.candidates import gold_pools, read_folds
from evaluation.gold import read_gold
from tests.conftest import DEV_SET, PROJECT_ROOT

pytestmark = pytest.mark.slow
FOLDS = PROJECT_ROOT / "evaluation" / "data" / "seed_dev_folds.tsv"


@pytest.fixture(scope="module")
def gazette(gazette_index, tmp_path_factory):
    return gold_pools(gazette_index, read_gold(DEV_SET), read_folds(FOLDS), tmp_path_factory.mktemp("cv"))


def test_learned_fusion_on_held_out_folds(gazette):
    metrics = {rule: crossval.held_out([gazette], rule)[0]["gazette"] for rule in ("bm25", "dense", "learned")}
    learned = metrics["learned"]
    assert learned["R@1"] >= 0.92 and learned["R@5"] >= 0.99 and learned["MRR@10"] >= 0.95, metrics
    best_single = max(metrics["bm25"]["MRR@10"], metrics["dense"]["MRR@10"])
    assert learned["MRR@10"] >= best_single + 0.01, metrics


def test_pools_hold_every_list_top_and_a_label_per_row(gazette):
    assert len(gazette.questions) > 100
    for pool in gazette.questions:
        assert len(pool.rows) == len(pool.labels) == len(pool.features) >= 30


def test_abstention_on_held_out_folds_with_synthetic_unanswerables(gazette, gazette_index, test_settings, tmp_path):
    """Thresholds and retrieval both held out: each fold is searched with a fusion fitted on the other folds."""
    from evaluation import answer_crossval
    from service.answering import Answerer

    questions = read_gold(DEV_SET)
    models = crossval.fold_models([gazette])
    shipped = gazette_index.retriever.ranker.model
    records = answer_crossval.collect(gazette_index, questions, read_folds(FOLDS), test_settings, tmp_path, models)
    assert gazette_index.retriever.ranker.model is shipped  # the index is left with its own model
    assert sum(r.kind == "synthetic" for r in records) == sum(q.answerable for q in questions)
    answerer = Answerer(test_settings)
    by_variant = answer_crossval.variants(records, lambda w: answerer.composer(gazette_index, w))
    m = answer_crossval.held_out(by_variant)
    # measured (fusion fitted on the dev set's other folds only): unanswerable 0.891, answerable 0.037, key 0.944
    assert m["unanswerable flagged (real+synthetic)"] >= 0.85, m
    assert m["answerable flagged"] <= 0.05, m
    assert m["key string (answerable)"] >= 0.92, m


def test_fold_rankings_pooled_over_the_folds_equal_the_held_out_figures(gazette):
    """`whole-system` pools per-fold rankings (written as JSON); with one encoder for every fold they must give
    crossval's held-out figures."""
    import json

    results = [json.loads(json.dumps(crossval.fold_results([gazette], fold))) for fold in crossval.FOLDS]
    pooled = crossval.summarize_folds(results)
    for rule in crossval.FOLD_RULES:
        held = crossval.held_out([gazette], rule)[0]["gazette"]
        assert pooled[rule]["gazette"]["questions"] == len(gazette.questions)
        for column in crossval.COLUMNS:
            assert pooled[rule]["gazette"][column] == pytest.approx(held[column]), (rule, column)


def test_whole_system_needs_a_second_labelled_set(capsys):
    from evaluation.__main__ import main

    assert main(["whole-system", "--fold", "0"]) == 1
    assert "needs --beir" in capsys.readouterr().err
