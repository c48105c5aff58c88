"""Helpers for the e-mail channel's tests: the shared corpora and small messages made on the spot."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI

HERE = Path(__file__).parent
POLISH = HERE / "mail"
CORPUS = HERE.parent.parent / "shared" / "corpus"


def corpus(sub: str) -> Path:
    """A folder of ../shared/corpus; skipped locally when absent, a failure under CI=true."""
    path = CORPUS / sub
    if not path.is_dir():
        message = f"corpus folder {path} is missing (see ../shared/corpus/README.md)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


class _RubyLoader(yaml.SafeLoader):
    pass


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_RubyLoader.add_multi_constructor("!ruby/", _any_tag)
_RubyLoader.add_constructor("!binary", lambda loader, node: base64.b64decode(loader.construct_scalar(node)))


def zammad_expectation(path: Path) -> dict:
    with path.open("rb") as handle:
        return yaml.load(handle, Loader=_RubyLoader)  # noqa: S506 (a SafeLoader subclass)


def message(
    *,
    subject="Pytanie o MZ-88",
    sender="Jan Nowak <jan.nowak@przychodnia.example.pl>",
    to="pomoc-ssoz@localhost",
    message_id="<m1@przychodnia.example.pl>",
    body="Dzień dobry,\nnie mogę złożyć sprawozdania.\n",
    headers: dict | None = None,
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "Date: Mon, 3 Mar 2025 10:00:00 +0100"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()
