"""Turn input files into decoded text (`SourceText`), one bad file never stopping the rest.

Chinese government files come as UTF-8, GB18030/GBK or UTF-16 text, HTML pages, .docx and
text PDFs, or as a JSONL bulk export (``{"id", "title", "text", ...metadata}``, one record a
line). Each failure becomes a `LoadError` naming the file, so a caller can report it and go on.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from indexer.ingest.markup import html_declared_encoding, html_to_text, strip_markdown
from indexer.ingest.office_formats import load_docx, load_pdf
from indexer.ingest.parse_limits import LoaderError, ParseLimits, require_text
from indexer.records import IngestError as LoadError
from indexer.records import SourceText

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_SUFFIXES", "LoadError", "LoaderError", "ParseLimits", "decode_bytes",
           "load_file", "load_sources"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = ParseLimits().max_bytes
TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, *HTML_SUFFIXES, ".docx", ".pdf", ".jsonl")

_MAGIC = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (e.g. .docx/.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an OLE file (e.g. .doc/.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7z archive"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# control characters, private-use code points, non-characters: signs of a wrong decoding
# characters that ordinary Chinese or English text is made of; the rest counts against a decoding
_NOT_TEXT = re.compile(r"[^\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2010-\u2027\u00b7\x20-\x7e\s]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ue000-\uf8ff\ufdd0-\ufdef\ufeff\ufff0-\uffff]")


def load_sources(
    paths: Iterable[str | Path], max_bytes: int | None = None, limits: ParseLimits | None = None
) -> tuple[list[SourceText], list[LoadError]]:
    """Load every path (a directory means the supported files under it, sorted)."""
    sources: list[SourceText] = []
    errors: list[LoadError] = []
    for path in _expand(paths):
        try:
            loaded = load_file(path, max_bytes=max_bytes, limits=limits)
        except LoaderError as exc:
            errors.append(LoadError(str(path), str(exc)))
            continue
        for item in loaded:
            (errors if isinstance(item, LoadError) else sources).append(item)
    return sources, errors


def load_file(
    path: str | Path, max_bytes: int | None = None, limits: ParseLimits | None = None
) -> list[SourceText | LoadError]:
    """Load one file within `limits` (`max_bytes` overrides theirs); a JSONL file gives one item
    per line (a `LoadError` for a bad line)."""
    limits = limits or ParseLimits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    max_bytes = limits.max_bytes
    path = Path(path)
    if not path.exists():
        raise LoaderError("no such file or directory")
    if not path.is_file():
        raise LoaderError("not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = " (save it as .docx)" if suffix == ".doc" else ""
        kind = f"'{suffix}'" if suffix else "(no extension)"
        raise LoaderError(f"unsupported file type {kind}{hint}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise LoaderError("empty file")
        if size > max_bytes:
            raise LoaderError(f"file too large ({size:,} bytes; limit {max_bytes:,})")
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(f"cannot read: {exc.strerror or exc}") from exc
    loader = _LOADERS[suffix]
    try:
        return loader(str(path), data, limits)
    except LoaderError:
        raise
    except MemoryError as exc:
        raise LoaderError("out of memory while parsing") from exc
    except Exception as exc:  # a third-party parser failing on a malformed file
        log.debug("loader failed on %s", path, exc_info=True)
        raise LoaderError(f"cannot read {suffix[1:]} file: {exc.__class__.__name__}: {exc}") from exc


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOM, UTF-16 without BOM, UTF-8, GB18030, then a statistical guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise LoaderError(f"undecodable text (has a {encoding} byte-order mark but is not {encoding})") from exc
    utf16 = _guess_utf16(data)
    if utf16:
        try:
            return _checked(data.decode(utf16), utf16)
        except (UnicodeDecodeError, LoaderError):
            pass
    kind = _magic_kind(data)
    if kind or b"\x00" in data[:8192]:
        raise LoaderError(f"binary content ({kind or 'contains NUL bytes'}), not text")
    utf8 = _utf8(data)
    if utf8 is not None:
        try:
            return _checked(utf8, "utf-8", strict=False)
        except LoaderError:
            pass
    try:
        return _checked(data.decode("gb18030"), "gb18030")
    except (UnicodeDecodeError, LoaderError):
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        try:
            return _checked(str(best), best.encoding, strict=True)
        except LoaderError:
            pass
    raise LoaderError("undecodable text (not UTF-8, GB18030/GBK or UTF-16)")


def _utf8(data: bytes) -> str | None:
    """Strict UTF-8, except that a character cut off at the very end (a truncated file) is dropped."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and len(data) - exc.start < 4 and exc.reason == "unexpected end of data":
            return data[:exc.start].decode("utf-8", errors="strict")
        return None


def _checked(text: str, encoding: str, strict: bool = True) -> tuple[str, str]:
    """Reject a decoding that yields control, private-use or non-characters.

    A strict UTF-8 decode is strong evidence by itself, so there only control characters
    count; a legacy encoding decodes almost anything, so there one odd character is enough
    in a short text.
    """
    sample = text[:20000]
    pattern = _IMPLAUSIBLE if strict else _CONTROL
    limit = len(sample) // 200 if strict else max(2, len(sample) // 100)
    if sample and len(pattern.findall(sample)) > limit:
        raise LoaderError(f"undecodable text (as {encoding} it is full of control or private-use characters)")
    return text, encoding


def _guess_utf16(data: bytes) -> str:
    """UTF-16 without a byte-order mark: NUL bytes present and one byte order reads as text."""
    sample = data[:4096]
    if len(data) % 2 or b"\x00" not in sample:
        return ""
    best, best_odd = "", 0.05
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(encoding, errors="strict")
        except UnicodeDecodeError:
            continue
        odd = len(_NOT_TEXT.findall(text)) / max(1, len(text))
        if odd < best_odd:
            best, best_odd = encoding, odd
    return best


def _magic_kind(data: bytes) -> str:
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "")


def _load_text(source: str, data: bytes, limits: ParseLimits) -> list[SourceText | LoadError]:
    text, encoding = decode_bytes(data)
    fmt = "markdown" if source.lower().endswith((".md", ".markdown")) else "text"
    if fmt == "markdown":
        text = strip_markdown(text)
    return [SourceText(source, require_text(text), encoding, fmt)]


def _load_html(source: str, data: bytes, limits: ParseLimits) -> list[SourceText | LoadError]:
    encoding = html_declared_encoding(data)
    utf8 = _utf8(data) if encoding and b"\x00" not in data[:4096] else None
    if utf8 is not None:  # valid UTF-8 is strong evidence: pages often declare a charset they are not in
        text, encoding = utf8, "utf-8"
    elif encoding:
        text = data.decode(encoding, errors="replace")
    else:
        text, encoding = decode_bytes(data)
    title, body = html_to_text(text)
    metadata = {"title": title} if title else {}
    return [SourceText(source, require_text(body), encoding, "html", metadata)]


def _load_jsonl(source: str, data: bytes, limits: ParseLimits) -> list[SourceText | LoadError]:
    text, encoding = decode_bytes(data)
    items: list[SourceText | LoadError] = []
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 is text in JSON
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append(LoadError(where, f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            items.append(LoadError(where, 'record must be an object with a string "text"'))
            continue
        if not record["text"].strip():
            items.append(LoadError(where, "empty text"))
            continue
        record_id = str(record.get("id") or number)
        metadata = {k: v for k, v in record.items() if k != "text"}
        metadata["id"] = record_id
        items.append(SourceText(f"{source}#{record_id}", record["text"], encoding, "jsonl", metadata))
    if not items:
        raise LoaderError("empty file (no records)")
    return items


_LOADERS: dict[str, Callable[[str, bytes, ParseLimits], list[SourceText | LoadError]]] = {
    **dict.fromkeys(TEXT_SUFFIXES, _load_text),
    **dict.fromkeys(HTML_SUFFIXES, _load_html),
    ".docx": load_docx,
    ".pdf": load_pdf,
    ".jsonl": _load_jsonl,
}


def input_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files ``load_sources`` reads for ``paths``, in the same order (a directory: its supported files)."""
    return list(_expand(paths))


def _expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            yield path
            continue
        for child in sorted(path.rglob("*")):
            hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
            if child.is_file() and not hidden:
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
                else:
                    log.info("skipping unsupported file %s", child)
