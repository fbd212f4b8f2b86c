"""CLI subcommands that write or query an index: build, add, remove, search."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from config import get_settings
from indexer.backends.factory import (
    add_to_index,
    build_index,
    index_exists,
    ingest_files,
    new_backend,
    open_backend,
    where,
)
from indexer.records import SearchFilters
from indexer.retrieval.retriever import SEARCH_MODES

log = logging.getLogger(__name__)

RESULT_FIELDS = ("chunk_id", "doc_id", "doc_title", "doc_number", "heading_path", "text")


def register(subparsers: argparse._SubParsersAction) -> None:
    settings = get_settings()
    index_arg = {"type": Path, "default": settings.index_dir,
                 "help": f"index folder of the local backend (default {settings.index_dir})"}
    backend_arg = {"choices": ("local", "milvus"), "default": None,
                   "help": f"index backend (default INDEX_BACKEND, {settings.index_backend}); milvus uses MILVUS_URI"}

    build = subparsers.add_parser("build", help="index files or folders from scratch (atomic replace)")
    build.add_argument("paths", nargs="*", type=Path,
                       help=f"files or folders (default: CORPUS_DIR, {settings.corpus_dir})")
    build.add_argument("--index", **index_arg)
    build.add_argument("--backend", **backend_arg)
    build.add_argument("--if-missing", action="store_true",
                       help="do nothing when a valid index already exists at --index")
    build.set_defaults(handler=_build)

    add = subparsers.add_parser("add", help="add or replace documents in an existing index")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--index", **index_arg)
    add.add_argument("--backend", **backend_arg)
    add.set_defaults(handler=_add)

    remove = subparsers.add_parser("remove", help="delete documents by doc_id")
    remove.add_argument("doc_ids", nargs="+")
    remove.add_argument("--index", **index_arg)
    remove.add_argument("--backend", **backend_arg)
    remove.set_defaults(handler=_remove)

    search = subparsers.add_parser("search", help="search an index (one query, or a batch from --queries)")
    search.add_argument("query", nargs="?")
    search.add_argument("--index", **index_arg)
    search.add_argument("--backend", **backend_arg)
    search.add_argument("--top-k", type=int, default=10)
    search.add_argument("--mode", choices=SEARCH_MODES, default="hybrid")
    search.add_argument("--json", action="store_true", help="print JSON instead of a readable list")
    search.add_argument("--queries", type=Path, help='JSONL of {"id","question"} to search in one batch')
    search.add_argument("--out", type=Path, help="where batch results go (JSONL; default stdout)")
    search.add_argument("--doc-id")
    search.add_argument("--doc-number")
    search.add_argument("--issuer")
    search.add_argument("--date-from")
    search.add_argument("--date-to")
    search.set_defaults(handler=_search)


def _ingest(paths: list[Path], settings):
    result = ingest_files(paths, settings)
    for error in result.errors:
        print(f"error: {error.source}: {error.message}", file=sys.stderr)
    return result


def _summary(verb: str, n_docs: int, n_chunks: int, seconds: float) -> None:
    rate = n_chunks / seconds if seconds > 0 else 0.0
    print(f"{verb}: {n_docs} documents, {n_chunks} chunks in {seconds:.1f} s ({rate:.1f} chunks/s)", file=sys.stderr)


def _settings(args: argparse.Namespace):
    """The settings, with ``--backend`` (when given) in place of INDEX_BACKEND."""
    settings = get_settings()
    return settings.model_copy(update={"index_backend": args.backend}) if args.backend else settings


def _build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.if_missing:
        missing = index_exists(settings, args.index)
        if not missing:
            print(f"{where(settings, args.index)}: a valid index exists; nothing to do", file=sys.stderr)
            return 0
        log.info("building: %s", missing)
    started = time.perf_counter()
    result = _ingest(args.paths or [settings.corpus_dir], settings)
    if not result.documents:
        print("error: no documents to index; the previous index (if any) is unchanged", file=sys.stderr)
        return 1
    index = new_backend(settings, args.index)
    build_index(index, result.documents, result.chunks, args.index, show_progress=not args.quiet)
    _summary("built", len(result.documents), len(result.chunks), time.perf_counter() - started)
    return 1 if result.errors else 0


def _add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index = open_backend(settings, args.index)
    started = time.perf_counter()
    result = _ingest(args.paths, settings)
    if result.documents:
        _, updated = add_to_index(index, result.documents, result.chunks, args.index, show_progress=not args.quiet)
        for doc in updated:
            print(f"updated: {doc.doc_id} {doc.doc_number} now {doc.status}, superseded by "
                  f"{', '.join(doc.superseded_by)}", file=sys.stderr)
    _summary("added", len(result.documents), len(result.chunks), time.perf_counter() - started)
    return 1 if result.errors or not result.documents else 0


def _remove(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index = open_backend(settings, args.index)
    removed = index.remove(args.doc_ids)
    for doc_id in sorted(set(args.doc_ids) - set(removed)):
        print(f"error: {doc_id}: no such document in {where(settings, args.index)}", file=sys.stderr)
    print(f"removed {len(removed)} documents", file=sys.stderr)
    return 0 if len(removed) == len(set(args.doc_ids)) else 1


def _search(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.queries is None):
        print("error: give either a query or --queries FILE", file=sys.stderr)
        return 2
    if not 1 <= args.top_k <= 1000:
        print("error: --top-k must be between 1 and 1000", file=sys.stderr)
        return 2
    filters = SearchFilters(args.doc_id, args.doc_number, args.issuer, args.date_from, args.date_to)
    index = open_backend(_settings(args), args.index)
    if args.queries is not None:
        return _search_batch(index, args, filters)
    result = index.search(args.query, args.top_k, args.mode, filters)
    if args.json:
        print(json.dumps(_result_json(None, result), ensure_ascii=False, indent=2))
        return 0
    flag = "" if result.confident else "  (low confidence: the corpus may not answer this)"
    print(f"{len(result.hits)} results, mode {args.mode}{flag}")
    for rank, hit in enumerate(result.hits, start=1):
        c = hit.chunk
        path = " > ".join(c.heading_path[1:])
        print(f"{rank:>2}. [{hit.score:.4f}] {c.doc_number or c.doc_title} | {path}")
        print(f"    {c.text[:160]}")
    return 0


def _result_json(query_id, result) -> dict:
    out = {
        "results": [
            {k: getattr(h.chunk, k) for k in RESULT_FIELDS}
            | {"score": h.score, "bm25_score": h.bm25_score, "dense_score": h.dense_score}
            for h in result.hits
        ],
        "confident": result.confident,
        "confidence": result.confidence,
    }
    return ({"id": query_id} | out) if query_id is not None else ({"query": result.query} | out)


def _search_batch(index, args: argparse.Namespace, filters: SearchFilters) -> int:
    try:
        lines = args.queries.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"error: {args.queries}: {exc.strerror}", file=sys.stderr)
        return 1
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115 - stdout or a file
    failed = 0
    try:
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                query_id, question = item["id"], item["question"]
                if not isinstance(question, str) or not question.strip():
                    raise ValueError("empty question")
            except (ValueError, KeyError, TypeError) as exc:
                print(f"error: {args.queries}:{n}: {exc}", file=sys.stderr)
                failed += 1
                continue
            result = index.search(question, args.top_k, args.mode, filters)
            out.write(json.dumps(_result_json(query_id, result), ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 1 if failed else 0
