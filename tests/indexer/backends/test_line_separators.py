"""Case 1 of issue 12: characters that ``str.splitlines`` treats as line ends never break the index."""

import pytest

from indexer.backends.local import LocalIndex
from indexer.ingest.pipeline import ingest

pytestmark = pytest.mark.slow

SEPARATORS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"


def test_a_document_with_line_separators_survives_a_reopen(tmp_path, test_settings, onnx_encoder):
    path = tmp_path / "notice.txt"
    clause = "第{}条 冬季取暖补贴{}每户每年1200元，由县级财政发放。\n\n"
    body = "".join(clause.format(n, sep) for n, sep in enumerate(SEPARATORS, 1))
    path.write_text("关于开展冬季供暖保障工作的通知\n\n" + body + "各地区要加强组织领导。" * 40, encoding="utf-8")
    result = ingest([path])
    assert not result.errors
    index = LocalIndex(tmp_path / "idx", test_settings, onnx_encoder)
    index.build(result.documents, result.chunks)

    reopened = LocalIndex.open(tmp_path / "idx", test_settings, onnx_encoder)
    assert len(reopened.chunks) == len(result.chunks)
    assert [d.text for d in reopened.documents.values()] == [d.text for d in result.documents]
    assert all(sep in reopened.documents[result.documents[0].doc_id].text for sep in "\u2028\u2029\x85")
    hits = reopened.search("冬季取暖补贴每户每年多少钱", top_k=3).hits
    assert hits and "1200元" in hits[0].chunk.text
