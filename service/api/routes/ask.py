from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from config import Settings
from indexer.backends.base import IndexBackend
from indexer.records import SearchFilters, Turn
from service.access import AccessDep, Caller
from service.answer_composer import Answer
from service.api.deps import AnswererDep, ComputeDep, IndexDep, QuestionLogDep, SettingsDep
from service.api.routes.search import to_filters
from service.compute_pool import ComputePool
from service.pages.source_page import source_link
from service.question_log import LoggedAnswer, QuestionLog
from service.schemas import AskRequest, AskResponse, CitationOut

router = APIRouter(tags=["ask"])

# Stream the answer in small pieces, never splitting a [n] marker.
_PIECES = re.compile(r"\[\d+\]|[^\[]{1,12}|\[")


def _citations(answer: Answer) -> list[CitationOut]:
    return [
        CitationOut(
            n=c.n, chunk_id=c.chunk.chunk_id, doc_id=c.chunk.doc_id, doc_title=c.chunk.doc_title,
            doc_number=c.chunk.doc_number, heading_path=c.chunk.heading_path, text=c.chunk.text, quote=c.quote,
            source_url=source_link(c.chunk.doc_id, c.chunk.chunk_id, c.quote),
            status=answer.statuses.get(c.n, ""), note=answer.notes.get(c.n),
        )
        for c in answer.citations
    ]


def _history(body: AskRequest) -> list[Turn]:
    return [Turn(t.question, tuple(t.chunk_ids), t.answer) for t in body.history]


def _logged_caller(reader: Caller, settings: Settings) -> str | None:
    """Who asked, for the question log: only with ``LOG_USERS`` and only when a token or proxy identifies them."""
    return reader.sub if settings.log_users and reader.sub else None


def index_version(index: IndexBackend) -> str:
    stats = index.stats()
    return f"{str(stats.get('corpus_fingerprint', ''))[:12]}@{stats.get('built_at', '')}"


async def _answer(body: AskRequest, index: IndexBackend, answerer, log: QuestionLog, caller: str | None,
                  filters: SearchFilters, compute: ComputePool):
    answer = await compute.run("ask", answerer.answer, index, body.question, body.top_k, filters, _history(body))
    citations = _citations(answer)
    entry = LoggedAnswer(
        question=body.question, completed=answer.completed or body.question, answer=answer.answer,
        answerable=answer.answerable, confidence=answer.confidence,
        citations=[{"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "quote": c.quote} for c in citations],
        index_version=index_version(index), caller=caller,
    )
    await run_in_threadpool(log.log_answer, entry)
    return answer, citations, entry.answer_id


@router.post("/v1/ask", response_model=AskResponse)
async def ask(
    body: AskRequest, index: IndexDep, answerer: AnswererDep, log: QuestionLogDep,
    reader: AccessDep, settings: SettingsDep, compute: ComputeDep,
) -> AskResponse:
    started = time.perf_counter()
    filters = reader.filters(to_filters(body.filters), settings, body.as_of)
    answer, citations, answer_id = await _answer(body, index, answerer, log, _logged_caller(reader, settings), filters,
                                                compute)
    return AskResponse(
        answer_id=answer_id, question=body.question, completed_question=answer.completed or None,
        answer=answer.answer, answerable=answer.answerable, confidence=answer.confidence, citations=citations,
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
    body: AskRequest, index: IndexDep, answerer: AnswererDep, log: QuestionLogDep,
    reader: AccessDep, settings: SettingsDep, compute: ComputeDep,
) -> StreamingResponse:
    started = time.perf_counter()
    filters = reader.filters(to_filters(body.filters), settings, body.as_of)
    answer, citations, answer_id = await _answer(body, index, answerer, log, _logged_caller(reader, settings), filters,
                                                compute)

    def events() -> Iterator[str]:
        yield _event("citations", {
            "answer_id": answer_id, "question": body.question, "completed_question": answer.completed or None,
            "answerable": answer.answerable, "citations": [c.model_dump() for c in citations],
        })
        for piece in _PIECES.findall(answer.answer):
            yield _event("delta", {"text": piece})
        yield _event(
            "done",
            {"answer_id": answer_id, "answer": answer.answer, "answerable": answer.answerable,
             "took_ms": round((time.perf_counter() - started) * 1000, 2)},
        )

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
