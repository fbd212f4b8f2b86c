"""Clause chunking: acceptance on the real gazette, plus small hand-made documents."""

from __future__ import annotations

import itertools
import re
import statistics
from pathlib import Path

import pytest

from evaluation.chunk_coverage import DEFAULT_GOLD, chunk_coverage, load_questions
from indexer.ingest.clause_splitter import chunk_document
from indexer.ingest.pipeline import IngestResult, ingest
from indexer.records import Chunk, Document

ROOT = Path(__file__).resolve().parents[3]
GAZETTE = ROOT / "corpus" / "qinghai_gazette_2017.txt"
FIXTURES = ROOT / "tests" / "fixtures"
TITLE_12 = "青海省人民政府关于积极推进“互联网+”行动的实施意见"
TITLE_10 = "青海省人民政府办公厅关于优化全省财政支出结构的实施意见"
TITLE_11 = "青海省人民政府办公厅关于印发青海省“十三五”通用航空业发展规划的通知"


@pytest.fixture(scope="module")
def gazette() -> IngestResult:
    result = ingest([GAZETTE], max_chars=500, min_chars=40)
    assert result.errors == []
    return result


def holding(result: IngestResult, needle: str) -> Chunk:
    found = [c for c in result.chunks if needle in c.text]
    assert found, needle
    return found[0]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_offsets_point_into_the_document_text(gazette: IngestResult) -> None:
    documents = {d.doc_id: d for d in gazette.documents}
    for chunk in gazette.chunks:
        doc = documents[chunk.doc_id]
        assert (chunk.doc_title, chunk.doc_number, chunk.issuer, chunk.date) == (
            doc.title, doc.doc_number, doc.issuer, doc.date)
        assert 0 <= chunk.start < chunk.end <= len(doc.text)
        body = doc.text[chunk.start:chunk.end]
        assert chunk.text == body or (chunk.text.endswith("\n" + body) and "\t" in body)
        assert chunk.heading_path[0] == doc.title


def test_no_chunk_spans_two_documents(gazette: IngestResult) -> None:
    for chunk in gazette.chunks:
        numbers = [n for n in re.findall(r"青政\S{0,2}〔2017〕\d+号", chunk.text)]
        assert len(set(numbers)) <= 1, chunk.chunk_id
    assert not any("免去" in c.text and c.doc_number == "青政办〔2017〕15号" for c in gazette.chunks)


def test_chunk_sizes(gazette: IngestResult) -> None:
    lengths = [len(c.text) for c in gazette.chunks]
    assert 60 <= statistics.median(lengths) <= 350
    assert max(lengths) <= 500


@pytest.mark.parametrize(
    "repaired", ["推广智能冰箱、网络电视、智能空调", "建立计划生育特殊家庭住院陪护保险制度", "推动各地区加快人才培养"]
)
def test_page_break_repairs_are_visible_in_chunks(gazette: IngestResult, repaired: str) -> None:
    holding(gazette, repaired)


def test_heading_path_of_main_goals(gazette: IngestResult) -> None:
    chunk = holding(gazette, "到2020年，互联网与经济社会各领域的融合发展进一步深化")
    assert chunk.heading_path == [TITLE_12, "一、总体要求", "（三）主要目标"]
    assert chunk.text.startswith("（三）主要目标。到2020年")


def test_item_36_reads_on_in_one_chunk(gazette: IngestResult) -> None:
    chunk = holding(gazette, "推动各地区加快人才培养")
    assert chunk.doc_number == "青政办〔2017〕15号"
    assert chunk.heading_path[-1] == "36. 加强化工行业管理人才培养"
    assert "36. 加强化工行业管理人才培养。推动各地区加快人才培养，开展化工高层次人才培养" in chunk.text


def test_bold_lead_ins_are_sub_headings_kept_in_text(gazette: IngestResult) -> None:
    chunk = holding(gazette, "合理界定财政保障范围。加快推进政企分开")
    assert chunk.heading_path == [TITLE_10, "三、严格落实工作举措", "(二) 坚定不移清退固化支出", "合理界定财政保障范围"]
    assert chunk.text.startswith("合理界定财政保障范围。")
    inline = holding(gazette, "2017年民生十件实事总体思路是：")
    assert inline.heading_path[1:] == ["一、总体思路"]


def test_responsibility_heading_line_stays_with_its_section(gazette: IngestResult) -> None:
    chunk = holding(gazette, "(一)“互联网+”创新创业(牵头单位:省科技厅;责任单位:省发展改革委")
    assert chunk.heading_path == [TITLE_12, "二、重点领域", "(一)“互联网+”创新创业"]
    assert "系统整合各类资源,合力推进众创空间建设" in chunk.text


def test_boxes_nest_their_own_numbering(gazette: IngestResult) -> None:
    inner = holding(gazette, "建设全省公共信用信息共享交换平台")
    assert inner.heading_path == [
        TITLE_12, "二、重点领域", "（五）“互联网+”智慧民生服务",
        "专栏五：“互联网+”智慧民生重点工程", "一、社会信用体系重点工程",
    ]
    bullet = holding(gazette, "——众创空间构建工程")
    assert bullet.heading_path[-2:] == ["专栏一:“互联网+”创新创业重点工程", "众创空间构建工程"]
    after_box = holding(gazette, "加快互联网与交通运输领域的深度融合")
    assert after_box.heading_path == [TITLE_12, "二、重点领域", "(六)“互联网+”智慧交通物流"]
    assert holding(gazette, "成立由省政府领导牵头的").heading_path == [TITLE_12, "三、保障措施", "(一)加强组织领导"]


def test_tables_are_grouped_under_a_repeated_header(gazette: IngestResult) -> None:
    header = "项目名称\t建设地点\t建设规模及主要建设内容\t总投资\t“十三五”预计投资"
    groups = [c for c in gazette.chunks if c.heading_path[1:] == ["附件2", "青海省“十三五”通用机场项目规划表"]]
    assert len(groups) >= 2
    assert all(header in c.text for c in groups)
    assert "单位：亿元" in groups[0].text
    rows = [line for c in groups for line in c.text.splitlines() if "\t" in line and line != header]
    assert len(rows) == len(set(rows)) == 15
    assert "合计\t\t\t23.8\t16.3" in groups[-1].text
    first = holding(gazette, "东部通用机场群\t西宁")
    assert first.heading_path == [TITLE_11, "附件1", "青海省通用机场布局规划表"]
    assert "\t名称\t数量\t近期规划" in first.text and "备注：本布局规划表不包括" in first.text
    figure = [c for c in gazette.chunks if c.heading_path[1:2] == ["附件4"]]
    assert figure[0].heading_path[2] == "青海省通用航空产业布局规划图(2016年-2030年)"


def test_header_and_signature_chunks(gazette: IngestResult) -> None:
    header = holding(gazette, "青政办〔2017〕10号")
    assert header.heading_path == [TITLE_10]
    assert "青海省人民政府办公厅 关于优化全省财政支出结构的实施意见" in header.text
    signature = holding(gazette, "2017年1月24日")
    assert signature.heading_path == [TITLE_12]
    assert squash(signature.text) == "青海省人民政府2017年1月24日"


def test_chronicle_entries(gazette: IngestResult) -> None:
    entry = holding(gazette, "省政府与浪潮集团有限公司在西宁签署战略合作协议")
    assert entry.heading_path == ["省政府2016年10月份大事记", "1月12日"]
    assert entry.date == "2017-01" and entry.doc_number == ""
    first = holding(gazette, "●1月20日 省十二届人大六次会议圆满完成各项议程")
    index = gazette.chunks.index(first)
    second = gazette.chunks[index + 1]
    assert first.heading_path == second.heading_path == ["省政府2016年10月份大事记", "1月20日"]
    assert "王建军为青海省人民政府省长" in first.text + second.text
    assert len(first.text) <= 500 and len(second.text) <= 500
    assert first.text.endswith("。") and second.start <= first.end  # cut at a sentence end, nothing lost


def test_chunk_ids_are_stable_and_unique(gazette: IngestResult) -> None:
    again = ingest([GAZETTE], max_chars=500, min_chars=40)
    assert [c.chunk_id for c in gazette.chunks] == [c.chunk_id for c in again.chunks]
    assert len({c.chunk_id for c in gazette.chunks}) == len(gazette.chunks)
    assert all(c.chunk_id.startswith(c.doc_id + "_") for c in gazette.chunks)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", c.chunk_id) for c in gazette.chunks)  # safe in a URL path


def test_dev_set_evidence_lies_inside_single_chunks(gazette: IngestResult) -> None:
    report = chunk_coverage(gazette.chunks, load_questions(DEFAULT_GOLD))
    assert report.n_answerable > 100
    assert report.coverage >= 0.95, report.misses


@pytest.mark.parametrize("variant", ["policy_oneline.txt", "policy_gb18030.txt"])
def test_inline_numbered_and_gb18030_files_chunk_like_the_clean_file(variant: str) -> None:
    clean = ingest([FIXTURES / "policy_clean.txt"])
    other = ingest([FIXTURES / variant])
    assert not clean.errors and not other.errors
    assert [(c.heading_path, squash(c.text)) for c in other.chunks] == [
        (c.heading_path, squash(c.text)) for c in clean.chunks]
    assert [c.heading_path[1:] for c in clean.chunks] == [
        [], ["一、金融支持", "1．持续加大信贷投放"], ["一、金融支持", "2．创新融资担保方式"],
        ["二、财税支持", "（一）落实减税降费政策"], ["二、财税支持", "（二）加大财政奖补力度"], ["三、组织保障"]]


def test_regulation_articles_and_cross_references() -> None:
    result = ingest([FIXTURES / "regulation.txt"])
    paths = {squash(c.text)[:6]: c.heading_path[1:] for c in result.chunks}
    assert paths["第二条本省行"] == ["第一章 总则", "第二条"]
    assert paths["第二章规划与"] == ["第二章 规划与建设", "第四条"]
    second = holding(result, "按照第三条的规定认定")
    assert second.heading_path[-1] == "第二条" and "（见附件2）" in second.text
    fourth = holding(result, "第四条")
    assert "（三）其他民用建筑达到一星级以上标准。" in fourth.text


def make_doc(text: str, title: str = "测试文件") -> Document:
    return Document(doc_id="t-1", title=title, text=text, source="t.txt")


def test_long_clause_is_cut_at_sentence_ends_with_overlap() -> None:
    sentences = [f"第{i}句要求各地区按照职责分工认真落实工作任务并按期报送进展情况。" for i in range(1, 31)]
    text = "一、工作要求\n\n（一）落实责任。" + "".join(sentences)
    chunks = chunk_document(make_doc(text), max_chars=200, min_chars=20, overlap_chars=40)
    assert len(chunks) > 3
    assert all(len(c.text) <= 200 for c in chunks)
    assert all(c.heading_path == ["测试文件", "一、工作要求", "（一）落实责任"] for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    for first, second in itertools.pairwise(chunks):
        assert second.start < first.end  # one sentence repeated
        assert first.end - second.start <= 40


def test_small_items_join_a_neighbour_and_headings_their_first_child() -> None:
    text = "一、任务分工\n\n1. 推进企业工资制度改革。（省国资委牵头）\n\n2. 调整最低工资标准。（省人社厅牵头）\n\n" \
           "3. 深化农村集体产权制度改革，引导土地经营权有序流转，增加农牧民财产性收入。（省农牧厅负责）"
    chunks = chunk_document(make_doc(text), max_chars=300, min_chars=40)
    assert [squash(c.text)[:4] for c in chunks] == ["一、任务", "3.深化"]
    assert chunks[0].heading_path == ["测试文件", "一、任务分工"]
    assert chunks[1].heading_path == ["测试文件", "一、任务分工", "3. 深化农村集体产权制度改革"]


def test_generic_table_rows_are_grouped_with_the_header() -> None:
    rows = "\n".join(f"项目{i}\t西宁\t{i}.5" for i in range(12))
    text = f"附表：项目清单\n名称\t地点\t投资\n{rows}"
    chunks = chunk_document(make_doc(text), max_chars=200, min_chars=10, table_rows=5)
    assert [len([line for line in c.text.splitlines() if line.startswith("项目")]) for c in chunks] == [4, 4, 4]
    assert all("名称\t地点\t投资" in c.text for c in chunks)
    assert chunks[0].text.startswith("附表：项目清单")


@pytest.mark.parametrize("text", ["一、二类通用机场由政府投资。提高到1.5倍。", "建设一、二类通用机场。"])
def test_numbers_inside_sentences_are_not_headings(text: str) -> None:
    [chunk] = chunk_document(make_doc("前言。" + text), max_chars=200, min_chars=0)
    assert chunk.heading_path == ["测试文件"]


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunk_document(make_doc("正文。"), max_chars=10, min_chars=40)


def test_a_table_header_longer_than_a_chunk_is_chunked_not_rejected(tmp_path: Path) -> None:
    header = "\t".join(["很长的表头列名称" * 8] * 10)  # 649 characters, over max_chars=500
    rows = [f"地区{n}\t" + "\t".join(["数据"] * 9) for n in range(30)]
    path = tmp_path / "table.txt"
    path.write_text("关于公布数据的通知\n\n" + "\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = ingest([path], max_chars=500, min_chars=40)
    assert result.errors == []
    text = "\n".join(chunk.text for chunk in result.chunks)
    assert all(row in text for row in rows)
    assert max(len(chunk.text) for chunk in result.chunks) <= 500 + len(header)
