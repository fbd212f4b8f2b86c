"""Export the converted model to ONNX and quantize it to int8 for fast CPU inference.

The graph includes mean pooling and L2 normalization, so ONNX Runtime returns
finished sentence embeddings. Weights are quantized dynamically with one scale
per output channel, which keeps cosine ≥ 0.99 against fp32 (per-tensor scales
lose more on this model); the word-embedding table is quantized per row
(``embedding_quant``). The weights are written beside the graph
(``model_int8.onnx.data``), which ONNX Runtime memory-maps instead of copying:
several processes serving the same folder share one copy in the page cache.
The fp32 ONNX export is an intermediate step and is not kept.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from models.embedding_quant import quantize_word_embeddings

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"
FP32_NAME = "model.onnx"
INT8_NAME = "model_int8.onnx"
INT8_DATA = INT8_NAME + ".data"
ONNX_OPSET = 17


def export_onnx(model_dir: Path) -> list[Path]:
    """Write ``onnx/model_int8.onnx`` and its weights ``onnx/model_int8.onnx.data`` into ``model_dir``."""
    from transformers import AutoModel

    model_dir = Path(model_dir)
    out_dir = model_dir / ONNX_DIR
    out_dir.mkdir(exist_ok=True)
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=model_dir))
    try:
        return _export(bert, out_dir, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _export(bert, out_dir: Path, work: Path) -> list[Path]:
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class PooledEncoder(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    fp32_path = work / FP32_NAME
    dummy = torch.ones((2, 8), dtype=torch.long)
    log.info("exporting %s", fp32_path)
    with torch.no_grad():
        torch.onnx.export(
            PooledEncoder(bert),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(fp32_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_type_ids": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    matmul_int8 = work / "matmul_int8.onnx"
    log.info("quantizing %s (int8, per-channel)", matmul_int8)
    quantize_dynamic(
        str(fp32_path), str(matmul_int8), weight_type=QuantType.QInt8, per_channel=True,
        op_types_to_quantize=["MatMul", "Gemm"],
    )
    all_int8 = work / INT8_NAME
    quantize_word_embeddings(matmul_int8, all_int8)
    int8_path, data_path = out_dir / INT8_NAME, out_dir / INT8_DATA
    data_path.unlink(missing_ok=True)  # onnx appends to an existing data file
    onnx.save_model(onnx.load(str(all_int8)), str(int8_path), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=INT8_DATA, size_threshold=1024)
    data_path.chmod(0o644)
    return [int8_path, data_path]
