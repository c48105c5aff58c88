"""Hostile values in the headers of incoming mail (tests/hostile.py: NUL bytes, other digits, lone surrogates as
invalid UTF-8, encoded words that hide a NUL or an address) never break ingestion: the message becomes a ticket,
an entry or a quarantined row, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox_ingest import actions
from inbox_ingest.models import Mailbox, RawMessage
from tests import hostile

pytestmark = pytest.mark.django_db

HEADERS = ["From", "Reply-To", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Date"]


def _encoded_word(text: str) -> str:
    data = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()
    return f"=?utf-8?b?{data}?="


header_value = st.one_of(hostile.hostile_text, hostile.hostile_text.map(_encoded_word))


def _raw(headers: dict[str, str], body: str = "Dzień dobry, pytanie.") -> bytes:
    fields = {
        "From": "Jan Nowak <jan.nowak@przychodnia.example.pl>",
        "To": "pomoc-14@localhost",
        "Subject": "Pytanie o MZ-88",
        "Message-ID": "<m1@przychodnia.example.pl>",
        "Date": "Mon, 3 Mar 2025 10:00:00 +0100",
    }
    fields.update({name: " ".join(value.split()) for name, value in headers.items()})
    lines = [f"{name}: {value}" for name, value in fields.items()]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode("utf-8", "surrogatepass")


def test_hostile_mail_headers_never_break_ingestion(queue_14, run_on_commit):
    mailbox = Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    actions._OWN_CACHE.clear()
    uids = iter(range(1, 10**6))

    @given(st.dictionaries(st.sampled_from(HEADERS), header_value, min_size=1, max_size=3))
    def attempt(headers):
        row, _new = actions.store(raw=_raw(headers), mailbox=mailbox, uid=next(uids), uidvalidity=1)
        result = run_on_commit(actions.process, row.pk)
        assert result.outcome, headers
        assert RawMessage.objects.filter(pk=row.pk).exists()

    attempt()


@pytest.mark.parametrize("body", ["Dzień dobry\x00, pytanie.", "\ud800 zła sekwencja", "=?utf-8?q?a=00b?="])
def test_a_hostile_body_never_breaks_ingestion(queue_14, run_on_commit, body):
    mailbox = Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    actions._OWN_CACHE.clear()
    row, _new = actions.store(raw=_raw({}, body), mailbox=mailbox, uid=1, uidvalidity=1)
    result = run_on_commit(actions.process, row.pk)
    assert result.outcome == "created" and result.ticket
