"""Length-bucketed batches and the encoder pool (``--workers``): same vectors, in input order."""

from __future__ import annotations

import numpy as np
import pytest

from models.converter import PASSAGE_PREFIX
from models.encoder import _batches_by_length

pytestmark = pytest.mark.slow

TEXTS = [
    "农村低保一年人均能拿到多少？",
    "全省城乡居民基础养老金最低标准每人每月提高到175元。",
    "到2020年，建成50家以上互联网+示范企业，培育一批具有较强竞争力的龙头企业。" * 3,
    "三、保障措施",
    "各市州人民政府，省政府各委、办、厅、局：现将《青海省危险化学品安全综合治理实施方案》印发给你们。" * 5,
    "（一）加强组织领导。",
] * 9 + ["第" + str(i) + "条 通用航空机场建设项目" * (i % 7 + 1) for i in range(30)]


def test_batches_by_length_cover_every_text_once_sorted_and_within_the_budget():
    lengths = [7, 300, 12, 12, 45, 3, 128, 64, 64, 5] * 13
    batches = _batches_by_length(lengths, batch_size=8, token_budget=512)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)
    for batch in batches:
        assert len(batch) <= 8
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 512


def test_bucketed_vectors_come_back_in_input_order(onnx_encoder):
    together = onnx_encoder.encode_passages(TEXTS)
    alone = np.vstack([onnx_encoder.encode_passages([t]) for t in TEXTS[:6] + TEXTS[-5:]])
    cos = (together[list(range(6)) + list(range(len(TEXTS) - 5, len(TEXTS)))] * alone).sum(axis=1)
    # int8 activations are quantized per batch, so a text's vector moves a little with its batch mates
    assert cos.min() > 0.99
    reversed_rows = onnx_encoder.encode_passages(TEXTS[::-1])[::-1]
    assert ((reversed_rows * together).sum(axis=1)).min() > 0.99
    plan = onnx_encoder.plan(TEXTS, PASSAGE_PREFIX)
    assert len(plan) > 2
    assert sorted(i for rows, _ in plan for i in rows) == list(range(len(TEXTS)))


def test_the_pool_gives_the_single_process_vectors(model_dir, onnx_encoder):
    from models.encoder_pool import EncoderPool

    expected = onnx_encoder.encode_passages(TEXTS)
    with EncoderPool(model_dir, workers=2) as pool:
        assert (pool.name, pool.dim) == (onnx_encoder.name, onnx_encoder.dim)
        got = pool.encode_passages(TEXTS)
        assert pool.encode_passages([]).shape == (0, pool.dim)
        query = pool.encode_queries(["引进博士给多少补贴？"])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(query, onnx_encoder.encode_queries(["引进博士给多少补贴？"]), atol=1e-6)
