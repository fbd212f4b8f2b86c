"""Follow-up completion by rule, on hand-written exchanges (not from the follow-up dev set)."""

import pytest

from indexer.records import Turn
from indexer.text.analyzer import TextAnalyzer
from indexer.text.tokenizer import ChineseTokenizer


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    return TextAnalyzer(ChineseTokenizer())


@pytest.mark.parametrize(
    ("previous", "question", "rule", "completed"),
    [
        # 那X呢: X stands in for the parallel noun phrase, the predicate is kept
        ("失业保险金的发放标准是多少？", "那医疗补助金呢？", "substitute", "医疗补助金的发放标准是多少？"),
        # X的呢: a modifier replaces the first word
        ("城市居民的取暖补贴每户多少钱？", "农村的呢？", "substitute", "农村的取暖补贴每户多少钱？"),
        # a bare time replaces the previous time
        ("2017年的农机购置补贴资金有多少？", "2018年呢？", "substitute", "2018年的农机购置补贴资金有多少？"),
        # X呢，Y: its own predicate
        ("扶贫资金的管理办法有哪些要求？", "那牧区呢，有什么不同？", "substitute", "牧区有什么不同？"),
        # anaphora: 这个条例 stands for the previous subject (no title known)
        ("青海省养老服务条例什么时候施行？", "这个条例由谁负责解释？", "anaphor", "青海省养老服务条例由谁负责解释？"),
        # 其中: among the previous subject
        ("农村公路养护资金怎么分配？", "其中省级补助多少？", "anaphor", "农村公路养护资金分配中省级补助多少？"),
        # a missing subject carries the previous one
        ("扶贫资金的管理办法有哪些要求？", "谁负责监督？", "carry", "资金管理办法谁负责监督？"),
        # a question of its own is left alone
        ("扶贫资金的管理办法有哪些要求？", "扶贫资金审计由哪个部门负责？", "none", "扶贫资金审计由哪个部门负责？"),
    ],
)
def test_completion_rules(analyzer, previous, question, rule, completed):
    result = analyzer.complete(question, [Turn(previous)])
    assert (result.rule, result.completed) == (rule, completed)
    assert result.followup == (rule != "none")


def test_this_document_stands_for_the_previous_answers_document(analyzer):
    turn = Turn("农村公路养护资金怎么分配？", ("c1",), "", ("青海省农村公路养护管理办法",))
    result = analyzer.complete("这个文件是哪天印发的？", [turn])
    assert result.completed == "《青海省农村公路养护管理办法》是哪天印发的？"


def test_three_turns_complete_the_middle_turn_first(analyzer):
    history = [Turn("失业保险金的发放标准是多少？"), Turn("那医疗补助金呢？")]
    result = analyzer.complete("谁负责发放？", history)
    assert result.rule == "carry"
    assert result.completed.startswith("医疗补助金")


def test_no_history_means_no_completion(analyzer):
    result = analyzer.complete("那高龄补贴呢？", [])
    assert result.completed == "那高龄补贴呢？" and not result.followup
