"""The compact Unigram tokenizer gives exactly the ids of the reference (``tokenizers``) tokenizer."""

import json
import random

import numpy as np
import pytest

from tests.conftest import DEV_SET, GAZETTE

pytestmark = pytest.mark.slow  # needs the model folder

ODD = [
    "", " ", "  a  b ", "\t\n", "<s>", "x<mask>y", "a</s>b<pad><unk>", "<s><s>", "＜ｓ＞", "\u200b", "～～",
    "ｱｲｳ", "①②", "ﬁ", "\x01\x02", "𠀀𠀁", "Hello World!! 123", "é", "e\u0301", "query: ", "農村養老金",
    "全角：ＡＢＣ１２３，半角：ABC123, 混排～波浪号", "农村低保标准是多少？" * 80,  # past 512 tokens
]


@pytest.fixture(scope="module")
def tokenizers(model_dir):
    from tokenizers import Tokenizer

    from models.unigram import UnigramTokenizer

    reference = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    reference.no_padding()
    return reference, UnigramTokenizer(model_dir / "tokenizer.json")


def _texts() -> list[str]:
    rng = random.Random(7)
    questions = [json.loads(line)["question"] for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in GAZETTE.read_text(encoding="utf-8").splitlines() if line.strip()]
    noise = ["".join(chr(rng.randrange(0x20, 0x3100)) for _ in range(rng.randrange(1, 30))) for _ in range(500)]
    mixed = ["".join(rng.choice("ab 农村低保<>/s～ｓ\u3000\u00a0①") for _ in range(rng.randrange(1, 30)))
             for _ in range(500)]
    return ODD + [f"query: {q}" for q in questions] + [f"passage: {t}" for t in lines] + noise + mixed


def test_same_ids_as_the_reference(tokenizers):
    reference, compact = tokenizers
    texts = _texts()
    expected = [e.ids for e in reference.encode_batch(texts)]
    got = compact.encode_batch(texts)
    mismatches = [(t[:40], e[:12], g[:12]) for t, e, g in zip(texts, expected, got, strict=True) if e != g]
    assert len(texts) > 1500 and not mismatches, mismatches[:5]


def test_encoder_uses_both_and_agrees(onnx_encoder):
    """Small calls go through the compact tokenizer, bulk ones through the reference: same vectors."""
    from models.encoder import BULK_TEXTS

    lines = [line for line in GAZETTE.read_text(encoding="utf-8").splitlines() if len(line) > 20][: BULK_TEXTS + 1]
    bulk = onnx_encoder.encode_passages(lines)  # reference tokenizer
    small = np.vstack([onnx_encoder.encode_passages(lines[i : i + 8]) for i in range(0, len(lines), 8)])
    assert onnx_encoder._bulk_tokenizer is not None
    # Batches differ (int8 activations are quantized per batch), so vectors agree closely, not exactly.
    assert float(np.min(np.sum(bulk * small, axis=1))) > 0.99
