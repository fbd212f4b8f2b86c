"""Limits before work (issue 12, case 4), over real sockets against uvicorn.

The client sends the request head and a little of the body, then waits: the answer (401/403/413)
must come without the rest being sent, i.e. the service decided on the headers (or stopped
counting at the limit) instead of reading the whole body first. The app is the real one over a
missing index (the limits run before any route, so no model is needed), with small limits.
"""

import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from config import get_settings
from tests.conftest import serve

KEY = "limits-test-key"
JSON_LIMIT = 64 * 1024
UPLOAD_LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def limited_service(tmp_path_factory):
    from service.app import create_app

    settings = get_settings().model_copy(update={
        "index_dir": tmp_path_factory.mktemp("none") / "missing", "admin_api_key": SecretStr(KEY),
        "max_json_bytes": JSON_LIMIT, "max_upload_bytes": UPLOAD_LIMIT,
    })
    with serve(create_app(settings), ready_path="/healthz") as base:
        yield base


def _exchange(base: str, head: str, parts: Iterator[bytes], wait_s: float = 10.0) -> tuple[int | None, int, str]:
    """Send ``head``, then body ``parts`` while no answer has arrived; return (status, body bytes sent, reply)."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=wait_s) as sock:
        sock.sendall(head.encode("latin-1"))
        sent = 0
        for part in parts:
            if select.select([sock], [], [], 0)[0]:
                break  # the service answered before we finished the body
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(part)
            time.sleep(0.002)  # let the service keep up, so it answers as soon as it has decided
        reply = b""
        try:
            while b"\r\n\r\n" not in reply:
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
            reply += sock.recv(65536) if b'"}' not in reply else b""
        except TimeoutError:
            return None, sent, reply.decode("latin-1")
    if not reply.startswith(b"HTTP/1.1 "):
        return None, sent, reply.decode("latin-1")
    return int(reply[9:12]), sent, reply.decode("utf-8", "replace")


def _head(method: str, path: str, headers: dict[str, str]) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


def _filler(total: int, piece: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, total, piece):
        yield b" " * min(piece, total - start)


def _chunked(total: int, start: bytes = b"", piece: int = 16 * 1024) -> Iterator[bytes]:
    """A chunked body (``start`` then filler) that never sends its last, empty chunk: the service must not wait."""
    for data in (start, *_filler(total, piece)):
        yield f"{len(data):x}\r\n".encode() + data + b"\r\n"


MULTIPART_START = (b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
                   b"Content-Type: text/plain\r\n\r\n")


def test_a_huge_json_body_is_refused_on_its_content_length(limited_service):
    head = _head("POST", "/v1/search", {"Content-Type": "application/json", "Content-Length": str(150 * 2**20)})
    status, sent, reply = _exchange(limited_service, head, _filler(8 * 1024))
    assert status == 413, reply
    assert "MAX_JSON_BYTES" in reply and f"{JSON_LIMIT:,}" in reply
    assert sent <= 8 * 1024


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_an_upload_without_the_key_is_refused_before_its_body(limited_service, key):
    headers = {"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(30 * 2**20)}
    if key:
        headers["X-API-Key"] = key
    status, _, reply = _exchange(limited_service, _head("POST", "/v1/documents", headers), _filler(8 * 1024))
    assert status == 401, reply
    assert "X-API-Key" in reply


def test_an_oversized_upload_with_the_key_is_refused_on_its_content_length(limited_service):
    headers = {"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(UPLOAD_LIMIT + 1),
               "X-API-Key": KEY}
    status, _, reply = _exchange(limited_service, _head("POST", "/v1/documents", headers), _filler(8 * 1024))
    assert status == 413 and "MAX_UPLOAD_BYTES" in reply, reply


def test_a_delete_without_the_key_is_refused(limited_service):
    status, _, reply = _exchange(limited_service, _head("DELETE", "/v1/documents/some-id", {}), iter(()))
    assert status == 401, reply


@pytest.mark.parametrize(
    ("path", "content_type", "start", "limit"),
    [("/v1/ask", "application/json", b'{"question": "', JSON_LIMIT),
     ("/v1/documents", "multipart/form-data; boundary=xyz", MULTIPART_START, UPLOAD_LIMIT)],
)
def test_a_chunked_body_is_cut_off_at_the_limit(limited_service, path, content_type, start, limit):
    headers = {"Content-Type": content_type, "Transfer-Encoding": "chunked", "X-API-Key": KEY}
    status, sent, reply = _exchange(limited_service, _head("POST", path, headers), _chunked(8 * limit, start))
    assert status == 413, reply
    assert sent < 4 * limit, f"the service read {sent:,} bytes before refusing"


def test_a_body_within_the_limit_reaches_the_route(limited_service):
    body = b'{"query": "' + b"x" * 100 + b'"}'
    head = _head("POST", "/v1/search", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    status, _, reply = _exchange(limited_service, head, iter([b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)]))
    assert status == 503 and "index not available" in reply, reply  # the route ran (its index is missing)
