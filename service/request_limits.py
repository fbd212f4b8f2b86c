"""Limits checked before any work is done: the admin key and the body size (a pure ASGI middleware).

Every request is matched to its route first. A route that depends on ``require_admin`` is refused
(401/403) on its headers alone; a ``Content-Length`` above the route's limit is refused (413)
before a byte of the body is read. A body without ``Content-Length`` (chunked) is counted as it
streams in and refused as soon as it passes the limit, so the service never reads more than the
limit plus one chunk. Limits: ``MAX_UPLOAD_BYTES`` for routes that take files (multipart),
``MAX_JSON_BYTES`` for every other request.

A plain ASGI class rather than ``BaseHTTPMiddleware``: it sees the raw ``receive`` channel, so it
can stop reading, and it adds no task or thread per request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import params
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Settings
from service.api.deps import admin_key_problem, require_admin


@dataclass(frozen=True)
class RoutePolicy:
    admin: bool  # the route depends on require_admin
    limit: int  # largest body accepted, in bytes
    setting: str  # the setting that sets ``limit`` (quoted in the 413 message)


def _dependants(route: APIRoute):
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        yield dependant
        stack.extend(dependant.dependencies)


def _api_routes(routes) -> Iterator[APIRoute]:
    """Every ``APIRoute`` of an app, also inside included routers (kept as wrappers by recent FastAPI)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif getattr(route, "original_router", None) is not None:
            yield from _api_routes(route.original_router.routes)


class RequestLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._default = RoutePolicy(False, settings.max_json_bytes, "MAX_JSON_BYTES")
        self._table: list[tuple[APIRoute, RoutePolicy]] | None = None

    def _policy_of(self, route: APIRoute) -> RoutePolicy:
        dependants = list(_dependants(route))
        admin = any(d.call is require_admin for d in dependants)
        files = any(isinstance(f.field_info, params.File) for d in dependants for f in d.body_params)
        if files:
            return RoutePolicy(admin, self.settings.max_upload_bytes, "MAX_UPLOAD_BYTES")
        return RoutePolicy(admin, self.settings.max_json_bytes, "MAX_JSON_BYTES")

    def _route(self, scope: Scope) -> tuple[APIRoute | None, RoutePolicy]:
        """The route this request goes to (by path and method) and its policy, read from the app on first use."""
        if self._table is None:
            app = scope.get("app")
            routes = getattr(getattr(app, "router", None), "routes", ())
            self._table = [(route, self._policy_of(route)) for route in _api_routes(routes)]
        for route, policy in self._table:
            if scope["method"] in route.methods and route.path_regex.match(scope["path"]):
                return route, policy
        return None, self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, policy = self._route(scope)
        problem = self._header_problem(policy, Headers(scope=scope))
        if problem is not None:
            if route is not None:
                scope["route"] = route  # so the metrics count the refusal under its route
            await _reject(send, *problem)
            return
        await self._counted(policy, scope, receive, send)

    def _header_problem(self, policy: RoutePolicy, headers: Headers) -> tuple[int, str] | None:
        if policy.admin:
            problem = admin_key_problem(self.settings, headers.get("x-api-key"))
            if problem is not None:
                return problem
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return 400, f"invalid Content-Length header: {declared[:40]!r}"
            if int(declared) > policy.limit:
                return 413, _too_large(policy)
        return None

    async def _counted(self, policy: RoutePolicy, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, cutting its body off at the limit; the app then sees a disconnect and we answer 413."""
        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > policy.limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the app answers to the cut-off body, the 413 below replaces it
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await _reject(send, 413, _too_large(policy))


def _too_large(policy: RoutePolicy) -> str:
    return f"request body larger than {policy.limit:,} bytes ({policy.setting})"


async def _reject(send: Send, status: int, detail: str) -> None:
    """Answer without reading the body; ``connection: close`` because the unread body is still on the wire."""
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
