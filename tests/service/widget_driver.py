"""Driving the chat widget and the admin console from browser tests (shared by the browser test modules)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

ANSWER_TIMEOUT_MS = 60_000
ADMIN_KEY = "test-admin-key"  # tests/conftest.py test_settings


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


def log_in(console: Page) -> None:
    """Open the console and enter the admin key with the keyboard."""
    console.goto("/admin")
    console.get_by_label("管理密钥（ADMIN_API_KEY）").fill(ADMIN_KEY)
    console.keyboard.press("Enter")
    console.get_by_role("tablist", name="控制台栏目").wait_for(state="visible")
