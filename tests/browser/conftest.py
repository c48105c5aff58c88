"""Browser tests against a live server: walks in both real browsers (Debian's chromium and firefox-esr, driven by
puppeteer-core through tests/browser/runner.py: fixtures `tab` and `open_tab`), and older tests on Chromium alone
through Playwright (fixtures `browser` and `page`). See tests/browser/README.md."""

import os
import shutil

import pytest

from tests.conftest import need_server, real_clock_env

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser") or ""


@pytest.fixture
def browser(monkeypatch):
    """A fresh Chromium per test: Playwright's event loop must not outlive the test (async tests follow)."""
    need_server("Chromium", bool(CHROMIUM), "apt-get install chromium, or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread; the ORM calls made by the test itself are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            env=real_clock_env(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        # ORM calls made while Playwright's loop was running opened their own connection: close it,
        # or PostgreSQL refuses to drop the test database at the end ("being accessed by other users").
        from django.db import connections

        connections.close_all()
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(timezone_id="Europe/Warsaw", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# --- both browsers, through puppeteer-core (tests/browser/runner.py) ---------------------------------------------


@pytest.fixture(scope="session")
def _browsers():
    """The browsers of this pytest worker, each started on first use and kept for the session (Firefox takes
    ~12 s to start; a tab per test in a context of its own keeps the tests apart)."""
    from tests.browser.runner import Browser

    started: dict[str, Browser] = {}
    yield started
    for browser in started.values():
        browser.stop()


@pytest.fixture(params=["chromium", "firefox"])
def browser_name(request) -> str:
    """Parametrizes a test over both browsers: ids end in [chromium] and [firefox] (`-k firefox` runs one)."""
    return request.param


@pytest.fixture
def open_tab(browser_name, _browsers):
    """open_tab(viewport=None, script=None) -> a new Tab (one more person) in the browser under test; closed after
    the test. `script` runs in each document of the tab before the page's own scripts."""
    from tests.browser.runner import Browser, missing

    reason = missing(browser_name)
    need_server(browser_name, reason is None, reason or "")
    if browser_name not in _browsers:
        _browsers[browser_name] = Browser(browser_name)
    browser = _browsers[browser_name]
    opened = []

    def open_(viewport: dict | None = None, script: str | None = None):
        opened.append(browser.open_tab(viewport, script))
        return opened[-1]

    yield open_
    for tab in opened:
        try:
            tab.close()
        except Exception:  # a browser that died is started again by the next test
            browser.stop()


@pytest.fixture
def tab(open_tab):
    """A tab at 1280×900 in the browser under test (parametrized: every test using it runs in both browsers)."""
    return open_tab()
