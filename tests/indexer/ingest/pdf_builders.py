"""PDF builders for the tests: pages that all share one compressed content stream (a parse-time bomb)."""

from __future__ import annotations

import zlib


def shared_stream_pdf(pages: int, operations: int) -> bytes:
    """`pages` pages whose /Contents is the same FlateDecode stream of `operations` text operators.

    A few KB on disk; extracting each page re-reads the whole stream, so the parse time
    grows with pages x operations.
    """
    stream = zlib.compress(b"BT /F1 12 Tf 20 120 Td 14 TL " + b"(abc) Tj T* " * operations + b"ET", 9)
    body = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    }
    kids = []
    for number in range(5, 5 + pages):
        kids.append(f"{number} 0 R")
        body[number] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
                        b"/Resources << /Font << /F1 3 0 R >> >> >>")
    body[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for key in sorted(body):
        offsets[key] = len(out)
        out += f"{key} 0 obj\n".encode() + body[key] + b"\nendobj\n"
    xref, size = len(out), max(body) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[key]:010d} 00000 n \n".encode() for key in range(1, size))
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
