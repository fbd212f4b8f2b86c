"""Ingestion front half: files → documents → clause chunks, every failure kept per file."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from indexer.ingest.clause_splitter import chunk_document, resolve_sizes
from indexer.ingest.lifecycle import extract_lifecycle
from indexer.ingest.loaders import LoadError, ParseLimits, load_sources
from indexer.ingest.record_fields import apply_record_fields
from indexer.ingest.segmenter import segment
from indexer.records import Chunk, IngestResult, SourceText

log = logging.getLogger(__name__)


def ingest(
    paths: Iterable[str | Path],
    *,
    max_chars: int | None = None,
    min_chars: int | None = None,
    max_bytes: int | None = None,
    limits: ParseLimits | None = None,
    names: Mapping[str, str] | None = None,
    progress: bool = False,
) -> IngestResult:
    """Load, segment and chunk `paths` (files or directories); doc ids are unique in the result.

    ``names`` maps a path (as given) to the name its documents and errors carry as their
    ``source`` (an upload's own file name rather than the temporary file it was saved to).
    """
    max_chars, min_chars = resolve_sizes(max_chars, min_chars)
    sources, errors = load_sources(paths, max_bytes=max_bytes, limits=limits)
    if names:
        sources = [replace(s, source=_renamed(s.source, names)) for s in sources]
        errors = [LoadError(_renamed(e.source, names), e.message) for e in errors]
    result = IngestResult(errors=errors)
    taken: set[str] = set()
    for source in _progress(sources, progress):
        part = ingest_source(source, max_chars, min_chars, taken)
        result.documents.extend(part.documents)
        result.chunks.extend(part.chunks)
        result.errors.extend(part.errors)
    return result


def ingest_source(source: SourceText, max_chars: int, min_chars: int, taken: set[str]) -> IngestResult:
    """Documents and chunks of one loaded source, its doc ids made unique against (and added to) `taken`.

    Each document's lifecycle is read from its text; a JSONL record may state ``visibility`` and
    lifecycle fields itself (a malformed one makes the record an error).
    """
    claimed: list[str] = []
    try:
        documents = segment(source)
        chunks: list[Chunk] = []
        for document in documents:
            extract_lifecycle(document)
            apply_record_fields(document, source.metadata if source.fmt == "jsonl" else {})
            document.doc_id = unique_id(document.doc_id, taken)
            claimed.append(document.doc_id)
            chunks.extend(chunk_document(document, max_chars, min_chars))
    except Exception as exc:  # one malformed input must not stop the batch
        taken.difference_update(claimed)
        log.debug("failed to segment or chunk %s", source.source, exc_info=True)
        reason = "out of memory" if isinstance(exc, MemoryError) else f"{exc.__class__.__name__}: {exc}"
        return IngestResult(errors=[LoadError(source.source, f"cannot segment or chunk: {reason}")])
    log.info("%s: %d documents, %d chunks", source.source, len(documents), len(chunks))
    return IngestResult(documents=documents, chunks=chunks)


def unique_id(doc_id: str, taken: set[str]) -> str:
    """`doc_id`, or the first free ``doc_id-N`` (N = 2, 3, ...) if it is taken; the result is added to `taken`."""
    candidate, number = doc_id, 1
    while candidate in taken:
        number += 1
        candidate = f"{doc_id}-{number}"
    taken.add(candidate)
    return candidate


def merge_results(parts: Iterable[IngestResult]) -> IngestResult:
    """One result from per-file results, renaming documents (and their chunks) whose ids collide."""
    merged = IngestResult()
    taken: set[str] = set()
    for part in parts:
        renamed: dict[str, str] = {}
        for document in part.documents:
            new_id = unique_id(document.doc_id, taken)
            if new_id != document.doc_id:
                renamed[document.doc_id] = new_id
                document.doc_id = new_id
        for chunk in part.chunks:
            if chunk.doc_id in renamed:
                old_id, chunk.doc_id = chunk.doc_id, renamed[chunk.doc_id]
                chunk.chunk_id = chunk.doc_id + chunk.chunk_id[len(old_id):]
        merged.documents.extend(part.documents)
        merged.chunks.extend(part.chunks)
        merged.errors.extend(part.errors)
    return merged


def _renamed(source: str, names: Mapping[str, str]) -> str:
    """`source` with its path replaced by its name (a JSONL record's source is ``path#id``)."""
    if source in names:
        return names[source]
    path = next((p for p in names if source.startswith(p + "#")), None)
    return source if path is None else names[path] + source[len(path):]


def _progress(sources: list, enabled: bool) -> Iterable:
    if not enabled:
        return sources
    from tqdm import tqdm

    return tqdm(sources, desc="ingest", unit="file")
