"""The int8 ONNX encoder (the default) must keep the fp32 model's quality."""

import numpy as np
import pytest

from evaluation.gold import read_gold
from evaluation.retrieval_eval import evaluate_mode
from indexer.backends.local import LocalIndex
from indexer.retrieval.passage_text import dense_text
from tests.conftest import DEV_SET

pytestmark = pytest.mark.slow


def test_int8_embeddings_stay_close_to_fp32(gazette_ingest, onnx_encoder, torch_encoder):
    passages = [dense_text(c, "title_path_text") for c in gazette_ingest.chunks[:200]]
    assert len(passages) == 200
    cosines = np.sum(onnx_encoder.encode_passages(passages) * torch_encoder.encode_passages(passages), axis=1)
    assert cosines.mean() >= 0.99, cosines.mean()
    queries = ["农村老人的基础养老金今年涨多少？", "危险化学品企业黑名单在哪里公示", "众创空间到2020年要达到多少家"]
    q_cos = np.sum(onnx_encoder.encode_queries(queries) * torch_encoder.encode_queries(queries), axis=1)
    assert q_cos.min() >= 0.98, q_cos


def test_dense_only_retrieval_matches_fp32_on_the_dev_set(
    tmp_path, test_settings, gazette_index, torch_encoder, gazette_ingest
):
    torch_index = LocalIndex(tmp_path / "torch-index", test_settings, torch_encoder)
    torch_index.build(gazette_ingest.documents, gazette_ingest.chunks)
    questions = read_gold(DEV_SET)

    def metrics(index):
        def searcher(question, mode, top_k):
            result = index.search(question, top_k, mode)
            return [h.chunk.to_dict() for h in result.hits], result.confident

        return evaluate_mode(searcher, questions, "dense").metrics

    int8, fp32 = metrics(gazette_index), metrics(torch_index)
    assert abs(int8["R@5"] - fp32["R@5"]) <= 0.02, (int8, fp32)
    assert abs(int8["MRR@10"] - fp32["MRR@10"]) <= 0.02, (int8, fp32)
