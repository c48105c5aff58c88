"""The shared real-world corpora (../shared/corpus): no crash, Zammad's expectations, reply fixtures, TNEF."""

from __future__ import annotations

import os
import time
import unicodedata

import pytest

from inbox_ingest import quotes
from inbox_ingest.parsing import parse
from tests.mailtools import CORPUS, corpus, zammad_expectation


def _norm(text) -> str:
    return unicodedata.normalize("NFC", " ".join(str(text or "").split()))


def _zammad_cases():
    folder = corpus("zammad")
    for expectation in sorted(folder.glob("*.yml")):
        box = expectation.with_suffix(".box")
        if box.exists():
            yield box, zammad_expectation(expectation)


def test_every_zammad_message_parses_and_agrees_with_zammad_on_subject_sender_and_attachment_names():
    cases = list(_zammad_cases())
    assert len(cases) >= 100
    agree = {"subject": 0, "sender": 0, "attachments": 0}
    for box, expected in cases:
        message = parse(box.read_bytes())  # must not raise
        agree["subject"] += _norm(message.subject) == _norm(expected.get("subject"))
        expected_sender = (expected.get("from_email") or "").lower()
        agree["sender"] += not expected_sender or expected_sender == message.from_email
        # Zammad stores its HTML body as "message.html"; we keep that as the entry's HTML, not a file.
        names = {
            _norm(a.get("filename")) for a in expected.get("attachments") or [] if a.get("filename") != "message.html"
        }
        agree["attachments"] += names <= {_norm(a.filename) for a in message.attachments}
    rates = {field: count / len(cases) for field, count in agree.items()}
    assert all(rate >= 0.95 for rate in rates.values()), rates


def test_talon_standard_replies_show_the_expected_new_text_on_at_least_90_percent():
    folder = corpus("reply-quotes/talon/fixtures/standard_replies")
    cases = sorted(folder.glob("*.eml"))
    assert cases
    good = 0
    for path in cases:
        expected_file = path.with_name(path.stem + "_reply_text")
        expected = expected_file.read_text() if expected_file.exists() else "Hello"
        # we also fold the signature away ("Sent from my iPhone", "-- "): compare without it
        expected = "\n".join(quotes.strip_signature(expected.strip().split("\n")))
        good += _norm(parse(path.read_bytes()).visible_text) == _norm(expected)
    assert good / len(cases) >= 0.90, f"{good}/{len(cases)}"


def _text_fixtures():
    for sub in ("reply-quotes/crisp/fixtures", "reply-quotes/github/emails"):
        yield from sorted(corpus(sub).glob("*.txt"))


def test_plain_text_reply_fixtures_keep_the_first_line_and_fold_fast():
    """Crisp and GitHub fixtures: the new text starts where the message starts (the "tricky" ones keep their
    text), never comes out empty, and the 767 KB quoted history and the pathological case take milliseconds."""
    cases = list(_text_fixtures())
    assert len(cases) > 80
    for path in cases:
        text = path.read_text(errors="replace")
        started = time.perf_counter()
        visible = quotes.visible_text(text)
        assert time.perf_counter() - started < 2, path.name
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if first and not first.startswith(">") and not quotes.find_quote_start([first]):
            assert visible.strip(), path.name
            assert visible.lstrip().startswith(first[:20]) or first.startswith("--"), path.name


TNEF_NAMES = (
    sorted(name for name in os.listdir(CORPUS / "tnef") if name.endswith(".tnef"))
    if (CORPUS / "tnef").is_dir()
    else ["(missing)"]
)


@pytest.mark.parametrize("name", TNEF_NAMES)
def test_tnef_payloads_never_lose_the_message(name):
    import base64

    from tests.mailtools import message

    data = (corpus("tnef") / name).read_bytes()
    raw = message(body="x").replace(b"Content-Type: text/plain; charset=utf-8\r\n", b"")
    raw = raw.replace(b"Content-Transfer-Encoding: 8bit\r\n\r\nx", b"")
    raw += (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nW zalaczeniu.\r\n'
        b'--b\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(data)
        + b"--b--\r\n"
    )
    result = parse(raw)
    assert "W zalaczeniu." in result.text
    assert result.attachments or result.html or result.text.strip() != "W zalaczeniu."  # nothing dropped
    for attachment in result.attachments:
        assert attachment.filename and "/" not in attachment.filename


def test_reading_a_message_once_gives_the_same_parse_and_stored_headers_as_reading_it_twice():
    """parse_with_headers (the parsing workers) against parse + parse_headers_only, on every real message."""
    from inbox_ingest.parsing import parse_headers_only, parse_with_headers

    paths = sorted([*corpus("zammad").glob("*.box"), *corpus("django-helpdesk").rglob("*.eml")])
    paths += sorted(corpus("reply-quotes").rglob("*.eml"))
    assert len(paths) >= 130
    for path in paths:
        raw = path.read_bytes()
        assert parse_with_headers(raw) == (parse(raw), parse_headers_only(raw)), path.name
