"""Wiring from the settings: the encoder, the optional reranker, the backend, the ingestion entry.

The service and the CLI build everything they need here, so a second backend is a
new module plus one branch in ``open_backend``/``new_backend``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from config import Settings
from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.catalog import CORRECTABLE, add_to_index, build_index, correct_document
from indexer.backends.local import LocalIndex
from indexer.backends.local_store import read_manifest
from indexer.ingest.isolation import ingest_isolated
from indexer.ingest.loaders import SUPPORTED_SUFFIXES, ParseLimits
from indexer.ingest.pipeline import ingest
from indexer.ingest.record_fields import validate_field
from indexer.records import IngestResult
from indexer.retrieval.reranker import CrossEncoderReranker, RerankerLoadError
from models.encoder import Encoder, load_encoder
from models.manifest import ModelFolderError

__all__ = [
    "CORRECTABLE", "SUPPORTED_SUFFIXES", "BackendUnavailable", "IndexBackend", "add_to_index", "build_index",
    "correct_document", "encoder_from_settings", "index_exists", "ingest_files", "new_backend", "open_backend",
    "parse_limits", "reranker_from_settings", "validate_field", "where",
]


def encoder_from_settings(settings: Settings) -> Encoder:
    return load_encoder(settings.encoder, settings.model_dir, settings.encoder_threads, settings.encoder_batch_size)


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


def index_exists(settings: Settings, index_dir: Path | None = None) -> str:
    """Why there is no usable index of the configured kind ("" when there is one); loads no model."""
    try:
        if settings.index_backend == "milvus":
            from indexer.backends.milvus_store import MilvusStore

            store = MilvusStore(settings.milvus_uri, settings.milvus_token, settings.milvus_collection)
            try:
                version = store.active_version()
                if version is None:
                    return f"no Milvus index {settings.milvus_collection!r} at {settings.milvus_uri}"
                store.state(version)
            finally:
                store.close()
        else:
            read_manifest(index_dir or settings.index_dir)
    except BackendUnavailable as exc:
        return str(exc)
    return ""


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
