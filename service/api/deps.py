"""Dependencies shared by the routes: the index, the answerer, the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from config import Settings
from indexer.backends.base import IndexBackend
from service.answering import Answerer
from service.compute_pool import ComputePool
from service.index_holder import IndexHolder, IndexUnavailable
from service.question_log import QuestionLog


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_holder(request: Request) -> IndexHolder:
    return request.app.state.index_holder


def get_index(holder: Annotated[IndexHolder, Depends(get_holder)]) -> IndexBackend:
    try:
        return holder.current
    except IndexUnavailable as exc:
        raise HTTPException(status_code=503, detail=f"index not available: {exc}") from None


def get_answerer(request: Request) -> Answerer:
    return request.app.state.answerer


def get_compute(request: Request) -> ComputePool:
    return request.app.state.compute


def get_question_log(request: Request) -> QuestionLog:
    return request.app.state.question_log


def admin_key_problem(settings: Settings, supplied: str | None) -> tuple[int, str] | None:
    """Why a request may not change documents (status, message), or None when ``supplied`` is the key.

    The one check, used by the ``require_admin`` dependency and by ``RequestLimits`` before any body is read.
    """
    expected = settings.admin_api_key.get_secret_value()
    if not expected:
        return 403, "admin routes (document updates, feedback review) are disabled: ADMIN_API_KEY is not set"
    if supplied is None or not hmac.compare_digest(supplied.encode(), expected.encode()):
        return 401, "missing or wrong X-API-Key header"
    return None


def require_admin(
    settings: Annotated[Settings, Depends(get_app_settings)],
    x_api_key: Annotated[str | None, Header(description="the admin API key (ADMIN_API_KEY)")] = None,
) -> None:
    problem = admin_key_problem(settings, x_api_key)
    if problem is not None:
        raise HTTPException(status_code=problem[0], detail=problem[1])


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
IndexDep = Annotated[IndexBackend, Depends(get_index)]
HolderDep = Annotated[IndexHolder, Depends(get_holder)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
ComputeDep = Annotated[ComputePool, Depends(get_compute)]
AdminDep = Annotated[None, Depends(require_admin)]
QuestionLogDep = Annotated[QuestionLog, Depends(get_question_log)]
