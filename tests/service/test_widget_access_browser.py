"""The widget's token path in a real Chromium: what a portal page's token lets a reader see.

A live service holds the gazette with one document restricted to the group ``hr``. A portal
page (served at the service's origin by the browser's router) embeds the widget with
``data-token`` or ``data-token-callback``; the same question is answered from the restricted
document for an HR member only, and a bad token is shown as an error, never as a quietly
widened (or narrowed) anonymous answer.
"""

from __future__ import annotations

import re
import time

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import serve
from tests.service.widget_driver import ADMIN_KEY, ask, open_widget

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET = "widget-secret-0123456789-abcdefghijklmnop"
HR_DOC = "doc-2017-13-4dbd48"  # 民生十件实事, made HR-only below
HR_DOC_NUMBER = "青政办〔2017〕13号"
QUESTION = "计划生育特殊家庭的住院陪护保险制度是怎么规定的？"


def jwt_for(groups: list[str], exp_in: int = 3600) -> str:
    return jwt.encode({"sub": "staff-1", "groups": groups, "exp": int(time.time()) + exp_in}, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def hr_service(tmp_path_factory, test_settings, gazette_index):
    from indexer.backends.local import LocalIndex
    from service.app import create_app

    settings = test_settings.model_copy(update={
        "index_dir": tmp_path_factory.mktemp("widget-access") / "idx", "access_token_secret": SECRET,
        "feedback_db": tmp_path_factory.mktemp("widget-access-log") / "feedback.sqlite",
    })
    private = LocalIndex(settings.index_dir, settings, gazette_index.encoder)
    private.build(list(gazette_index.documents.values()), list(gazette_index.chunks))
    with serve(create_app(settings)) as base:
        patched = httpx.patch(f"{base}/v1/documents/{HR_DOC}", json={"visibility": ["hr"]},
                              headers={"X-API-Key": ADMIN_KEY}, timeout=30)
        assert patched.status_code == 200 and patched.json()["visibility"] == ["hr"], patched.text
        yield base


@pytest.fixture
def portal(browser: Browser, hr_service: str):
    """Open a portal page at the service's origin embedding the widget with given attributes.

    Every page is closed afterwards, and an uncaught script error in any of them fails the test.
    """
    contexts, errors = [], []

    def open_page(script_attributes: str, head_script: str = "") -> Page:
        context = browser.new_context(base_url=hr_service, locale="zh-CN", viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        html = (f"<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>门户</title>{head_script}"
                f"</head><body><h1>内网门户</h1><script src=\"/widget.js\" {script_attributes}></script></body></html>")
        page.route(f"{hr_service}/portal", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto("/portal")
        open_widget(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def cited_text(message) -> str:
    """Every citation card's text, opened one by one."""
    cites = message.locator("button.cite")
    texts = []
    for i in range(cites.count()):
        cites.nth(i).click()
        texts.append(message.locator(".card").nth(i).inner_text())
    return "\n".join(texts)


def test_a_member_token_in_data_token_reads_the_restricted_document(portal) -> None:
    member = portal(f'data-token="{jwt_for(["hr"])}"')
    message = ask(member, QUESTION)
    assert "error" not in (message.get_attribute("class") or "")
    assert HR_DOC_NUMBER in cited_text(message)

    outsider = portal(f'data-token="{jwt_for(["finance"])}"')
    message = ask(outsider, QUESTION)
    assert "error" not in (message.get_attribute("class") or "")
    assert HR_DOC_NUMBER not in message.inner_text() + cited_text(message)


def test_without_a_token_the_widget_sees_public_documents_only(portal) -> None:
    page = portal("")
    message = ask(page, QUESTION)
    assert HR_DOC_NUMBER not in message.inner_text() + cited_text(message)


def test_the_token_callback_is_asked_before_every_request(portal) -> None:
    token = jwt_for(["hr"])
    callback = ("<script>window.calls = 0; window.portalToken = () => { window.calls += 1; "
                f"return new Promise((done) => setTimeout(() => done('{token}'), 20)); }};</script>")
    page = portal('data-token-callback="portalToken"', head_script=callback)
    first = ask(page, QUESTION)
    assert HR_DOC_NUMBER in cited_text(first)
    calls_after_first = page.evaluate("window.calls")
    assert calls_after_first >= 1
    ask(page, "计划生育特殊家庭住院陪护保险由哪个部门负责？")
    assert page.evaluate("window.calls") > calls_after_first


def test_an_expired_token_is_an_error_not_an_anonymous_answer(portal) -> None:
    page = portal(f'data-token="{jwt_for(["hr"], exp_in=-60)}"')
    message = ask(page, QUESTION)
    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_contain_text("401")
    assert message.locator("button.cite").count() == 0
