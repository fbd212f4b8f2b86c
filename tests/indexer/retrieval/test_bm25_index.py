import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from indexer.retrieval.bm25_index import BM25Index
from indexer.text.tokenizer import ChineseTokenizer
from tests.conftest import GAZETTE


@pytest.fixture(scope="module")
def gazette_tokens():
    tokenizer = ChineseTokenizer()
    lines = [line for line in GAZETTE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tokenizer, [tokenizer(line) for line in lines]


QUERIES = [
    "农村老人的基础养老金今年涨多少",
    "危险化学品企业黑名单",
    "通用机场 主干",
    "青政办〔2017〕13号",
    "不存在的词语组合",
]


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_rank_bm25_on_real_tokens(gazette_tokens, query):
    tokenizer, corpus = gazette_tokens
    ours = BM25Index.build(corpus)
    reference = BM25Okapi(corpus)
    q = tokenizer(query)
    assert np.allclose(ours.scores(q), reference.get_scores(q), rtol=1e-5, atol=1e-6)


def test_incremental_add_and_remove_equal_a_fresh_build(gazette_tokens):
    tokenizer, corpus = gazette_tokens
    grown = BM25Index.build(corpus[:300])
    grown.add(corpus[300:])
    grown.remove(list(range(10, 60)))
    expected = BM25Okapi(corpus[:10] + corpus[60:])
    q = tokenizer("城乡居民基本医疗保险筹资标准")
    assert np.allclose(grown.scores(q), expected.get_scores(q), rtol=1e-5, atol=1e-6)


def test_repeated_query_terms_count_again_like_rank_bm25():
    corpus = [["养老金", "标准"], ["标准", "提高"], ["低保"]]
    ours, ref = BM25Index.build(corpus), BM25Okapi(corpus)
    q = ["标准", "标准", "养老金"]
    assert np.allclose(ours.scores(q), ref.get_scores(q))


def test_save_and_load_round_trip(tmp_path, gazette_tokens):
    tokenizer, corpus = gazette_tokens
    index = BM25Index.build(corpus[:200])
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    q = tokenizer("互联网+政务服务")
    assert np.allclose(index.scores(q), loaded.scores(q))
