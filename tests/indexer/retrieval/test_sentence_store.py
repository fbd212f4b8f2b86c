"""The index-time store of answer sentence and heading vectors: row alignment, updates, files."""

import numpy as np
import pytest

from indexer.retrieval.sentence_store import SentenceStore
from indexer.text.sentences import split_sentences

TEXTS = [
    "城乡居民基础养老金月人均标准提高15元。（省人力资源社会保障厅牵头）所需资金由省级财政承担。",
    "到2020年，建成50家众创空间。",
    "",
    "一、总体要求\n坚持问题导向；突出重点。",
]


def _store(texts, seed=0):
    per_chunk = [split_sentences(t) for t in texts]
    n = sum(len(s) for s in per_chunk)
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return SentenceStore.from_sentences(per_chunk, vectors, _headings(len(texts), seed)), per_chunk, vectors


def _headings(n, seed=0):
    """One distinct unit vector per chunk: chunk i's points along axis i % 8, scaled by its seed."""
    out = np.zeros((n, 8), np.float32)
    out[np.arange(n), (np.arange(n) + seed) % 8] = 1.0
    return out


def test_each_chunk_gets_back_its_own_sentences_and_vectors():
    store, per_chunk, vectors = _store(TEXTS)
    assert store.n_chunks == 4
    row = 0
    for i, text in enumerate(TEXTS):
        sentences, matrix = store.for_chunk(i, text)
        assert sentences == per_chunk[i]
        assert matrix.dtype == np.float32 and matrix.shape == (len(sentences), 8)
        assert np.allclose(matrix, vectors[row : row + len(sentences)], atol=2e-3)
        row += len(sentences)
    assert store.for_chunk(2, TEXTS[2])[0] == []
    first, _ = store.for_chunk(0, TEXTS[0])
    assert [s.text for s in first] == [
        "城乡居民基础养老金月人均标准提高15元。", "（省人力资源社会保障厅牵头）所需资金由省级财政承担。"
    ]


def test_extend_and_without_keep_rows_aligned():
    a, _, _ = _store(TEXTS[:2], seed=1)
    b, _, _ = _store(TEXTS[2:], seed=2)
    both = a.extend(b)
    assert both.n_chunks == 4
    for i, text in enumerate(TEXTS[2:]):
        assert np.array_equal(both.for_chunk(2 + i, text)[1], b.for_chunk(i, text)[1])
    assert np.array_equal(both.headings, np.concatenate([a.headings, b.headings]))
    dropped = both.without([0, 2])
    assert dropped.n_chunks == 2
    assert np.array_equal(dropped.headings, np.stack([a.headings[1], b.headings[1]]))
    assert np.array_equal(dropped.for_chunk(0, TEXTS[1])[1], a.for_chunk(1, TEXTS[1])[1])
    assert np.array_equal(dropped.for_chunk(1, TEXTS[3])[1], b.for_chunk(1, TEXTS[3])[1])


def test_save_and_load_round_trip_with_mapped_vectors(tmp_path):
    store, _, _ = _store(TEXTS)
    store.save(tmp_path / "sentences")
    loaded = SentenceStore.load(tmp_path / "sentences")
    assert isinstance(loaded.vectors, np.memmap) and isinstance(loaded.headings, np.memmap)
    assert np.array_equal(loaded.headings, store.headings)
    for i, text in enumerate(TEXTS):
        assert np.array_equal(loaded.for_chunk(i, text)[1], store.for_chunk(i, text)[1])
    empty = SentenceStore.empty(8)
    empty.save(tmp_path / "empty")
    assert SentenceStore.load(tmp_path / "empty").n_chunks == 0


def test_inconsistent_offsets_are_refused():
    with pytest.raises(ValueError, match="do not cover"):
        SentenceStore(np.zeros((3, 2), np.int32), np.array([0, 2]), np.zeros((3, 8), np.float16), _headings(1))
    with pytest.raises(ValueError, match="2 sentence vectors for 3"):
        SentenceStore(np.zeros((3, 2), np.int32), np.array([0, 3]), np.zeros((2, 8), np.float16), _headings(1))
    with pytest.raises(ValueError, match="2 heading vectors for 1 chunks"):
        SentenceStore(np.zeros((3, 2), np.int32), np.array([0, 3]), np.zeros((3, 8), np.float16), _headings(2))


def _cut(per_chunk):
    return [[list(s.text[::3]) for s in sentences] for sentences in per_chunk]  # any tokens per sentence


def test_sentence_terms_stay_aligned_through_extend_without_and_reload(tmp_path):
    from indexer.retrieval.sentence_terms import SentenceTerms

    per_chunk = [split_sentences(t) for t in TEXTS]
    cut = _cut(per_chunk)
    n = sum(len(s) for s in per_chunk)
    vectors = np.ones((n, 8), np.float32)
    split = 2
    a = SentenceStore.from_sentences(per_chunk[:split], vectors[:3], _headings(split),
                                     SentenceTerms.from_tokens(cut[:split], 7))
    b = SentenceStore.from_sentences(per_chunk[split:], vectors[3:], _headings(len(TEXTS) - split),
                                     SentenceTerms.from_tokens(cut[split:], 9))
    both = a.extend(b)
    expected = [[frozenset(tokens) for tokens in chunk] for chunk in cut]
    assert [both.terms_of(i, 7 if i < split else 9) for i in range(4)] == expected
    assert both.terms_of(0, 9) is None and both.terms_of(3, 7) is None  # cut with another dictionary
    dropped = both.without([1])
    dropped.save(tmp_path / "s")
    loaded = SentenceStore.load(tmp_path / "s")
    assert [loaded.terms_of(i, d) for i, d in ((0, 7), (1, 9), (2, 9))] == [expected[0], expected[2], expected[3]]


def test_a_store_saved_without_terms_loads_with_none_cut(tmp_path):
    store, _, _ = _store(TEXTS)
    store.save(tmp_path / "s")
    for name in ("terms.json", "term_ids.npy", "term_offsets.npy", "term_dictionary.npy"):
        (tmp_path / "s" / name).unlink()
    loaded = SentenceStore.load(tmp_path / "s")
    assert [loaded.terms_of(i, 0) for i in range(4)] == [None] * 4
    assert loaded.for_chunk(0, TEXTS[0])[0] == store.for_chunk(0, TEXTS[0])[0]
