import numpy as np

from indexer.retrieval.embedding_cache import EmbeddingCache


def test_cache_computes_each_text_once_per_encoder(tmp_path):
    calls: list[list[str]] = []

    def compute(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path / "c.sqlite")
    first = cache.embed("enc:a", ["甲", "乙乙", "甲"], compute, dim=2)
    again = EmbeddingCache(tmp_path / "c.sqlite").embed("enc:a", ["乙乙", "甲"], compute, dim=2)
    other = cache.embed("enc:b", ["甲"], compute, dim=2)
    # one call for the first encoder (duplicates computed once), none for cached texts, one for encoder b
    assert calls == [["甲", "乙乙"], ["甲"]]
    assert np.array_equal(first[1], again[0]) and np.array_equal(first[0], again[1])
    assert other.shape == (1, 2)
