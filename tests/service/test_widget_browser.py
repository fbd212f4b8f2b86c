"""The embeddable chat widget, driven in a real headless Chromium against the running service.

`live_service` (tests/conftest.py) yields the base URL of the real service with the gazette index loaded;
it serves the demo page at `/`, the script at `/widget.js` and the streaming API at `/v1/ask/stream`.
Only the XSS and HTTP-error tests intercept the API, to feed it responses the real service never sends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT_MS = 60_000
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; missing is a failure in CI and a skip on a developer machine."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI for the browser tests: apt-get install chromium")
        pytest.skip("Chromium not installed: sudo apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_service: str) -> Iterator[Page]:
    """A fresh page on the demo site; fails the test on any uncaught script error."""
    context = browser.new_context(base_url=live_service, locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto("/")
    yield page
    context.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"


def open_widget(page: Page) -> None:
    page.get_by_role("button", name="打开政策文件问答").click()
    page.get_by_role("dialog", name="政策文件问答").wait_for(state="visible")


def ask(page: Page, question: str, *, press_enter: bool = False) -> Locator:
    """Ask through the widget UI and return the locator of the finished bot message."""
    box = page.locator(".composer input")
    box.fill(question)
    if press_enter:
        box.press("Enter")
    else:
        page.get_by_role("button", name="发送").click()
    message = page.locator(".msg.bot").last
    message.and_(page.locator('[data-done="true"]')).wait_for(timeout=ANSWER_TIMEOUT_MS)
    return message


def sse_body(*events: tuple[str, dict]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events)


def test_answer_with_clickable_citation(page: Page, tmp_path: Path) -> None:
    open_widget(page)
    message = ask(page, "农村老人的基础养老金今年涨多少？")

    answer = message.locator(".answer").inner_text()
    assert re.search(r"15\s?元", answer), answer
    assert "not-found" not in (message.get_attribute("class") or "")
    cites = message.locator("button.cite")
    assert cites.count() >= 1
    expect(page.get_by_role("button", name="发送")).to_be_enabled()

    cites.first.click()
    card = message.locator(".card").first
    expect(card).to_be_visible()
    assert DOC_NUMBER.search(card.inner_text()), card.inner_text()
    assert card.locator(".passage").inner_text().strip()
    expect(cites.first).to_have_attribute("aria-expanded", "true")

    page.screenshot(path=tmp_path / "widget_answer.png")

    cites.first.click()
    expect(card).to_be_hidden()


def test_unanswerable_question_is_marked_not_found(page: Page) -> None:
    open_widget(page)
    message = ask(page, "2018年青海省的最低工资标准是多少？", press_enter=True)

    expect(message).to_have_class(re.compile(r"\bnot-found\b"))
    expect(message).to_contain_text("未找到明确规定")


def test_empty_question_sends_no_request(page: Page) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_widget(page)
    page.locator(".composer input").fill("   ")
    page.get_by_role("button", name="发送").click()

    expect(page.locator(".hint")).to_have_text("请先输入问题。")
    assert page.locator(".msg").count() == 0
    assert not [url for url in requests if "/v1/ask" in url]


def test_server_text_is_never_interpreted_as_html(page: Page) -> None:
    img = '<img src=x onerror="window.__xss=1">'
    script = "<script>window.__xss=2</script>"
    citation = {
        "n": 1,
        "chunk_id": "evil-1",
        "doc_title": f"恶意标题{img}",
        "doc_number": f"青政〔2017〕1号{script}",
        "heading_path": [f"第一条{img}"],
        "text": f"条款原文{img}{script}结束",
        "quote": img,
    }
    body = sse_body(
        ("citations", {"question": "测试", "answerable": True, "citations": [citation]}),
        ("delta", {"text": f"答案{img}"}),
        ("done", {"answer": f"答案{img}{script}[1]", "answerable": True, "took_ms": 1}),
    )
    page.route(
        "**/v1/ask/stream",
        lambda route: route.fulfill(status=200, content_type="text/event-stream; charset=utf-8", body=body),
    )
    open_widget(page)
    message = ask(page, "测试")
    message.locator("button.cite").first.click()

    expect(message.locator(".card")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    panel = page.get_by_role("dialog", name="政策文件问答")
    expect(panel).to_contain_text("<img src=x")
    expect(message.locator(".card .passage")).to_contain_text(script)
    assert panel.locator("img, script").count() == 0


def test_http_error_is_shown_readably(page: Page) -> None:
    page.route(
        "**/v1/ask/stream",
        lambda route: route.fulfill(
            status=422, content_type="application/json", body=json.dumps({"detail": "question must not be empty"})
        ),
    )
    open_widget(page)
    message = ask(page, "养老金")

    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_contain_text("请求失败")
    expect(message).to_contain_text("question must not be empty")
    expect(page.get_by_role("button", name="发送")).to_be_enabled()


def test_a_service_that_never_answers_times_out_with_a_clear_message(page: Page, live_service: str) -> None:
    """The widget's fetch has a deadline (data-timeout-ms): a hung request ends in a readable message."""
    import httpx

    demo = httpx.get(f"{live_service}/", timeout=10).text
    assert '<script src="/widget.js"></script>' in demo
    demo = demo.replace('<script src="/widget.js"></script>',
                        '<script src="/widget.js" data-timeout-ms="1500"></script>')
    page.route(f"{live_service}/", lambda route: route.fulfill(status=200, content_type="text/html", body=demo))
    page.route("**/v1/ask/stream", lambda route: None)  # held: the service never answers
    page.goto("/")
    open_widget(page)
    message = ask(page, "农村老人的基础养老金今年涨多少？")

    expect(message).to_have_class(re.compile(r"\berror\b"))
    expect(message).to_contain_text("服务在 2 秒内没有答完")
    expect(page.get_by_role("button", name="发送")).to_be_enabled()
