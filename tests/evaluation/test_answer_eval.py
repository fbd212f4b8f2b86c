"""Answer accuracy and citation faithfulness on hand-written answers (no model)."""

from __future__ import annotations

import pytest

from evaluation.answer_eval import (
    AskOutcome,
    answer_correct,
    citations_as_dicts,
    faithfulness,
    split_segments,
    strip_markers,
    summarize_ask,
)
from indexer.records import Chunk

PASSAGE_1 = "将城乡居民基础养老金月人均标准提高15元、达到155元。所需资金由省级财政负担。"
PASSAGE_2 = "到2020年，行政村通宽带比例达到98%。"
CITATIONS = [{"n": 1, "text": PASSAGE_1, "quote": ""}, {"n": 2, "text": PASSAGE_2, "quote": ""}]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("甲。[1]", [("甲。", (1,))]),
        ("甲。[1]乙。[2][3]丙", [("甲。", (1,)), ("乙。", (2, 3)), ("丙", ())]),
        (" 甲。[1] 乙。[2]", [("甲。", (1,)), ("乙。", (2,))]),
        ("未在已收录的文件中找到相关规定。", [("未在已收录的文件中找到相关规定。", ())]),
        ("[1]甲。", [("", (1,)), ("甲。", ())]),
        ("", []),
    ],
)
def test_split_segments(answer, expected):
    assert split_segments(answer) == expected


def test_strip_markers():
    assert strip_markers("提高15元[1]，达到98%[2][3]。") == "提高15元，达到98%。"


def test_every_segment_faithful():
    answer = "将城乡居民基础养老金月人均标准提高15元、达到155元。[1]到2020年，行政村通宽带比例达到98%。[2]"
    segments = faithfulness(answer, CITATIONS)
    assert [s.faithful for s in segments] == [True, True]
    assert [s.markers for s in segments] == [(1,), (2,)]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("到2020年，行政村通宽带比例达到98%。[1]", "not in the passage of [1]"),  # cites the wrong passage
        ("所需资金由省级财政负担。[3]", "no citation [3]"),
        ("所需资金由省级财政负担。", "no citation marker"),
        ("所需资金由省级财政负担。[1][2]", "not in the passage of [2]"),  # every marker must hold it
        ("[1]", "marker without text"),
        ("所需资金由中央财政负担。[1]", "not in the passage of [1]"),  # changed wording is not verbatim
    ],
)
def test_unfaithful_segments(answer, reason):
    (segment,) = faithfulness(answer, CITATIONS)
    assert not segment.faithful
    assert segment.reason == reason


def test_text_after_last_marker_is_uncited():
    segments = faithfulness("所需资金由省级财政负担。[1]另有补助。", CITATIONS)
    assert [(s.text, s.faithful) for s in segments] == [("所需资金由省级财政负担。", True), ("另有补助。", False)]


def test_citation_numbers_may_be_strings():
    assert faithfulness("所需资金由省级财政负担。[1]", [{"n": "1", "text": PASSAGE_1}])[0].faithful


@pytest.mark.parametrize(
    ("answer", "key", "correct"),
    [
        ("标准提高 15 元[1]", "15元", True),  # whitespace is ignored
        ("标准提高１５元[1]", "15元", True),  # NFKC: full-width digits
        ("标准提高15[1]元", "15元", True),  # markers are removed before matching
        ("标准提高20元[1]", "15元", False),
        ("标准提高15元[1]", "", False),  # no key, nothing to be correct about
    ],
)
def test_answer_correct(answer, key, correct):
    assert answer_correct(answer, key) is correct


def _outcome(qid, truly, answer, answerable, key="15元", citations=CITATIONS):
    return AskOutcome(qid, "问题", key if truly else "", truly, answer, answerable, list(citations))


def test_summarize_ask():
    outcomes = [
        _outcome("a", True, "将城乡居民基础养老金月人均标准提高15元、达到155元。[1]", True),  # correct, faithful
        _outcome("b", True, "到2020年，行政村通宽带比例达到98%。[1]", True),  # wrong key, unfaithful
        _outcome("c", True, "未在已收录的文件中找到相关规定。", False),  # not answered
        _outcome("d", False, "未在已收录的文件中找到相关规定。", False),  # correctly declined
        _outcome("e", False, "所需资金由省级财政负担。[1]", True),  # answered an unanswerable question
    ]
    m = summarize_ask(outcomes)
    assert m["answer_accuracy"] == pytest.approx(1 / 3)
    assert m["answered_rate"] == pytest.approx(2 / 3)
    assert m["unanswerable_precision"] == pytest.approx(1 / 2)  # flagged c and d, only d is unanswerable
    assert m["unanswerable_recall"] == pytest.approx(1 / 2)
    assert m["answerable_flagged"] == pytest.approx(1 / 3)
    assert m["segments"] == 3
    assert m["faithful_segments"] == pytest.approx(2 / 3)
    assert m["faithful_answers"] == pytest.approx(2 / 3)
    assert m["keyed_questions"] == 3


def test_summarize_ask_empty():
    assert summarize_ask([]) == {}


def test_citations_as_dicts():
    from service.answer_composer import Citation

    chunk = Chunk("c1", "d1", "关于养老金的通知", "青政办〔2017〕13号", "省政府办公厅", "2017-02-08",
                  ["关于养老金的通知", "一、标准"], PASSAGE_1, 0, len(PASSAGE_1))
    (d,) = citations_as_dicts([Citation(1, chunk, "所需资金由省级财政负担。")])
    assert d == {"n": 1, "chunk_id": "c1", "doc_title": "关于养老金的通知", "doc_number": "青政办〔2017〕13号",
                 "heading_path": ["关于养老金的通知", "一、标准"], "text": PASSAGE_1,
                 "quote": "所需资金由省级财政负担。"}
    assert faithfulness("所需资金由省级财政负担。[1]", [d])[0].faithful
