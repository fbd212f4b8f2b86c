"""A service whose index is not loaded (issue 12, case 10): every index route says 503 and why, none 500s.

Also the request id (only a short safe token is echoed) and the admin key kept secret in ``Settings``.
"""

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from config import Settings, get_settings
from service.app import create_app
from service.request_observer import SAFE_REQUEST_ID

KEY = {"X-API-Key": "unready-key"}


@pytest.fixture(scope="module")
def unready(tmp_path_factory):
    settings = get_settings().model_copy(update={
        "index_dir": tmp_path_factory.mktemp("none") / "missing", "admin_api_key": SecretStr("unready-key"),
    })
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("GET", "/v1/documents", {}),
        ("GET", "/v1/documents/some-id", {}),
        ("GET", "/v1/chunks/some-id", {}),
        ("DELETE", "/v1/documents/some-id", {"headers": KEY}),
        ("POST", "/v1/documents", {"headers": KEY, "files": {"files": ("a.txt", "青海省通知".encode(), "text/plain")}}),
        ("POST", "/v1/search", {"json": {"query": "养老金"}}),
        ("POST", "/v1/ask", {"json": {"question": "养老金涨多少"}}),
        ("POST", "/v1/ask/stream", {"json": {"question": "养老金涨多少"}}),
    ],
)
def test_index_routes_say_503_with_the_reason(unready, method, path, extra):
    response = unready.request(method, path, **extra)
    assert response.status_code == 503, response.text
    assert "index not available: no index at" in response.json()["detail"]


def test_probes_tell_live_but_not_ready(unready):
    assert unready.get("/healthz").status_code == 200
    ready = unready.get("/readyz")
    assert ready.status_code == 503 and "no index at" in ready.json()["reason"]


@pytest.mark.parametrize("supplied", ["abc123", "req-2026.11_30", "A" * 64])
def test_a_safe_request_id_is_echoed(unready, supplied):
    assert unready.get("/healthz", headers={"X-Request-ID": supplied}).headers["X-Request-ID"] == supplied


@pytest.mark.parametrize("supplied", ["A" * 65, "<script>alert(1)</script>", "id with spaces", "-leading", "a;b=c", ""])
def test_an_unsafe_request_id_is_replaced(unready, supplied):
    echoed = unready.get("/healthz", headers={"X-Request-ID": supplied}).headers["X-Request-ID"]
    assert echoed != supplied and SAFE_REQUEST_ID.fullmatch(echoed)


def test_secrets_are_not_shown_by_settings(monkeypatch):
    monkeypatch.setenv("ADMIN_API_KEY", "very-secret-admin")
    monkeypatch.setenv("LLM_API_KEY", "very-secret-llm")
    settings = Settings()
    assert settings.admin_api_key.get_secret_value() == "very-secret-admin"
    assert settings.llm_api_key.get_secret_value() == "very-secret-llm"
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    assert "very-secret" not in shown
