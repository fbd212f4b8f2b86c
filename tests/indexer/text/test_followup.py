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


def test_a_part_of_a_whole_keeps_what_the_whole_was_of(analyzer):
    result = analyzer.complete("那第一阶段呢？", [Turn("全省脱贫攻坚整体什么时候完成？")])
    assert result.completed == "全省脱贫攻坚第一阶段什么时候完成？"


def test_that_x_offers_x_in_the_previous_time_without_the_predicate(analyzer):
    result = analyzer.complete("那高龄补贴呢？", [Turn("2017年农村老人的基础养老金能涨多少钱？")])
    assert result.completed == "2017年农村老人的高龄补贴能涨多少钱？"
    assert "".join(result.focus) == "高龄补贴" and result.fallback == "2017年高龄补贴？"


@pytest.mark.parametrize("question", ["农村的呢？", "2018年呢？"])
def test_a_modifier_or_a_bare_time_has_no_lighter_reading(analyzer, question):
    result = analyzer.complete(question, [Turn("2017年城市居民的取暖补贴每户多少钱？")])
    assert result.rule == "substitute" and result.fallback == "" and result.focus == ()


def test_an_anaphor_beside_a_subject_of_its_own_offers_the_question_without_it(analyzer):
    result = analyzer.complete("资金保障这块谁牵头？", [Turn("农牧区饮水安全工程要建设多少处？")])
    assert result.rule == "anaphor" and "农牧区饮水安全工程" in result.completed
    assert result.focus and "".join(result.focus) in "资金保障" and result.fallback == "资金保障谁牵头？"


def test_an_anaphor_for_the_document_has_no_lighter_reading(analyzer):
    turn = Turn("农村公路养护资金怎么分配？", ("c1",), "", ("青海省农村公路养护管理办法",))
    result = analyzer.complete("这个办法是哪天印发的？", [turn])
    assert result.completed == "《青海省农村公路养护管理办法》是哪天印发的？" and result.fallback == ""


def test_the_word_after_a_modal_verb_is_the_predicate_not_the_noun_replaced(analyzer):
    result = analyzer.complete("那农家书屋呢？", [Turn("今年要新建多少个村级文化广场？")])
    assert result.completed == "今年要新建多少个农家书屋？"


@pytest.mark.parametrize(("answer", "as_completed"), [
    ("完成城镇供热管网改造 120 公里。[1]", True),  # quotes 供热管网: answered as completed
    ("未在已收录的文件中找到相关规定。", False),  # does not: answered on the lighter reading
])
def test_a_third_turn_builds_on_the_second_as_it_was_answered(analyzer, answer, as_completed):
    second = analyzer.complete("那供热管网改造呢？", [Turn("城市居民的取暖补贴每户多少钱？")])
    assert second.fallback == "供热管网改造？" and "补贴" in second.completed
    history = [Turn("城市居民的取暖补贴每户多少钱？"), Turn("那供热管网改造呢？", (), answer)]
    result = analyzer.complete("谁牵头？", history)
    assert result.rule == "carry" and "供热管网" in result.completed
    assert ("补贴" in result.completed) == as_completed


def test_these_two_stand_for_the_subjects_of_the_last_two_turns(analyzer):
    history = [Turn("城市低保标准今年提高多少？"), Turn("农村低保标准呢？")]
    result = analyzer.complete("这两个都是哪个部门牵头？", history)
    assert result.rule == "anaphor" and result.completed == "城市低保标准和农村低保标准都是哪个部门牵头？"


def test_these_two_say_a_shared_noun_phrase_once(analyzer):
    history = [Turn("春苗营养计划要给多少所学校食堂配设备？"), Turn("朝阳计划呢？")]
    result = analyzer.complete("这两个都是哪个部门牵头？", history)
    assert result.completed.startswith("春苗营养计划和朝阳计划") and result.completed.count("食堂") == 1
