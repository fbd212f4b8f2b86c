"""Retrieval metrics, the relevance rule, and a gold-set run through a fake searcher (no model)."""

from __future__ import annotations

import json
import math

import pytest

from evaluation.gold import GoldQuestion
from evaluation.metrics import (
    detection,
    ndcg_at,
    percentile,
    recall_at,
    recall_fraction_at,
    reciprocal_rank,
    summarize,
    summarize_qrels,
)
from evaluation.relevance import contains_answer, is_relevant
from evaluation.retrieval_eval import evaluate_mode

T, F = True, False


@pytest.mark.parametrize(
    ("flags", "k", "expected"),
    [([F, T, F], 1, 0.0), ([F, T, F], 2, 1.0), ([F] * 10 + [T], 10, 0.0), ([], 5, 0.0), ([T, T], 1, 1.0)],
)
def test_recall_at_needs_one_relevant(flags, k, expected):
    assert recall_at(flags, k) == expected


@pytest.mark.parametrize(
    ("flags", "expected"), [([T], 1.0), ([F, F, T], 1 / 3), ([F] * 10 + [T], 0.0), ([F, T, T], 0.5), ([], 0.0)]
)
def test_reciprocal_rank(flags, expected):
    assert reciprocal_rank(flags) == pytest.approx(expected)


def test_ndcg():
    assert ndcg_at([T, F, F]) == pytest.approx(1.0)
    assert ndcg_at([F, T]) == pytest.approx(1 / math.log2(3))
    # two relevant documents exist, one found at rank 1: the ideal ranking has both on top
    assert ndcg_at([T, F], n_relevant=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at([F, F]) == 0.0


def test_summarize():
    m = summarize([[T], [F, F, T], [F] * 10])
    assert m["R@1"] == pytest.approx(1 / 3)
    assert m["R@3"] == m["R@5"] == m["R@10"] == pytest.approx(2 / 3)
    assert m["MRR@10"] == pytest.approx((1 + 1 / 3) / 3)
    assert m["nDCG@10"] == pytest.approx((1 + 1 / math.log2(4)) / 3)
    assert summarize([]) == {}
    assert set(summarize([[T]], cutoffs=(1, 100))) == {"R@1", "R@100", "MRR@10", "nDCG@10"}


def test_qrels_recall_is_the_share_of_relevant_documents():
    assert recall_fraction_at([T, F, T], 1, 2) == 0.5
    assert recall_fraction_at([T, F, T], 3, 2) == 1.0
    assert recall_fraction_at([T], 1, 0) == 0.0
    m = summarize_qrels([[T, F, T], [F, T]], [3, 1], cutoffs=(1, 3))
    assert m["R@1"] == pytest.approx((1 / 3 + 0) / 2)
    assert m["R@3"] == pytest.approx((2 / 3 + 1) / 2)
    assert m["Hit@1"] == pytest.approx(0.5) and m["Hit@3"] == pytest.approx(1.0)
    assert m["MRR@10"] == pytest.approx((1 + 0.5) / 2)


def test_percentile():
    assert percentile([], 50) == 0.0
    assert percentile([5.0], 99) == 5.0
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile(list(range(101)), 95) == pytest.approx(95)
    assert percentile([10, 1, 5], 100) == 10


def test_detection():
    # flagged: q1 (unanswerable), q2 (answerable, wrongly); q3 unanswerable but not flagged
    m = detection([T, T, F, F], [T, F, T, F])
    assert m == {"unanswerable_precision": 0.5, "unanswerable_recall": 0.5, "answerable_flagged": 0.5}
    assert detection([F, F], [F, F]) == {"unanswerable_precision": 0.0, "unanswerable_recall": 0.0,
                                         "answerable_flagged": 0.0}


AIRPORTS = "全省机场平均密度达到每10万平方公里拥有主干通用机场2个"


@pytest.mark.parametrize(
    ("passage", "evidence", "relevant"),
    [
        ("将城乡居民基础养老金月人均标准提高 15 元、达到 155 元。", ["提高15元、达到155元"], True),  # whitespace
        ("行政村通宽带比例达到９８％。", ["行政村通宽带比例达到98%"], True),  # NFKC
        ("**重点任务**：建设信用青海", ["重点任务：建设信用青海"], True),  # asterisks
        ("全省机场平均密度达到每10万平方公里", [AIRPORTS], False),  # shares 18 of 27 characters: < 70%
        ("全省机场平均密度达到每10万平方公里拥有主干通用", [AIRPORTS], True),  # 24 of 27: ≥ 70%
        ("无关的条款", ["提高15元", "达到155元"], False),
        ("达到155元", ["提高15元", "达到155元"], True),  # any one evidence string is enough
        ("任何文字", [], False),
    ],
)
def test_relevance_rule(passage, evidence, relevant):
    assert is_relevant(passage, evidence) is relevant


def test_contains_answer():
    assert contains_answer("提高 15 元", "15元")
    assert not contains_answer("提高 25 元", "15元 ")
    assert contains_answer("任何回答", "")  # an empty key is contained everywhere; answer_eval guards this


QUESTIONS = [
    GoldQuestion("q1", "基础养老金提高多少？", "15元", ["提高15元"], "青政办〔2017〕13号", "numeric", True),
    GoldQuestion("q2", "宽带比例要达到多少？", "98%", ["通宽带比例达到98%"], "青政〔2017〕12号", "numeric", True),
    GoldQuestion("q3", "2018年最低工资是多少？", "", [], "", "unanswerable", False),
]
PASSAGES = {
    "养老": {"chunk_id": "a", "doc_id": "d1", "doc_number": "青政办〔2017〕13号", "heading_path": ["通知", "一、标准"],
             "text": "基础养老金月人均标准提高15元。"},
    "宽带": {"chunk_id": "b", "doc_id": "d2", "doc_number": "青政〔2017〕12号", "heading_path": ["意见", "目标"],
             "text": "行政村通宽带比例达到98%。"},
    "其他": {"chunk_id": "c", "doc_id": "d3", "doc_number": "青政〔2017〕9号", "heading_path": ["方案"],
             "text": "加强组织领导。"},
}


def fake_searcher(question, mode, top_k):
    if "养老" in question:
        order = ["养老", "其他"] if mode == "bm25" else ["其他", "养老"]
        return [PASSAGES[k] for k in order][:top_k], True
    if "宽带" in question:
        return ([PASSAGES["宽带"]] if mode == "bm25" else [PASSAGES["其他"]]), True
    return [PASSAGES["其他"]], mode == "bm25"  # unanswerable: only dense/hybrid say so


def test_evaluate_mode_with_a_fake_searcher():
    bm25 = evaluate_mode(fake_searcher, QUESTIONS, "bm25")
    dense = evaluate_mode(fake_searcher, QUESTIONS, "dense")
    assert bm25.metrics["R@1"] == 1.0 and bm25.metrics["questions"] == 2
    assert dense.metrics["R@1"] == 0.0 and dense.metrics["R@3"] == 0.5
    assert dense.metrics["MRR@10"] == pytest.approx(0.25)
    assert bm25.metrics["unanswerable_recall"] == 0.0 and dense.metrics["unanswerable_recall"] == 1.0
    assert dense.metrics["unanswerable_precision"] == 1.0
    assert [o.first_relevant_rank for o in dense.outcomes] == [2, None, None]


def test_gold_report(tmp_path):
    from evaluation.answer_eval import AskOutcome
    from evaluation.reports import markdown_table, write_gold_report
    from evaluation.runner import GoldRun

    modes = [evaluate_mode(fake_searcher, QUESTIONS, m) for m in ("bm25", "dense")]
    ask = [AskOutcome("q1", QUESTIONS[0].question, "15元", True, "基础养老金月人均标准提高15元。[1]", True,
                      [{"n": 1, "text": PASSAGES["养老"]["text"]}]),
           AskOutcome("q3", QUESTIONS[2].question, "", False, "未在已收录的文件中找到相关规定。", False, [])]
    from evaluation.answer_eval import summarize_ask

    run = GoldRun("seed.jsonl", {"target": "in-process", "index": "/x", "encoder": "e", "documents": 3, "chunks": 3},
                  modes, ask, summarize_ask(ask), QUESTIONS)
    paths = write_gold_report(run, tmp_path / "out")
    report = paths["markdown"].read_text(encoding="utf-8")
    assert "| bm25 | 1.000 |" in report and "| dense | 0.000 |" in report
    assert "accuracy" in report
    misses = paths["misses"].read_text(encoding="utf-8")
    assert "q2" in misses and "通宽带比例达到98%" in misses  # the question and its gold evidence
    assert "dense ranked first: 青政〔2017〕9号 — 加强组织领导。" in misses  # what came first instead
    summary = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert summary["questions"][1]["ranks"] == {"bm25": 1, "dense": None}
    assert summary["ask"]["answer_accuracy"] == 1.0
    assert paths["chart"].read_bytes()[:4] == b"\x89PNG"
    assert markdown_table(["a|b"], [["x\ny"]]) == "| a\\|b |\n| --- |\n| x y |"
