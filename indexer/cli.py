"""Command line: ``python -m indexer docs PATH...`` and ``python -m indexer chunk PATH... [--out FILE]``.

Output is JSON lines on stdout (or ``--out``); each file that cannot be read gets one line
``error: <path>: <message>`` on stderr and the exit code is 1; usage errors exit with 2.

More subcommands plug in through `COMMANDS` (functions that add a subparser and set
``handler``) or through ``build_parser().subparsers``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

from indexer.ingest.loaders import DEFAULT_MAX_BYTES
from indexer.ingest.pipeline import IngestResult, ingest

Handler = Callable[[argparse.Namespace], int]
DOC_FIELDS = ("doc_id", "title", "doc_number", "issuer", "date", "n_chunks", "source")


def add_ingest_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by every subcommand that reads input files."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="input files or directories")
    parser.add_argument("--max-chars", type=_positive, default=None, help="longest chunk (default: settings)")
    parser.add_argument("--min-chars", type=_non_negative, default=None, help="smallest chunk that stands alone")
    parser.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_BYTES, help="largest input file")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")


def add_docs_command(subparsers: Any) -> None:
    parser = subparsers.add_parser("docs", help="list the documents found, one JSON object a line")
    add_ingest_arguments(parser)
    parser.set_defaults(handler=run_docs)


def add_chunk_command(subparsers: Any) -> None:
    parser = subparsers.add_parser("chunk", help="write clause-level chunks as JSON lines")
    add_ingest_arguments(parser)
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(handler=run_chunk)


def add_index_commands(subparsers: Any) -> None:
    from indexer import index_commands

    index_commands.register(subparsers)


COMMANDS: list[Callable[[Any], None]] = [add_docs_command, add_chunk_command, add_index_commands]


def build_parser() -> argparse.ArgumentParser:
    """The parser; its subparsers action is ``parser.subparsers`` for further commands."""
    parser = argparse.ArgumentParser(prog="python -m indexer", description="Ingest and chunk government documents.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in COMMANDS:
        add_command(subparsers)
    parser.subparsers = subparsers  # type: ignore[attr-defined]
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return exc.code if isinstance(exc.code, int) else 2
    _configure_logging(args.verbose, args.quiet)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    from indexer.backends.base import BackendUnavailable
    from models.manifest import ModelFolderError

    try:
        return args.handler(args)
    except ValueError as exc:  # bad option values that argparse cannot check alone
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (BackendUnavailable, ModelFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run_docs(args: argparse.Namespace) -> int:
    result = _ingest(args)
    counts = result.chunk_counts()
    for doc in result.documents:
        record = {**doc.to_dict(), "n_chunks": counts[doc.doc_id]}
        _write_line({name: record[name] for name in DOC_FIELDS}, sys.stdout)
    return _report_errors(result)


def run_chunk(args: argparse.Namespace) -> int:
    result = _ingest(args)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as out:
                _write_chunks(result, out)
        except OSError as exc:
            print(f"error: {args.out}: cannot write: {exc.strerror}", file=sys.stderr)
            return 1
    else:
        _write_chunks(result, sys.stdout)
    return _report_errors(result)


def _ingest(args: argparse.Namespace) -> IngestResult:
    return ingest(
        args.paths, max_chars=args.max_chars, min_chars=args.min_chars, max_bytes=args.max_bytes,
        progress=args.progress,
    )


def _write_chunks(result: IngestResult, out: TextIO) -> None:
    for chunk in result.chunks:
        _write_line(chunk.to_dict(), out)


def _write_line(record: dict[str, Any], out: TextIO) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _report_errors(result: IngestResult) -> int:
    for error in result.errors:
        print(f"error: {error.source}: {error.message}", file=sys.stderr)
    return 1 if result.errors else 0


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {value!r}")
    return number
