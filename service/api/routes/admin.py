"""Feedback on answers (public) and what the admin console reads (admin key)."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from service.api.deps import AdminDep, IndexDep, QuestionLogDep
from service.api.routes.documents import _summary
from service.lifecycle_notes import References
from service.schemas import (
    DocumentSummary,
    FeedbackItem,
    FeedbackRequest,
    FeedbackResponse,
    HitTestHit,
    HitTestRequest,
    HitTestResponse,
    UnansweredGroup,
)
from service.unanswered_groups import group_unanswered

router = APIRouter(tags=["feedback and admin"])
HIT_TEST_MODES = ("bm25", "dense", "hybrid")


@router.post("/v1/feedback", response_model=FeedbackResponse, status_code=201, responses={404: {}, 422: {}})
async def post_feedback(body: FeedbackRequest, log: QuestionLogDep) -> FeedbackResponse:
    if not await run_in_threadpool(log.has_answer, body.answer_id):
        raise HTTPException(status_code=404, detail=f"no answer with id {body.answer_id!r} (expired or never given)")
    feedback_id = await run_in_threadpool(log.add_feedback, body.answer_id, body.rating, body.reason.strip(),
                                          body.comment.strip())
    return FeedbackResponse(feedback_id=feedback_id, answer_id=body.answer_id)


@router.get("/v1/admin/feedback", response_model=list[FeedbackItem], responses={401: {}, 403: {}})
async def list_feedback(
    _: AdminDep,
    log: QuestionLogDep,
    rating: Literal["up", "down"] | None = None,
    reason: Annotated[str | None, Query(max_length=100)] = None,
    days: Annotated[int | None, Query(ge=1, le=3650, description="only the last N days")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[FeedbackItem]:
    since = time.time() - days * 86400 if days else None
    rows = await run_in_threadpool(log.feedback, rating, reason or None, since, limit)
    return [FeedbackItem(**{k: v for k, v in r.items() if k in FeedbackItem.model_fields}) for r in rows]


@router.get("/v1/admin/unanswered", response_model=list[UnansweredGroup], responses={401: {}, 403: {}})
async def list_unanswered(
    _: AdminDep, log: QuestionLogDep, index: IndexDep, limit: Annotated[int, Query(ge=1, le=2000)] = 500
) -> list[UnansweredGroup]:
    rows = await run_in_threadpool(log.unanswered, limit)
    groups = await run_in_threadpool(group_unanswered, rows, index.analyzer.tokens)
    return [UnansweredGroup(**g) for g in groups]


@router.post("/v1/admin/hit-test", response_model=HitTestResponse, responses={401: {}, 403: {}})
def hit_test(body: HitTestRequest, _: AdminDep, index: IndexDep) -> HitTestResponse:
    """BM25, dense and hybrid rankings of one query, analysed (and encoded) once."""
    started = time.perf_counter()
    query = index.analyzer.analyse(body.query)
    modes: dict[str, list[HitTestHit]] = {}
    result = None
    for mode in HIT_TEST_MODES:
        result = index.search(query, top_k=body.top_k, mode=mode)
        modes[mode] = [
            HitTestHit(rank=i, chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id, doc_title=h.chunk.doc_title,
                       doc_number=h.chunk.doc_number, heading_path=h.chunk.heading_path, text=h.chunk.text,
                       score=round(h.score, 6))
            for i, h in enumerate(result.hits, start=1)
        ]
    return HitTestResponse(
        query=body.query, tokens=query.tokens, intent=query.intent.value, modes=modes,
        confident=bool(result and result.confident), confidence=result.confidence if result else 0.0,
        server_ms=round((time.perf_counter() - started) * 1000, 2),
    )


@router.get("/v1/admin/documents", response_model=list[DocumentSummary], responses={401: {}, 403: {}})
def admin_documents(_: AdminDep, index: IndexDep) -> list[DocumentSummary]:
    """Every document, whatever its visibility (the console's table; /v1/documents shows a caller's own view)."""
    counts = index.chunk_counts()
    refs = References(index, None)
    return [_summary(d, counts.get(d.doc_id, 0), refs) for d in index.list_documents()]


@router.get("/v1/admin/stats", responses={401: {}, 403: {}})
async def admin_stats(_: AdminDep, index: IndexDep, log: QuestionLogDep) -> dict:
    stats = index.stats()
    stats["logged_answers"] = await run_in_threadpool(log.count_answers)
    return stats
