"""Loaders for packaged formats, .docx (a zip of XML parts) and text PDFs, within `ParseLimits`.

Both formats can cost far more than their size: a zip part can decompress a thousandfold
and a PDF can hold thousands of pages or pages that all re-read one huge content stream.
A .docx is inflated part by part, counting bytes, before python-docx sees it; a PDF's
pages are counted first and its text extracted under a deadline.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from indexer.ingest.parse_limits import LoaderError, ParseLimits, require_text
from indexer.records import IngestError as LoadError
from indexer.records import SourceText

_READ_BLOCK = 1 << 20


def load_docx(source: str, data: bytes, limits: ParseLimits) -> list[SourceText | LoadError]:
    if not data.startswith(b"PK\x03\x04"):
        raise LoaderError("not a valid .docx (not a ZIP package)")
    check_zip_size(data, limits.max_decompressed_bytes)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(_docx_paragraph(Paragraph(element, document)))
        elif tag == "tbl":
            blocks.extend(_docx_table_rows(Table(element, document)))
    text = "\n".join(block for block in blocks if block.strip())
    return [SourceText(source, require_text(text), "docx", "docx")]


def check_zip_size(data: bytes, limit: int) -> None:
    """Raise unless the archive's parts together decompress to at most `limit` bytes.

    The sizes a zip declares can lie, so each part is inflated in bounded blocks and
    counted; nothing larger than one block is ever held.
    """
    archive = zipfile.ZipFile(io.BytesIO(data))  # a damaged one raises BadZipFile: "cannot read docx file"
    declared = sum(info.file_size for info in archive.infolist())
    if declared > limit:
        raise LoaderError(_too_big(declared, limit))
    total = 0
    for info in archive.infolist():
        with archive.open(info) as part:
            while block := part.read(_READ_BLOCK):
                total += len(block)
                if total > limit:
                    raise LoaderError(_too_big(total, limit, at_least=True))


def _too_big(size: int, limit: int, at_least: bool = False) -> str:
    return (f"ZIP parts decompress to {'over ' if at_least else ''}{size:,} bytes "
            f"(limit {limit:,}; MAX_DECOMPRESSED_BYTES)")


def _docx_paragraph(paragraph: Any) -> str:
    """Paragraph text with bold runs wrapped in ``**`` so that lead-in phrases survive."""
    pieces: list[str] = []
    bold_open = False
    for run in paragraph.runs:
        if not run.text:
            continue
        bold = bool(run.bold) and bool(run.text.strip())
        if bold != bold_open:
            pieces.append("**")
            bold_open = bold
        pieces.append(run.text)
    if bold_open:
        pieces.append("**")
    text = "".join(pieces)
    return text if text.strip("* ") else paragraph.text


def _docx_table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats across the span it covers
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        yield "\t".join(cells)


def load_pdf(source: str, data: bytes, limits: ParseLimits) -> list[SourceText | LoadError]:
    if not data.lstrip()[:5] == b"%PDF-":
        raise LoaderError("not a valid PDF (missing %PDF header)")
    from pypdf import PdfReader

    deadline = limits.deadline()
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise LoaderError("encrypted PDF")
    count = len(reader.pages)
    if count > limits.pdf_max_pages:
        raise LoaderError(f"PDF has {count:,} pages (limit {limits.pdf_max_pages:,}; PDF_MAX_PAGES)")
    pages: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        deadline.check(f"at page {number} of {count}")
        pages.append(page.extract_text() or "")
    text = "\n\n".join(pages)
    if not text.strip():
        raise LoaderError("no extractable text (scanned PDF? run OCR first)")
    return [SourceText(source, text, "pdf", "pdf", {"pages": len(pages)})]
