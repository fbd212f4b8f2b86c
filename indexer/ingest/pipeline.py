"""Ingestion front half: files → documents → clause chunks, every failure kept per file."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from indexer.ingest.clause_splitter import chunk_document, resolve_sizes
from indexer.ingest.lifecycle import extract_lifecycle
from indexer.ingest.loaders import DEFAULT_MAX_BYTES, LoadError, load_sources
from indexer.ingest.record_fields import apply_record_fields
from indexer.ingest.segmenter import segment
from indexer.records import Chunk, IngestResult

log = logging.getLogger(__name__)


def ingest(
    paths: Iterable[str | Path],
    *,
    max_chars: int | None = None,
    min_chars: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = False,
    visibility: list[str] | None = None,
) -> IngestResult:
    """Load, segment and chunk `paths` (files or directories); doc ids are unique in the result.

    Each document's lifecycle is read from its text; a JSONL record may state ``visibility``
    and lifecycle fields itself; ``visibility`` (an upload's groups) applies to every document.
    """
    max_chars, min_chars = resolve_sizes(max_chars, min_chars)
    sources, errors = load_sources(paths, max_bytes=max_bytes)
    result = IngestResult(errors=errors)
    used: Counter[str] = Counter()
    for source in _progress(sources, progress):
        try:
            documents = segment(source)
            chunks: list[Chunk] = []
            for document in documents:
                extract_lifecycle(document)
                apply_record_fields(document, source.metadata if source.fmt == "jsonl" else {})
                if visibility:
                    document.visibility = list(visibility)
                used[document.doc_id] += 1
                if used[document.doc_id] > 1:
                    document.doc_id = f"{document.doc_id}-{used[document.doc_id]}"
                chunks.extend(chunk_document(document, max_chars, min_chars))
        except Exception as exc:  # one malformed input must not stop the batch
            log.debug("failed to segment or chunk %s", source.source, exc_info=True)
            result.errors.append(LoadError(source.source, f"cannot segment or chunk: {exc.__class__.__name__}: {exc}"))
            continue
        result.documents.extend(documents)
        result.chunks.extend(chunks)
        log.info("%s: %d documents, %d chunks", source.source, len(documents), len(chunks))
    return result


def _progress(sources: list, enabled: bool) -> Iterable:
    if not enabled:
        return sources
    from tqdm import tqdm

    return tqdm(sources, desc="ingest", unit="file")
