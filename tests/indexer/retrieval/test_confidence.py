"""Confidence features: the nouns of a question are tagged only when an unmet intent reads them."""

from indexer.records import Chunk, Hit, Intent, Query
from indexer.retrieval.confidence import extract_features
from indexer.text.normal_form import to_index_form
from indexer.text.tokenizer import ChineseTokenizer, stopwords

_TOKENIZE = ChineseTokenizer()
_PASSAGE = Chunk("c1", "d1", "关于提高城乡居民基础养老金的通知", "青政办〔2017〕13号", "省政府办公厅", "2017-01-24",
                 ["一、提高标准"], "城乡居民基础养老金月人均标准提高15元，所需资金由省级财政承担。", 0, 40)


def _features(question: str, intent: Intent, text: str = _PASSAGE.text):
    chunk = Chunk(**{**_PASSAGE.to_dict(), "text": text})
    query = Query(question, to_index_form(question), _TOKENIZE(question), intent)
    terms = set(_TOKENIZE(chunk.text))
    return extract_features(query, [Hit(chunk, 1.0, 1.0, 1.0)], terms, {t: 2.0 for t in terms}, 100, stopwords())


def test_nouns_are_counted_when_the_asked_for_fact_is_missing():
    unmet = _features("西宁市高龄老人补贴每月多少钱", Intent.NUMBER, "城乡居民基础养老金由省级财政承担。")
    assert unmet.intent_unmet and unmet.missing_nouns and unmet.missing_nouns >= 1
    assert unmet.vector()[2] == 1.0


def test_nouns_are_not_tagged_when_no_indicator_reads_them():
    met = _features("城乡居民基础养老金提高多少", Intent.NUMBER)
    assert not met.intent_unmet and met.missing_nouns is None and met.vector()[2] == 0.0
    other = _features("西宁市高龄老人补贴怎么申请", Intent.OTHER)
    assert not other.intent_unmet and other.missing_nouns is None and other.vector()[2] == 0.0
