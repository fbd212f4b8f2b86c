"""The sentence-vector memo (issue 12, case 5): a request's rows always come from its own lookups.

Before the fix the memo evicted first-in first-out and the result was read back from the shared
store, so a request whose hits were evicted by its own misses raised KeyError (→ 500 on /v1/ask).
"""

import numpy as np

from service.answering import _VectorMemo


def _vectors(texts: list[str]) -> np.ndarray:
    """A deterministic stand-in for the encoder: each text's vector is a function of the text alone."""
    return np.array([[len(t), sum(map(ord, t)) % 997, hash(t) % 101] for t in texts], dtype=np.float32)


def _check(memo: _VectorMemo, texts: list[str]) -> None:
    got = memo.get_many(texts, _vectors)
    assert got.shape == (len(texts), 3)
    np.testing.assert_array_equal(got, _vectors(texts))


def test_hits_evicted_by_the_same_requests_misses_are_still_returned():
    memo = _VectorMemo(capacity=3)
    _check(memo, ["a", "b", "c"])
    _check(memo, ["a", "d", "e", "f"])  # "a" is a hit, then three misses push it out of a memo of 3
    _check(memo, ["b", "a", "g", "a"])  # repeats within one request, after everything was evicted


def test_a_zipf_like_stream_of_asks_always_gets_its_own_vectors():
    rng = np.random.default_rng(12)
    sentences = [f"第{i}条 句子" for i in range(5_000)]
    memo = _VectorMemo(capacity=200)
    for _ in range(2_000):
        picks = np.minimum(rng.zipf(1.3, size=rng.integers(3, 40)), len(sentences)) - 1
        _check(memo, [sentences[i] for i in picks])
    assert len(memo._items) <= 200
