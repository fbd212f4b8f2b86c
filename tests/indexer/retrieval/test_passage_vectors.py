"""Answer sentences' and headings' vectors pooled from their chunk's own encoder run, through the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from config import Settings
from indexer.records import Chunk
from indexer.retrieval.embedding_cache import EmbeddingCache
from indexer.retrieval.passage_text import dense_text
from indexer.retrieval.passage_vectors import embed_chunks, heading_span, passage_spans
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
    embedded = embed_chunks(cache, counting, chunks, per_chunk, SETTINGS)
    vectors, sentences, headings = embedded.chunks, embedded.sentences, embedded.headings
    assert counting.texts == [dense_text(c, RECIPE) for c in chunks]  # the chunks only: no sentence encoded on its own
    assert headings.shape == vectors.shape
    np.testing.assert_allclose(np.linalg.norm(headings, axis=1), 1.0, atol=1e-5)
    assert vectors.shape == (3, onnx_encoder.dim) and [len(s) for s in sentences] == [2, 2, 1]
    np.testing.assert_allclose(np.linalg.norm(np.concatenate(sentences), axis=1), 1.0, atol=1e-5)
    # the chunk vectors are the encoder's own (same batch, so identical)
    np.testing.assert_array_equal(vectors, onnx_encoder.encode_passages([dense_text(c, RECIPE) for c in chunks]))

    counting.texts = []
    again = embed_chunks(cache, counting, chunks, per_chunk, SETTINGS)
    assert counting.texts == [] and cache.hits == 3
    np.testing.assert_array_equal(again.chunks, vectors)
    np.testing.assert_array_equal(again.headings, headings)
    again_sentences = again.sentences
    for a, b in zip(again_sentences, sentences, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_a_question_about_one_sentence_scores_that_sentence_highest(tmp_path, onnx_encoder, analyzer):
    chunks = _chunks()[:2]
    per_chunk = [analyzer.sentences(c.text) for c in chunks]
    sentences = embed_chunks(EmbeddingCache(None), onnx_encoder, chunks, per_chunk, SETTINGS).sentences
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
    embedded = embed_chunks(EmbeddingCache(None), counting, chunks, per_chunk, separate)
    texts = [s.text for ss in per_chunk for s in ss]
    heading = chunks[0].doc_title  # the same for the three chunks (their path holds only a title): encoded once
    assert counting.texts == [dense_text(c, RECIPE) for c in chunks] + [heading] + texts
    alone = onnx_encoder.encode_passages(texts)
    assert float(np.min(np.sum(np.concatenate(embedded.sentences) * alone, axis=1))) >= 0.99
    assert float(np.min(embedded.headings @ onnx_encoder.encode_passages([heading])[0])) >= 0.99


@pytest.mark.slow
def test_the_heading_vector_reads_the_title_and_path_of_its_passage(onnx_encoder, analyzer):
    """Same clause text under two documents: the heading vectors tell the documents apart, and a passage
    that embeds no heading (``DENSE_TEXT=text``) stands for its own heading."""
    text = "所需资金由省级财政承担。"
    chunks = [Chunk(chunk_id=f"h{i}", doc_id=f"d{i}", doc_title=title, doc_number="", issuer="", date="",
                    heading_path=[title, path], text=text, start=0, end=len(text))
              for i, (title, path) in enumerate([("青海省通用航空业发展规划", "五、保障措施"),
                                                  ("青海省城乡居民基本养老保险实施办法", "三、基础养老金")])]
    per_chunk = [analyzer.sentences(c.text) for c in chunks]
    embedded = embed_chunks(EmbeddingCache(None), onnx_encoder, chunks, per_chunk, SETTINGS)
    for question, expected in (("通用航空的钱谁出", 0), ("养老金的钱谁出", 1)):
        q = onnx_encoder.encode_queries([question])[0]
        assert int(np.argmax(embedded.headings @ q)) == expected, question
    bare = embed_chunks(EmbeddingCache(None), onnx_encoder, chunks[:1], per_chunk[:1],
                        SETTINGS.model_copy(update={"dense_text": "text"}))
    np.testing.assert_allclose(bare.headings, bare.chunks, atol=1e-6)


def test_spans_are_moved_into_the_embedded_passage(analyzer):
    chunk = _chunks()[0]
    passage = dense_text(chunk, RECIPE)
    sentences = analyzer.sentences(chunk.text)
    for (a, b), sentence in zip(passage_spans(passage, chunk, sentences), sentences, strict=True):
        assert passage[a:b] == sentence.text
    with pytest.raises(ValueError, match="does not end with its text"):
        passage_spans(passage + "。", chunk, sentences)
    a, b = heading_span(passage, chunk)
    assert passage[a:b] == chunk.doc_title  # the heading path holds no clause heading below the title
    assert heading_span(chunk.text, chunk) == (0, 0)
