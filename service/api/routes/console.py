"""The admin console: one static page and its script and style (the data comes from the admin API)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from service.api.routes.widget import static_text

router = APIRouter(tags=["admin console"], include_in_schema=False)
_NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/admin", response_class=HTMLResponse)
def console_page() -> HTMLResponse:
    return HTMLResponse(static_text("admin.html"), headers=_NO_CACHE)


@router.get("/admin/admin.js")
def console_script() -> Response:
    return Response(static_text("admin.js"), media_type="application/javascript; charset=utf-8", headers=_NO_CACHE)


@router.get("/admin/admin.css")
def console_style() -> Response:
    return Response(static_text("admin.css"), media_type="text/css; charset=utf-8", headers=_NO_CACHE)
