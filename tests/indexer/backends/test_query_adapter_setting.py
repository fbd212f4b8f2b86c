"""QUERY_ADAPTER: the backend's question vectors go through it; a bad file makes the index unavailable, saying why."""

import numpy as np
import pytest

from indexer.backends.base import BackendUnavailable
from indexer.backends.factory import open_backend
from models.query_adapter import QueryAdapter

pytestmark = pytest.mark.slow


def test_bad_adapter_file_makes_the_index_unavailable_with_the_file_named(gazette_index, test_settings, tmp_path):
    missing = tmp_path / "nowhere.npz"
    with pytest.raises(BackendUnavailable, match=rf"{missing}: no such file \(QUERY_ADAPTER\)"):
        open_backend(test_settings.model_copy(update={"query_adapter": missing}), test_settings.index_dir)


def test_backend_searches_with_the_adapted_question_vector(gazette_index, test_settings, tmp_path):
    adapter = QueryAdapter(np.random.default_rng(3).normal(scale=0.1, size=(384, 384)).astype(np.float32))
    adapter.save(tmp_path / "adapter.npz")
    index = open_backend(test_settings.model_copy(update={"query_adapter": tmp_path / "adapter.npz"}),
                         test_settings.index_dir)
    question = "农村老人的基础养老金今年涨多少？"
    vector = index.embed_query(index.analyzer.analyse(question))
    plain = gazette_index.encoder.encode_queries([question])
    assert np.allclose(vector, adapter.apply(plain)[0], atol=1e-5)
