from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (it may still be loading)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "index or model not loaded"}})
def readyz(request: Request) -> JSONResponse:
    holder = request.app.state.index_holder
    if not holder.ready:
        return JSONResponse({"status": "not ready", "reason": holder.reason}, status_code=503)
    stats = holder.current.stats()
    return JSONResponse({"status": "ready", "backend": stats["backend"], "encoder": stats["encoder"],
                         "documents": stats["documents"], "chunks": stats["chunks"]})


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
