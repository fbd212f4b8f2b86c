"""Document records across index writes: lifecycle links and administrators' corrections.

Every write goes through here, whatever the backend: ``build_index`` and ``add_to_index``
link repealing/revising documents to their targets (``lifecycle_links``) and re-apply the
corrections an administrator made (``correct_document``). Corrections live in a JSON file
next to the index (``<index>.overrides.json``), outside the version folders a rebuild
replaces, so they survive re-indexing.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from indexer.backends.base import IndexBackend
from indexer.ingest.lifecycle_links import link_documents
from indexer.records import Chunk, Document, IngestResult

CORRECTABLE = ("status", "effective_from", "effective_to", "supersedes", "superseded_by", "visibility")
_lock = threading.Lock()


def overrides_path(index_dir: Path) -> Path:
    index_dir = Path(index_dir)
    return index_dir.with_name(index_dir.name + ".overrides.json")


def load_overrides(index_dir: Path) -> dict[str, dict[str, Any]]:
    path = overrides_path(index_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable corrections file ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of doc_id → fields")
    return data


def apply_overrides(documents: Iterable[Document], overrides: dict[str, dict[str, Any]]) -> list[Document]:
    out = []
    for doc in documents:
        fields = overrides.get(doc.doc_id)
        if fields:
            doc = copy.deepcopy(doc)
            for name, value in fields.items():
                if name in CORRECTABLE:
                    setattr(doc, name, copy.deepcopy(value))
        out.append(doc)
    return out


def build_index(index: IndexBackend, documents: list[Document], chunks: list[Chunk], index_dir: Path,
                show_progress: bool = False) -> list[Document]:
    """Build from scratch with links among ``documents`` and the stored corrections; returns the documents."""
    linked, _ = link_documents(documents)
    linked = apply_overrides(linked, load_overrides(index_dir))
    index.build(linked, chunks, show_progress=show_progress)
    return linked


def add_to_index(index: IndexBackend, documents: list[Document], chunks: list[Chunk], index_dir: Path,
                 show_progress: bool = False) -> tuple[list[Document], list[Document]]:
    """Add documents; older documents they repeal or revise are updated too. Returns (added, updated)."""
    overrides = load_overrides(index_dir)
    added, updated = link_documents(documents, index.list_documents())
    added, updated = apply_overrides(added, overrides), apply_overrides(updated, overrides)
    index.add(added, chunks, show_progress=show_progress)
    if updated:
        index.update_documents(updated)
    return added, updated


def linked_for_build(documents: list[Document], index_dir: Path) -> list[Document]:
    """What ``build_index`` indexes: ``documents`` with links among them and the stored corrections."""
    linked, _ = link_documents(documents)
    return apply_overrides(linked, load_overrides(index_dir))


def add_linked(index: IndexBackend, writer: Any, result: IngestResult, staged: list, index_dir: Path, origin: str,
               show_progress: bool = False) -> tuple[list[Document], list[Document]]:
    """``add_to_index`` through the writer (see writer.py): the store records the add and the documents it updates."""
    overrides = load_overrides(index_dir)
    added, updated = link_documents(result.documents, index.list_documents())
    result.documents = apply_overrides(added, overrides)
    writer.add(index, result, staged, origin, show_progress)
    updated = apply_overrides(updated, overrides)
    if updated:
        writer.update_documents(index, updated, origin)
    return result.documents, updated


def correct_document(index: IndexBackend, doc_id: str, changes: dict[str, Any], index_dir: Path) -> Document:
    """Record an administrator's correction and apply it; ``KeyError`` for an unknown id."""
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"fields that cannot be corrected: {sorted(unknown)}")
    doc = index.document(doc_id)
    if doc is None:
        raise KeyError(doc_id)
    with _lock:
        overrides = load_overrides(index_dir)
        overrides[doc_id] = {**overrides.get(doc_id, {}), **copy.deepcopy(changes)}
        _write_atomically(overrides_path(index_dir), overrides)
    corrected = apply_overrides([doc], {doc_id: changes})[0]
    index.update_documents([corrected])
    return corrected


def _write_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
