"""The query adapter file: what it does to question vectors, and clear errors for a bad file."""

import numpy as np
import pytest

from models.query_adapter import QueryAdapter, QueryAdapterError


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_zero_map_is_the_plain_model_and_any_map_gives_unit_vectors():
    rng = np.random.default_rng(0)
    q = _unit(rng.normal(size=(5, 8))).astype(np.float32)
    assert np.allclose(QueryAdapter(np.zeros((8, 8), np.float32)).apply(q), q, atol=1e-6)
    moved = QueryAdapter(rng.normal(size=(8, 8)).astype(np.float32)).apply(q)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(moved, q)


def test_saved_file_loads_with_its_weights_and_record(tmp_path):
    w = np.random.default_rng(1).normal(size=(6, 6)).astype(np.float32)
    QueryAdapter(w, {"fitted_on": "stard (1543 questions)"}).save(tmp_path / "a.npz")
    loaded = QueryAdapter.load(tmp_path / "a.npz", dim=6)
    assert np.array_equal(loaded.weights, w) and loaded.meta == {"fitted_on": "stard (1543 questions)"}


@pytest.mark.parametrize("content, reason", [
    (None, "no such file"),
    (b"not a zip", "not a query adapter file"),
    ("rect", "square matrix"),
    ("dim", "fitted for 4-dim vectors"),
    ("nan", "non-finite"),
])
def test_bad_files_name_the_file_and_the_reason(tmp_path, content, reason):
    path = tmp_path / "adapter.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "rect":
        np.savez(path, W=np.zeros((4, 5), np.float32))
    elif content == "dim":
        np.savez(path, W=np.zeros((4, 4), np.float32))
    elif content == "nan":
        np.savez(path, W=np.full((6, 6), np.nan, np.float32))
    with pytest.raises(QueryAdapterError) as err:
        QueryAdapter.load(path, dim=6)
    assert str(path) in str(err.value) and reason in str(err.value)


@pytest.mark.slow
def test_encoder_moves_questions_only(model_dir, tmp_path):
    from models.encoder import load_encoder

    w = np.random.default_rng(2).normal(scale=0.1, size=(384, 384)).astype(np.float32)
    QueryAdapter(w).save(tmp_path / "a.npz")
    plain = load_encoder("onnx-int8", model_dir)
    adapted = load_encoder("onnx-int8", model_dir, query_adapter=tmp_path / "a.npz")
    texts = ["农村老人的基础养老金今年涨多少？", "通用航空发展的主要目标"]
    assert np.allclose(adapted.encode_queries(texts), QueryAdapter(w).apply(plain.encode_queries(texts)), atol=1e-5)
    assert np.array_equal(adapted.encode_passages(texts), plain.encode_passages(texts))
    assert adapted.name == plain.name  # the passages' space, so indexes and the embedding cache still match
