"""The index on disk: one folder of plain files plus a manifest checked on load.

Layout of a version folder::

    manifest.json     format version, encoder, model checksum, corpus fingerprint,
                      counts, build time, settings, sha256 of every file
    documents.jsonl   one Document per line (metadata + display text)
    chunks.jsonl      one Chunk per line, row-aligned with bm25/ and dense/
    user_terms.json   the tokenizer's corpus-built dictionary
    bm25/             tf.npz, vocab.json, params.json
    dense/            vectors.npy, faiss.index

``--index DIR`` is a symbolic link to the current version folder in
``DIR.versions/``. A write builds a complete new version beside it and then
swaps the link with one atomic rename, so a crash mid-build leaves the previous
index serving, and readers never see a half-written folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from indexer.backends.base import BackendUnavailable
from indexer.records import Chunk, Document

INDEX_FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexLoadError(BackendUnavailable):
    """The index folder is missing, damaged or built with another encoder."""


@dataclass
class IndexManifest:
    format_version: int
    encoder: str
    model_checksum: str
    corpus_fingerprint: str
    doc_count: int
    chunk_count: int
    built_at: str
    build_seconds: float
    dense_kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def corpus_fingerprint(doc_hashes: dict[str, str]) -> str:
    """Order-independent fingerprint of (doc_id, content hash) pairs."""
    digest = hashlib.sha256()
    for doc_id in sorted(doc_hashes):
        digest.update(f"{doc_id}:{doc_hashes[doc_id]}\n".encode())
    return digest.hexdigest()[:16]


def records_fingerprint(documents: Iterable[Document], chunks: Iterable[Chunk]) -> str:
    """The corpus fingerprint of these records: each document's text and chunk ids, hashed."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    hashes = {}
    for doc in documents:
        digest = hashlib.sha256(doc.text.encode())
        for chunk in by_doc.get(doc.doc_id, []):
            digest.update(chunk.chunk_id.encode())
        hashes[doc.doc_id] = digest.hexdigest()[:16]
    return corpus_fingerprint(hashes)


def versions_dir(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".versions")


def new_version_folder(index_dir: Path) -> Path:
    base = versions_dir(index_dir)
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=time.strftime("v%Y%m%d-%H%M%S-"), dir=base))


def finalize_manifest(folder: Path, manifest: IndexManifest) -> None:
    manifest.files = {
        str(p.relative_to(folder)): sha256_of(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False))


def publish(index_dir: Path, version: Path) -> None:
    """Point ``index_dir`` at ``version`` atomically and drop older versions."""
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_symlink():
        raise IndexLoadError(
            f"{index_dir} is a plain folder, not an index written by this tool; move it away or choose another --index"
        )
    link_tmp = index_dir.with_name(f".{index_dir.name}.link-{os.getpid()}")
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(os.path.relpath(version, index_dir.parent), link_tmp)
    os.replace(link_tmp, index_dir)
    for old in versions_dir(index_dir).iterdir():
        if old.resolve() != version.resolve():
            shutil.rmtree(old, ignore_errors=True)


def discard(version: Path) -> None:
    shutil.rmtree(version, ignore_errors=True)


def read_manifest(index_dir: Path, verify_files: bool = True) -> tuple[Path, IndexManifest]:
    index_dir = Path(index_dir)
    if not index_dir.exists():
        raise IndexLoadError(
            f"no index at {index_dir}; build one with `python -m indexer build PATH... --index {index_dir}`"
        )
    folder = index_dir.resolve()
    path = folder / MANIFEST
    try:
        manifest = IndexManifest(**json.loads(path.read_text()))
    except FileNotFoundError:
        raise IndexLoadError(f"{index_dir} has no {MANIFEST}; rebuild it with `python -m indexer build`") from None
    except (ValueError, TypeError) as exc:
        raise IndexLoadError(f"{path} is damaged ({exc}); rebuild the index with `python -m indexer build`") from None
    if manifest.format_version != INDEX_FORMAT_VERSION:
        raise IndexLoadError(
            f"{index_dir} has index format {manifest.format_version}, "
            f"this version reads {INDEX_FORMAT_VERSION}; rebuild it"
        )
    if verify_files:
        for name, expected in manifest.files.items():
            file = folder / name
            if not file.is_file():
                raise IndexLoadError(f"index file {file} is missing; rebuild the index with `python -m indexer build`")
            if sha256_of(file) != expected:
                raise IndexLoadError(f"index file {file} is damaged (checksum mismatch); rebuild the index")
    return folder, manifest
