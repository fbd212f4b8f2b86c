"""CLI subcommands over an index: search here; the writing ones (build, add, remove, rebuild, rollback) in
``write_commands``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from config import get_settings
from indexer import write_commands
from indexer.backends.factory import open_backend
from indexer.records import SearchFilters
from indexer.retrieval.retriever import SEARCH_MODES
from indexer.write_commands import settings_for

log = logging.getLogger(__name__)

RESULT_FIELDS = ("chunk_id", "doc_id", "doc_title", "doc_number", "heading_path", "text")


def register(subparsers: argparse._SubParsersAction) -> None:
    settings = get_settings()
    index_arg = {"type": Path, "default": settings.index_dir,
                 "help": f"index folder of the local backend (default {settings.index_dir})"}
    backend_arg = {"choices": ("local", "milvus"), "default": None,
                   "help": f"index backend (default INDEX_BACKEND, {settings.index_backend}); milvus uses MILVUS_URI"}

    write_commands.register(subparsers, index_arg, backend_arg)

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


def _search(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.queries is None):
        print("error: give either a query or --queries FILE", file=sys.stderr)
        return 2
    if not 1 <= args.top_k <= 1000:
        print("error: --top-k must be between 1 and 1000", file=sys.stderr)
        return 2
    filters = SearchFilters(args.doc_id, args.doc_number, args.issuer, args.date_from, args.date_to)
    index = open_backend(settings_for(args), args.index)
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
