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
