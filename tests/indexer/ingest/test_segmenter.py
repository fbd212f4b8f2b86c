"""Segmentation of the real gazette issue, and of single documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.ingest.normalizer import is_page_break, normalize_document, repair_page_breaks
from indexer.ingest.segmenter import make_doc_id, segment
from indexer.records import Document, SourceText

ROOT = Path(__file__).resolve().parents[3]
GAZETTE = ROOT / "corpus" / "qinghai_gazette_2017.txt"

EXPECTED = [
    ("青政〔2017〕12号", "2017-01-24", "青海省人民政府", "青海省人民政府关于积极推进“互联网+”行动的实施意见"),
    ("青政办〔2017〕10号", "2017-02-08", "青海省人民政府办公厅",
     "青海省人民政府办公厅关于优化全省财政支出结构的实施意见"),
    ("青政办〔2017〕11号", "2017-01-06", "青海省人民政府办公厅",
     "青海省人民政府办公厅关于印发青海省“十三五”通用航空业发展规划的通知"),
    ("青政办〔2017〕13号", "2017-01-26", "青海省人民政府办公厅",
     "青海省人民政府办公厅关于做好2017年民生十件实事工作及任务分工的通知"),
    ("青政办〔2017〕15号", "2017-02-07", "青海省人民政府办公厅",
     "青海省人民政府办公厅关于印发青海省危险化学品安全综合治理实施方案的通知"),
    ("青政人〔2017〕7号", "2017-02-09", "青海省人民政府", "青海省人民政府关于张蓝青等同志免职的通知"),
    ("", "2017-01", "", "省政府2016年10月份大事记"),
]


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    text = GAZETTE.read_text(encoding="utf-8")
    return segment(SourceText(str(GAZETTE), text, "utf-8", "text"))


def by_number(documents: list[Document], number: str) -> Document:
    return next(doc for doc in documents if doc.doc_number == number)


def test_exactly_the_seven_documents_with_metadata(documents: list[Document]) -> None:
    assert [(d.doc_number, d.date, d.issuer, d.title) for d in documents] == EXPECTED
    assert [d.kind for d in documents] == ["document"] * 6 + ["chronicle"]
    assert all(d.source == str(GAZETTE) for d in documents)


def test_subject_and_addressees_are_kept(documents: list[Document]) -> None:
    metadata = by_number(documents, "青政办〔2017〕10号").metadata
    assert metadata["subject"] == "关于优化全省财政支出结构的实施意见"
    assert metadata["addressees"] == "各市、自治州人民政府，省政府各委、办、厅、局"


def test_inserted_notice_is_its_own_document_and_host_reads_on(documents: list[Document]) -> None:
    host = by_number(documents, "青政办〔2017〕15号")
    notice = by_number(documents, "青政人〔2017〕7号")
    assert "36. 加强化工行业管理人才培养。推动各地区加快人才培养，开展化工高层次人才培养" in host.text
    assert "免去" not in host.text and "张蓝青" not in host.text
    assert host.text.rstrip().endswith("适时组织对各地区、各有关部门开展危险化学品安全综合治理工作的情况进行督查。")
    assert "37. 加快化工产业技能人才培养" in host.text and "六、工作要求" in host.text
    assert notice.text.startswith("青海省人民政府\n\n关于张蓝青等同志免职的通知\n\n青政人〔2017〕7号")
    assert notice.text.endswith("邢小方同志的青海省林业厅副厅长职务。\n\n青海省人民政府\n\n2017年2月9日")
    assert notice.metadata["inserted_in"] == "青政办〔2017〕15号"
    assert host.metadata["interrupted_by"] == "青政人〔2017〕7号"


def test_attachments_and_attached_plan_stay_with_their_notice(documents: list[Document]) -> None:
    notice = by_number(documents, "青政办〔2017〕11号")
    assert "青海省“十三五”通用航空业发展规划\n\n通用航空业是国家战略性新兴产业" in notice.text
    assert "合计\t运输机场\t9\t近期通用机场\t16\t远期通用机场\t24" in notice.text
    assert notice.text.endswith("附件4")
    assert "民生十件实事" not in notice.text


@pytest.mark.parametrize(
    ("number", "repaired"),
    [
        ("青政〔2017〕12号", "推广智能冰箱、网络电视、智能空调"),
        ("青政〔2017〕12号", "积极与“互联网+”相结合"),
        ("青政〔2017〕12号", "青海保监局、省通信管理局、省网信办)"),
        ("青政办〔2017〕10号", "全面贯彻落实党的十八大和省委十二届历次全会精神"),
        ("青政办〔2017〕13号", "26. 建立计划生育特殊家庭住院陪护保险制度。积极探索健康保险。"),
        ("青政办〔2017〕11号", "——建成5个主干通用机场，若干三类通用机场,力争完成投资16亿元。"),
        ("", "●1月18日 政协十一届二十四次常委会议在西宁举行。"),
    ],
)
def test_page_breaks_are_joined(documents: list[Document], number: str, repaired: str) -> None:
    doc = by_number(documents, number)
    assert repaired in doc.text


def test_headings_titles_and_signatures_are_not_joined(documents: list[Document]) -> None:
    plan = by_number(documents, "青政办〔2017〕10号")
    assert "一、充分认识重要意义\n\n财政支出是政府" in plan.text
    assert "青海省人民政府办公厅\n\n2017年2月8日" in plan.text
    gazette = by_number(documents, "青政〔2017〕12号")
    assert "专栏一:“互联网+”创新创业重点工程\n\n——众创空间构建工程" in gazette.text


def test_markdown_emphasis_is_removed_and_remembered(documents: list[Document]) -> None:
    doc = by_number(documents, "青政办〔2017〕10号")
    assert all("**" not in d.text for d in documents)
    spans = [doc.text[a:b] for a, b in doc.metadata["emphasis"]]
    assert "合理界定财政保障范围。" in spans
    assert "强化专项管理。" in spans
    assert "合理界定财政保障范围。加快推进政企分开" in doc.text


def test_chronicle_is_dated_by_its_entries(documents: list[Document]) -> None:
    chronicle = documents[-1]
    assert chronicle.doc_number == "" and chronicle.kind == "chronicle"
    assert chronicle.date == "2017-01"
    assert chronicle.metadata["stated_period"] == "2016-10"
    assert chronicle.text.startswith("省政府 2016 年 10 月份大事记\n\n●1月4日和5日")


def test_doc_ids_are_stable_unique_and_readable(documents: list[Document]) -> None:
    again = segment(SourceText(str(GAZETTE), GAZETTE.read_text(encoding="utf-8"), "utf-8", "text"))
    assert [d.doc_id for d in documents] == [d.doc_id for d in again]
    assert len({d.doc_id for d in documents}) == 7
    assert by_number(documents, "青政办〔2017〕10号").doc_id.startswith("doc-2017-10-")
    assert documents[-1].doc_id.startswith("qinghai-gazette-2017-")
    assert make_doc_id("青政办〔2017〕10号", "a.txt", "x") == make_doc_id("青政办〔2017〕10号", "b.txt", "y")
    same_file = make_doc_id("", "/abs/corpus/a.txt", "x")
    assert same_file == make_doc_id("", "corpus/a.txt", "x") != make_doc_id("", "a.txt", "y")


def test_single_document_without_number_uses_first_line_as_title() -> None:
    text = (ROOT / "tests" / "fixtures" / "policy_clean.txt").read_text(encoding="utf-8")
    [doc] = segment(SourceText("fixtures/policy_clean.txt", text, "utf-8", "text"))
    assert doc.title == "青海省人民政府办公厅关于支持民营经济发展的若干措施"
    assert doc.doc_number == "" and doc.date == ""
    assert doc.doc_id.startswith("policy-clean-")


def test_single_document_with_number_and_signature() -> None:
    text = (
        "青海省人民政府办公厅\n关于做好春运工作的通知\n青政办〔2017〕99号\n各市、自治州人民政府：\n"
        "一、加强组织领导。\n青海省人民政府办公厅\n二〇一七年一月二十日\n"
    )
    [doc] = segment(SourceText("n.txt", text, "utf-8", "text"))
    assert (doc.title, doc.doc_number, doc.issuer, doc.date) == (
        "青海省人民政府办公厅关于做好春运工作的通知", "青政办〔2017〕99号", "青海省人民政府办公厅", "2017-01-20")


def test_letterhead_before_the_number_and_title_after_it() -> None:
    text = (
        "青海省人民政府文件\n\n青政〔2017〕12号\n\n青海省人民政府关于积极推进“互联网+”行动的实施意见\n\n"
        "各市、自治州人民政府：\n\n一、总体要求。正文。\n\n青海省人民政府\n\n2017年1月24日\n"
    )
    [doc] = segment(SourceText("red-header.txt", text, "utf-8", "text"))
    assert (doc.title, doc.issuer, doc.doc_number, doc.date) == (
        "青海省人民政府关于积极推进“互联网+”行动的实施意见", "青海省人民政府", "青政〔2017〕12号", "2017-01-24")


def test_jsonl_record_title_and_id_are_used() -> None:
    text = "各市、自治州人民政府：\n\n为保障群众温暖过冬，现就有关事项通知如下。"
    source = SourceText("bulk.jsonl#notice-002", text, "utf-8", "jsonl",
                        {"id": "notice-002", "title": "关于开展冬季供暖检查的通知"})
    [doc] = segment(source)
    assert doc.title == "关于开展冬季供暖检查的通知"
    assert doc.doc_id == "notice-002"


@pytest.mark.parametrize(
    ("before", "after", "joined"),
    [
        ("促进我省农牧业、工业等传统产业积极与“互联", "网+”相结合", True),
        ("26. 建立计划生育特殊家庭住院陪护保险制", "度。积极探索健康保险。", True),
        ("（一）指导思想。", "全面贯彻落实党的十八大", False),
        ("一、总体要求", "（一）指导思想。牢固树立", False),
        ("一、充分认识重要意义", "财政支出是政府为提供公共产品", False),
        ("青海省危险化学品安全综合治理实施方案", "根据《国务院办公厅关于印发》要求", False),
        ("青海省人民政府", "2017年1月24日", False),
        ("空间布局\t运输机场", "\t名称\t数量", False),
        ("单位：亿元", "项目名称\t建设地点", False),
    ],
)
def test_page_break_rule(before: str, after: str, joined: bool) -> None:
    assert is_page_break(before, after) is joined


def test_page_numbers_are_dropped_and_docx_paragraphs_are_never_joined() -> None:
    assert normalize_document("推动各地\n\n— 12 —\n\n区加快人才培养。").text == "推动各地区加快人才培养。"
    assert normalize_document("总体要求\n为深入贯彻", join_breaks=False).text == "总体要求\n为深入贯彻"
    [doc] = segment(SourceText("a.docx", "关于做好春运工作的通知\n总体要求\n为深入贯彻落实。", "docx", "docx"))
    assert doc.text == "关于做好春运工作的通知\n总体要求\n为深入贯彻落实。"


def test_repair_joins_latin_words_with_a_space_and_keeps_table_rows_tight() -> None:
    assert repair_page_breaks("the works start on\n\n1 March.") == "the works start on 1 March."
    assert repair_page_breaks("a\tb\n\nc\td") == "a\tb\nc\td"
    normalized = normalize_document("**加强组织领导。**各地区要\n\n成立工作专班。")
    assert normalized.text == "加强组织领导。各地区要成立工作专班。"
    assert normalized.emphasis == [(0, 7)]
