import pytest
from fastapi.testclient import TestClient

from service.app import create_app


@pytest.fixture(scope="module")
def client(test_settings, gazette_index):
    """The real app over the shared gazette index (read-only routes)."""
    with TestClient(create_app(test_settings)) as c:
        yield c


@pytest.fixture()
def writable_client(tmp_path, test_settings, gazette_index):
    """An app over a private copy of the index, for upload and delete."""
    from indexer.backends.local import LocalIndex

    settings = test_settings.model_copy(update={"index_dir": tmp_path / "idx", "store_dir": tmp_path / "store"})
    private = LocalIndex(settings.index_dir, settings, gazette_index.encoder)
    private.build(list(gazette_index.documents.values()), list(gazette_index.chunks))
    with TestClient(create_app(settings)) as c:
        yield c


# ---- one headless Chromium for every browser test of the session ----
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


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; missing is a failure in CI and a skip on a developer machine."""
    import os
    import shutil

    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI for the browser tests: apt-get install chromium")
        pytest.skip("Chromium not installed: sudo apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_service: str):
    """A fresh page on the demo site; fails the test on any uncaught script error."""
    context = browser.new_context(base_url=live_service, locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto("/")
    yield page
    context.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"
