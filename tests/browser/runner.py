"""Real browsers for the walks: Debian's chromium and firefox-esr, each driven by puppeteer-core in a node process
(tests/browser/driver.mjs) that pytest talks to over a pipe, one JSON line per command. The test itself stays
in Python: it prepares the data, walks the pages through a `Tab`, and checks the database afterwards.

Every page a tab arrives at (`goto`, `click(..., navigates=True)`, `reload`) must answer the expected status
(200 unless told) and pass axe-core: no serious or critical WCAG 2.1 A/AA violation. A failure says which page,
with its text or the violations. See tests/browser/README.md for how to write a walk."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.clock_env import real_clock_env

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "driver.mjs"
PUPPETEER = HERE / "node_modules" / "puppeteer-core" / "package.json"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"

BROWSERS = ("chromium", "firefox")
EXECUTABLES = {
    "chromium": os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser") or "",
    "firefox": os.environ.get("FIREFOX_PATH") or shutil.which("firefox-esr") or shutil.which("firefox") or "",
}
INSTALL = {"chromium": "apt-get install chromium", "firefox": "apt-get install firefox-esr"}

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}

STARTUP_SECONDS = 90  # Firefox makes a new profile at start: ~12 s on an idle machine, more under the suite's load


class BrowserError(RuntimeError):
    """The browser (or the driver) could not do what was asked: the message carries puppeteer's reason."""


class PageProblem(AssertionError):
    """A page the walk arrived at answered the wrong status or failed axe-core."""


def missing(name: str) -> str | None:
    """Why `name` cannot run here (None when it can): the reason need_server() reports."""
    if not EXECUTABLES[name]:
        return f"{name} not installed ({INSTALL[name]})"
    if not shutil.which("node"):
        return "node not installed (apt-get install nodejs npm)"
    if not PUPPETEER.exists() or not AXE.exists():
        return "puppeteer-core/axe-core not installed (cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci)"
    return None


class Browser:
    """One browser in its node driver, started on first use and shared by the tests of one pytest worker."""

    def __init__(self, name: str):
        self.name = name
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix=f"browser-{name}-", suffix=".log")[1])
        self.version = ""
        self._ids = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [shutil.which("node") or "node", str(DRIVER), self.name, EXECUTABLES[self.name]],
                cwd=HERE,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # Debian's chromium wrapper breaks under libfaketime (CI's pass a year ahead): the browsers run on
                # real time, the server and the test on the faked one.
                env=real_clock_env(),
            )
        self.version = self._answer(0, time.monotonic() + STARTUP_SECONDS)["version"]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.process.stdin.close()
            self.process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process = None

    def call(self, cmd: str, timeout: float = 10.0, **arguments):
        """Run one driver command; `timeout` (seconds) bounds both puppeteer's wait and ours."""
        if not self.alive():
            self.start()
        self._ids += 1
        message = {"id": self._ids, "cmd": cmd, "timeout": int(timeout * 1000), **arguments}
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()
        return self._answer(self._ids, time.monotonic() + timeout + 30)

    def _answer(self, expected_id: int, deadline: float):
        stdout = self.process.stdout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stdout], [], [], remaining)[0]:
                self.process.kill()
                raise BrowserError(f"{self.name} did not answer in time\n{self.log_tail()}")
            line = stdout.readline()
            if not line:
                raise BrowserError(f"{self.name} driver exited ({self.process.wait()})\n{self.log_tail()}")
            answer = json.loads(line)
            if answer["id"] != expected_id:
                continue  # the answer to a command whose wait already failed
            if not answer["ok"]:
                raise BrowserError(answer["error"])
            return answer["result"]

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def open_tab(self, viewport: dict | None = None, script: str | None = None) -> Tab:
        """A new tab; `script` (JavaScript source) runs in each of its documents before the page's own scripts."""
        viewport = viewport or DESKTOP
        return Tab(self, self.call("open", width=viewport["width"], height=viewport["height"], script=script))


@dataclass
class Response:
    status: int | None
    url: str
    headers: dict = field(default_factory=dict)


class Tab:
    """One person at one browser: a tab in a browser context of its own (own cookies, nothing shared).

    `target` is a puppeteer selector: CSS (`"#id_body"`, `"button[type=submit]"`), the accessible name
    (`"::-p-aria(Nazwa użytkownika)"`, `"::-p-aria([name='Zaloguj'][role='button'])"`) or text
    (`"::-p-text(Wyślij zgłoszenie)"`); the helpers `label()`, `button()`, `link()` below write them."""

    def __init__(self, browser: Browser, tab_id: int):
        self.browser = browser
        self.id = tab_id
        self.name = browser.name  # "chromium" or "firefox"
        self.visited: list[str] = []  # every page arrived at, in order (each one passed axe-core)
        self.languages: dict[str, str] = {}  # page → its <html lang>, for interface_not_in()

    def _call(self, cmd: str, timeout: float = 10.0, **arguments):
        return self.browser.call(cmd, timeout=timeout, tab=self.id, **arguments)

    # --- arriving at a page: the status and axe-core are checked on each ----------------------------------------

    def goto(self, url: str, *, status: int | None = 200, axe: bool = True, timeout: float = 15.0) -> Response:
        return self._arrived(Response(**self._call("goto", url=url, timeout=timeout)), status, axe, f"GET {url}")

    def click(
        self, target: str, *, navigates: bool = False, status: int | None = 200, axe: bool = True, timeout=15.0
    ) -> Response | None:
        """Click; with `navigates=True` (a link, a submit button) wait for the next page and check it."""
        found = self._call("click", target=target, navigates=navigates, timeout=timeout)
        if not navigates:
            return None
        return self._arrived(Response(**found), status, axe, f"click {target}")

    def reload(self, *, status: int | None = 200, axe: bool = True) -> Response:
        return self._arrived(Response(**self._call("reload", timeout=15.0)), status, axe, "reload")

    def _arrived(self, response: Response, status: int | None, axe: bool, how: str) -> Response:
        if status is not None and response.status != status:
            raise PageProblem(
                f"[{self.name}] {how} → {response.url} answered {response.status}, expected {status}:\n"
                + self.text()[:1500]
            )
        self.visited.append(response.url)
        self.languages[response.url] = self.evaluate("() => document.documentElement.lang")
        self.check_content_security_policy(f"{how} → {response.url}")
        if axe:
            self.check_accessibility(f"{how} → {response.url}")
        return response

    def check_content_security_policy(self, where: str = "") -> None:
        """Nothing the page tried (scripts, styles, images, websockets) was refused by its Content-Security-Policy."""
        if found := self.evaluate("() => window.__cspViolations || []"):
            raise PageProblem(f"[{self.name}] Content-Security-Policy refused on {where or self.url}: {found}")

    def check_accessibility(self, where: str = "") -> None:
        """axe-core on the page as it is now (call it after a change made without navigating, e.g. shown errors)."""
        if found := self._call("axe", timeout=30.0):
            raise PageProblem(f"[{self.name}] axe-core on {where or self.url}: {json.dumps(found, ensure_ascii=False)}")

    # --- doing things on the page -------------------------------------------------------------------------------

    def fill(self, target: str, value: str, timeout: float = 10.0) -> None:
        self._call("fill", target=target, value=value, timeout=timeout)

    def check(self, target: str, checked: bool = True) -> None:
        self._call("check", target=target, checked=checked)

    def upload(self, target: str, *paths: str | Path) -> None:
        self._call("upload", target=target, paths=[str(Path(p).resolve()) for p in paths])

    def type(self, text: str) -> None:
        """Type `text` key by key where the focus is, after what is there (fill() replaces it)."""
        self._call("type", text=text, timeout=30.0)

    def press(
        self, key: str, target: str | None = None, *, navigates: bool = False, status: int | None = 200, axe=True,
        timeout: float = 15.0,
    ) -> Response | None:  # fmt: skip
        """Press a key or a chord ("Enter", "Control+Enter") in `target` (focused first) or where the focus is; with
        `navigates=True` (a form sent from the keyboard) wait for the next page and check it, as click() does."""
        found = self._call("press", key=key, target=target, navigates=navigates, timeout=timeout)
        if not navigates:
            return None
        return self._arrived(Response(**found), status, axe, f"press {key}")

    def wait(self, target: str, *, hidden: bool = False, timeout: float = 10.0) -> None:
        self._call("wait", target=target, hidden=hidden, timeout=timeout)

    def wait_until(self, function_source: str, *args, timeout: float = 10.0) -> None:
        """Wait until a JavaScript function called in the page returns a true value (as evaluate() calls it)."""
        self._call("until", source=function_source, args=list(args), timeout=timeout)

    def dialogs(self, *, accept: bool | None = None) -> list[dict]:
        """The alert/confirm/prompt dialogs shown since the last call ([{"type", "message"}]); they are accepted
        unless `accept=False` was given (that answer holds for the next ones, until changed)."""
        return self._call("dialogs", accept=accept)

    # --- reading the page ---------------------------------------------------------------------------------------

    def text(self, target: str = "body", timeout: float = 10.0) -> str:
        return self._call("text", target=target, timeout=timeout)

    def count(self, target: str) -> int:
        return self._call("count", target=target)

    def attribute(self, target: str, name: str) -> str | None:
        return self._call("attribute", target=target, attribute=name)

    @property
    def url(self) -> str:
        return self._call("url")

    def content(self) -> str:
        return self._call("content")

    def evaluate(self, function_source: str, *args):
        """Call a JavaScript function in the page: tab.evaluate("(a, b) => a + b", 1, 2)."""
        return self._call("evaluate", source=function_source, args=list(args))

    def screenshot(self, path: str | Path) -> str:
        return self._call("screenshot", path=str(path), timeout=30.0)

    def close(self) -> None:
        if self.browser.alive():
            self._call("close")

    # --- what people do on every walk ---------------------------------------------------------------------------

    def log_in(self, base_url: str, username: str, password: str, *, status: int | None = 200) -> Response:
        """The staff login form (/login/), by the fields' ids: it works whatever the interface language."""
        self.goto(f"{base_url}/login/")
        self.fill("#id_username", username)
        self.fill("#id_password", password)
        return self.click("form button[type=submit]", navigates=True, status=status)

    def interface_not_in(self, language: str) -> dict[str, str]:
        """The pages visited whose interface (<html lang>) was not `language`: {url: lang}."""
        return {url: lang for url, lang in self.languages.items() if lang != language}


def label(name: str) -> str:
    """A form field by its label (the accessible name, exact)."""
    return f"::-p-aria({_quoted(name)})"


def button(name: str) -> str:
    return f"::-p-aria([name={_quoted(name)}][role='button'])"


def link(name: str) -> str:
    return f"::-p-aria([name={_quoted(name)}][role='link'])"


def text(words: str) -> str:
    """The smallest element containing `words`."""
    return f"::-p-text({_quoted(words)})"


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
