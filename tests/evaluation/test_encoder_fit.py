"""Fine-tuning the top layers: a fit learns its questions, leaves e5 as it was, and is judged out of fold."""

import numpy as np
import pytest

from evaluation import encoder_fit
from evaluation.encoder_fit import TuneParams, TuneSet
from models.top_layers import SplitEncoder
from tests.models.test_converted_model import PAIRS, VARIED_TEXTS

pytestmark = pytest.mark.slow

QUESTIONS = [q for q, _ in PAIRS] + ["计划生育特殊家庭有什么保险", "政务服务要让谁少跑腿"]
GOLD_TEXTS = [p for _, p in PAIRS] + ["建立计划生育特殊家庭住院陪护保险制度",
                                      "互联网+政务服务，让数据多跑路、群众少跑腿"]


@pytest.fixture(scope="module")
def encoder():
    return SplitEncoder(2)


@pytest.fixture()
def tiny(encoder):
    passages = GOLD_TEXTS + [t for t in VARIED_TEXTS if t not in GOLD_TEXTS]
    data = TuneSet("tiny", "gold", [f"q{i}" for i in range(len(QUESTIONS))], QUESTIONS,
                   np.array([i % 5 for i in range(len(QUESTIONS))]), passages, [[i] for i in range(len(QUESTIONS))],
                   [f"d{i}" for i in range(len(passages))], [1] * len(QUESTIONS))
    encoder_fit.bottom_states(encoder, data, None, lambda _: None)
    return data


def _margins(encoder, data):
    q = encoder.vectors(data.states["questions"])
    p = encoder.vectors(data.states["passages"])
    scores = q @ p.T
    gold = scores[np.arange(len(q)), [g[0] for g in data.gold]]
    scores[np.arange(len(q)), [g[0] for g in data.gold]] = -1
    return gold - scores.max(axis=1)


def test_a_fit_learns_its_questions_and_starts_from_e5(encoder, tiny):
    before = _margins(encoder, tiny)
    params = TuneParams(lr=3e-4, epochs=3, batch=4, negatives=2)
    tuned = encoder_fit.fit(encoder, [(tiny, list(range(len(QUESTIONS))))], params)
    assert set(tuned) == set(encoder.original)
    assert any(np.abs(tuned[k] - encoder.original[k]).max() > 1e-4 for k in tuned)
    encoder.load_top(tuned)
    after = _margins(encoder, tiny)
    assert after.mean() > before.mean() + 0.01, (before, after)
    again = encoder_fit.fit(encoder, [(tiny, list(range(len(QUESTIONS))))], params)  # starts from e5, not `tuned`
    assert all(np.allclose(again[k], tuned[k], atol=1e-6) for k in tuned)
    encoder.load_top(encoder.original)
    assert np.allclose(_margins(encoder, tiny), before, atol=1e-6)


def test_a_relevant_passage_is_never_a_hard_negative(encoder, tiny):
    q = encoder.vectors(tiny.states["questions"])
    p = encoder.vectors(tiny.states["passages"])
    negatives = encoder_fit._hard_negatives(tiny, q, p, range(len(QUESTIONS)), 3)
    assert all(len(n) == 3 and tiny.gold[i][0] not in n for i, n in negatives.items())


def test_report_gives_held_out_and_transfer_figures(encoder, tiny):
    other = TuneSet("other", "gold", tiny.qids[:4], tiny.questions[:4], np.array([0, 1, 2, 3]), tiny.passages,
                    tiny.gold[:4], tiny.docs, [1] * 4,
                    {"questions": tiny.states["questions"][:4], "passages": tiny.states["passages"]})
    result = encoder_fit.report(encoder, [tiny, other], TuneParams(lr=1e-4, batch=4))
    assert set(result["plain"]) == set(result["held-out"]) == {"tiny", "other"}
    assert set(result["transfer"]) == {"tiny→other", "other→tiny"}
    for figures in (*result["plain"].values(), *result["held-out"].values(), *result["transfer"].values()):
        assert 0.0 <= figures["R@1"] <= figures["R@5"] <= 1.0
    assert "held-out folds" in encoder_fit.markdown(result)
    assert np.allclose(encoder.vectors(tiny.states["questions"][:1]),
                       SplitEncoder(2).vectors(tiny.states["questions"][:1]), atol=1e-6)  # back to e5
