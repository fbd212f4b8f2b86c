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
