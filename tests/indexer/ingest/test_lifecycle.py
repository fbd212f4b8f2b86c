"""Lifecycle read from the text of official documents, and links between revision chains."""

from pathlib import Path

import pytest

from indexer.ingest.lifecycle import extract_lifecycle
from indexer.ingest.lifecycle_links import link_documents, norm_number
from indexer.ingest.pipeline import ingest
from indexer.records import Document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lifecycle"
TODAY = "2026-11-30"


def _doc(text: str, date: str = "2019-02-01", title: str = "某办法", number: str = "") -> Document:
    return extract_lifecycle(Document("d", title, text, "s", doc_number=number, date=date), TODAY)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("第九条 本办法自2019年3月1日起施行。", "2019-03-01", ""),
        ("本通知自印发之日起执行。", "2019-02-01", ""),
        ("本规定自 2019 年 4 月 1 日起实施，有效期至2021年12月31日。", "2019-04-01", "2021-12-31"),
        ("本办法自2019年3月1日起施行，有效期5年。", "2019-03-01", "2024-02-29"),
        ("本意见有效期三年。", "2019-02-01", "2022-01-31"),
        ("《青海省某条例》自2016年1月1日起施行以来，成效明显。", "2019-02-01", ""),  # another document's start
        ("到2020年，基本建成体系；同时加强监管，落实“三同时”制度。", "2019-02-01", ""),
    ],
)
def test_start_and_end_of_the_document_itself(text, start, end):
    doc = _doc(text)
    assert (doc.effective_from, doc.effective_to) == (start, end)
    assert doc.supersedes == []


def test_a_start_in_the_future_is_not_yet_in_force():
    assert _doc("本办法自2099年1月1日起施行。").status == "尚未施行"
    assert _doc("本办法自2019年1月1日起施行，有效期至2020年12月31日。").status == "已失效"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本办法自2019年3月1日起施行，原《某省救助办法》（某政办〔2015〕20号）同时废止。",
         [{"title": "某省救助办法", "doc_number": "某政办〔2015〕20号", "kind": "repeal", "from": "2019-03-01"}]),
        ("现将修订后的《某省救助办法》印发给你们。原《某省救助办法》（某政办〔2015〕20号）同时废止。",
         [{"title": "某省救助办法", "doc_number": "某政办〔2015〕20号", "kind": "revise", "from": "2019-02-01"}]),
        ("决定自2022年3月1日起废止以下文件：\n1.《甲办法》（某政〔2019〕9号）\n2.《乙办法》（某政〔2019〕45号）\n各地要做好衔接。",
         [{"title": "甲办法", "doc_number": "某政〔2019〕9号", "kind": "repeal", "from": "2022-03-01"},
          {"title": "乙办法", "doc_number": "某政〔2019〕45号", "kind": "repeal", "from": "2022-03-01"}]),
        ("某政办〔2016〕3号文件自本通知印发之日起停止执行。",
         [{"title": "", "doc_number": "某政办〔2016〕3号", "kind": "repeal", "from": "2019-02-01"}]),
        ("根据《中华人民共和国安全生产法》（2014年修订）要求，做好废止文件的衔接工作。", []),
    ],
)
def test_repeal_and_revision_claims(text, expected):
    assert _doc(text).metadata["lifecycle"]["claims"] == expected


def test_the_gazette_documents_are_all_in_force_from_their_date_of_issue():
    docs = ingest([Path(__file__).resolve().parents[3] / "corpus" / "qinghai_gazette_2017.txt"]).documents
    listed = {(d.doc_number, d.status, d.effective_from, d.effective_to, tuple(d.supersedes)) for d in docs}
    assert listed == {
        ("青政〔2017〕12号", "现行有效", "2017-01-24", "", ()),
        ("青政办〔2017〕10号", "现行有效", "2017-02-08", "", ()),
        ("青政办〔2017〕11号", "现行有效", "2017-01-06", "", ()),
        ("青政办〔2017〕13号", "现行有效", "2017-01-26", "", ()),
        ("青政办〔2017〕15号", "现行有效", "2017-02-07", "", ()),
        ("青政人〔2017〕7号", "现行有效", "2017-02-09", "", ()),
        ("", "现行有效", "", "", ()),  # the 大事记 (dated by month only)
    }


def test_fixture_chains_link_both_ways():
    docs, _ = link_documents(ingest([FIXTURES]).documents)
    by_number = {d.doc_number: d for d in docs}
    got = {n: (d.status, d.effective_from, d.effective_to, d.supersedes, d.superseded_by) for n, d in by_number.items()}
    assert got == {
        "东政办〔2015〕20号": ("已修订", "2015-07-01", "2018-12-31", [], ["东政办〔2018〕35号"]),
        "东政办〔2018〕35号": ("已废止", "2019-01-01", "2021-03-31", ["东政办〔2015〕20号"], ["东政办〔2021〕8号"]),
        "东政办〔2021〕8号": ("现行有效", "2021-04-01", "", ["东政办〔2018〕35号"], []),
        "东政办〔2016〕12号": ("已修订", "2016-04-08", "2019-05-31", [], ["东政办〔2019〕9号"]),
        "东政办〔2019〕9号": ("已废止", "2019-06-01", "2022-02-28", ["东政办〔2016〕12号"], ["东政〔2022〕3号"]),
        "东政办〔2017〕40号": ("已修订", "2017-10-01", "2019-12-31", [], ["东政办〔2019〕45号"]),
        "东政办〔2019〕45号": ("已废止", "2020-01-01", "2022-02-28", ["东政办〔2017〕40号"], ["东政〔2022〕3号"]),
        "东政办〔2022〕10号": ("现行有效", "2022-03-01", "", [], []),
        "东政〔2022〕3号": ("现行有效", "2022-02-25", "", ["东政办〔2019〕9号", "东政办〔2019〕45号"], []),
    }


def test_adding_a_repeal_later_updates_the_indexed_document_without_touching_the_original():
    docs = ingest([FIXTURES]).documents
    old = next(d for d in docs if d.doc_number == "东政办〔2021〕8号")
    decision = next(d for d in docs if d.doc_number == "东政办〔2018〕35号")
    new, updated = link_documents([old], [decision])  # the 2021 细则 added after the 2018 办法
    assert [d.doc_number for d in updated] == ["东政办〔2018〕35号"]
    assert updated[0].status == "已废止" and updated[0].superseded_by == ["东政办〔2021〕8号"]
    assert decision.superseded_by == [] and new[0].supersedes == ["东政办〔2018〕35号"]
    again, _ = link_documents([old], updated)  # adding it twice changes nothing more
    assert updated[0].superseded_by == ["东政办〔2021〕8号"] and again[0].supersedes == ["东政办〔2018〕35号"]


def test_doc_numbers_compare_in_one_spelling():
    assert norm_number("青政办 [2017] 第13号") == norm_number("青政办（2017）13号") == "青政办〔2017〕13号"
