"""Answer sentences' vectors pooled from their chunk's own encoder run, through the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from config import Settings
from indexer.records import Chunk
from indexer.retrieval.embedding_cache import EmbeddingCache
from indexer.retrieval.passage_text import dense_text
from indexer.retrieval.passage_vectors import embed_chunks, passage_spans
from indexer.text.analyzer import TextAnalyzer
from indexer.text.tokenizer import ChineseTokenizer

RECIPE = "title_path_text"
SETTINGS = Settings(dense_text=RECIPE, sentence_vectors="in-passage")
TEXTS = [
    "城乡居民基础养老金最低标准每人每月提高15元，达到155元。农村低保标准提高到每人每年3700元。",
    "到2020年，全省建成50家以上互联网+示范企业。加强组织领导，建立协调推进机制。",
    "本意见自印发之日起施行。",
]


def _chunks() -> list[Chunk]:
    return [Chunk(chunk_id=f"c{i}", doc_id="d", doc_title="青海省人民政府办公厅关于印发若干政策的通知",
                  doc_number="青政办〔2017〕13号", issuer="", date="", heading_path=["一、主要内容"], text=t,
                  start=0, end=len(t)) for i, t in enumerate(TEXTS)]


@pytest.fixture(scope="module")
def analyzer():
    return TextAnalyzer(ChineseTokenizer())


class _Counting:
    """The real encoder, counting what it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.inner, self.name, self.dim, self.texts = encoder, encoder.name, encoder.dim, []

    def encode_passages(self, texts, show_progress=False):
        self.texts += texts
        return self.inner.encode_passages(texts, show_progress)

    def encode_passages_with_spans(self, texts, spans, show_progress=False):
        self.texts += texts
        return self.inner.encode_passages_with_spans(texts, spans, show_progress)


@pytest.mark.slow
def test_sentences_come_from_their_chunks_run_and_the_cache_keeps_them(tmp_path, onnx_encoder, analyzer):
    chunks = _chunks()
    per_chunk = [analyzer.sentences(c.text) for c in chunks]
    assert [len(s) for s in per_chunk] == [2, 2, 1]
    counting = _Counting(onnx_encoder)
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    vectors, sentences = embed_chunks(cache, counting, chunks, per_chunk, SETTINGS)
    assert counting.texts == [dense_text(c, RECIPE) for c in chunks]  # the chunks only: no sentence encoded on its own
    assert vectors.shape == (3, onnx_encoder.dim) and [len(s) for s in sentences] == [2, 2, 1]
    np.testing.assert_allclose(np.linalg.norm(np.concatenate(sentences), axis=1), 1.0, atol=1e-5)
    # the chunk vectors are the encoder's own (same batch, so identical)
    np.testing.assert_array_equal(vectors, onnx_encoder.encode_passages([dense_text(c, RECIPE) for c in chunks]))

    counting.texts = []
    again, again_sentences = embed_chunks(cache, counting, chunks, per_chunk, SETTINGS)
    assert counting.texts == [] and cache.hits == 3
    np.testing.assert_array_equal(again, vectors)
    for a, b in zip(again_sentences, sentences, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_a_question_about_one_sentence_scores_that_sentence_highest(tmp_path, onnx_encoder, analyzer):
    chunks = _chunks()[:2]
    per_chunk = [analyzer.sentences(c.text) for c in chunks]
    _, sentences = embed_chunks(EmbeddingCache(None), onnx_encoder, chunks, per_chunk, SETTINGS)
    questions = [("农村低保一年能拿多少钱", 0, 1), ("基础养老金每月涨了多少", 0, 0),
                 ("示范企业要建多少家", 1, 0), ("怎么加强组织领导", 1, 1)]
    for question, chunk, expected in questions:
        q = onnx_encoder.encode_queries([question])[0]
        assert int(np.argmax(sentences[chunk] @ q)) == expected, question


@pytest.mark.slow
def test_separate_sentence_vectors_when_asked(tmp_path, onnx_encoder, analyzer):
    chunks = _chunks()
    per_chunk = [analyzer.sentences(c.text) for c in chunks]
    counting = _Counting(onnx_encoder)
    separate = SETTINGS.model_copy(update={"sentence_vectors": "separate"})
    _, sentences = embed_chunks(EmbeddingCache(None), counting, chunks, per_chunk, separate)
    texts = [s.text for ss in per_chunk for s in ss]
    assert counting.texts == [dense_text(c, RECIPE) for c in chunks] + texts
    alone = onnx_encoder.encode_passages(texts)
    assert float(np.min(np.sum(np.concatenate(sentences) * alone, axis=1))) >= 0.99


def test_spans_are_moved_into_the_embedded_passage(analyzer):
    chunk = _chunks()[0]
    passage = dense_text(chunk, RECIPE)
    sentences = analyzer.sentences(chunk.text)
    for (a, b), sentence in zip(passage_spans(passage, chunk, sentences), sentences, strict=True):
        assert passage[a:b] == sentence.text
    with pytest.raises(ValueError, match="does not end with its text"):
        passage_spans(passage + "。", chunk, sentences)
