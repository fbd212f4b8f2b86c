"""The fusion trees scored without LightGBM: the same scores as LightGBM's own prediction, stored readable."""

import json

import lightgbm
import numpy as np
import pytest

from indexer.retrieval.fusion_features import FEATURES
from indexer.retrieval.learned_fusion import FusionModel
from indexer.retrieval.tree_ensemble import TreeEnsemble


@pytest.fixture(scope="module")
def booster():
    rng = np.random.default_rng(0)
    x = rng.random((3000, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0.8).astype(int)
    data = lightgbm.Dataset(x, y, group=[50] * 60)
    params = {"objective": "lambdarank", "num_leaves": 6, "min_data_in_leaf": 20, "verbose": -1, "num_threads": 1}
    return lightgbm.train(params, data, num_boost_round=60)


def test_scores_equal_lightgbm_predictions(booster):
    names = [f"f{i}" for i in range(6)]
    trees = TreeEnsemble.from_nodes(TreeEnsemble.lightgbm_nodes(booster.dump_model(), names), names)
    x = np.random.default_rng(1).random((50, 6)).astype(np.float32)
    x[0] = 0.5  # values on or near thresholds go the way LightGBM sends them
    assert trees.depth >= 2
    assert np.allclose(trees.scores(x), booster.predict(x, raw_score=True), atol=1e-9)
    assert trees.scores(np.zeros((0, 6))).shape == (0,)


def test_a_fusion_model_with_trees_survives_save_and_load(booster, tmp_path):
    # the booster's columns f0..f5 renamed to six fusion features: the model scores the full feature matrix
    used = list(FEATURES[:6])
    nodes = TreeEnsemble.lightgbm_nodes(booster.dump_model(), used)
    trees = TreeEnsemble.from_nodes(nodes, FEATURES)
    model = FusionModel(dict.fromkeys(FEATURES, 0.0) | {"coverage": 1.0}, "test", {}, trees)
    model.save(tmp_path / "fusion.json")
    loaded = FusionModel.load(tmp_path / "fusion.json")
    x = np.random.default_rng(2).random((30, len(FEATURES))).astype(np.float32)
    expected = x[:, FEATURES.index("coverage")] + booster.predict(x[:, :6], raw_score=True)
    assert np.allclose(loaded.scores(x), expected, atol=1e-6)
    assert len((tmp_path / "fusion.json").read_text().splitlines()) < 60 + len(nodes)  # one line per tree


def test_a_tree_naming_an_unknown_feature_is_refused():
    with pytest.raises(ValueError, match="unknown feature"):
        TreeEnsemble.from_nodes([{"feature": "nope", "threshold": 0.5, "left": {"value": 1}, "right": {"value": 0}}],
                                FEATURES)


def test_a_fusion_file_with_a_broken_tree_is_refused_with_its_name(tmp_path):
    path = tmp_path / "fusion.json"
    FusionModel(dict.fromkeys(FEATURES, 0.0)).save(path)
    data = json.loads(path.read_text())
    data["trees"] = [{"feature": "rrf", "threshold": 0.1}]  # no branches
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"fusion\.json: not a usable fusion model \(missing 'left'\)"):
        FusionModel.load(path)
