"""Browser tests against a live server: walks in both real browsers (Debian's chromium and firefox-esr, driven by
puppeteer-core through tests/browser/runner.py: fixtures `tab` and `open_tab`). See tests/browser/README.md."""

import pytest

from tests.conftest import need_server

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
