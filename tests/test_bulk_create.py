"""helpdesk.bulk.create: the COPY path on PostgreSQL writes what bulk_create writes (SQLite: bulk_create itself)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk import bulk
from helpdesk.models import OutboxMessage
from inbox_ingest.models import RawMessage

pytestmark = pytest.mark.django_db


def test_rows_come_back_saved_with_their_keys_and_read_back_equal():
    when = timezone.now().replace(microsecond=0)
    messages = [
        OutboxMessage(
            kind=OutboxMessage.Kind.EMAIL,
            payload={"to": ["a@example.pl"], "subject": f"Zgłoszenie {n} — żółć", "nested": {"n": n}},
            next_attempt_at=when + dt.timedelta(minutes=n),
            last_error="tab\there\nnew line \\ backslash" if n == 1 else "",
        )
        for n in range(3)
    ]
    before = timezone.now()
    bulk.create(messages)
    assert all(message.pk for message in messages)
    assert len({message.pk for message in messages}) == 3
    assert all(not message._state.adding for message in messages)
    for n, message in enumerate(messages):
        stored = OutboxMessage.objects.get(pk=message.pk)
        assert stored.payload == {"to": ["a@example.pl"], "subject": f"Zgłoszenie {n} — żółć", "nested": {"n": n}}
        assert stored.next_attempt_at == when + dt.timedelta(minutes=n)
        assert stored.created_at >= before  # auto_now_add applied as bulk_create applies it
        assert stored.attempts == 0 and stored.sent_at is None
    assert OutboxMessage.objects.get(pk=messages[1].pk).last_error == "tab\there\nnew line \\ backslash"


def test_binary_content_round_trips():
    raw = bytes(range(256)) * 3
    rows = bulk.create([RawMessage(raw=raw, size=len(raw), sha256="a" * 64, source="test")])
    assert bytes(RawMessage.objects.get(pk=rows[0].pk).raw) == raw


def test_without_ids_the_rows_are_written_and_the_objects_stay_unnumbered():
    messages = [
        OutboxMessage(kind=OutboxMessage.Kind.PUSH, payload={"n": n}, next_attempt_at=timezone.now()) for n in range(4)
    ]
    bulk.create(messages, ids=False)
    assert sorted(row["n"] for row in OutboxMessage.objects.values_list("payload", flat=True)) == [0, 1, 2, 3]


def test_a_unique_violation_is_djangos_integrity_error_and_writes_nothing():
    from inbox_ingest.models import Mailbox
    from tickets.models import Queue

    box = Mailbox.objects.create(
        name="b", email_address="b@localhost", host="127.0.0.1", queue=Queue.objects.get(slug="centralna")
    )
    RawMessage.objects.create(mailbox=box, uidvalidity=1, uid=7, raw=b"x", size=1, sha256="b" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.create(
            [
                RawMessage(mailbox=box, uidvalidity=1, uid=8, raw=b"y", size=1, sha256="c" * 64),
                RawMessage(mailbox=box, uidvalidity=1, uid=7, raw=b"x", size=1, sha256="b" * 64),
            ]
        )
    assert RawMessage.objects.count() == 1


def test_an_empty_list_is_nothing():
    assert bulk.create([]) == []


def test_update_writes_what_save_with_update_fields_writes(central, open_email_ticket):
    """helpdesk.bulk.update: one UPDATE … FROM unnest() on PostgreSQL, executemany on SQLite; either way each row
    gets its own values, None included, and the fields not named stay as they were."""
    ticket = open_email_ticket(central)
    rows = bulk.create(
        [RawMessage(raw=b"x%d" % n, size=2, sha256=f"{n}" * 64, source="test", subject=f"s{n}") for n in range(3)]
    )
    when = timezone.now().replace(microsecond=0)
    for n, row in enumerate(rows):
        row.status, row.outcome = RawMessage.Status.DONE, RawMessage.Outcome.CREATED
        row.reason = "tab\there, 'quote' \"double\" {brace} \\ żółć" if n == 1 else ""
        row.oversized, row.attempts = n == 2, n
        row.ticket = ticket if n != 1 else None
        row.duplicate_of = rows[0] if n == 2 else None
        row.dedupe_key = f"mid:<{n}@x>" if n != 0 else None
        row.processed_at = when + dt.timedelta(seconds=n)
        row.subject = "not saved"
    bulk.update(rows, ["status", "outcome", "reason", "oversized", "attempts", "ticket", "duplicate_of",
                       "dedupe_key", "processed_at"])  # fmt: skip
    for n, row in enumerate(rows):
        stored = RawMessage.objects.get(pk=row.pk)
        assert (stored.status, stored.outcome, stored.reason) == (row.status, row.outcome, row.reason)
        assert (stored.oversized, stored.attempts, stored.processed_at) == (n == 2, n, when + dt.timedelta(seconds=n))
        assert stored.ticket_id == (ticket.pk if n != 1 else None)
        assert stored.duplicate_of_id == (rows[0].pk if n == 2 else None)
        assert stored.dedupe_key == (f"mid:<{n}@x>" if n else None)
        assert stored.subject == f"s{n}" and bytes(stored.raw) == b"x%d" % n


def test_update_of_nothing_is_nothing():
    assert bulk.update([], ["status"]) is None
