from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["widget"])


def static_text(name: str) -> str:
    return resources.files("service.static").joinpath(name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page() -> HTMLResponse:
    return HTMLResponse(static_text("index.html"))


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> Response:
    return Response(static_text("widget.js"), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})
