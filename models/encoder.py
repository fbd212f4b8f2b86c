"""Text encoders behind one interface: int8 ONNX Runtime (default) and torch fp32 (reference).

Both take raw texts and add e5's ``query: `` / ``passage: `` prefixes themselves,
so callers cannot forget them. ``name`` identifies encoder kind and weights; an
index records it and refuses to be searched with vectors from another encoder.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from models.converter import PASSAGE_PREFIX, QUERY_PREFIX
from models.encoder_graph import TOKEN_STATES, lean_graph
from models.manifest import REBUILD_HINT, ModelFolderError, ModelManifest
from models.onnx_export import INT8_NAME, ONNX_DIR
from models.query_adapter import QueryAdapter
from models.session_lanes import SessionLanes
from models.unigram import UnigramTokenizer

log = logging.getLogger(__name__)

ENCODER_KINDS = ("onnx-int8", "torch")
# Passages per batch (batches group texts of similar length, ≤ BATCH_SIZE × 128 tokens). The int8 graph
# quantizes activations per batch, so smaller batches stay closer to fp32 (mean cosine 0.9976 at 8,
# 0.9974 at 32 on the gazette) and, on 2 cores, run ~10% faster (README, "Indexing speed").
BATCH_SIZE = 8
BULK_TEXTS = 64  # more texts than this in one call are tokenized by the reference tokenizer (Rust, parallel)


class Encoder(Protocol):
    name: str  # the passages' vector space (a query adapter changes only the questions' side)
    dim: int
    query_adapter: QueryAdapter | None

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...


Spans = list[tuple[int, int]]  # character ranges [start, end) of one text


def _threads(requested: int) -> int:
    if requested > 0:
        return requested
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def _batches_by_length(lengths: list[int], batch_size: int, token_budget: int) -> list[list[int]]:
    """Group indices of similar length so padding wastes little compute."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= batch_size or lengths[i] * (len(current) + 1) > token_budget):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def onnx_session(path: Path, threads: int = 0, graph: bytes | None = None):
    """An ONNX Runtime CPU session for the encoder graph at ``path`` (its no-op attention work left out, see
    ``models.encoder_graph``, or ``graph``: that rewrite already made; the weights stay memory-mapped from the file)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _threads(threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle intra-op threads sleep instead of spinning: several requests encode at once on few cores,
    # and spinning threads took the cores the others needed (32 clients: ~1.5x the asks/s without it).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    lean = graph if graph is not None else lean_graph(path)
    options.add_session_config_entry("session.model_external_initializers_file_folder_path", str(path.parent))
    return ort.InferenceSession(lean, options, providers=["CPUExecutionProvider"])


def run_session(session, ids: list[list[int]], token_spans: list[Spans] | None = None):
    """Run one batch of token-id lists through ``session``: padded to the longest, masked.

    Returns the unit vectors; with ``token_spans`` (token ranges per row) also, per row, the unit
    vectors of those ranges: the mean of their token states, as the graph pools the whole passage.
    An empty range gets its passage's vector.
    """
    width = max(len(row) for row in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for r, row in enumerate(ids):
        input_ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
    vector_output = session.get_outputs()[0].name
    if token_spans is None:
        return session.run([vector_output], feeds)[0]
    vectors, states = session.run([vector_output, TOKEN_STATES], feeds)
    pooled = []
    for r, ranges in enumerate(token_spans):
        out = np.empty((len(ranges), vectors.shape[1]), dtype=np.float32)
        for j, (lo, hi) in enumerate(ranges):
            mean = states[r, lo:hi].mean(axis=0) if hi > lo else vectors[r]
            out[j] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        pooled.append(out)
    return vectors, pooled


def token_ranges(offsets: list[tuple[int, int]], spans: Spans, shift: int) -> Spans:
    """Each character span (shifted by ``shift``, e.g. a prefix) as the range of tokens overlapping it.

    ``offsets`` are the tokens' character ranges; special tokens have empty ones and are never
    part of a span. A span past a truncated text gets an empty range.
    """
    starts = np.fromiter((a for a, _ in offsets), dtype=np.int64, count=len(offsets))
    ends = np.fromiter((b for _, b in offsets), dtype=np.int64, count=len(offsets))
    real = np.flatnonzero(ends > starts)
    out = []
    for a, b in spans:
        inside = real[(ends[real] > a + shift) & (starts[real] < b + shift)]
        out.append((int(inside[0]), int(inside[-1]) + 1) if len(inside) else (0, 0))
    return out


class OnnxInt8Encoder:
    """e5-small quantized to int8, run by ONNX Runtime with its own tokenizer."""

    def __init__(self, model_dir: Path, threads: int = 0, batch_size: int = BATCH_SIZE,
                 onnx_name: str = INT8_NAME) -> None:
        model_dir = Path(model_dir)
        manifest = ModelManifest.load(model_dir)
        rel = f"{ONNX_DIR}/{onnx_name}"
        if rel not in manifest.onnx_files:
            raise ModelFolderError(f"{model_dir} has no {rel}; {REBUILD_HINT}")
        parts = {n: c for n, c in manifest.onnx_files.items() if n == rel or n.startswith(rel + ".")}
        manifest.verify(model_dir, parts | {"tokenizer.json": manifest.files["tokenizer.json"]})
        # Questions and a few sentences go through the compact tokenizer (≈ 50 MB resident); the
        # reference (≈ 280 MB, faster on bulk) is loaded on the first large batch, i.e. when indexing.
        self._tokenizer_path = model_dir / "tokenizer.json"
        self.tokenizer = UnigramTokenizer(self._tokenizer_path)
        self._bulk_tokenizer = None
        self._bulk_lock = threading.Lock()
        self.onnx_path = model_dir / rel
        try:
            self.session = onnx_session(self.onnx_path, threads)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelFolderError(f"cannot load {model_dir / rel} ({exc}); {REBUILD_HINT}") from None
        self.batch_size = batch_size
        self.threads = _threads(threads)
        self._lean: bytes | None = None
        self.lanes = SessionLanes(lambda: onnx_session(self.onnx_path, 1, self._graph()), self.threads)
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)
        kind = "onnx-int8" if onnx_name == INT8_NAME else "onnx-fp32"
        self.name = f"{kind}:{manifest.onnx_checksum(rel)}"
        self.query_adapter: QueryAdapter | None = None

    def _encode(self, texts: list[str], prefix: str, show_progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batches = self.plan(texts, prefix)
        results = self.run_batches([(ids,) for _, ids in batches], run_session, bulk=len(texts) > BULK_TEXTS)
        for (rows, _), vectors in zip(batches, _progress(results, show_progress, "embedding", len(batches)),
                                      strict=True):
            out[rows] = vectors
        return out

    def run_batches(self, jobs: list[tuple], run: Callable, bulk: bool = True) -> Iterator:
        """``run(session, *job)`` for each job, results in order: many batches (``bulk``, i.e. indexing) on
        ``threads`` single-threaded sessions at once (``models.session_lanes``), else on the encoder's session."""
        if bulk and self.threads > 1 and len(jobs) > 1:
            yield from self.lanes.map(run, jobs)
        else:
            yield from (run(self.session, *job) for job in jobs)

    def plan(self, texts: list[str], prefix: str) -> list[tuple[list[int], list[list[int]]]]:
        """``prefix`` + each text tokenized and grouped by length into the batches they are run in:
        (positions in ``texts``, their token ids). A text's vector depends a little on its batch
        (activations are quantized per batch), so every way of running them keeps this grouping."""
        encodings = self._tokenize([prefix + t for t in texts]) if texts else []
        return [(batch, [encodings[i] for i in batch]) for batch in self._group(encodings)]

    def plan_spans(self, texts: list[str], spans: list[Spans]) -> list[tuple[list[int], list[list[int]], list[Spans]]]:
        """Passages planned as ``plan`` does, each batch also carrying its texts' character spans as token ranges."""
        if not texts:
            return []
        encoded = self._tokenize_with_offsets([PASSAGE_PREFIX + t for t in texts])
        ids = [i for i, _ in encoded]
        ranges = [token_ranges(o, s, len(PASSAGE_PREFIX)) for (_, o), s in zip(encoded, spans, strict=True)]
        return [(batch, [ids[i] for i in batch], [ranges[i] for i in batch]) for batch in self._group(ids)]

    def _tokenize_with_offsets(self, texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Ids and character offsets. A few texts (an upload, a chunk's first answer on a Milvus replica) go
        through the compact tokenizer where it can give offsets, so the service does not load the
        reference (~280 MB) for them; both give the same ids and offsets (tests/models/test_unigram.py)."""
        if len(texts) > BULK_TEXTS:
            return [(e.ids, e.offsets) for e in self._bulk().encode_batch(texts)]
        out = [self.tokenizer.encode_with_offsets(t) for t in texts]
        rest = [i for i, o in enumerate(out) if o is None]
        for i, e in zip(rest, self._bulk().encode_batch([texts[i] for i in rest]) if rest else [], strict=True):
            out[i] = (e.ids, e.offsets)
        return out

    def _graph(self) -> bytes:
        """The lean graph, rewritten once for all the lanes."""
        if self._lean is None:
            self._lean = lean_graph(self.onnx_path)
        return self._lean

    def _group(self, encodings: list[list[int]]) -> list[list[int]]:
        lengths = [len(e) for e in encodings]
        return _batches_by_length(lengths, self.batch_size, token_budget=self.batch_size * 128)

    def run_batch(self, ids: list[list[int]]) -> np.ndarray:
        """Unit vectors of one batch of token-id lists (padded to the longest)."""
        return run_session(self.session, ids)

    def _tokenize(self, texts: list[str]) -> list[list[int]]:
        """Token ids; both tokenizers give the same ids (tests/models/test_unigram.py)."""
        if len(texts) <= BULK_TEXTS:
            return self.tokenizer.encode_batch(texts)
        return [e.ids for e in self._bulk().encode_batch(texts)]

    def _bulk(self):
        """The reference tokenizer (loaded on first use): fast on many texts, and it gives character offsets."""
        with self._bulk_lock:
            if self._bulk_tokenizer is None:
                from tokenizers import Tokenizer

                self._bulk_tokenizer = Tokenizer.from_file(str(self._tokenizer_path))
                self._bulk_tokenizer.no_padding()
        return self._bulk_tokenizer

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return _adapted(self.query_adapter, self._encode(texts, QUERY_PREFIX))

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, PASSAGE_PREFIX, show_progress)

    def encode_passages_with_spans(self, texts: list[str], spans: list[Spans],
                                   show_progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, and for each passage the vectors of its character ``spans`` (e.g. its sentences)
        pooled from the same run: a sentence's vector in its passage's context, at no extra encoding."""
        batches = self.plan_spans(texts, spans)
        results = self.run_batches([(ids, ranges) for _, ids, ranges in batches], run_session,
                                   bulk=len(texts) > BULK_TEXTS)
        return gather_spans(len(texts), self.dim, batches, _progress(results, show_progress, "embedding", len(batches)))


def gather_spans(n_texts: int, dim: int, batches, results) -> tuple[np.ndarray, list[np.ndarray]]:
    """The passage vectors and per-passage span vectors of ``plan_spans`` batches, from their runs' results."""
    out = np.empty((n_texts, dim), dtype=np.float32)
    parts: list[np.ndarray] = [np.zeros((0, dim), np.float32)] * n_texts
    for (rows, _, _), (vectors, pooled) in zip(batches, results, strict=True):
        out[rows] = vectors
        for row, vecs in zip(rows, pooled, strict=True):
            parts[row] = vecs
    return out, parts


def _adapted(adapter: QueryAdapter | None, vectors: np.ndarray) -> np.ndarray:
    return vectors if adapter is None or not len(vectors) else adapter.apply(vectors)


def _progress(items, show: bool, desc: str, total: int | None = None):
    """``items`` (batches, or results as they come) with a progress bar when ``show``."""
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=desc, unit="batch")


class TorchEncoder:
    """The fp32 sentence-transformers model: slower, the reference for fidelity tests."""

    def __init__(self, model_dir: Path, threads: int = 0, batch_size: int = BATCH_SIZE) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        model_dir = Path(model_dir)
        manifest = ModelManifest.load(model_dir)
        if not (model_dir / "model.safetensors").is_file():
            raise ModelFolderError(
                f"{model_dir} holds only the int8 ONNX model (the fp32 weights are removed after a build for "
                "ENCODER=onnx-int8); rebuild them with `ENCODER=torch python -m models build`"
            )
        manifest.verify(model_dir)
        torch.set_num_threads(_threads(threads))
        try:
            self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except Exception as exc:  # transformers raises many error types for a broken folder
            raise ModelFolderError(f"cannot load {model_dir} ({exc}); {REBUILD_HINT}") from None
        self.batch_size = batch_size
        self.dim = int(self.model.get_embedding_dimension())
        self.name = f"torch:{manifest.checksum}"
        self.query_adapter: QueryAdapter | None = None

    def _encode(self, texts: list[str], prompt_name: str, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model.encode(
            texts, prompt_name=prompt_name, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress,
        ).astype(np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return _adapted(self.query_adapter, self._encode(texts, "query"))

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", show_progress)


def encoder_name(kind: str, model_dir: Path) -> str:
    """The name an encoder of ``kind`` loaded from ``model_dir`` will have (read from the manifest only)."""
    manifest = ModelManifest.load(Path(model_dir))
    if kind == "torch":
        return f"torch:{manifest.checksum}"
    return f"{kind}:{manifest.onnx_checksum(f'{ONNX_DIR}/{INT8_NAME}')}"


def load_encoder(kind: str, model_dir: Path, threads: int = 0, batch_size: int = BATCH_SIZE,
                 query_adapter: Path | None = None) -> Encoder:
    """The encoder of ``kind``; with ``query_adapter`` (a file), its question vectors go through that adapter."""
    if kind == "onnx-int8":
        encoder: Encoder = OnnxInt8Encoder(model_dir, threads, batch_size)
    elif kind == "torch":
        encoder = TorchEncoder(model_dir, threads, batch_size)
    else:
        raise ValueError(f"unknown encoder {kind!r}; expected one of {', '.join(ENCODER_KINDS)}")
    if query_adapter is not None:
        encoder.query_adapter = QueryAdapter.load(query_adapter, encoder.dim)
    return encoder
