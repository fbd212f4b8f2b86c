"""``GET /documents/{id}``: the document as a server-rendered page (see service/pages/source_page.py)."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from service.access import AccessDep
from service.api.deps import IndexDep
from service.pages.source_page import render_document

router = APIRouter(tags=["source view"])


@router.get("/documents/{doc_id}", response_class=HTMLResponse, responses={404: {"description": "unknown id"}})
def source_view(
    doc_id: Annotated[str, PathParam(min_length=1, max_length=300)],
    index: IndexDep,
    reader: AccessDep,
    chunk: Annotated[str, Query(max_length=300, description="the cited clause to mark")] = "",
    q: Annotated[str, Query(max_length=1000, description="the quoted sentence to mark inside it")] = "",
) -> HTMLResponse:
    doc = index.document(doc_id)
    if doc is None or not reader.may_read(doc):  # the same page whether missing or not readable
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><title>未找到</title><p>没有编号为 {escape(doc_id)} 的文件。</p>",
            status_code=404,
        )
    return HTMLResponse(render_document(doc, index.doc_chunks(doc_id), cited=chunk, quote=q))

