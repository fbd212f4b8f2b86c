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


def test_same_offsets_as_the_reference_where_it_gives_them(tokenizers):
    reference, compact = tokenizers
    texts = _texts()
    given = skipped = 0
    for text, expected in zip(texts, reference.encode_batch(texts), strict=True):
        got = compact.encode_with_offsets(text)
        if got is None:  # not mapped character for character by the normalizer, or special tokens in it
            skipped += 1
            continue
        given += 1
        assert got == (expected.ids, expected.offsets), text[:40]
    gazette = [t for t in texts if t.startswith("passage: ")]
    assert all(compact.encode_with_offsets(t) is not None for t in gazette[:200])  # plain Chinese text
    assert given > 1000 and skipped > 0, (given, skipped)


def test_span_vectors_of_a_small_call_equal_a_bulk_calls(onnx_encoder):
    """A few passages (an upload) use the compact tokenizer's offsets, many the reference's: same vectors."""
    from models.encoder import BULK_TEXTS

    lines = [line for line in GAZETTE.read_text(encoding="utf-8").splitlines() if len(line) > 20][:BULK_TEXTS + 1]
    spans = [[(0, len(t) // 2), (len(t) // 2, len(t))] for t in lines]
    onnx_encoder._bulk_tokenizer = None
    small = [onnx_encoder.encode_passages_with_spans([t], [s]) for t, s in zip(lines[:3], spans[:3], strict=True)]
    assert onnx_encoder._bulk_tokenizer is None  # the service does not load the reference for an upload
    bulk_vectors, bulk_parts = onnx_encoder.encode_passages_with_spans(lines, spans)
    for i, (vectors, [parts]) in enumerate(small):
        assert float(vectors[0] @ bulk_vectors[i]) > 0.99 and np.min(np.sum(parts * bulk_parts[i], axis=1)) > 0.99
    assert [r for _, _, r in onnx_encoder.plan_spans(lines[:1], spans[:1])] == \
        [[r] for _, _, [r] in onnx_encoder.plan_spans(lines[:1], spans[:1])]
