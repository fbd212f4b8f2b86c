"""The learned ranker's fit: pairwise logistic over the used pool columns, the redundant ones left at 0."""

import numpy as np

from evaluation.candidates import QuestionPool
from evaluation.fusion_fit import UNUSED, fit_fusion, fit_ranker, linear_model, rule_scores
from indexer.retrieval.fusion_features import FEATURES


def _pool(rng: np.random.Generator, i: int) -> QuestionPool:
    x = rng.random((12, len(FEATURES))).astype(np.float32)
    labels = np.zeros(12, dtype=bool)
    labels[int(np.argmax(x[:, FEATURES.index("coverage")]))] = True  # relevance follows one column
    return QuestionPool(f"q{i}", i % 5, np.arange(12), x, labels, 1, [f"d{j}" for j in range(12)])


def test_the_fit_learns_the_informative_column_and_leaves_the_unused_at_zero():
    rng = np.random.default_rng(0)
    pools = [_pool(rng, i) for i in range(100)]
    beta = fit_ranker([pools])
    assert beta.shape == (len(FEATURES),)
    assert all(beta[FEATURES.index(name)] == 0.0 for name in UNUSED)
    assert int(np.argmax(beta)) == FEATURES.index("coverage")
    top = [int(np.argmax(rule_scores(p, "learned", linear_model(beta)))) for p in pools]
    assert np.mean([p.labels[t] for p, t in zip(pools, top, strict=True)]) >= 0.85


def _interaction_pool(rng: np.random.Generator, i: int) -> QuestionPool:
    """Relevant: the row whose coverage is high *and* whose document backs it, or whose coverage is low and
    whose phrase credit is high: a rule no single weight per column can express."""
    x = rng.random((40, len(FEATURES))).astype(np.float32)
    cov, group, phrase = (x[:, FEATURES.index(n)] for n in ("coverage", "group_rrf", "phrase"))
    target = np.where(cov > 0.5, group, phrase)
    labels = np.zeros(40, dtype=bool)
    labels[int(np.argmax(target))] = True
    return QuestionPool(f"q{i}", i % 5, np.arange(40), x, labels, 1, [f"d{j}" for j in range(40)])


def test_the_trees_learn_an_interaction_the_linear_ranker_cannot():
    rng = np.random.default_rng(1)
    train, test = [_interaction_pool(rng, i) for i in range(300)], [_interaction_pool(rng, i) for i in range(200)]
    model = fit_fusion([train])
    assert len(model.trees.trees) == 100

    def top1(params) -> float:
        return float(np.mean([p.labels[int(np.argmax(rule_scores(p, "learned", params)))] for p in test]))

    linear, boosted = top1(linear_model(model.vector)), top1(model)
    assert boosted >= linear + 0.1, (linear, boosted)
