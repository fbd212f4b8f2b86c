"""Wiring from the settings: the encoder, the optional reranker, the backend, the ingestion entry.

The service and the CLI build everything they need here, so a second backend is a
new module plus one branch in ``open_backend``/``new_backend``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from config import Settings
from indexer.backends import versions
from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.catalog import (
    CORRECTABLE,
    add_linked,
    add_to_index,
    build_index,
    correct_document,
    linked_for_build,
)
from indexer.backends.document_store import DocumentStore, StoreError
from indexer.backends.local import LocalIndex
from indexer.backends.local_store import read_manifest
from indexer.backends.writer import IndexWriter, RebuildReport, WriterBusy
from indexer.ingest.isolation import ingest_isolated
from indexer.ingest.loaders import SUPPORTED_SUFFIXES, ParseLimits
from indexer.ingest.pipeline import ingest
from indexer.ingest.record_fields import validate_field
from indexer.records import IngestResult
from indexer.retrieval.reranker import CrossEncoderReranker, RerankerLoadError
from models.encoder import Encoder, load_encoder
from models.encoder_pool import EncoderPool
from models.manifest import ModelFolderError

__all__ = [
    "CORRECTABLE", "SUPPORTED_SUFFIXES", "BackendUnavailable", "IndexBackend", "IndexSite", "StoreError",
    "WriterBusy", "add_linked", "add_to_index", "build_index", "correct_document", "encoder_from_settings",
    "indexing_encoder", "ingest_files", "new_backend", "open_backend", "parse_limits", "reranker_from_settings",
    "validate_field", "where",
]


def encoder_from_settings(settings: Settings) -> Encoder:
    return load_encoder(settings.encoder, settings.model_dir, settings.encoder_threads, settings.encoder_batch_size,
                        settings.query_adapter)


@contextmanager
def indexing_encoder(settings: Settings, workers: int) -> Iterator[Encoder | None]:
    """The encoder a build uses: ``None`` (the site loads the usual one when needed) for one worker, else a
    pool of ``workers`` encoder processes, started now so they load the model while the files are parsed."""
    if workers <= 1:
        yield None
        return
    if settings.encoder != "onnx-int8":
        raise ValueError(f"--workers above 1 needs ENCODER=onnx-int8 (configured: {settings.encoder})")
    try:
        pool = EncoderPool(settings.model_dir, workers, settings.encoder_threads, settings.encoder_batch_size)
    except ModelFolderError as exc:
        raise BackendUnavailable(str(exc)) from exc
    try:
        yield pool
    finally:
        pool.close()


def reranker_from_settings(settings: Settings) -> CrossEncoderReranker | None:
    return CrossEncoderReranker(settings.reranker_dir) if settings.reranker_dir else None


def open_backend(settings: Settings, index_dir: Path | None = None, encoder: Encoder | None = None) -> IndexBackend:
    """The configured index, opened for serving and updates.

    Raises ``BackendUnavailable`` (with the repair in its message) when the index, the
    model folder or the reranker cannot be loaded.
    """
    try:
        encoder = encoder or encoder_from_settings(settings)
        reranker = reranker_from_settings(settings)
    except (ModelFolderError, RerankerLoadError) as exc:
        raise BackendUnavailable(str(exc)) from exc
    if settings.index_backend == "milvus":
        from indexer.backends.milvus import MilvusIndex

        return MilvusIndex.open(settings, encoder, reranker)
    return LocalIndex.open(index_dir or settings.index_dir, settings, encoder, reranker)


def new_backend(settings: Settings, index_dir: Path | None = None, encoder: Encoder | None = None) -> IndexBackend:
    """An index of the configured kind to ``build`` into (the current one keeps serving until the build completes)."""
    encoder = encoder or encoder_from_settings(settings)
    if settings.index_backend == "milvus":
        from indexer.backends.milvus import MilvusIndex

        return MilvusIndex(settings, encoder, reranker_from_settings(settings))
    return LocalIndex(index_dir or settings.index_dir, settings, encoder, reranker_from_settings(settings))


def where(settings: Settings, index_dir: Path | None = None) -> str:
    """The configured index, named for messages."""
    if settings.index_backend == "milvus":
        return f"Milvus {settings.milvus_uri} ({settings.milvus_collection})"
    return str(index_dir or settings.index_dir)


def parse_limits(settings: Settings, max_bytes: int | None = None) -> ParseLimits:
    return ParseLimits(
        max_bytes=max_bytes or ParseLimits().max_bytes, max_decompressed_bytes=settings.max_decompressed_bytes,
        pdf_max_pages=settings.pdf_max_pages, timeout_s=settings.parse_timeout_s,
    )


def ingest_files(
    paths: Iterable[str | Path],
    settings: Settings,
    max_bytes: int | None = None,
    *,
    isolated: bool = False,
    names: Mapping[str, str] | None = None,
    visibility: list[str] | None = None,
) -> IngestResult:
    """Files → documents and clause chunks with the configured chunk sizes and parse limits; one error per bad file.

    ``isolated`` parses each file in a worker process limited to ``parse_memory_bytes`` and
    ``parse_timeout_s`` (what the service does with uploads); ``names`` gives the name each
    path's documents carry as their source; ``visibility`` (groups) applies to every document read
    (lifecycle fields come from the text).
    """
    limits = parse_limits(settings, max_bytes)
    sizes = {"max_chars": settings.chunk_max_chars, "min_chars": settings.chunk_min_chars}
    if isolated:
        result = ingest_isolated(paths, memory_bytes=settings.parse_memory_bytes, limits=limits, names=names, **sizes)
    else:
        result = ingest(paths, limits=limits, names=names, **sizes)
    for document in result.documents if visibility else ():
        document.visibility = list(visibility)
    return result


class IndexSite:
    """One index and its document store: how to open it, whether a newer version is published, how to write it.

    The encoder and the reranker are loaded once and shared by every version opened here. Following
    published versions and ``rollback`` are the local backend's; a Milvus index follows writes itself.
    """

    def __init__(self, settings: Settings, index_dir: Path | None = None, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.index_dir = Path(index_dir or settings.index_dir)
        self.local = settings.index_backend != "milvus"
        self.store = DocumentStore(settings.store_dir)
        self.writer = IndexWriter(settings, self.store, partial(_reingest, settings))
        self._encoder = encoder
        self._reranker: CrossEncoderReranker | None = None
        self._reranker_loaded = False

    def _parts(self) -> tuple[Encoder, CrossEncoderReranker | None]:
        try:
            if self._encoder is None:
                self._encoder = encoder_from_settings(self.settings)
            if not self._reranker_loaded:
                self._reranker, self._reranker_loaded = reranker_from_settings(self.settings), True
        except (ModelFolderError, RerankerLoadError) as exc:
            raise BackendUnavailable(str(exc)) from exc
        return self._encoder, self._reranker

    def open(self) -> IndexBackend:
        """The published version, fully loaded and checked (``BackendUnavailable`` says how to repair)."""
        encoder, reranker = self._parts()
        if not self.local:
            from indexer.backends.milvus import MilvusIndex

            return MilvusIndex.open(self.settings, encoder, reranker)
        return LocalIndex.open(self.index_dir, self.settings, encoder, reranker)

    def new(self) -> IndexBackend:
        encoder, reranker = self._parts()
        if not self.local:
            from indexer.backends.milvus import MilvusIndex

            return MilvusIndex(self.settings, encoder, reranker)
        return LocalIndex(self.index_dir, self.settings, encoder, reranker)

    def published_version(self) -> str:
        """The published local version (one readlink, cheap enough to call every second); "" for Milvus."""
        return (versions.published(self.index_dir) or "") if self.local else ""

    def published_seq(self) -> int | None:
        """The store event the published version reflects (None: unreadable or built without the store)."""
        try:
            if self.local:
                return read_manifest(self.index_dir, verify_files=False)[1].store_seq
            return self.open().store_seq
        except BackendUnavailable:
            return None

    def rebuild(self, show_progress: bool = False) -> RebuildReport:
        """Recreate the index from the document store (writer lock held)."""
        return self.writer.rebuild(self.new(), self.published_seq(), show_progress,
                                   prepare=partial(linked_for_build, index_dir=self.index_dir))

    def rollback(self) -> tuple[str, str]:
        """Serve the previous intact version again; store events after it are voided (writer lock held)."""
        if not self.local:
            raise BackendUnavailable("rollback needs the local backend (Milvus keeps one version); use rebuild")
        self.writer.reconcile(self.published_seq())
        left, now, seq = versions.rollback(self.index_dir)
        if seq is not None:
            self.store.void(self.store.live_after(seq), f"rolled back from {left} to {now}")
        return left, now


def _reingest(settings: Settings, paths: list[Path], names: dict[str, str], max_bytes: int) -> IngestResult:
    return ingest_files(paths, settings, max_bytes, names=names)
