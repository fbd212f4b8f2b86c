"""What reading one file may cost, and the error a loader raises when a file cannot be read.

A small file can still be expensive: a .docx is a zip whose parts can decompress to
hundreds of megabytes, a PDF can have thousands of pages or pages that all re-read one
huge content stream. `ParseLimits` caps those; a file over a cap fails alone with a
`LoaderError` that says which limit (and which setting raises it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

MiB = 1024 * 1024


class LoaderError(Exception):
    """Raised inside a loader; becomes a `LoadError` for its file."""


@dataclass(frozen=True)
class ParseLimits:
    """Caps on one file: its size, what its zip parts decompress to, its PDF pages, its parse time."""

    max_bytes: int = 50 * MiB
    max_decompressed_bytes: int = 200 * MiB
    pdf_max_pages: int = 2000
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_decompressed_bytes", "pdf_max_pages", "timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"ParseLimits.{name} must be > 0, got {getattr(self, name)!r}")

    def deadline(self) -> Deadline:
        return Deadline(self.timeout_s)


class Deadline:
    """The parse-time budget of one file, checked between units of work (e.g. PDF pages)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self, where: str) -> None:
        if time.monotonic() > self.ends:
            raise LoaderError(f"parsing took longer than {self.seconds:g} s ({where}; limit PARSE_TIMEOUT_S)")


def require_text(text: str) -> str:
    if not text.strip():
        raise LoaderError("empty file (no text)")
    return text
