"""Case 3 of issue 12: caps on what one file may cost (zip parts, PDF pages, parse time), each a per-file error."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import docx
import pytest

from indexer.ingest.loaders import ParseLimits, load_sources
from indexer.ingest.pipeline import ingest
from tests.indexer.ingest.pdf_builders import shared_stream_pdf
from tests.indexer.ingest.test_loaders import NOTICE, make_pdf

MiB = 1024 * 1024


def docx_with_part(path: Path, part_bytes: int) -> Path:
    """A valid .docx plus one extra zip part of `part_bytes` zeros (a zip bomb in miniature)."""
    document = docx.Document()
    document.add_paragraph("关于做好春运工作的通知")
    document.save(path)
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/padding.bin", "w") as part,
    ):
        for _ in range(part_bytes // MiB):
            part.write(bytes(MiB))
    return path


def test_a_docx_whose_parts_decompress_past_the_cap_fails_alone(tmp_path: Path) -> None:
    bomb = docx_with_part(tmp_path / "bomb.docx", 24 * MiB)
    assert bomb.stat().st_size < 100_000
    good = tmp_path / "notice.txt"
    good.write_text(NOTICE, encoding="utf-8")
    result = ingest([bomb, good], limits=ParseLimits(max_decompressed_bytes=16 * MiB))
    [error] = result.errors
    assert error.source == str(bomb)
    assert "decompress to" in error.message and "MAX_DECOMPRESSED_BYTES" in error.message
    assert [d.source for d in result.documents] == [str(good)]


def test_a_docx_under_the_cap_is_read(tmp_path: Path) -> None:
    small = docx_with_part(tmp_path / "small.docx", 2 * MiB)
    [source], errors = load_sources([small], limits=ParseLimits(max_decompressed_bytes=16 * MiB))
    assert errors == [] and source.text == "关于做好春运工作的通知"


def test_a_pdf_with_more_pages_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(make_pdf([[f"Page {n}."] for n in range(5)]))
    sources, [error] = load_sources([path], limits=ParseLimits(pdf_max_pages=3))
    assert sources == []
    assert "5 pages" in error.message and "PDF_MAX_PAGES" in error.message


def test_pdf_text_extraction_stops_at_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "shared.pdf"
    path.write_bytes(shared_stream_pdf(pages=40, operations=3000))  # ~3 KB; every page re-reads one stream
    assert path.stat().st_size < 8000
    started = time.monotonic()
    sources, [error] = load_sources([path], limits=ParseLimits(timeout_s=0.3))
    elapsed = time.monotonic() - started
    assert sources == []
    assert "longer than 0.3 s" in error.message and "PARSE_TIMEOUT_S" in error.message
    assert "at page" in error.message and "of 40" in error.message
    assert elapsed < 5


@pytest.mark.parametrize("field", ["max_bytes", "max_decompressed_bytes", "pdf_max_pages", "timeout_s"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ParseLimits(**{field: 0})
