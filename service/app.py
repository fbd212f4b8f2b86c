"""The FastAPI application: model and index load once in ``lifespan`` onto ``app.state``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from config import Settings, get_settings
from indexer.backends.factory import IndexSite
from service.access import ANONYMOUS
from service.answering import Answerer
from service.api.routes import admin, ask, console, documents, health, search, source_view, widget
from service.compute_pool import ComputePool, default_threads
from service.index_holder import IndexHolder, IndexUnavailable
from service.metrics import ServiceMetrics
from service.question_log import QuestionLog
from service.request_limits import RequestLimits
from service.request_observer import RequestObserver

log = logging.getLogger(__name__)


def _load(app: FastAPI, settings: Settings) -> None:
    started = time.perf_counter()
    holder = IndexHolder(IndexSite(settings))
    holder.load()
    app.state.index_holder = holder
    if holder.ready:
        # One answer (a search, then composing) as an anonymous caller before the service reports ready,
        # so the first requests of a fresh process do not pay the start-up of the encoder runtime, the
        # tokenizers, the part-of-speech tagger and the public documents' view.
        index = holder.current
        extractive = Answerer(settings.model_copy(update={"llm_base_url": ""}))  # no LLM call at start-up
        extractive.answer(index, "农村低保标准是多少？", 5, ANONYMOUS.filters(None, settings))
        stats = index.stats()
        log.info("loaded %d documents, %d chunks (%s, %s) in %.1f s", stats["documents"], stats["chunks"],
                 stats["backend"], stats["encoder"], time.perf_counter() - started)


async def _follow_published(holder: IndexHolder, seconds: float) -> None:
    """Switch to versions other writers publish (CLI add, rebuild, rollback), checked every ``seconds``."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(holder.refresh)
        except Exception:  # keep following; the served index is unchanged
            log.exception("checking for a newer index failed")


def _serving(settings: Settings) -> Settings:
    """``ENCODER_THREADS=0`` in the service: cores ÷ ``COMPUTE_THREADS`` threads per encoder call.

    That many requests encode at once; giving each all the cores only had their threads wait for one
    another (32 clients on 2 cores: 11–25% more asks/s and a lower p95 with one thread each).
    """
    if settings.encoder_threads:
        return settings
    compute = settings.compute_threads or default_threads()
    return settings.model_copy(update={"encoder_threads": max(1, default_threads() // compute)})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = _serving(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _load(app, settings)
        follower = asyncio.create_task(_follow_published(app.state.index_holder, settings.index_poll_seconds))
        yield
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        app.state.question_log.close()

    app = FastAPI(
        title="政策文件检索与问答 API",
        description="Clause-level search and cited answers over official Chinese government documents.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = ServiceMetrics()
    app.state.answerer = Answerer(settings)
    app.state.compute = ComputePool(settings.compute_threads)
    app.state.question_log = QuestionLog(settings.feedback_db, settings.log_retention_days)
    app.state.index_holder = IndexHolder(None, "still loading")
    # Outermost last: the observer sees every answer (refusals included), CORS headers go on refusals too,
    # and the limits run before any route reads a body.
    app.add_middleware(RequestLimits, settings=settings)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Content-Type", "X-API-Key", "X-Request-ID", "Authorization"])

    @app.exception_handler(IndexUnavailable)
    async def index_unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": f"index not available: {exc}"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems) or "invalid request"})

    app.add_middleware(RequestObserver, metrics=app.state.metrics)
    for module in (search, ask, documents, health, widget, admin, source_view, console):
        app.include_router(module.router)
    return app
