"""Follow-ups and feedback in the widget, the source view and the admin console, in a real headless Chromium.

One Chromium and one live service (the gazette index) serve every browser test of the session. Set
``SCREENSHOTS_DIR=docs`` to refresh the screenshots shown in the README; otherwise they go to a temp folder.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.service.widget_driver import ADMIN_KEY, ANSWER_TIMEOUT_MS, ask, log_in, open_widget

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def console(page: Page) -> Page:
    """A second page of the same browser context, on the admin console."""
    console = page.context.new_page()
    errors: list[str] = []
    console.on("pageerror", lambda error: errors.append(str(error)))
    yield console
    assert not errors, f"uncaught errors in the console: {errors}"


def test_a_follow_up_keeps_the_context(page: Page, shots: Path) -> None:
    open_widget(page)
    first = ask(page, "农村老人每个月的基础养老金今年能涨多少钱？")
    expect(first.locator(".answer")).to_contain_text("15")
    follow = ask(page, "那高龄补贴呢？")
    expect(follow.locator(".understood")).to_contain_text(re.compile(r"按“.*高龄补贴.*”理解"))
    expect(follow.locator(".answer")).to_contain_text(re.compile(r"20\s?元"))
    follow.locator("button.cite").first.click()
    expect(follow.locator(".card .source").first).to_have_text("查看原文")
    page.screenshot(path=shots / "widget.png")


def test_a_citation_opens_the_source_view_at_the_clause(page: Page, shots: Path) -> None:
    open_widget(page)
    message = ask(page, "危化品综合治理的总结阶段安排在什么时候？")
    message.locator("button.cite").first.click()
    link = message.locator(".card .source").first
    chunk_id = link.get_attribute("href").rsplit("#chunk-", 1)[1]
    with page.context.expect_page() as opened:
        link.click()
    source = opened.value
    source.wait_for_load_state("load")
    clause = source.locator(".clause.cited")
    expect(clause).to_have_attribute("id", f"chunk-{chunk_id}")
    expect(clause).to_be_in_viewport()
    quote = clause.locator("mark.quote")
    expect(quote).to_be_visible()
    expect(quote).to_be_in_viewport()
    assert quote.inner_text().strip() in message.locator(".answer").inner_text()
    expect(source.locator("header dl.meta")).to_contain_text("青政办〔2017〕15号")
    expect(source.locator("header dl.meta")).to_contain_text("状态")
    source.set_viewport_size({"width": 1100, "height": 720})
    source.locator("#quote").scroll_into_view_if_needed()
    source.screenshot(path=shots / "source_view.png")


def test_thumbs_down_with_a_reason_shows_in_the_console(page: Page, console: Page) -> None:
    open_widget(page)
    marker = uuid.uuid4().hex[:8]
    message = ask(page, "各地区的危化品治理实施方案要在什么时候前报省安委会办公室？")
    message.get_by_role("button", name="没帮助").click()
    message.get_by_label("问题类型").select_option("引用不准确")
    message.get_by_label("补充说明（可选）").fill(f"条款不对 {marker}")
    message.get_by_role("button", name="提交反馈").click()
    expect(message.locator(".feedback")).to_contain_text("感谢您的反馈")

    log_in(console)
    console.get_by_role("tab", name="用户反馈").click()
    console.get_by_label("评价").select_option("down")
    console.get_by_label("原因").select_option("引用不准确")
    console.locator("#fb-form").get_by_role("button", name="筛选").click()
    row = console.locator("#fb-table tbody tr", has_text=marker)
    expect(row).to_contain_text("引用不准确")
    expect(row).to_contain_text("危化品治理实施方案")


def test_an_upload_becomes_searchable_and_can_be_deleted(console: Page, tmp_path: Path) -> None:
    marker = f"牦牛绒收购补贴试点{uuid.uuid4().hex[:6]}"
    text = (f"青海省人民政府办公厅关于开展{marker}的通知\n青政办〔2099〕7号\n\n各市、自治州人民政府：\n"
            f"一、试点内容\n在玉树州开展{marker}工作，每公斤补贴12元。\n\n青海省人民政府办公厅\n2099年1月5日\n")
    log_in(console)
    console.get_by_role("tab", name="上传").click()
    # A real drop event carrying the file, as a drag from the desktop delivers it.
    data = console.evaluate_handle(
        "([name, text]) => { const dt = new DataTransfer();"
        " dt.items.add(new File([text], name, { type: 'text/plain' })); return dt; }",
        ["试点通知.txt", text],
    )
    console.dispatch_event("#drop", "drop", {"dataTransfer": data})
    result = console.locator('#upload-list li[data-file="试点通知.txt"] .result')
    expect(result).to_contain_text("成功", timeout=ANSWER_TIMEOUT_MS)
    expect(console.locator('#upload-list li[data-file="试点通知.txt"] progress')).to_have_attribute("value", "100")

    console.get_by_role("tab", name="命中测试").click()
    console.get_by_label("测试问题").fill(f"{marker}每公斤补贴多少？")
    console.get_by_label("测试问题").press("Enter")
    expect(console.locator('[data-mode="hybrid"] li').first).to_contain_text(marker)

    console.get_by_role("tab", name="文件").click()
    console.get_by_label("搜索").fill(marker)
    row = console.locator("#doc-table tbody tr", has_text=marker)
    expect(row).to_have_count(1)
    console.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile("^删除")).click()
    expect(console.locator("#notice")).to_contain_text("已删除")
    expect(console.locator("#doc-table tbody tr", has_text=marker)).to_have_count(0)


def test_hit_testing_side_by_side_by_keyboard(console: Page, shots: Path) -> None:
    log_in(console)
    console.get_by_role("tab", name="文件").focus()
    console.keyboard.press("ArrowRight")
    console.keyboard.press("ArrowRight")
    expect(console.get_by_role("tab", name="命中测试")).to_have_attribute("aria-selected", "true")
    console.get_by_label("测试问题").fill("人口密集区危化品企业搬迁谁牵头？")
    console.keyboard.press("Enter")
    # The first query of a fresh service warms the encoder up; the time is read on the second one.
    expect(console.locator("#hit-meta")).to_contain_text("服务器耗时", timeout=ANSWER_TIMEOUT_MS)
    console.locator("#hit-columns").evaluate("node => node.replaceChildren()")
    console.get_by_role("button", name="测试", exact=True).click()
    for mode in ("bm25", "dense", "hybrid"):
        column = console.locator(f'[data-mode="{mode}"]')
        expect(column.locator("li")).to_have_count(10)
        expect(column.locator(".score").first).to_contain_text("得分")
        expect(column.locator(".path").first).not_to_be_empty()
    # The server time is shown (its ≤ 100 ms bound is checked in test_staff_api, away from browser load).
    assert re.search(r"服务器耗时 [\d.]+ ms", console.locator("#hit-meta").inner_text())
    console.screenshot(path=shots / "console_hit_testing.png", clip={"x": 0, "y": 0, "width": 1280, "height": 600})


def test_the_unanswered_list_groups_and_tests(page: Page, console: Page) -> None:
    open_widget(page)
    for question in ("2018年青海省的最低工资标准是多少？", "青海省2018年最低工资标准是多少？"):
        expect(ask(page, question)).to_have_class(re.compile(r"\bnot-found\b"))
    log_in(console)
    console.get_by_role("tab", name="未解决问题").click()
    group = console.locator("#unanswered-list li", has_text="最低工资").first
    assert int(group.locator(".count").inner_text()) >= 2
    group.get_by_role("button", name=re.compile("^测试")).click()
    expect(console.get_by_role("tab", name="命中测试")).to_have_attribute("aria-selected", "true")
    expect(console.locator('[data-mode="hybrid"] li').first).to_be_visible()
    expect(console.get_by_label("测试问题")).to_have_value(re.compile("最低工资"))


def test_console_paints_and_lists_the_documents(console: Page, shots: Path) -> None:
    console.add_init_script(f"sessionStorage.setItem('govqa-admin-key', {ADMIN_KEY!r})")
    console.goto("/admin")
    rows = console.locator("#doc-table tbody tr")
    expect(rows.first).to_be_visible()
    # Paint time is a benchmark figure (README), not a test bound; the page must have painted.
    paint = console.evaluate(
        "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0] || null"
    )
    assert paint is not None
    assert rows.count() >= 7
    expect(rows.first.locator("td").nth(4)).to_have_text(re.compile(r"现行有效|已废止|已修订|已失效|尚未施行"))
    console.get_by_role("button", name="日期").click()
    console.screenshot(path=shots / "console.png", clip={"x": 0, "y": 0, "width": 1280, "height": 500})
    print(f"console first contentful paint {paint:.0f} ms")


def test_lifecycle_and_visibility_are_edited_in_the_console(console: Page) -> None:
    log_in(console)
    row = console.locator("#doc-table tbody tr", has_text="青政人〔2017〕7号")
    expect(row.locator("td").nth(5)).to_have_text("所有人")

    def edit(status: str, visibility: str) -> None:
        row.get_by_role("button", name=re.compile("^修改")).click()
        console.get_by_label("状态", exact=True).select_option(status)
        console.get_by_label(re.compile("^可见范围")).fill(visibility)
        console.get_by_role("button", name="保存").click()
        expect(console.locator("#notice")).to_contain_text("已保存")

    edit("已废止", "组织部，人社厅")
    expect(row.locator("td").nth(4)).to_have_text("已废止")
    expect(row.locator("td").nth(5)).to_have_text("组织部、人社厅")
    edit("现行有效", "")  # back as it was, for the other tests of the session
    expect(row.locator("td").nth(4)).to_have_text("现行有效")
    expect(row.locator("td").nth(5)).to_have_text("所有人")
