"""The contract every index backend keeps, run against each one (Milvus Lite real, the real model).

The fixture corpus is three documents of the gazette (~100 chunks) plus one
hand-written notice for updates. Read-only tests share one index per backend; the
update tests each build a private one. The last tests compare the two backends'
answers directly: they must not depend on where the index lives.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from fastapi.testclient import TestClient

from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.factory import new_backend, open_backend
from indexer.ingest.pipeline import ingest
from indexer.records import SearchFilters
from service.app import create_app

pytestmark = pytest.mark.slow

BACKENDS = ["local", "milvus"]
KEEP = ("青政办〔2017〕13号", "青政人〔2017〕7号", "青政办〔2017〕10号")
QUESTIONS = ["城乡居民基础养老金月人均标准提高多少", "青政办〔2017〕13号", "免去张蓝青的职务",
             "优化财政支出结构的基本原则", "民生十件实事的通知是哪天发的？", "农村低保标准"]
NOTICE = (
    "青海省人民政府办公厅\n\n关于开展冬季供暖保障工作的通知\n\n青政办〔2018〕99号\n\n各市、自治州人民政府：\n\n"
    "一、保障对象\n\n城镇低收入家庭冬季取暖补贴每户每年{amount}元。\n\n二、工作要求\n\n各地要在11月15日前完成发放。\n\n"
    "青海省人民政府办公厅\n\n2018年11月1日\n"
)


def _settings(base, tmp_path, backend: str):
    return base.model_copy(update={
        "index_backend": backend, "index_dir": tmp_path / "index", "milvus_uri": str(tmp_path / "milvus.db"),
        "milvus_refresh_s": 0.0,
    })


@pytest.fixture(scope="session")
def corpus(gazette_ingest):
    docs = [d for d in gazette_ingest.documents if d.doc_number in KEEP]
    ids = {d.doc_id for d in docs}
    return docs, [c for c in gazette_ingest.chunks if c.doc_id in ids]


def _build(settings, encoder, corpus) -> IndexBackend:
    index = new_backend(settings, encoder=encoder)
    index.build(*corpus)
    return index


@pytest.fixture(scope="session", params=BACKENDS)
def built(request, tmp_path_factory, test_settings, onnx_encoder, corpus):
    """(settings, index) per backend, shared by the read-only tests."""
    settings = _settings(test_settings, tmp_path_factory.mktemp(request.param), request.param)
    return settings, _build(settings, onnx_encoder, corpus)


@pytest.fixture(params=BACKENDS)
def private(request, tmp_path, test_settings, onnx_encoder, corpus):
    """A fresh index per test, for tests that change it."""
    settings = _settings(test_settings, tmp_path, request.param)
    return settings, _build(settings, onnx_encoder, corpus)


def _notice(tmp_path, amount: int = 1200):
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE.format(amount=amount), encoding="utf-8")
    result = ingest([path])
    assert not result.errors
    return result


def _ids(result) -> list[str]:
    return [h.chunk.chunk_id for h in result.hits]


# ---- reading -----------------------------------------------------------------------
def test_build_keeps_every_document_and_chunk(built, corpus):
    _, index = built
    docs, chunks = corpus
    assert isinstance(index, IndexBackend)
    assert [d.to_dict() for d in index.list_documents()] == [d.to_dict() for d in docs]
    assert index.document(docs[0].doc_id).to_dict() == docs[0].to_dict()
    assert index.document("no-such-doc") is None
    for doc in docs:
        assert [c.to_dict() for c in index.doc_chunks(doc.doc_id)] == [
            c.to_dict() for c in chunks if c.doc_id == doc.doc_id]
    assert index.chunk_counts() == {d.doc_id: sum(c.doc_id == d.doc_id for c in chunks) for d in docs}
    assert index.chunk(chunks[5].chunk_id).to_dict() == chunks[5].to_dict()
    assert index.chunk("no-such-chunk") is None
    stats = index.stats()
    assert (stats["documents"], stats["chunks"]) == (len(docs), len(chunks))


def test_neighbours_stay_inside_the_document(built, corpus):
    _, index = built
    docs, chunks = corpus
    own = [c for c in chunks if c.doc_id == docs[0].doc_id]
    before, after = index.neighbours(own[3].chunk_id, width=2)
    assert [c.chunk_id for c in before] == [c.chunk_id for c in own[1:3]]
    assert [c.chunk_id for c in after] == [c.chunk_id for c in own[4:6]]
    before, after = index.neighbours(own[0].chunk_id)
    assert before == [] and [c.chunk_id for c in after] == [own[1].chunk_id]
    before, after = index.neighbours(own[-1].chunk_id)
    assert after == [] and [c.chunk_id for c in before] == [own[-2].chunk_id]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_ranks_scored_hits(built, mode):
    _, index = built
    result = index.search("城乡居民基础养老金月人均标准提高多少", top_k=5, mode=mode)
    assert 1 <= len(result.hits) <= 5
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert "基础养老金" in result.hits[0].chunk.text or mode == "dense"
    assert all((h.dense_score == 0.0) == (mode == "bm25") for h in result.hits)
    with pytest.raises(ValueError, match="unknown mode"):
        index.search("养老金", mode="fuzzy")


def test_document_number_is_found_exactly(built):
    _, index = built
    hits = index.search("青政办〔2017〕13号", top_k=3, mode="bm25").hits
    assert hits and hits[0].chunk.doc_number == "青政办〔2017〕13号"


def test_filters_restrict_hits(built):
    _, index = built
    only = SearchFilters(doc_number="青政办〔2017〕10号")
    hits = index.search("实施意见", top_k=10, filters=only).hits
    assert hits and all(h.chunk.doc_number == "青政办〔2017〕10号" for h in hits)
    by_id = index.search("免职", top_k=10, filters=SearchFilters(doc_id=hits[0].chunk.doc_id)).hits
    assert by_id and all(h.chunk.doc_id == hits[0].chunk.doc_id for h in by_id)
    issuer = index.search("通知", top_k=20, filters=SearchFilters(issuer="办公厅")).hits
    assert issuer and all("办公厅" in h.chunk.issuer for h in issuer)
    dated = index.search("工作", top_k=20, filters=SearchFilters(date_from="2017-01-25", date_to="2017-01-31")).hits
    assert dated and all("2017-01-25" <= h.chunk.date <= "2017-01-31" for h in dated)
    for mode in ("bm25", "dense", "hybrid"):
        assert index.search("实施意见", mode=mode, filters=SearchFilters(issuer="不存在的机关")).hits == []


@pytest.mark.parametrize("value", ['办公厅" or doc_id != "', "办公厅' or 1 == 1 or '", "%", "_", "\\", "省%厅"])
def test_filter_values_cannot_change_the_expression(built, value):
    """Quotes, wildcards and backslashes are matched literally (no chunk holds them), never an error."""
    _, index = built
    for field in ("issuer", "doc_number", "doc_id"):
        result = index.search("通知", top_k=5, filters=SearchFilters(**{field: value}))
        assert result.hits == []


# ---- writing -----------------------------------------------------------------------
def test_add_replace_remove_and_reopen(private, tmp_path, onnx_encoder):
    settings, index = private
    n_docs, n_chunks = index.stats()["documents"], index.stats()["chunks"]
    first = _notice(tmp_path, 1200)
    index.add(first.documents, first.chunks)
    hit = index.search("冬季取暖补贴每户每年多少钱", top_k=3).hits[0]
    assert hit.chunk.doc_number == "青政办〔2018〕99号" and "1200元" in hit.chunk.text
    assert index.stats()["chunks"] == n_chunks + len(first.chunks)

    second = _notice(tmp_path, 1500)  # same document id, new text: replaces the first
    assert second.documents[0].doc_id == first.documents[0].doc_id
    index.add(second.documents, second.chunks)
    assert index.stats()["chunks"] == n_chunks + len(second.chunks)
    assert index.document(first.documents[0].doc_id).text == second.documents[0].text
    texts = [h.chunk.text for h in index.search("冬季取暖补贴", top_k=20, mode="bm25").hits]
    assert any("1500元" in t for t in texts) and not any("1200元" in t for t in texts)

    doc_id = next(d.doc_id for d in index.list_documents() if d.doc_number == "青政办〔2017〕13号")
    assert index.remove([doc_id, "no-such-doc"]) == [doc_id]
    assert index.remove([doc_id]) == []
    reopened = open_backend(settings, encoder=onnx_encoder)
    for backend in (index, reopened):
        assert backend.document(doc_id) is None and doc_id not in backend.chunk_counts()
        for question in ("城乡居民基础养老金月人均标准提高15元", "民生十件实事", "青政办〔2017〕13号"):
            for mode in ("bm25", "dense", "hybrid"):
                assert all(h.chunk.doc_id != doc_id for h in backend.search(question, top_k=50, mode=mode).hits)
        assert backend.stats()["documents"] == n_docs  # one removed, one added
    assert [d.to_dict() for d in reopened.list_documents()] == [d.to_dict() for d in index.list_documents()]
    question = "冬季取暖补贴每户每年多少钱"
    assert _ids(reopened.search(question)) == _ids(index.search(question))


def test_access_and_lifecycle_apply_before_ranking(private):
    """Outsiders never get a restricted document's chunks, in any mode; hide/demote/as_of follow status_on."""
    _, index = private
    # changed copies: the documents are the session's shared fixture records (the local backend keeps them)
    restricted = next(d for d in index.list_documents() if d.doc_number == "青政办〔2017〕13号")
    restricted = dataclasses.replace(restricted, visibility=["hr"])
    index.update_documents([restricted])
    assert index.document(restricted.doc_id).visibility == ["hr"]
    outsider, member = SearchFilters(groups=frozenset({"finance"})), SearchFilters(groups=frozenset({"hr", "x"}))
    for mode in ("bm25", "dense", "hybrid"):
        for question in ("城乡居民基础养老金月人均标准提高多少", "青政办〔2017〕13号", "民生十件实事是哪天发的？"):
            for filters in (outsider, SearchFilters(groups=frozenset())):
                assert all(h.chunk.doc_id != restricted.doc_id for h in index.search(question, 50, mode, filters).hits)
        assert index.search("城乡居民基础养老金", 3, mode, member).hits[0].chunk.doc_id == restricted.doc_id
        assert index.search("城乡居民基础养老金", 3, mode).hits[0].chunk.doc_id == restricted.doc_id
    with pytest.raises(KeyError):
        index.update_documents([_notice_doc()])

    repealed = next(d for d in index.list_documents() if d.doc_number == "青政办〔2017〕10号")
    repealed = dataclasses.replace(repealed, status="已废止", effective_to="2019-11-30")
    index.update_documents([repealed])
    question = "优化财政支出结构"
    assert index.search(question, 5, "bm25").hits[0].chunk.doc_id == repealed.doc_id
    hidden = index.search(question, 50, "bm25", SearchFilters(lifecycle="hide")).hits
    assert hidden and all(h.chunk.doc_id != repealed.doc_id for h in hidden)
    shown = [h.chunk.doc_id for h in index.search(question, 50, "bm25").hits]
    demoted = [h.chunk.doc_id for h in index.search(question, 50, "bm25", SearchFilters(lifecycle="demote")).hits]
    first = demoted.index(repealed.doc_id)  # the others first, then the repealed document's clauses
    assert first > 0 and set(demoted[first:]) == {repealed.doc_id}
    assert first >= sum(d != repealed.doc_id for d in shown)
    on_the_day = index.search(question, 5, "bm25", SearchFilters(lifecycle="hide", as_of="2018-01-01")).hits
    assert on_the_day[0].chunk.doc_id == repealed.doc_id


def _notice_doc():
    from indexer.records import Document

    return Document(doc_id="not-indexed", title="t", text="x", source="s")


def test_begin_update_returns_a_backend_that_serves_the_change(private, tmp_path):
    _, index = private
    updated = index.begin_update()
    notice = _notice(tmp_path)
    updated.add(notice.documents, notice.chunks)
    assert updated.search("冬季取暖补贴", top_k=1).hits[0].chunk.doc_number == "青政办〔2018〕99号"


def test_an_index_opens_only_with_the_dense_text_it_embeds(built, onnx_encoder):
    settings, _ = built
    other = "text" if settings.dense_text != "text" else "title_path_text"
    with pytest.raises(BackendUnavailable, match=rf"embeds the chunks' {settings.dense_text} \(DENSE_TEXT\)"):
        open_backend(settings.model_copy(update={"dense_text": other}), encoder=onnx_encoder)
    assert open_backend(settings, encoder=onnx_encoder).stats()["chunks"] == built[1].stats()["chunks"]


def test_the_corpus_abbreviations_reach_questions_after_reopening(built, onnx_encoder):
    """The home province (and mined pairs) travel with the dictionary each backend stores."""
    settings, index = built
    assert "我省=青海省" in index.user_terms
    reopened = open_backend(settings, encoder=onnx_encoder)
    query = reopened.analyzer.analyse("咱们省城乡居民基础养老金提高多少")
    assert "青海省" in query.search_terms and "青海省" not in query.tokens
    assert reopened.user_terms == index.user_terms


def test_an_index_of_an_older_format_is_refused_with_a_rebuild_hint(private, onnx_encoder):
    """E.g. one without the chunks' heading vectors, which the learned fusion reads."""
    settings, index = private
    if settings.index_backend == "local":
        path = index.index_dir.resolve() / "manifest.json"
        path.write_text(json.dumps(json.loads(path.read_text()) | {"format_version": 2}))
    else:
        index.store.put_state(index.version, index.state | {"format_version": 1})
    with pytest.raises(BackendUnavailable, match=r"format \d+, this version reads \d+; rebuild it"):
        open_backend(settings, encoder=onnx_encoder)


def test_the_service_answers_on_each_backend(built):
    settings, index = built
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["backend"] == index.stats()["backend"]
        body = client.post("/v1/search", json={"query": "城乡居民基础养老金提高多少", "top_k": 3}).json()
        assert "基础养老金" in body["results"][0]["text"]
        docs = client.get("/v1/documents").json()
        assert len(docs) == index.stats()["documents"]
        chunk_id = body["results"][0]["chunk_id"]
        assert client.get(f"/v1/chunks/{chunk_id}").json()["chunk"]["chunk_id"] == chunk_id
        answer = client.post("/v1/ask", json={"question": "城乡居民基础养老金月人均标准提高多少？"}).json()
        assert answer["answerable"] and answer["citations"]


# ---- the backends agree --------------------------------------------------------------
@pytest.fixture(scope="session")
def both(tmp_path_factory, test_settings, onnx_encoder, corpus):
    root = tmp_path_factory.mktemp("both")
    return {b: _build(_settings(test_settings, root / b, b), onnx_encoder, corpus) for b in BACKENDS}


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_answers_do_not_depend_on_the_backend(both, mode):
    local, milvus = both["local"], both["milvus"]
    for question in QUESTIONS:
        a, b = local.search(question, top_k=10, mode=mode), milvus.search(question, top_k=10, mode=mode)
        assert _ids(a) == _ids(b), question
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], rel=1e-4, abs=1e-6)
        assert [h.bm25_score for h in a.hits] == pytest.approx([h.bm25_score for h in b.hits], rel=1e-4, abs=1e-5)
        assert [h.dense_score for h in a.hits] == pytest.approx([h.dense_score for h in b.hits], abs=1e-4)
        assert (a.confident, a.route_kind) == (b.confident, b.route_kind)
        assert a.confidence == pytest.approx(b.confidence)
    assert local.term_weights(["养老金", "青海省", "不在索引里的词"]) == pytest.approx(
        milvus.term_weights(["养老金", "青海省", "不在索引里的词"]))


def test_sentence_vectors_are_ready_without_encoding(built, monkeypatch):
    _, index = built
    chunks = [h.chunk for h in index.search("城乡居民基础养老金月人均标准提高多少", top_k=3).hits]
    encoded: list[str] = []
    original = type(index.encoder).encode_passages

    def encode(self, texts, *args, **kwargs):
        encoded.extend(texts)
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(type(index.encoder), "encode_passages", encode)
    spans_original = type(index.encoder).encode_passages_with_spans

    def encode_with_spans(self, texts, *args, **kwargs):
        encoded.extend(texts)
        return spans_original(self, texts, *args, **kwargs)

    monkeypatch.setattr(type(index.encoder), "encode_passages_with_spans", encode_with_spans)
    per_chunk = index.sentence_vectors([c.chunk_id for c in chunks])
    assert encoded == []  # stored (local) or cached (Milvus) when the chunks were embedded
    for chunk, (sentences, vectors) in zip(chunks, per_chunk, strict=True):
        assert sentences == index.analyzer.sentences(chunk.text) and sentences
        assert vectors.shape == (len(sentences), index.encoder.dim)
        assert abs(float(vectors[0] @ vectors[0]) - 1.0) < 0.01


def test_a_milvus_lite_build_and_update_log_no_server_errors(tmp_path, test_settings, onnx_encoder, corpus, caplog):
    """Lite lacks the RPC pymilvus polls a new index with; the store must not call it (each build logged
    one server traceback per collection before). Updates flush what they wrote, which must not fail either."""
    settings = _settings(test_settings, tmp_path, "milvus")
    with caplog.at_level(logging.WARNING):
        index = _build(settings, onnx_encoder, corpus)
        notice = _notice(tmp_path)
        index.add(notice.documents, notice.chunks)
        assert index.remove([corpus[0][0].doc_id]) == [corpus[0][0].doc_id]
    assert [r.getMessage()[:120] for r in caplog.records if r.levelno >= logging.ERROR] == []
    hits = index.search("冬季取暖补贴每户每年多少", top_k=3, mode="bm25").hits
    assert hits and hits[0].chunk.doc_number == "青政办〔2018〕99号"
