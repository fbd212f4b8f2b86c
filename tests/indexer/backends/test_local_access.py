"""Access and lifecycle filters in the local backend: applied before ranking, as if the rest were absent."""

import copy

import numpy as np
import pytest

from indexer.backends.local import LocalIndex
from indexer.records import SearchFilters

pytestmark = pytest.mark.slow
RESTRICTED = "doc-2017-13-4dbd48"  # 民生十件实事
QUERIES = ["农村老人的基础养老金今年涨多少？", "青政办〔2017〕13号", "危险化学品企业黑名单在哪里公示", "通用机场建设"]


@pytest.fixture(scope="module")
def restricted_index(gazette_index, tmp_path_factory):
    index = gazette_index.copy()
    index.index_dir = tmp_path_factory.mktemp("access") / "index"
    doc = copy.deepcopy(index.document(RESTRICTED))
    doc.visibility = ["hr"]
    index.update_documents([doc])
    return index


@pytest.fixture(scope="module")
def index_without(gazette_index, gazette_ingest, test_settings, onnx_encoder, tmp_path_factory):
    """The same corpus indexed without the restricted document (same tokenizer dictionary)."""
    index = LocalIndex(tmp_path_factory.mktemp("without") / "index", test_settings, onnx_encoder)
    index.build(gazette_ingest.documents, gazette_ingest.chunks)
    index.remove([RESTRICTED])
    return index


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_an_outsider_searches_as_if_the_document_were_not_indexed(restricted_index, index_without, mode):
    outsider = SearchFilters(groups=frozenset({"finance"}))
    for query in QUERIES:
        seen = restricted_index.search(query, 10, mode, outsider)
        reference = index_without.search(query, 10, mode)
        assert all(h.chunk.doc_id != RESTRICTED for h in seen.hits)
        assert [h.chunk.chunk_id for h in seen.hits] == [h.chunk.chunk_id for h in reference.hits]
        assert np.allclose([h.score for h in seen.hits], [h.score for h in reference.hits])
        assert seen.confidence == pytest.approx(reference.confidence) and seen.confident == reference.confident


def test_members_and_trusted_callers_see_it(restricted_index):
    for filters in (SearchFilters(groups=frozenset({"hr"})), None):
        hits = restricted_index.search(QUERIES[0], 5, "bm25", filters).hits
        assert hits[0].chunk.doc_id == RESTRICTED


def test_lifecycle_hide_and_demote(restricted_index):
    doc = copy.deepcopy(restricted_index.document("doc-2017-15-a871c8"))
    doc.status, doc.effective_to = "已废止", "2019-11-30"
    index = restricted_index.copy()
    index.update_documents([doc])
    query = "危险化学品企业黑名单在哪里公示"
    assert index.search(query, 5, "bm25").hits[0].chunk.doc_id == doc.doc_id
    hidden = index.search(query, 50, "bm25", SearchFilters(lifecycle="hide")).hits
    assert hidden and all(h.chunk.doc_id != doc.doc_id for h in hidden)
    rare = "黑名单"  # few clauses carry it, so the demoted ones are still within the top 50
    shown = [h.chunk.doc_id for h in index.search(rare, 50, "bm25").hits]
    demoted = [h.chunk.doc_id for h in index.search(rare, 50, "bm25", SearchFilters(lifecycle="demote")).hits]
    assert shown[0] == doc.doc_id and sorted(shown) == sorted(demoted)
    first = demoted.index(doc.doc_id)
    assert first > 0 and set(demoted[first:]) == {doc.doc_id}
    on_the_day = index.search(query, 5, "bm25", SearchFilters(lifecycle="hide", as_of="2018-01-01")).hits
    assert on_the_day[0].chunk.doc_id == doc.doc_id
