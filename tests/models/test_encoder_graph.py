"""The encoder runs the exported graph without its no-op attention work, with bit-identical vectors."""

from __future__ import annotations

import numpy as np
import pytest

from models.converter import PASSAGE_PREFIX
from models.encoder_graph import lean_graph

pytestmark = pytest.mark.slow

TEXTS = ["农村低保一年人均能拿到多少？", "三、保障措施",
         "到2020年，建成50家以上互联网+示范企业，培育一批具有较强竞争力的龙头企业。" * 4, "（一）加强组织领导。"]


def test_the_lean_graph_drops_the_nan_guards_and_repeated_masks(onnx_encoder):
    import onnx

    lean = onnx.load_from_string(lean_graph(onnx_encoder.onnx_path))
    full = onnx.load(str(onnx_encoder.onnx_path), load_external_data=False)
    count = lambda model, op: sum(n.op_type == op for n in model.graph.node)  # noqa: E731
    assert count(full, "IsNaN") == 12 and count(lean, "IsNaN") == 0
    assert count(lean, "Where") == count(full, "Where") - 12 - 11  # one shared mask instead of one per layer


def test_the_lean_session_gives_the_exported_graphs_vectors(onnx_encoder):
    import onnxruntime as ort

    from models.encoder import run_session

    plain = ort.InferenceSession(str(onnx_encoder.onnx_path), providers=["CPUExecutionProvider"])
    ids = [ids for _, batch in onnx_encoder.plan(TEXTS, PASSAGE_PREFIX) for ids in batch]  # padded: one batch
    assert len({len(i) for i in ids}) > 1
    np.testing.assert_array_equal(onnx_encoder.run_batch(ids), run_session(plain, ids))


def test_token_ranges_cover_the_tokens_overlapping_each_span():
    from models.encoder import token_ranges

    offsets = [(0, 0), (0, 3), (3, 5), (5, 6), (6, 9), (0, 0)]  # <s>, four tokens, </s>
    assert token_ranges(offsets, [(0, 2), (2, 4), (7, 8), (1, 5)], shift=1) == [(1, 2), (2, 3), (4, 5), (1, 4)]
    assert token_ranges(offsets, [(20, 30)], shift=0) == [(0, 0)]  # past a truncated text


def test_pooled_spans_average_the_exposed_token_states(onnx_encoder):
    from models.encoder import run_session

    texts = TEXTS[:2]
    spans = [[(0, len(t))] for t in texts]
    [(rows, ids, ranges)] = onnx_encoder.plan_spans(texts, spans)
    vectors, pooled = run_session(onnx_encoder.session, ids, ranges)
    np.testing.assert_array_equal(vectors, onnx_encoder.run_batch(ids))
    for r in range(len(rows)):
        (lo, hi), = ranges[r]
        assert 0 < lo < hi < len(ids[r])  # the text's tokens: not <s>, the prefix or </s>
        assert pooled[r].shape == (1, onnx_encoder.dim) and abs(float(np.linalg.norm(pooled[r][0])) - 1) < 1e-5
        assert float(pooled[r][0] @ vectors[r]) > 0.95  # nearly all of the passage's tokens


def test_the_settings_default_batch_is_the_encoders():
    from config import Settings
    from models.encoder import BATCH_SIZE

    assert Settings().encoder_batch_size == BATCH_SIZE
