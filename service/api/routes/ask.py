from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.access import CallerDep
from service.answer_composer import Answer
from service.api.deps import AnswererDep, IndexDep, SettingsDep
from service.api.routes.search import to_filters
from service.schemas import AskRequest, AskResponse, CitationOut

router = APIRouter(tags=["ask"])

# Stream the answer in small pieces, never splitting a [n] marker.
_PIECES = re.compile(r"\[\d+\]|[^\[]{1,12}|\[")


def _citations(answer: Answer) -> list[CitationOut]:
    return [
        CitationOut(
            n=c.n, chunk_id=c.chunk.chunk_id, doc_id=c.chunk.doc_id, doc_title=c.chunk.doc_title,
            doc_number=c.chunk.doc_number, heading_path=c.chunk.heading_path, text=c.chunk.text, quote=c.quote,
            status=answer.statuses.get(c.n, ""), note=answer.notes.get(c.n),
        )
        for c in answer.citations
    ]


@router.post("/v1/ask", response_model=AskResponse)
async def ask(
    body: AskRequest, index: IndexDep, answerer: AnswererDep, caller: CallerDep, settings: SettingsDep
) -> AskResponse:
    started = time.perf_counter()
    filters = caller.filters(to_filters(body.filters), settings, body.as_of)
    answer = await run_in_threadpool(answerer.answer, index, body.question, body.top_k, filters)
    return AskResponse(
        question=body.question, answer=answer.answer, answerable=answer.answerable, citations=_citations(answer),
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/v1/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "citations, delta…, done"}},
)
async def ask_stream(
    body: AskRequest, index: IndexDep, answerer: AnswererDep, caller: CallerDep, settings: SettingsDep
) -> StreamingResponse:
    started = time.perf_counter()
    filters = caller.filters(to_filters(body.filters), settings, body.as_of)
    answer = await run_in_threadpool(answerer.answer, index, body.question, body.top_k, filters)

    def events() -> Iterator[str]:
        citations = [c.model_dump() for c in _citations(answer)]
        yield _event("citations", {"question": body.question, "answerable": answer.answerable, "citations": citations})
        for piece in _PIECES.findall(answer.answer):
            yield _event("delta", {"text": piece})
        yield _event(
            "done",
            {"answer": answer.answer, "answerable": answer.answerable,
             "took_ms": round((time.perf_counter() - started) * 1000, 2)},
        )

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
