"""The composer's verification (abstain for the right reason) and enumeration continuation."""

import pytest

from indexer.records import Chunk, Hit
from indexer.text.analyzer import TextAnalyzer
from indexer.text.tokenizer import ChineseTokenizer
from service.answer_composer import NOT_FOUND, AnswerComposer, ComposerWeights

PASSAGES = [
    ("养老保险", "城乡居民基础养老金月人均标准提高15元，达到155元。各地要按时足额发放。"),
    ("智慧社区", "格尔木智慧社区“两平台”：一是打造社区综合服务平台；二是打造智慧物业管理平台；"
                "三是完善安全防范系统。其他工作另行部署。"),
]


def _hit(i: int, title: str, text: str) -> Hit:
    return Hit(Chunk(f"c{i}", f"d{i}", title, "", "", "", [title], text, 0, len(text)), 1.0, 1.0, 1.0)


@pytest.fixture(scope="module")
def analyzer():
    return TextAnalyzer(ChineseTokenizer())


def _unused(*_):
    raise AssertionError("verification needs no vectors")


def _composer(analyzer, embed=_unused, question_vec=_unused, **weights):
    idf = {t: 3.0 for t in ("养老金", "基础", "提高", "社区", "平台", "格尔木", "智慧", "两平台", "援青", "干部")}
    return AnswerComposer(analyzer, lambda terms: {t: idf.get(t, 1.0) for t in terms}, embed, question_vec,
                          ComposerWeights(**weights))


def test_support_needs_the_asked_for_kind_of_fact_with_the_key_terms(analyzer):
    composer = _composer(analyzer)
    hits = [_hit(i, t, x) for i, (t, x) in enumerate(PASSAGES)]
    answered = composer.verify(analyzer.analyse("基础养老金每月提高多少元？"), hits)
    near_miss = composer.verify(analyzer.analyse("第三批援青干部一共有多少人？"), hits)
    no_number = composer.verify(analyzer.analyse("格尔木智慧社区的平台有多少元？"), hits[1:])
    assert answered > 0.6 > near_miss
    assert no_number == 0.0  # the passage has the terms but no amount


@pytest.mark.slow
def test_low_support_abstains_and_an_enumeration_is_quoted_on(analyzer, onnx_encoder):
    embed = onnx_encoder.encode_passages
    def question_vec(q):
        return onnx_encoder.encode_queries([q.text])[0]
    composer = _composer(analyzer, embed, question_vec, min_support=0.5)
    hits = [_hit(i, t, x) for i, (t, x) in enumerate(PASSAGES)]
    answer = composer.compose(analyzer.analyse("格尔木智慧社区的“两平台”是指哪两个平台？"), hits[1:], True)
    assert answer.answerable and "智慧物业管理平台" in answer.answer and "其他工作" not in answer.answer
    refused = composer.compose(analyzer.analyse("第三批援青干部一共有多少人？"), hits, True)
    assert not refused.answerable and refused.answer == NOT_FOUND and refused.support < 0.5


def test_a_question_naming_a_document_by_its_number_is_supported_only_by_that_document(analyzer):
    composer = _composer(analyzer)
    text = "城乡居民基础养老金月人均标准提高15元，达到155元。"
    other = Hit(Chunk("c0", "d0", "养老保险", "青政办〔2017〕13号", "", "", [], text, 0, len(text)), 1.0, 1.0, 1.0)
    named = Hit(Chunk("c1", "d1", "养老保险", "青政〔2017〕12号", "", "", [], text, 0, len(text)), 1.0, 1.0, 1.0)
    question = analyzer.analyse("青政〔2017〕12号规定基础养老金提高多少元？")
    assert composer.verify(question, [other]) == 0.0
    assert composer.verify(question, [other, named]) > 0.6


def test_a_total_is_asked_by_yigong_and_given_by_a_heji_row(analyzer):
    assert analyzer.states_total("附表里的机场一共多少个？") and analyzer.states_total("合计\t\t23.8\t16.3")
    assert not analyzer.states_total("同仁通用机场\t黄南州同仁县\t3\t3")


TABLE = ("项目规划表\n项目名称\t建设地点\t总投资\n同仁通用机场\t黄南州同仁县\t3\n"
         "循化通用机场\t海东市循化县\t2.5\n都兰通用机场\t海西州都兰县\t3\n合计\t\t8.5")
PRINCIPLES = ("（二）基本原则。\n优化资源，开放共享。依托互联网的便捷性，推动数据资源开放共享。\n"
              "变革转型，创新应用。充分发挥互联网在促进产业升级中的平台作用。\n"
              "安全有序，稳步推进。完善信息安全保障措施，确保安全可控。\n（三）发展目标。到2020年基本建成。")
CHRONICLE = [("大事记", "●1月20日 省十二届人大六次会议圆满完成各项议程。\n"
                        "会议选举王国生为省人大常委会主任，王建军为青海省人民政府省长。"),
             ("大事记", "●1月24日 青海省省长王建军看望慰问了春运一线的机场员工。"),
             ("大事记", "●1月9日 代省长王建军主持召开省政府常务会议。")]


@pytest.fixture(scope="module")
def encoded_composer(analyzer, onnx_encoder):
    def question_vec(q):
        return onnx_encoder.encode_queries([q.text])[0]
    return _composer(analyzer, onnx_encoder.encode_passages, question_vec, min_support=0.0)


@pytest.mark.slow
def test_a_question_for_a_total_is_answered_by_the_total_row(analyzer, encoded_composer):
    question = analyzer.analyse("项目规划表里的机场一共投资多少？")
    answer = encoded_composer.compose(question, [_hit(0, "规划", TABLE)], True)
    assert "合计\t\t8.5" in answer.answer


@pytest.mark.slow
def test_a_list_question_answered_by_a_heading_quotes_the_item_titles_under_it(analyzer, encoded_composer):
    answer = encoded_composer.compose(analyzer.analyse("基本原则有哪几条？"), [_hit(0, "意见", PRINCIPLES)], True)
    items = ("优化资源，开放共享。", "变革转型，创新应用。", "安全有序，稳步推进。")
    assert all(item in answer.answer for item in items)
    assert "发展目标" not in answer.answer  # the next heading ends the list


@pytest.mark.slow
def test_a_sentence_without_the_asked_date_is_dated_from_its_own_passage(analyzer, encoded_composer):
    hits = [_hit(i, t, x) for i, (t, x) in enumerate(CHRONICLE)]
    answer = encoded_composer.compose(analyzer.analyse("王建军是哪天被选为青海省省长的？"), hits, True)
    assert "王建军为青海省人民政府省长" in answer.answer and "1月20日" in answer.answer
