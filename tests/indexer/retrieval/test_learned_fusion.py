import json

import numpy as np
import pytest

from indexer.records import Chunk
from indexer.retrieval.bm25_index import BM25Index
from indexer.retrieval.fusion_features import FEATURES, ChunkText, pool_features
from indexer.retrieval.learned_fusion import FusionModel
from indexer.text.analyzer import TextAnalyzer
from indexer.text.tokenizer import ChineseTokenizer

TEXTS = [
    "城乡居民基础养老金月人均标准提高15元，达到155元。",
    "加快通用航空机场建设，到2020年建成通用机场10个以上。",
    "各地要落实最低生活保障制度，保障困难群众基本生活。",
]


def _chunk(i: int, text: str, title: str) -> Chunk:
    return Chunk(f"c{i}", f"d{i}", title, "", "", "", [title, "一、总体要求"], text, 0, len(text))


@pytest.fixture(scope="module")
def setup():
    tokenizer = ChineseTokenizer()
    chunks = [_chunk(i, t, title) for i, (t, title) in enumerate(zip(TEXTS, ["养老金通知", "通航规划", "低保办法"],
                                                                     strict=True))]
    bm25 = BM25Index.build([tokenizer(c.text) for c in chunks])
    return TextAnalyzer(tokenizer), chunks, bm25


def test_pool_features_are_bounded_ratios_that_favour_the_matching_passage(setup):
    analyzer, chunks, bm25 = setup
    query = analyzer.analyse("基础养老金每月提高多少元？")
    scores = bm25.scores(query.tokens)
    bm25_ranked = [int(r) for r in np.argsort(-scores) if scores[r] > 0]
    dense_ranked = [2, 0, 1]
    cos = np.array([0.9, 0.7, 0.8], dtype=np.float32)
    heading = np.array([0.6, 0.75, 0.7], dtype=np.float32)
    rows, x = pool_features(query, bm25_ranked, lambda r: scores[r], dense_ranked, lambda r: cos[r],
                            lambda r: heading[r], bm25.idf_of(query.tokens), bm25.n_docs,
                            ChunkText(lambda r: chunks[r]))
    assert sorted(rows) == [0, 1, 2] and x.shape == (3, len(FEATURES))
    assert np.isfinite(x).all() and (x[:, FEATURES.index("coverage")] <= 1.0 + 1e-6).all()
    first = rows.index(0)
    for name in ("bm25_rel", "bm25_rr", "coverage", "bigram_coverage", "carry"):
        column = x[:, FEATURES.index(name)]
        assert column[first] == column.max() > 0, name
    assert x[rows.index(1), FEATURES.index("bm25_rr")] == 0.0  # not in the BM25 list at all
    gap = x[:, FEATURES.index("heading_gap")]  # the heading's cosine below the pool's best heading
    assert [round(float(gap[rows.index(r)]), 4) for r in (0, 1, 2)] == [-0.15, 0.0, -0.05]


def test_document_features_count_the_other_rows_of_the_same_document(setup):
    """Rows of one law (heading path's first element) back each other; a row alone gets nothing from its document."""
    analyzer, _, _ = setup
    laws = ["民法典", "民法典", "民法典", "个体工商户条例"]
    chunks = [Chunk(f"a{i}", f"a{i}", f"{law}第{i}条", "", "", "", [law, f"第{i}条"], TEXTS[i % 3], 0, 10)
              for i, law in enumerate(laws)]
    query = analyzer.analyse("个体工商户的债务谁承担？")
    bm25_ranked, dense_ranked = [3, 0], [1, 2, 3]
    rows, x = pool_features(query, bm25_ranked, lambda r: 2.0 - 0.1 * r, dense_ranked, lambda r: 0.9 - 0.01 * r,
                            lambda r: 0.5, {}, 4, ChunkText(lambda r: chunks[r]))
    rrf, group_rrf, group_rows = (x[:, FEATURES.index(n)] for n in ("rrf", "group_rrf", "group_rows"))
    at = {row: i for i, row in enumerate(rows)}
    assert group_rrf[at[3]] == 0.0 and group_rows[at[3]] == 0.0  # the only article of its law
    best_other = max(rrf[at[1]], rrf[at[2]])
    assert group_rrf[at[0]] == pytest.approx(best_other / rrf.max())
    assert group_rrf[at[1]] == pytest.approx(max(rrf[at[0]], rrf[at[2]]) / rrf.max())
    assert group_rows[at[0]] == group_rows[at[1]] == pytest.approx(2 / 5)


def test_ranker_orders_the_pool_first_and_keeps_the_rest_below(tmp_path):
    weights = dict.fromkeys(FEATURES, 0.0) | {"coverage": 2.0}
    ranker = FusionModel(weights, "test")
    x = np.zeros((2, len(FEATURES)), dtype=np.float32)
    x[1, FEATURES.index("coverage")] = 1.0
    fused = ranker.fuse([5, 6], x, {5: 0.3, 6: 0.2, 9: 0.4})
    assert fused[6] > fused[5] > 1.0 > fused[9]
    ranker.save(tmp_path / "m.json")
    assert FusionModel.load(tmp_path / "m.json").weights == pytest.approx(weights)


def test_a_model_missing_a_feature_is_refused(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"weights": {"coverage": 1.0}}))
    with pytest.raises(ValueError, match="lacks weights"):
        FusionModel.load(path)


def test_the_shipped_model_loads_and_names_what_it_was_fitted_on():
    model = FusionModel.load()
    assert model.fitted_on and np.abs(model.vector).sum() > 0
