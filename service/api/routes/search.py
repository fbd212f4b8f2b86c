from __future__ import annotations

import time

from fastapi import APIRouter

from indexer.records import SearchFilters, status_on
from service.access import AccessDep
from service.api.deps import ComputeDep, IndexDep, SettingsDep
from service.schemas import Filters, SearchHit, SearchRequest, SearchResponse

router = APIRouter(tags=["search"])


def to_filters(filters: Filters | None) -> SearchFilters | None:
    return SearchFilters(**filters.model_dump()) if filters else None


@router.post("/v1/search", response_model=SearchResponse)
async def search(
    body: SearchRequest, index: IndexDep, caller: AccessDep, settings: SettingsDep, compute: ComputeDep
) -> SearchResponse:
    started = time.perf_counter()
    weights = (body.weights.bm25, body.weights.dense) if body.weights else None
    query = index.analyzer.analyse(body.query)
    filters = caller.filters(to_filters(body.filters), settings, body.as_of)
    result = await compute.run("search", index.search, query, body.top_k, body.mode, filters, weights)
    statuses = {doc_id: _status(index, doc_id) for doc_id in {h.chunk.doc_id for h in result.hits}}
    hits = [
        SearchHit(
            chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id, doc_title=h.chunk.doc_title,
            doc_number=h.chunk.doc_number, date=h.chunk.date, heading_path=h.chunk.heading_path, text=h.chunk.text,
            status=statuses[h.chunk.doc_id], highlights=index.analyzer.highlight(h.chunk.text, query.tokens),
            score=h.score, bm25_score=h.bm25_score,
            dense_score=h.dense_score,
        )
        for h in result.hits
    ]
    return SearchResponse(
        query=body.query, results=hits, confident=result.confident, confidence=result.confidence,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _status(index, doc_id: str) -> str:
    doc = index.document(doc_id)
    return status_on(doc).value if doc is not None else ""
