"""Per-request bookkeeping (a pure ASGI middleware): request id, metrics per route, one access-log line.

``X-Request-ID`` is taken from the client only when it is a short safe token (letters, digits,
``._-``, at most 64 characters); anything else is replaced by a generated id, so no client text
reaches the logs or the response headers unchecked.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics import ServiceMetrics

access_log = logging.getLogger("service.access")
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def request_id_from(supplied: str | None) -> str:
    """The client's id when it is a safe token, else a new one."""
    if supplied is not None and SAFE_REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex[:16]


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get("x-request-id"))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(route, scope["method"], status, elapsed)
            access_log.info(json.dumps({
                "request_id": request_id, "method": scope["method"], "path": scope["path"], "route": route,
                "status": status, "ms": round(elapsed * 1000, 2),
            }, ensure_ascii=False))
