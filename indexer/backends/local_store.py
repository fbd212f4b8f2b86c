"""The index on disk: one folder of plain files plus a manifest checked on load.

Layout of a version folder::

    manifest.json     format version, encoder, model checksum, corpus fingerprint,
                      counts, build time, settings, sha256 of every file
    documents.jsonl   one Document per line (metadata + display text)
    chunks.jsonl      one Chunk per line, row-aligned with bm25/ and dense/
    user_terms.json   the tokenizer's corpus-built dictionary
    bm25/             tf.npz, vocab.json, params.json
    dense/            vectors.npy, faiss.index
    sentences/        spans.npy, offsets.npy, vectors.npy (see indexer.retrieval.sentence_store), and the
                      sentences' tokens: terms.json, term_ids.npy, term_offsets.npy, term_dictionary.npy
                      (indexer.retrieval.sentence_terms; optional: an index without them opens, and its
                      answers tokenize the sentences at request time)

``--index DIR`` is a symbolic link to the current version folder in
``DIR.versions/`` (see ``versions.py``): a write builds a complete new version
beside it and then swaps the link with one atomic rename, so a crash mid-build
leaves the previous index serving, and readers never see a half-written folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from indexer.backends.base import BackendUnavailable
from indexer.backends.durable import sha256_of
from indexer.records import Chunk, Document

INDEX_FORMAT_VERSION = 3  # 2: sentences/ (answer sentence vectors); 3: sentences/headings.npy
MANIFEST = "manifest.json"
REPAIR = "repair it with `python -m indexer rebuild` (from the document store) or `python -m indexer rollback`"


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
    store_seq: int | None = None  # the last document-store event this version reflects (None: built without one)


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "format_version": (int,), "encoder": (str,), "model_checksum": (str,), "corpus_fingerprint": (str,),
    "doc_count": (int,), "chunk_count": (int,), "built_at": (str,), "build_seconds": (int, float),
    "dense_kind": (str,), "settings": (dict,), "files": (dict,), "store_seq": (int, type(None)),
}


def parse_manifest(raw: Any, path: Path) -> IndexManifest:
    """A manifest from its JSON value, every field type-checked (``files: null`` is damage, not a crash)."""
    if not isinstance(raw, dict):
        raise IndexLoadError(f"{path} is damaged (not a JSON object); {REPAIR}")
    problems = [f"unknown field {k!r}" for k in raw if k not in _FIELD_TYPES]
    for name, types in _FIELD_TYPES.items():
        if name not in raw:
            if name != "store_seq":
                problems.append(f"missing {name!r}")
        elif not isinstance(raw[name], types) or isinstance(raw[name], bool):
            problems.append(f"{name!r} is {type(raw[name]).__name__}")
    files = raw.get("files")
    if isinstance(files, dict) and not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        problems.append("'files' must map names to checksums")
    if isinstance(files, dict) and not files:
        problems.append("'files' is empty")
    if problems:
        raise IndexLoadError(f"{path} is damaged ({'; '.join(problems[:3])}); {REPAIR}")
    return IndexManifest(**raw)


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


def finalize_manifest(folder: Path, manifest: IndexManifest) -> None:
    manifest.files = {
        str(p.relative_to(folder)): sha256_of(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False))


def read_manifest(index_dir: Path, verify_files: bool = True) -> tuple[Path, IndexManifest]:
    index_dir = Path(index_dir)
    if not index_dir.exists():
        raise IndexLoadError(
            f"no index at {index_dir}; build one with `python -m indexer build PATH... --index {index_dir}`"
        )
    folder = index_dir.resolve()
    path = folder / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexLoadError(f"{index_dir} has no {MANIFEST}; {REPAIR}") from None
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"{path} is damaged ({exc}); {REPAIR}") from None
    manifest = parse_manifest(raw, path)
    if manifest.format_version != INDEX_FORMAT_VERSION:
        raise IndexLoadError(
            f"{index_dir} has index format {manifest.format_version}, "
            f"this version reads {INDEX_FORMAT_VERSION}; rebuild it"
        )
    if verify_files:
        for name, expected in manifest.files.items():
            file = folder / name
            if not file.is_file():
                raise IndexLoadError(f"index file {file} is missing; {REPAIR}")
            if sha256_of(file) != expected:
                raise IndexLoadError(f"index file {file} is damaged (checksum mismatch); {REPAIR}")
    return folder, manifest
