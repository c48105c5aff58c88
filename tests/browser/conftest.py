"""Browser tests against a live server: walks in both real browsers (Debian's chromium and firefox-esr, driven by
puppeteer-core through tests/browser/runner.py: fixtures `tab` and `open_tab`), and older tests on Chromium alone
through Playwright (fixtures `browser` and `page`). See tests/browser/README.md."""

import os
import shutil

import pytest

from tests.conftest import need_server

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


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def daphne_server(transactional_db):
    """The real ASGI server (daphne) in its own process, on the test database: HTTP and websockets."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings", "DATABASE_URL": _database_url()}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"daphne exited: {process.stdout.read().decode()[-2000:]}")
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("daphne did not start within 30 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


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
    """open_tab(viewport=None) -> a new Tab (one more person) in the browser under test; closed after the test."""
    from tests.browser.runner import Browser, missing

    reason = missing(browser_name)
    need_server(browser_name, reason is None, reason or "")
    if browser_name not in _browsers:
        _browsers[browser_name] = Browser(browser_name)
    browser = _browsers[browser_name]
    opened = []

    def open_(viewport: dict | None = None):
        opened.append(browser.open_tab(viewport))
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
