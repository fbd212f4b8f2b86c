import numpy as np

from indexer.retrieval.dense_index import DenseIndex


def _unit(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # clustered data, closer to real embeddings than uniform noise
    centers = rng.normal(size=(50, dim))
    x = centers[rng.integers(0, 50, n)] + 0.5 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_hnsw_recall_against_exact_search_is_at_least_099():
    vectors, queries = _unit(20_000), _unit(200, seed=1)
    exact = DenseIndex(vectors, hnsw_threshold=10**9)
    approx = DenseIndex(vectors, hnsw_threshold=1_000)
    assert exact.kind == "flat" and approx.kind == "hnsw"
    found = total = 0
    for q in queries:
        _, truth = exact.search(q, 10)
        _, got = approx.search(q, 10)
        found += len(set(truth) & set(got))
        total += len(truth)
    assert found / total >= 0.99


def test_remove_and_add_keep_rows_aligned(tmp_path):
    vectors = _unit(100)
    index = DenseIndex(vectors, hnsw_threshold=10**9)
    index.remove(np.arange(10))
    index.add(vectors[:10])
    assert index.n_vectors == 100
    _, rows = index.search(vectors[0], 1)
    assert rows[0] == 90  # the re-added vector sits at the end now
    index.save(tmp_path / "dense")
    loaded = DenseIndex.load(tmp_path / "dense", hnsw_threshold=10**9)
    assert np.array_equal(loaded.vectors, index.vectors)


def test_growing_past_the_threshold_switches_to_hnsw():
    index = DenseIndex(_unit(50), hnsw_threshold=80)
    assert index.kind == "flat"
    index.add(_unit(50, seed=3))
    assert index.kind == "hnsw" and index.index.ntotal == 100
