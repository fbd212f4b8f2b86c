"""The optional cross-encoder stage, with a tiny cross-encoder built here (none ships)."""

import numpy as np
import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from indexer.records import Chunk, Hit
from indexer.retrieval.reranker import CrossEncoderReranker, RerankerLoadError

TEXTS = [
    "将城乡居民基础养老金月人均标准提高15元",
    "危险化学品企业黑名单制度",
    "建成5个主干通用机场",
    "众创空间达到50家以上",
]


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-ce")
    chars = sorted({c for t in [*TEXTS, "养老金涨多少"] for c in t})
    vocab = {tok: i for i, tok in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=128, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def _hits() -> list[Hit]:
    return [
        Hit(Chunk(f"c{i}", "d", "标题", "", "", "", ["标题"], text, 0, len(text)), 1.0 - i / 10, 0.0, 0.0)
        for i, text in enumerate(TEXTS)
    ]


def test_reranker_orders_the_head_by_cross_encoder_scores(tiny_cross_encoder):
    reranker = CrossEncoderReranker(tiny_cross_encoder, depth=3)
    hits = _hits()
    expected = reranker.model.predict([("养老金涨多少", f"标题\n{h.chunk.text}") for h in hits[:3]])
    out = reranker.rerank("养老金涨多少", hits)
    head_ids = [f"c{i}" for i in np.argsort(-np.asarray(expected))]
    assert [h.chunk.chunk_id for h in out[:3]] == head_ids
    assert [h.score for h in out[:3]] == pytest.approx(sorted(expected, reverse=True), abs=1e-5)
    assert out[3].chunk.chunk_id == "c3"  # beyond the depth nothing moves


def test_a_missing_reranker_folder_is_a_clear_error(tmp_path):
    with pytest.raises(RerankerLoadError, match="does not exist"):
        CrossEncoderReranker(tmp_path / "none")


@pytest.mark.slow
def test_search_applies_the_configured_reranker(tiny_cross_encoder, gazette_index, test_settings, onnx_encoder):
    from indexer.backends.factory import open_backend

    settings = test_settings.model_copy(update={"reranker_dir": tiny_cross_encoder})
    reranked = open_backend(settings, gazette_index.index_dir, encoder=onnx_encoder)
    plain = gazette_index.search("养老金涨多少", top_k=5).hits
    hits = reranked.search("养老金涨多少", top_k=5).hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    depth = reranked.reranker.depth
    fused_head = {h.chunk.chunk_id for h in gazette_index.search("养老金涨多少", top_k=depth).hits}
    assert {h.chunk.chunk_id for h in hits} <= fused_head  # reordered from the fused candidates
    assert [h.score for h in hits] != [h.score for h in plain]
