"""`python -m indexer build --workers N` builds the same index as one worker."""

from __future__ import annotations

import numpy as np
import pytest

from tests.indexer_cli import run_indexer, write_note

NOTICE = """关于做好2017年民生实事工作的通知
青政办〔2017〕13号
各市、自治州人民政府，省政府各委、办、厅、局：
一、提高城乡居民基础养老金。全省城乡居民基础养老金最低标准每人每月提高到175元。
二、提高农村低保标准。农村低保标准提高到每人每年3500元，所需资金由省和市州按比例分担。
三、实施通用航空机场建设。建成果洛、祁连两个通用机场，开通省内短途运输航线。
（一）加强组织领导。各地区、各部门要把民生实事作为重要任务，明确责任分工。
（二）强化督促检查。省政府督查室定期督查进展情况，年底进行考核。
青海省人民政府办公厅
2017年1月26日
"""


@pytest.mark.slow
def test_two_workers_build_the_index_of_one(tmp_path, cli_env, model_dir):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_note(corpus, "notice.txt", NOTICE)
    write_note(corpus, "plan.txt", NOTICE.replace("13号", "15号").replace("民生实事", "安全生产") * 2)
    built = {}
    for workers in (1, 2):
        env = {**cli_env, "MODEL_DIR": str(model_dir), "EMBEDDING_CACHE_DIR": str(tmp_path / f"cache-{workers}"),
               "STORE_DIR": str(tmp_path / f"store-{workers}")}
        index = tmp_path / f"index-{workers}"
        result = run_indexer(env, "build", str(corpus), "--index", str(index), "--workers", str(workers))
        assert result.returncode == 0, result.stderr
        built[workers] = index
    for name in ("dense/vectors.npy", "sentences/vectors.npy", "sentences/spans.npy", "sentences/offsets.npy"):
        one, two = (np.load(built[w] / name) for w in (1, 2))
        assert one.shape == two.shape and len(one) > 0
        np.testing.assert_allclose(two.astype(np.float32), one.astype(np.float32), atol=1e-6, err_msg=name)
    for name in ("chunks.jsonl", "bm25/vocab.json"):
        assert (built[2] / name).read_text(encoding="utf-8") == (built[1] / name).read_text(encoding="utf-8")


def test_workers_out_of_range_is_a_usage_error(tmp_path, cli_env):
    result = run_indexer(cli_env, "build", str(tmp_path), "--index", str(tmp_path / "idx"), "--workers", "0")
    assert result.returncode == 2
    assert "--workers" in result.stderr and "between 1 and 64" in result.stderr
