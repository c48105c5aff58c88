"""Browser tests: real Chromium (Debian's package) driven by Playwright against a live server."""

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
    context = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
