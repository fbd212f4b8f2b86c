"""The embeddable chat widget, driven in a real headless Chromium against the running service.

`live_service` (tests/conftest.py) yields the base URL of the real service with the gazette index loaded;
it serves the demo page at `/`, the script at `/widget.js` and the streaming API at `/v1/ask/stream`.
Only the XSS and HTTP-error tests intercept the API, to feed it responses the real service never sends.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.service.widget_driver import ask, open_widget

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")


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
        "source_url": "javascript:window.__xss=3",
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
    assert message.locator("a.source").count() == 0  # a non-relative source link is not made a link


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
