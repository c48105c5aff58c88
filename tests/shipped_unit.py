"""The web process exactly as deploy/helpdesk-web@.service starts it: the template's ExecStart with the instance
(`%i`, the port) substituted, read by the tests (conftest.shipped_daphne_options) and the bench scripts, so that
what they run is what the unit runs."""

from __future__ import annotations

import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_UNIT = ROOT / "deploy" / "helpdesk-web@.service"
INSTANCES = ("8000", "8001")  # what the README, docs/operations.md and deploy/nginx.conf's upstream list


def web_command(port: int | str) -> list[str]:
    """The unit's ExecStart for the instance `port` (`%i` replaced), as a list of words."""
    (line,) = [line for line in WEB_UNIT.read_text().splitlines() if line.startswith("ExecStart=")]
    words = [word.replace("%i", str(port)) for word in shlex.split(line.removeprefix("ExecStart="))]
    assert words[0].endswith("/daphne") and words[-1] == "helpdesk.asgi:application", words
    return words


def web_command_here(port: int | str, daphne: str | Path) -> list[str]:
    """web_command with this checkout's daphne (`daphne`) for the unit's /srv/helpdesk/.venv/bin/daphne."""
    return [str(daphne), *web_command(port)[1:]]


def daphne_options() -> tuple[str, ...]:
    """The options the unit gives daphne, without its address, port and application."""
    words = web_command(0)[1:-1]
    options = []
    while words:
        word = words.pop(0)
        if word in ("-b", "--bind", "-p", "--port"):
            words.pop(0)  # the caller's own address and port
        else:
            options.append(word)
    return tuple(options)
