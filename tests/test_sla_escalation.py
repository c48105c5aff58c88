"""The beat scan warns before the due time and acts on a breach exactly once, and never mails outside the
calendar's hours unless the queue asks for it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from helpdesk.models import OutboxMessage, Role, User
from tests.ticket_requests import new_entry
from tickets import actions, escalation, sla
from tickets.models import Priority, SlaPolicy, SlaTimer, Status, TicketEvent

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WARSAW)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WARSAW)


@pytest.fixture
def clock():
    """The wall clock, frozen on Monday 30 November 2026 at 09:00 and moved by each scan: the outbox holds
    mail against the real clock, so the scan must run at the moment it is told."""
    with time_machine.travel(MONDAY_9, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scan(clock):
    def run(*moment) -> int:
        now = at(*moment)
        clock.move_to(now)
        return escalation.escalate(now)

    return run


@pytest.fixture
def lead(db) -> User:
    return User.objects.create_user(username="lider", email="lider@example.gov.pl", role=Role.AGENT)


@pytest.fixture
def ticket(clock, open_email_ticket, central, alice, lead):
    central.lead = lead
    central.save(update_fields=["lead"])
    ticket = open_email_ticket(central)
    actions.assign(actor=None, ticket=ticket, assignee=alice)
    SlaTimer.objects.filter(ticket=ticket).delete()
    sla.sync(ticket, MONDAY_9)  # first response due Tuesday 09:00, warning at Monday's close
    OutboxMessage.objects.all().delete()
    return ticket


def escalation_events(ticket) -> list[tuple[str, str]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_")
        .order_by("id")
        .values_list("kind", "data__timer")
    )


def test_nothing_happens_before_the_warning_time(ticket, scan):
    assert scan(2026, 11, 30, 15, 0) == 0
    assert escalation_events(ticket) == []


def test_the_warning_is_logged_once_and_its_mail_waits_for_working_hours(ticket, alice, lead, scan):
    assert scan(2026, 11, 30, 16, 30) == 1
    assert scan(2026, 11, 30, 16, 31) == 0  # the next beat: no repeat
    assert escalation_events(ticket) == [("sla_warning", "first_response")]
    mail = OutboxMessage.objects.get()
    assert sorted(mail.payload["to"]) == [alice.email, lead.email]
    assert mail.next_attempt_at == at(2026, 12, 1, 8, 0)  # not at 16:30, after closing time


def test_a_queue_that_asks_for_it_gets_escalation_mail_outside_hours(ticket, scan):
    ticket.queue.escalate_outside_hours = True
    ticket.queue.save(update_fields=["escalate_outside_hours"])
    scan(2026, 11, 30, 18, 0)
    assert OutboxMessage.objects.get().next_attempt_at == at(2026, 11, 30, 18, 0)


def test_a_breach_is_logged_once_raises_the_priority_and_may_reassign_to_the_lead(ticket, lead, scan):
    SlaPolicy.objects.update(breach_reassign_to_lead=True)
    scan(2026, 11, 30, 16, 30)
    assert scan(2026, 12, 1, 9, 0) == 1
    for minute in (1, 2, 3):
        assert scan(2026, 12, 1, 9, minute) == 0
    assert escalation_events(ticket) == [("sla_warning", "first_response"), ("sla_breached", "first_response")]
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    assert ticket.assignee == lead
    first = SlaTimer.objects.get(ticket=ticket, kind="first_response")
    assert first.breached_at == at(2026, 12, 1, 9, 0) and first.next_check_at is None


def test_the_scan_only_reads_timers_whose_moment_has_come(ticket, django_assert_num_queries, scan):
    ticket.status = Status.CLOSED
    sla.sync(ticket, at(2026, 11, 30, 10, 0))
    assert not SlaTimer.objects.filter(ticket=ticket, next_check_at__isnull=False).exists()
    with django_assert_num_queries(1):
        assert scan(2026, 12, 31, 9, 0) == 0


def test_a_reply_before_the_due_time_prevents_the_breach(ticket, alice, scan):
    actions.add_entries([new_entry(ticket=ticket, kind="outbound", body_text="Odpowiadamy.")], actor=alice)[0]
    scan(2026, 12, 1, 9, 30)
    assert ("sla_breached", "first_response") not in escalation_events(ticket)


def test_the_beat_schedule_runs_the_scan_through_a_thin_task(ticket):
    from django.conf import settings

    from tickets import tasks

    assert settings.CELERY_BEAT_SCHEDULE["sla-escalation"]["task"] == "tickets.tasks.escalate_sla"
    SlaTimer.objects.filter(ticket=ticket).delete()
    sla.sync(ticket, at(2020, 1, 7, 9, 0))  # clocks started long ago: both are past due and past warning
    assert tasks.escalate_sla() == 2
    assert tasks.escalate_sla() == 0
