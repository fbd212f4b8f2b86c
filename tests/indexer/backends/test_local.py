"""The index folder with the real model: build, search, incremental updates, safety."""

import json
import shutil

import numpy as np
import pytest

from indexer.backends.local import LocalIndex
from indexer.backends.local_store import IndexLoadError
from indexer.ingest.pipeline import ingest
from indexer.records import SearchFilters
from indexer.retrieval.passage_text import DENSE_TEXTS, dense_text
from indexer.retrieval.passage_vectors import passage_spans

pytestmark = pytest.mark.slow


def test_document_number_and_exact_phrase_are_found(gazette_index):
    hits = gazette_index.search("青政办〔2017〕13号", top_k=3, mode="bm25").hits
    assert hits and hits[0].chunk.doc_number == "青政办〔2017〕13号"
    phrase = "建立计划生育特殊家庭住院陪护保险制度"
    hits = gazette_index.search(phrase, top_k=3).hits
    assert phrase in hits[0].chunk.text


def test_traditional_characters_find_simplified_text(gazette_index):
    hits = gazette_index.search("城鄉居民基礎養老金", top_k=3, mode="bm25").hits
    assert any("基础养老金" in h.chunk.text for h in hits)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_returns_scored_hits(gazette_index, mode):
    result = gazette_index.search("危险化学品企业黑名单在哪里公示", top_k=5, mode=mode)
    assert 1 <= len(result.hits) <= 5
    assert all(h.chunk.chunk_id for h in result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_filters_restrict_hits(gazette_index):
    only = SearchFilters(doc_number="青政办〔2017〕15号")
    hits = gazette_index.search("牵头单位", top_k=10, filters=only).hits
    assert hits and all(h.chunk.doc_number == "青政办〔2017〕15号" for h in hits)
    dated = SearchFilters(date_from="2017-02-01", date_to="2017-02-08")
    hits = gazette_index.search("实施意见", top_k=20, filters=dated).hits
    assert hits and all("2017-02-01" <= h.chunk.date <= "2017-02-08" for h in hits)
    assert gazette_index.search("实施意见", filters=SearchFilters(issuer="不存在的机关")).hits == []


def test_weights_override_changes_the_fusion(gazette_index):
    q = "以后城里家家户户都能接上光纤吗"
    lexical = gazette_index.search(q, top_k=5, weights=(1.0, 0.0)).hits
    semantic = gazette_index.search(q, top_k=5, weights=(0.0, 1.0)).hits
    assert [h.chunk.chunk_id for h in lexical] == [
        h.chunk.chunk_id for h in gazette_index.search(q, top_k=5, mode="bm25").hits
    ]
    assert [h.chunk.chunk_id for h in semantic] == [
        h.chunk.chunk_id for h in gazette_index.search(q, top_k=5, mode="dense").hits
    ]


@pytest.fixture()
def small_index(tmp_path, test_settings, onnx_encoder, gazette_ingest):
    """A private copy of the gazette index that tests may change."""
    index = LocalIndex(tmp_path / "idx", test_settings, onnx_encoder)
    index.build(gazette_ingest.documents, gazette_ingest.chunks)
    return index


def test_rebuilding_an_unchanged_corpus_embeds_nothing(small_index, gazette_ingest):
    small_index.cache.misses = 0
    small_index.build(gazette_ingest.documents, gazette_ingest.chunks)
    assert small_index.cache.misses == 0 and small_index.cache.hits >= len(gazette_ingest.chunks)


def test_chunk_ids_are_stable_across_ingests(gazette_ingest):
    again = ingest([gazette_ingest.documents[0].source])
    assert [c.chunk_id for c in again.chunks] == [c.chunk_id for c in gazette_ingest.chunks]


def test_remove_then_reopen_never_brings_a_document_back(small_index, test_settings, onnx_encoder):
    doc_id = next(d for d, doc in small_index.documents.items() if doc.doc_number == "青政办〔2017〕13号")
    assert small_index.remove([doc_id]) == [doc_id]
    reopened = LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    assert doc_id not in reopened.documents
    hits = reopened.search("城乡居民基础养老金月人均标准提高15元", top_k=20).hits
    assert all(h.chunk.doc_id != doc_id for h in hits)
    assert reopened.stats()["chunks"] == len(reopened.chunks) == reopened.manifest.chunk_count


def test_add_replaces_a_document_with_the_same_id(small_index, tmp_path, gazette_ingest):
    before = len(small_index.chunks)
    doc = gazette_ingest.documents[5]
    chunks = [c for c in gazette_ingest.chunks if c.doc_id == doc.doc_id]
    small_index.add([doc], chunks)
    assert len(small_index.chunks) == before
    assert sum(1 for c in small_index.chunks if c.doc_id == doc.doc_id) == len(chunks)


def test_add_a_new_file_incrementally(small_index, tmp_path):
    new = tmp_path / "notice.txt"
    new.write_text(
        "青海省人民政府办公厅\n\n关于开展冬季供暖保障工作的通知\n\n青政办〔2018〕99号\n\n各市、自治州人民政府：\n\n"
        "一、保障对象\n\n城镇低收入家庭冬季取暖补贴每户每年1200元。\n\n青海省人民政府办公厅\n\n2018年11月1日\n",
        encoding="utf-8",
    )
    result = ingest([new])
    small_index.add(result.documents, result.chunks)
    hits = small_index.search("冬季取暖补贴每户每年多少钱", top_k=3).hits
    assert hits[0].chunk.doc_number == "青政办〔2018〕99号"


def test_a_crash_mid_build_leaves_the_previous_index_serving(small_index, test_settings, onnx_encoder, monkeypatch):
    before = LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder).manifest.corpus_fingerprint

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(small_index.dense, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        small_index.remove([next(iter(small_index.documents))])
    reopened = LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    assert reopened.manifest.corpus_fingerprint == before
    versions = small_index.index_dir.with_name(small_index.index_dir.name + ".versions").iterdir()
    assert sorted(p.name for p in versions if p.name != ".leases") == ["v000001"]  # the half-written one is gone


def test_loading_with_another_encoder_is_refused(small_index, test_settings, torch_encoder):
    with pytest.raises(IndexLoadError, match=r"was built with encoder onnx-int8.*configured encoder is torch"):
        LocalIndex.open(small_index.index_dir, test_settings, torch_encoder)


def test_the_index_embeds_and_records_its_dense_text(tmp_path, test_settings, onnx_encoder, gazette_ingest):
    doc = gazette_ingest.documents[0]
    chunks = [c for c in gazette_ingest.chunks if c.doc_id == doc.doc_id][:12]
    chosen = "heading_text" if test_settings.dense_text != "heading_text" else "text"
    settings = test_settings.model_copy(update={"dense_text": chosen})
    index = LocalIndex(tmp_path / "idx", settings, onnx_encoder)
    index.build([doc], chunks)
    # a chunk whose four texts all differ: its stored vector is nearest to the chosen one's
    row = next(i for i, c in enumerate(chunks) if len({dense_text(c, r) for r in DENSE_TEXTS}) == len(DENSE_TEXTS))
    texts = [dense_text(chunks[row], r) for r in DENSE_TEXTS]
    similarity = onnx_encoder.encode_passages(texts) @ index.dense.vectors[row]
    assert list(DENSE_TEXTS)[int(np.argmax(similarity))] == chosen
    assert index.manifest.settings["dense_text"] == chosen
    with pytest.raises(IndexLoadError, match=rf"embeds the chunks' {chosen} \(DENSE_TEXT\).*DENSE_TEXT is "):
        LocalIndex.open(index.index_dir, test_settings, onnx_encoder)
    assert LocalIndex.open(index.index_dir, settings, onnx_encoder).manifest.settings["dense_text"] == chosen


def test_an_index_from_before_the_setting_embedded_title_path_and_text(small_index, test_settings, onnx_encoder):
    path = small_index.index_dir.resolve() / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["settings"]["dense_text"]
    path.write_text(json.dumps(manifest))
    old = test_settings.model_copy(update={"dense_text": "title_path_text"})
    assert LocalIndex.open(small_index.index_dir, old, onnx_encoder).manifest.chunk_count == len(small_index.chunks)
    with pytest.raises(IndexLoadError, match="embeds the chunks' title_path_text"):
        LocalIndex.open(small_index.index_dir, old.model_copy(update={"dense_text": "text"}), onnx_encoder)


def test_damaged_or_missing_index_files_give_a_clear_error(small_index, test_settings, onnx_encoder, tmp_path):
    folder = small_index.index_dir.resolve()
    with open(folder / "chunks.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"chunk_id": "x"}) + "\n")
    with pytest.raises(IndexLoadError, match="damaged"):
        LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    shutil.rmtree(folder / "bm25")
    with pytest.raises(IndexLoadError, match="missing"):
        LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    with pytest.raises(IndexLoadError, match="no index at"):
        LocalIndex.open(tmp_path / "nothing-here", test_settings, onnx_encoder)


def test_sentence_vectors_are_stored_at_index_time_and_follow_updates(small_index, test_settings, onnx_encoder):
    gone = small_index.chunks[0].doc_id
    chunk = next(c for c in small_index.chunks if c.doc_id != gone and len(small_index.analyzer.sentences(c.text)) > 1)
    [(sentences, vectors)] = small_index.sentence_vectors([chunk.chunk_id])
    assert sentences == small_index.analyzer.sentences(chunk.text)
    # pooled from the chunk's own run (int8 activations are quantized per batch: a vector moves
    # slightly with its batch-mates, ≈ 0.998)
    passage = dense_text(chunk, test_settings.dense_text)
    _, [fresh] = onnx_encoder.encode_passages_with_spans([passage], [passage_spans(passage, chunk, sentences)])
    assert np.min(np.sum(vectors * fresh, axis=1)) >= 0.99
    small_index.remove([gone])
    reopened = LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    [(again, again_vectors)] = reopened.sentence_vectors([chunk.chunk_id])
    assert again == sentences and np.array_equal(again_vectors, vectors)
    for c in reopened.chunks[::25]:
        [(s, v)] = reopened.sentence_vectors([c.chunk_id])
        assert len(s) == len(v) and [x.text for x in s] == [x.text for x in reopened.analyzer.sentences(c.text)]


def _terms_as_cut_now(index, chunk):
    return [frozenset(index.analyzer.tokens(s.text)) for s in index.analyzer.sentences(chunk.text)]


def test_sentence_terms_are_cut_at_index_time_and_follow_updates(small_index, test_settings, onnx_encoder,
                                                                 tmp_path):
    ids = [c.chunk_id for c in small_index.chunks]
    assert small_index.sentence_terms(ids) == [_terms_as_cut_now(small_index, c) for c in small_index.chunks]
    gone = small_index.chunks[0].doc_id
    small_index.remove([gone])
    reopened = LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    assert all(c.doc_id != gone for c in reopened.chunks)
    assert reopened.sentence_terms([c.chunk_id for c in reopened.chunks]) == [
        _terms_as_cut_now(reopened, c) for c in reopened.chunks]
    # an update that adds words to the corpus dictionary changes the tokenizer: the chunks cut before
    # report no terms (the composer cuts them itself), the new ones are cut with the new dictionary
    new = tmp_path / "notice.txt"
    new.write_text("关于“雪域暖冬行动”的通知\n\n青政办〔2018〕98号\n\n一、实施“雪域暖冬行动”，每户补贴1200元。\n",
                   encoding="utf-8")
    result = ingest([new])
    before = len(reopened.user_terms)
    reopened.add(result.documents, result.chunks)
    assert len(reopened.user_terms) > before
    old, added = reopened.chunks[0], reopened.chunks[-1]
    assert reopened.sentence_terms([old.chunk_id]) == [None]
    [terms] = reopened.sentence_terms([added.chunk_id])
    assert terms == _terms_as_cut_now(reopened, added) and any("雪域暖冬行动" in t for t in terms)


def test_an_index_without_stored_sentence_terms_still_opens_and_answers_alike(small_index, test_settings,
                                                                             onnx_encoder):
    from service.answering import Answerer

    question = "城乡居民基础养老金月人均标准提高多少"
    expected = Answerer(test_settings).answer(small_index, question, 5, None)
    folder = small_index.index_dir.resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in ("terms.json", "term_ids.npy", "term_offsets.npy", "term_dictionary.npy"):
        (folder / "sentences" / name).unlink()
        del manifest["files"][f"sentences/{name}"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    old = LocalIndex.open(small_index.index_dir, test_settings, onnx_encoder)
    assert old.sentence_terms([c.chunk_id for c in old.chunks[:3]]) == [None] * 3
    answer = Answerer(test_settings).answer(old, question, 5, None)
    assert answer.answer == expected.answer and answer.answerable
    assert [c.quote for c in answer.citations] == [c.quote for c in expected.citations]
