"""The outbox's timings as the settings' comment and the docs state them, on a frozen clock (no sleeping): the
retry schedule of an e-mail that keeps failing, and when an e-mail claimed by a worker killed with kill -9 in the
middle of sending goes out again (helpdesk.outbox.CLAIM_LEASE: 5 min after the claim, at beat's next drain)."""

import datetime as dt
import itertools
from pathlib import Path

import pytest
import time_machine
from django.core import mail

from helpdesk import outbox, tasks
from helpdesk.models import OutboxMessage

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 7, 11, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[1]
SCHEDULE = "30 s, then 1, 2, 4, 8, 16 and 32 min"  # the words the settings' comment and the docs use


def _smtp_away(message):
    raise ConnectionError("SMTP away")


class Killed(BaseException):
    """The worker's process gone in the middle of sending (kill -9): nothing after it runs, not even the
    outbox's own `except Exception` that records a failed attempt."""


def test_an_email_that_keeps_failing_is_tried_8_times_over_63_and_a_half_minutes(settings, monkeypatch):
    settings.OUTBOX_MAX_ATTEMPTS = 8
    monkeypatch.setitem(outbox.DELIVERERS, OutboxMessage.Kind.EMAIL, _smtp_away)
    with time_machine.travel(NOON, tick=False) as clock:
        message = outbox.enqueue_email(to=["a@example.pl"], subject="T", body="B")
        tried_at = []
        while message.failed_at is None:
            clock.move_to(message.next_attempt_at - dt.timedelta(seconds=1))
            assert outbox.drain() == 0 and OutboxMessage.objects.get(pk=message.pk).attempts == len(tried_at)
            clock.move_to(message.next_attempt_at)
            tried_at.append(message.next_attempt_at)
            outbox.drain()
            message.refresh_from_db()
    waits = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(tried_at)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920]  # outbox.backoff(1…7); its 1 h cap comes only after the 8th
    assert message.attempts == 8 and message.failed_at - NOON == dt.timedelta(minutes=63, seconds=30)
    assert outbox.backoff(8) == outbox.MAX_BACKOFF == dt.timedelta(hours=1)


def test_the_settings_comment_and_the_docs_state_that_schedule():
    settings_source = (ROOT / "helpdesk" / "settings.py").read_text()
    assert SCHEDULE in settings_source and "63.5 min" in settings_source
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert SCHEDULE in operations and "63.5 min" in operations
    assert SCHEDULE in (ROOT / "docs" / "faults.md").read_text()
    assert "about 2 hours" not in settings_source


def test_an_email_claimed_by_a_worker_killed_while_sending_goes_out_5_minutes_after_the_claim(settings, monkeypatch):
    """docs/faults.md: the row stays claimed until CLAIM_LEASE (5 min) after the claim; beat's drain, every
    OUTBOX_DRAIN_SECONDS, sends it at its first tick after that (here ticks at :03, :13, … past the claim's
    minute). The broker's redelivery of the task, or another worker, does not send it earlier."""
    assert dt.timedelta(minutes=5) == outbox.CLAIM_LEASE
    drain_every = dt.timedelta(seconds=settings.OUTBOX_DRAIN_SECONDS)
    sending = {"calls": 0}
    real = outbox.DELIVERERS[OutboxMessage.Kind.EMAIL]

    def killed_the_first_time(message):
        sending["calls"] += 1
        if sending["calls"] == 1:
            raise Killed
        real(message)

    monkeypatch.setitem(outbox.DELIVERERS, OutboxMessage.Kind.EMAIL, killed_the_first_time)
    with time_machine.travel(NOON, tick=False) as clock:
        held = outbox.enqueue_email(to=["a@example.pl"], subject="Trzymana", body="B")
        waiting = outbox.enqueue_email(to=["b@example.pl"], subject="Czekająca", body="B")
        with pytest.raises(Killed):  # one task for both (a batch), the worker dies sending the first
            tasks.dispatch_outbox_many([held.pk, waiting.pk])
        assert outbox.dispatch(held.pk) is False and mail.outbox == []  # the task redelivered: still claimed
        tick = NOON + dt.timedelta(seconds=3)
        clock.move_to(tick)
        assert outbox.drain() == 1 and [m.subject for m in mail.outbox] == ["Czekająca"]  # never claimed: at once
        sent_at = None
        while sent_at is None:
            tick += drain_every
            clock.move_to(tick)
            if outbox.drain():
                sent_at = tick
    assert [m.subject for m in mail.outbox] == ["Czekająca", "Trzymana"]
    assert NOON + outbox.CLAIM_LEASE <= sent_at < NOON + outbox.CLAIM_LEASE + drain_every
    held.refresh_from_db()
    assert held.attempts == 1 and held.sent_at == sent_at  # the killed attempt is not counted


def test_the_docs_say_when_a_killed_workers_email_goes_out():
    faults = (ROOT / "docs" / "faults.md").read_text()
    assert "5 min after the worker claimed it" in faults
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "5 min after the claim" in operations
