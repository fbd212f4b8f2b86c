"""The source view page: the whole document, escaped, the cited clause and its quote marked."""

from indexer.records import Chunk, Document
from service.pages.source_page import render_document, source_link

TEXT = "一、总则\n第一条 为了<b>规范</b>管理，制定本办法。\n二、附则\n第二条 本办法自2017年1月1日起施行。"


def _doc(**fields) -> Document:
    return Document("d1", "测试<script>alert(1)</script>办法", TEXT, "t.txt", "青政〔2017〕1号", "青海省人民政府",
                    "2017-01-01", **fields)


def _chunks() -> list[Chunk]:
    first_end = TEXT.index("二、")
    return [
        Chunk("d1_a", "d1", "测试办法", "青政〔2017〕1号", "", "", ["测试办法", "一、总则"], TEXT[:first_end],
              0, first_end),
        Chunk("d1_b", "d1", "测试办法", "青政〔2017〕1号", "", "", ["测试办法", "二、附则"], TEXT[first_end:],
              first_end, len(TEXT)),
    ]


def test_everything_is_escaped_and_the_whole_text_is_there():
    page = render_document(_doc(), _chunks())
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;规范&lt;/b&gt;" in page
    assert 'id="chunk-d1_a"' in page and 'id="chunk-d1_b"' in page
    for label in ("文号", "发文机关", "成文日期", "状态"):
        assert f"{label}：" in page
    assert "现行有效" in page and "可见范围" not in page  # empty fields get no row
    assert 'href="#chunk-d1_b"' in page  # clause hierarchy links to the clause


def test_the_cited_clause_and_its_quote_are_marked():
    page = render_document(_doc(), _chunks(), cited="d1_b", quote="本办法自2017年1月1日 起施行。")
    assert 'class="clause cited" id="chunk-d1_b"' in page
    assert '<mark class="quote" id="quote">本办法自2017年1月1日起施行。</mark>' in page


def test_lifecycle_fields_show_when_present():
    page = render_document(_doc(status="已废止", effective_to="2018-12-31", visibility=["财政厅"]), _chunks())
    assert "状态：" in page and "已废止" in page and "截止日期：" in page and "可见范围：" in page and "财政厅" in page
    assert 'role="alert"' in page


def test_source_link_encodes_everything():
    link = source_link("d 1", "d1_b", "引用&句")
    assert link == "/documents/d%201?chunk=d1_b&q=%E5%BC%95%E7%94%A8%26%E5%8F%A5#chunk-d1_b"
