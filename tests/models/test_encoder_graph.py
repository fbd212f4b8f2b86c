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
