"""SLA clocks count working time of the queue's calendar, pause while the ticket waits for the customer,
resume when they answer, stop on the first response and the resolution, and follow the policy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.ticket_requests import new_entry
from tickets import actions, sla
from tickets.models import Priority, SlaPolicy, SlaTimer, Status

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WARSAW)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WARSAW)


def timers(ticket) -> dict[str, SlaTimer]:
    return {timer.kind: timer for timer in SlaTimer.objects.filter(ticket=ticket)}


@pytest.fixture
def ticket(open_email_ticket, central):
    """A ticket whose clocks started on Monday 30 Nov 2026 at 09:00 (default policy: 8 h / 40 h)."""
    ticket = open_email_ticket(central)
    SlaTimer.objects.filter(ticket=ticket).delete()
    sla.sync(ticket, MONDAY_9)
    return ticket


def test_opening_a_ticket_starts_both_clocks_with_due_times_in_working_time(open_email_ticket, central):
    ticket = open_email_ticket(central)
    clocks = timers(ticket)
    schedule = central.calendar.schedule()
    assert clocks["first_response"].due_at == schedule.add(ticket.created_at, dt.timedelta(hours=8))
    assert clocks["resolution"].due_at == schedule.add(ticket.created_at, dt.timedelta(hours=40))
    assert clocks["first_response"].state == SlaTimer.State.RUNNING


def test_due_times_follow_the_default_policy_from_monday_morning(ticket):
    clocks = timers(ticket)
    assert clocks["first_response"].due_at == at(2026, 12, 1, 9, 0)  # 8 working hours later
    assert clocks["resolution"].due_at == at(2026, 12, 7, 9, 0)  # 40 working hours = 5 working days
    # the warning 1 working hour before: the end of Monday (the same working moment as Tuesday 08:00)
    assert clocks["first_response"].next_check_at == at(2026, 11, 30, 16, 0)


def test_waiting_for_the_customer_pauses_the_resolution_clock_and_their_answer_resumes_it(ticket):
    ticket.status, ticket.first_response_at = Status.WAITING_CUSTOMER, at(2026, 11, 30, 11, 0)
    sla.sync(ticket, at(2026, 11, 30, 11, 0))
    clocks = timers(ticket)
    assert clocks["first_response"].state == SlaTimer.State.DONE and clocks["first_response"].breached_at is None
    paused = clocks["resolution"]
    assert paused.state == SlaTimer.State.PAUSED and paused.consumed_seconds == 2 * 3600
    assert paused.due_at is None and paused.next_check_at is None  # the escalation scan never sees it

    ticket.status = Status.OPEN  # the customer answered on Thursday at 10:00
    sla.sync(ticket, at(2026, 12, 3, 10, 0))
    resumed = timers(ticket)["resolution"]
    assert resumed.state == SlaTimer.State.RUNNING
    # 38 working hours left: Thu 6 h, Fri 8, Mon 8, Tue 8, Wed 8 → Wednesday 9 Dec at 16:00
    assert resumed.due_at == at(2026, 12, 9, 16, 0)


def test_resolving_stops_the_clocks_and_reopening_continues_where_it_stopped(ticket):
    ticket.status, ticket.resolved_at = Status.RESOLVED, at(2026, 11, 30, 12, 0)
    sla.sync(ticket, at(2026, 11, 30, 12, 0))
    assert {timer.state for timer in timers(ticket).values()} == {SlaTimer.State.DONE}
    assert all(timer.next_check_at is None for timer in timers(ticket).values())
    ticket.status = Status.OPEN
    sla.sync(ticket, at(2026, 12, 1, 8, 0))
    resolution = timers(ticket)["resolution"]
    assert resolution.consumed_seconds == 3 * 3600
    assert resolution.due_at == at(2026, 12, 7, 13, 0)  # 37 h left from Tuesday 08:00


def test_a_higher_priority_switches_to_the_stricter_policy_keeping_the_time_already_used(ticket):
    ticket.priority = Priority.URGENT
    sla.sync(ticket, at(2026, 11, 30, 10, 0))
    first = timers(ticket)["first_response"]
    assert first.target_seconds == 2 * 3600
    assert first.due_at == at(2026, 11, 30, 11, 0)  # started 09:00, 2 working hours


def test_the_most_specific_policy_wins(central, open_email_ticket):
    SlaPolicy.objects.create(name="Centrala", queue=central, first_response_minutes=30, resolution_minutes=120)
    ticket = open_email_ticket(central)
    assert sla.policy_for(ticket).name == "Centrala"
    assert timers(ticket)["first_response"].target_seconds == 30 * 60


def test_the_first_reply_stops_the_first_response_clock_through_the_actions(open_email_ticket, central, alice):
    ticket = open_email_ticket(central)
    actions.add_entries([new_entry(ticket=ticket, kind="outbound", body_text="Dzień dobry, proszę…")], actor=alice)[0]
    clocks = timers(ticket)
    assert clocks["first_response"].state == SlaTimer.State.DONE
    assert clocks["resolution"].state == SlaTimer.State.PAUSED
    actions.add_entries(
        [new_entry(ticket=ticket, kind="inbound", body_text="Dziękuję, nadal nie działa.")], actor=None
    )[0]
    assert timers(ticket)["resolution"].state == SlaTimer.State.RUNNING


def test_agents_see_the_working_time_left(ticket):
    timer = timers(ticket)["first_response"]
    shown = sla.describe(timer, ticket.queue.calendar.schedule(), at(2026, 11, 30, 14, 45))
    assert shown["text"] == "zostało 2 h 15 min roboczych"
    shown = sla.describe(timer, ticket.queue.calendar.schedule(), at(2026, 12, 1, 10, 30))
    assert shown["text"] == "po terminie o 1 h 30 min roboczych" and shown["overdue"]


def test_a_calendar_without_policy_leaves_the_ticket_without_clocks(open_email_ticket, central):
    SlaPolicy.objects.update(is_active=False)
    ticket = open_email_ticket(central)
    assert not SlaTimer.objects.filter(ticket=ticket).exists()


def test_the_sync_sla_command_starts_clocks_for_open_tickets_that_have_none(open_email_ticket, central):
    from io import StringIO

    from django.core.management import call_command

    ticket = open_email_ticket(central)
    SlaTimer.objects.filter(ticket=ticket).delete()
    out = StringIO()
    call_command("sync_sla", stdout=out)
    assert set(timers(ticket)) == {"first_response", "resolution"}
    call_command("sync_sla", stdout=out)  # idempotent
    assert SlaTimer.objects.filter(ticket=ticket).count() == 2
    assert "open tickets aligned" in out.getvalue()
