"""Per-row int8 word embeddings: the rewritten graph looks up the same vectors as the fp32 table."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper, save

from models.embedding_quant import MIN_VOCABULARY, quantize_rows, quantize_word_embeddings


def test_rows_come_back_within_half_a_step():
    rng = np.random.default_rng(0)
    table = rng.normal(scale=0.05, size=(300, 16)).astype(np.float32)
    table[7] = 0.0
    q, scales = quantize_rows(table)
    assert q.dtype == np.int8 and scales.shape == (300,)
    restored = q.astype(np.float32) * scales[:, None]
    assert np.all(np.abs(restored - table) <= scales[:, None] / 2 + 1e-7)
    assert np.all(restored[7] == 0.0) and np.abs(q).max() == 127


def _lookup_graph(table: np.ndarray):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "tokens", table.shape[1]])
    nodes = [
        helper.make_node("Gather", ["words", "input_ids"], ["looked_up"], name="word_embeddings/Gather"),
        helper.make_node("Relu", ["looked_up"], ["out"]),
    ]
    graph = helper.make_graph(nodes, "lookup", [ids], [out], [numpy_helper.from_array(table, "words")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_quantized_graph_returns_the_dequantized_rows(tmp_path):
    rng = np.random.default_rng(1)
    table = rng.normal(size=(MIN_VOCABULARY + 5, 32)).astype(np.float32)
    save(_lookup_graph(table), str(tmp_path / "fp32.onnx"))
    assert quantize_word_embeddings(tmp_path / "fp32.onnx", tmp_path / "int8.onnx") == MIN_VOCABULARY + 5
    ids = np.array([[0, 5, MIN_VOCABULARY + 4], [3, 3, 9]], dtype=np.int64)
    (got,) = ort.InferenceSession(str(tmp_path / "int8.onnx")).run(None, {"input_ids": ids})
    q, scales = quantize_rows(table)
    expected = np.maximum(q[ids].astype(np.float32) * scales[ids][..., None], 0)
    assert got.shape == (2, 3, 32) and np.allclose(got, expected, atol=1e-6)
    assert np.abs(got - np.maximum(table[ids], 0)).max() <= scales.max() / 2 + 1e-6
    assert (tmp_path / "int8.onnx").stat().st_size < table.nbytes / 3
