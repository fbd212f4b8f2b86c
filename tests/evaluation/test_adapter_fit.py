"""Fitting the query adapter: it learns a corpus's systematic question→passage shift, judged out of fold."""

import numpy as np
import pytest

from evaluation import adapter_fit
from evaluation.adapter_fit import AdapterParams, AdapterSet


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _shifted_set(n_questions: int = 150, n_passages: int = 400, dim: int = 16, seed: int = 0) -> AdapterSet:
    """Questions that are their gold passage seen through a fixed linear distortion, plus noise."""
    rng = np.random.default_rng(seed)
    passages = _unit(rng.normal(size=(n_passages, dim)))
    distortion = np.eye(dim) + rng.normal(scale=0.6, size=(dim, dim))
    gold = rng.choice(n_passages, size=n_questions, replace=False)
    queries = _unit(passages[gold] @ distortion + rng.normal(scale=0.1, size=(n_questions, dim)))
    return AdapterSet("toy", "gold", [f"q{i}" for i in range(n_questions)], queries, passages,
                      [[int(g)] for g in gold], np.arange(n_questions) % 5, [f"d{r}" for r in range(n_passages)],
                      [1] * n_questions)


def test_out_of_fold_adapter_beats_plain_vectors_on_a_systematic_shift():
    data = _shifted_set()
    params = AdapterParams(tau=0.05, lam=1e-4, steps=150, lr=1e-2)
    plain = adapter_fit.dense_figures(data, data.queries)
    held_out = adapter_fit.dense_figures(data, adapter_fit.out_of_fold(data, params))
    assert held_out["MRR@10"] >= plain["MRR@10"] + 0.1, (plain, held_out)


def test_out_of_fold_vectors_come_from_an_adapter_that_never_saw_the_fold():
    data = _shifted_set(n_questions=60, n_passages=120)
    params = AdapterParams(steps=20, lr=1e-2)
    vectors = adapter_fit.out_of_fold(data, params)
    fold = data.rows([3])
    others = adapter_fit.fit([(data, data.rows([0, 1, 2, 4]))], params)
    assert np.allclose(vectors[fold], others.apply(data.queries[fold]), atol=1e-6)
    everything = adapter_fit.fit([(data, list(range(60)))], params)
    assert not np.allclose(vectors[fold], everything.apply(data.queries[fold]), atol=1e-4)


def test_beir_figures_count_documents_once():
    data = _shifted_set(n_questions=10, n_passages=20)
    data.kind = "beir"
    data.docs = [f"d{r // 2}" for r in range(20)]  # two rows per document
    flags = adapter_fit.ranked_flags(data, np.arange(20, 0, -1, dtype=np.float32), 0, 20)
    assert len(flags) == 10


@pytest.mark.slow
def test_adapter_command_reports_held_out_figures_and_writes_a_loadable_file(gazette_index, test_settings, tmp_path):
    from evaluation.__main__ import main
    from models.query_adapter import QueryAdapter

    out = tmp_path / "report"
    assert main(["adapter", "--index", str(test_settings.index_dir), "--steps", "20", "--write",
                 str(tmp_path / "a.npz"), "--out", str(out), "--quiet"]) == 0
    report = (out / "adapter.md").read_text(encoding="utf-8")
    assert "| plain e5 | gazette |" in report and "| adapter, held-out folds | gazette |" in report
    adapter = QueryAdapter.load(tmp_path / "a.npz", dim=384)
    assert adapter.meta["fitted_on"] == "gazette (107 questions)" and adapter.meta["params"]["steps"] == 20


def test_adapter_command_names_a_missing_folds_file(tmp_path, capsys):
    from evaluation.__main__ import main

    assert main(["adapter", "--folds", str(tmp_path / "nowhere.tsv")]) == 1
    assert f"error: {tmp_path / 'nowhere.tsv'}: no such file" in capsys.readouterr().err
