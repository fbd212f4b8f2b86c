"""Liveness, readiness and metrics: ``async`` routes that run on the event loop, never in the thread pool.

So they answer while every worker thread is busy with searches and answers. Nothing here may block:
readiness reads a summary computed once per served index.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (it may still be loading)."""
    return {"status": "ok"}


def _summary(request: Request) -> dict[str, object]:
    """``stats()`` of the served index, computed once per index object (an update swaps in a new one)."""
    index = request.app.state.index_holder.current
    cached = getattr(request.app.state, "ready_summary", None)
    if cached is None or cached[0] is not index:
        stats = index.stats()
        cached = (index, {key: stats[key] for key in ("backend", "encoder", "documents", "chunks")})
        request.app.state.ready_summary = cached
    return cached[1]


@router.get("/readyz", responses={503: {"description": "index or model not loaded"}})
async def readyz(request: Request) -> JSONResponse:
    if not request.app.state.index_holder.ready:
        return JSONResponse({"status": "not ready", "reason": request.app.state.index_holder.reason}, status_code=503)
    return JSONResponse({"status": "ready", **_summary(request)})


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
