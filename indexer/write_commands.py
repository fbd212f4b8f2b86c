"""CLI subcommands that change an index: build, add, remove, rebuild, rollback.

Each holds the writer lock while it writes, keeps every original in the document store
(``STORE_DIR``) and publishes a new version atomically; on any failure the published index is
untouched and one ``error: <path>: <reason>`` line says why.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
import time
from pathlib import Path

from config import get_settings
from indexer.backends.catalog import linked_for_build
from indexer.backends.factory import (
    BackendUnavailable,
    IndexSite,
    add_linked,
    indexing_encoder,
    ingest_files,
    where,
)
from indexer.ingest.loaders import input_files
from indexer.records import IngestResult

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction, index_arg: dict, backend_arg: dict) -> None:
    settings = get_settings()
    workers_arg = {"type": _workers, "default": settings.index_workers, "metavar": "N",
                   "help": "encoder processes embedding the passages (default INDEX_WORKERS, "
                           f"{settings.index_workers}); same vectors as one, faster on several cores"}
    build = subparsers.add_parser("build", help="index files or folders from scratch (atomic replace)")
    build.add_argument("paths", nargs="*", type=Path,
                       help=f"files or folders (default: CORPUS_DIR, {settings.corpus_dir})")
    build.add_argument("--index", **index_arg)
    build.add_argument("--backend", **backend_arg)
    build.add_argument("--if-missing", action="store_true",
                       help="do nothing when a valid index exists; repair an unusable one from the store")
    build.add_argument("--workers", **workers_arg)
    build.set_defaults(handler=_guarded(_build))

    add = subparsers.add_parser("add", help="add or replace documents in an existing index")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--index", **index_arg)
    add.add_argument("--backend", **backend_arg)
    add.set_defaults(handler=_guarded(_add))

    remove = subparsers.add_parser("remove", help="delete documents by doc_id")
    remove.add_argument("doc_ids", nargs="+")
    remove.add_argument("--index", **index_arg)
    remove.add_argument("--backend", **backend_arg)
    remove.set_defaults(handler=_guarded(_remove))

    rebuild = subparsers.add_parser("rebuild", help="recreate the index from the document store (STORE_DIR)")
    rebuild.add_argument("--index", **index_arg)
    rebuild.add_argument("--backend", **backend_arg)
    rebuild.add_argument("--workers", **workers_arg)
    rebuild.set_defaults(handler=_guarded(_rebuild))

    rollback = subparsers.add_parser("rollback", help="serve the previous index version again")
    rollback.add_argument("--index", **index_arg)
    rollback.add_argument("--backend", **backend_arg)
    rollback.set_defaults(handler=_guarded(_rollback))


def _workers(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError(f"must be between 1 and 64, got {value!r}")
    return number


def _guarded(handler):
    """Write failures (disk full, busy lock, damaged store) become one error line, exit code 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except BackendUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
        except OSError as exc:
            place = exc.filename or args.index
            reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            print(f"error: {place}: {reason}; the published index at {args.index} is unchanged", file=sys.stderr)
        return 1

    return run


def settings_for(args: argparse.Namespace):
    """The settings, with ``--backend`` (when given) in place of INDEX_BACKEND."""
    settings = get_settings()
    return settings.model_copy(update={"index_backend": args.backend}) if args.backend else settings


def _ingest(paths: list[Path], settings) -> tuple[IngestResult, list[Path]]:
    files = input_files(paths)
    result = ingest_files(files, settings)
    for error in result.errors:
        print(f"error: {error.source}: {error.message}", file=sys.stderr)
    return result, files


def _summary(verb: str, n_docs: int, n_chunks: int, seconds: float) -> None:
    rate = n_chunks / seconds if seconds > 0 else 0.0
    print(f"{verb}: {n_docs} documents, {n_chunks} chunks in {seconds:.1f} s ({rate:.1f} chunks/s)", file=sys.stderr)


def _build(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    started = time.perf_counter()
    with indexing_encoder(settings, args.workers) as encoder:
        return _build_with(args, settings, IndexSite(settings, args.index, encoder), started)


def _build_with(args: argparse.Namespace, settings, site: IndexSite, started: float) -> int:
    if args.if_missing:
        try:
            site.open()  # a full load: the manifest, every checksum and every file parsed
            print(f"{where(settings, args.index)}: a valid index exists; nothing to do", file=sys.stderr)
            return 0
        except BackendUnavailable as exc:
            print(f"{where(settings, args.index)}: not usable ({exc})", file=sys.stderr)
        if any(e.op == "build" for e in site.store.plan()):
            print(f"repairing {where(settings, args.index)} from the document store {site.store.root}",
                  file=sys.stderr)
            return _rebuild(args, site)
    result, files = _ingest(args.paths or [settings.corpus_dir], settings)
    if not result.documents:
        print("error: no documents to index; the previous index (if any) is unchanged", file=sys.stderr)
        return 1
    staged = site.writer.stage(result, [(f, str(f)) for f in files])
    result.documents = linked_for_build(result.documents, args.index)
    with site.writer.lock():
        site.writer.build(site.new(), result, staged, origin="build", show_progress=not args.quiet)
    _summary("built", len(result.documents), len(result.chunks), time.perf_counter() - started)
    return 1 if result.errors else 0


def _add(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    site = IndexSite(settings, args.index)
    started = time.perf_counter()
    result, files = _ingest(args.paths, settings)
    if result.documents:
        staged = site.writer.stage(result, [(f, str(f)) for f in files])
        with site.writer.lock():
            index = site.open()  # the newest published version, under the lock
            site.writer.reconcile(index.store_seq)
            _, updated = add_linked(index, site.writer, result, staged, args.index, "cli", not args.quiet)
        for doc in updated:
            print(f"updated: {doc.doc_id} {doc.doc_number} now {doc.status}, superseded by "
                  f"{', '.join(doc.superseded_by)}", file=sys.stderr)
    _summary("added", len(result.documents), len(result.chunks), time.perf_counter() - started)
    return 1 if result.errors or not result.documents else 0


def _remove(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    site = IndexSite(settings, args.index)
    with site.writer.lock():
        index = site.open()
        site.writer.reconcile(index.store_seq)
        removed = site.writer.remove(index, args.doc_ids, origin="cli")
    for doc_id in sorted(set(args.doc_ids) - set(removed)):
        print(f"error: {doc_id}: no such document in {where(settings, args.index)}", file=sys.stderr)
    print(f"removed {len(removed)} documents", file=sys.stderr)
    return 0 if len(removed) == len(set(args.doc_ids)) else 1


def _rebuild(args: argparse.Namespace, site: IndexSite | None = None) -> int:
    if site is None:
        settings = settings_for(args)
        with indexing_encoder(settings, args.workers) as encoder:
            return _rebuild(args, IndexSite(settings, args.index, encoder))
    started = time.perf_counter()
    with site.writer.lock():
        report = site.rebuild(show_progress=not args.quiet)
    for error in report.errors:
        print(f"error: {error.source}: {error.message}", file=sys.stderr)
    _summary(f"rebuilt from {report.originals} stored originals", report.documents, report.chunks,
             time.perf_counter() - started)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    site = IndexSite(settings, args.index)
    with site.writer.lock():
        left, now = site.rollback()
    print(f"rolled back {args.index}: {left} -> {now}", file=sys.stderr)
    return 0
