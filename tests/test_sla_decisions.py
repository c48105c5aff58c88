"""tickets.sla decides and the caller writes: decide() reads nothing, writes nothing and changes nothing it is
given; apply() writes exactly what was decided, and nothing when nothing moved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tickets import sla
from tickets.models import SlaTimer, Status

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WARSAW)
MONDAY_11 = dt.datetime(2026, 11, 30, 11, 0, tzinfo=WARSAW)
State = SlaTimer.State


def stored(ticket) -> dict[str, SlaTimer]:
    return {timer.kind: timer for timer in SlaTimer.objects.filter(ticket=ticket)}


@pytest.fixture
def ticket(open_email_ticket, central):
    """A ticket whose two clocks run since Monday 30 Nov 2026 09:00 (default policy: 8 h / 40 h)."""
    ticket = open_email_ticket(central)
    SlaTimer.objects.filter(ticket=ticket).delete()
    sla.sync(ticket, MONDAY_9)
    ticket.queue.calendar.schedule()  # the compiled calendar is cached per process; read it before counting
    return ticket


def test_deciding_reads_writes_and_changes_nothing_until_the_decision_is_applied(ticket, django_assert_num_queries):
    current, policy = stored(ticket), sla.policy_for(ticket)
    given = {kind: (timer.state, timer.consumed_seconds, timer.due_at) for kind, timer in current.items()}
    due_before = ticket.sla_due_at
    ticket.status, ticket.first_response_at = Status.WAITING_CUSTOMER, MONDAY_11

    with django_assert_num_queries(0):
        decision = sla.decide(ticket, MONDAY_11, policy, current)

    assert {kind: (t.state, t.consumed_seconds, t.due_at) for kind, t in current.items()} == given
    assert ticket.sla_due_at == due_before
    assert {timer.kind: timer.state for timer in decision.timers} == {
        "first_response": State.DONE,
        "resolution": State.PAUSED,
    }
    moved = {timer.kind: fields for timer, fields in decision.changed}
    assert {"state", "consumed_seconds", "due_at", "next_check_at"} <= set(moved["resolution"])
    assert decision.new == () and decision.sla_due_at is None
    assert stored(ticket)["resolution"].state == State.RUNNING  # nothing written yet

    sla.apply([decision])
    paused = stored(ticket)["resolution"]
    assert (paused.state, paused.consumed_seconds, paused.due_at) == (State.PAUSED, 2 * 3600, None)
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None


def test_a_message_on_running_clocks_decides_nothing_to_write(ticket, django_assert_num_queries):
    decision = sla.decide(ticket, MONDAY_11, sla.policy_for(ticket), stored(ticket))
    assert decision.new == () and decision.changed == ()
    with django_assert_num_queries(0):
        sla.apply([decision])


def test_a_ticket_without_clocks_gets_new_ones_only_when_applied(ticket, django_assert_num_queries):
    SlaTimer.objects.filter(ticket=ticket).delete()
    policy = sla.policy_for(ticket)
    with django_assert_num_queries(0):
        decision = sla.decide(ticket, MONDAY_9, policy, {})
    assert sorted(timer.kind for timer in decision.new) == ["first_response", "resolution"]
    assert all(timer.pk is None for timer in decision.new) and not stored(ticket)
    sla.apply([decision])
    assert sorted(stored(ticket)) == ["first_response", "resolution"]
