import pytest

from indexer.retrieval.fusion import normalized_score_fusion, reciprocal_rank_fusion


def test_rrf_rewards_agreement_and_respects_weights():
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 1, 4]], [1.0, 1.0], k=60)
    assert fused[1] == pytest.approx(fused[2])
    assert fused[1] > fused[3] and fused[1] > fused[4]
    weighted = reciprocal_rank_fusion([[1, 2], [2, 1]], [1.0, 0.5], k=60)
    assert weighted[1] > weighted[2]


def test_score_fusion_normalizes_each_list_before_weighting():
    fused = normalized_score_fusion([{1: 30.0, 2: 10.0}, {1: 0.80, 2: 0.90, 3: 0.85}], [1.0, 1.0])
    assert fused[1] == pytest.approx(1.0 + 0.0)
    assert fused[2] == pytest.approx(0.0 + 1.0)
    assert fused[3] == pytest.approx(0.5)


def test_single_item_lists_and_mismatched_weights():
    assert normalized_score_fusion([{7: 3.0}], [2.0]) == {7: 2.0}
    with pytest.raises(ValueError, match="2 rankings but 1 weights"):
        reciprocal_rank_fusion([[1], [2]], [1.0])


def test_a_zero_weight_list_adds_no_candidates():
    assert set(reciprocal_rank_fusion([[1, 2], [3, 4]], [1.0, 0.0])) == {1, 2}
    assert set(normalized_score_fusion([{1: 1.0}, {3: 0.5}], [1.0, 0.0])) == {1}
