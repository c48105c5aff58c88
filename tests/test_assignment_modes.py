"""Queues assign new tickets by their mode: manual, round-robin, or fewest open tickets among the members who
work (not on leave, under the cap); a ticket whose assignee goes on leave returns to the queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.models import Role, StaffAbsence, User
from tickets import actions
from tickets.models import AssignmentMode

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(central):
    members = [User.objects.create_user(username=f"agent{n}", role=Role.AGENT) for n in range(3)]
    central.members.set(members)
    return members


def set_mode(queue, mode, cap=None):
    queue.assignment_mode, queue.max_open_per_member = mode, cap
    queue.save(update_fields=["assignment_mode", "max_open_per_member"])


def test_a_manual_queue_leaves_new_tickets_unassigned(open_email_ticket, central, team):
    assert open_email_ticket(central).assignee is None


def test_round_robin_takes_members_in_turn(open_email_ticket, central, team):
    set_mode(central, AssignmentMode.ROUND_ROBIN)
    assignees = [open_email_ticket(central).assignee for _ in range(4)]
    assert assignees == [team[0], team[1], team[2], team[0]]


def test_least_open_skips_members_on_leave_and_over_the_cap(open_email_ticket, central, team):
    set_mode(central, AssignmentMode.LEAST_OPEN, cap=1)
    today = timezone.localdate()
    StaffAbsence.objects.create(
        user=team[0], starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=30)
    )
    first, second, third = (open_email_ticket(central) for _ in range(3))
    assert (first.assignee, second.assignee) == (team[1], team[2])
    assert third.assignee is None  # everyone working is at the cap


def test_a_member_without_sight_of_the_queue_is_never_chosen(open_email_ticket, queue_14, celina, bob):
    queue_14.members.set([celina, bob])
    set_mode(queue_14, AssignmentMode.LEAST_OPEN)
    assert open_email_ticket(queue_14).assignee == bob


def test_tickets_of_someone_going_on_leave_return_to_the_queue(open_email_ticket, central, team):
    ticket = open_email_ticket(central)
    actions.assign(actor=None, ticket=ticket, assignee=team[1])
    today = timezone.localdate()
    StaffAbsence.objects.create(user=team[1], starts_on=today, ends_on=today)
    assert actions.return_tickets_of_absent_staff() == 1
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(kind="assigned", reason="nieobecność przydzielonej osoby").exists()


MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # Warsaw, working hours
SUNDAY_10 = MONDAY_10 - dt.timedelta(days=1)


def test_waiting_tickets_go_to_whoever_can_take_them_once_someone_can(open_email_ticket, central, team):
    set_mode(central, AssignmentMode.LEAST_OPEN, cap=1)
    first, _second, _third, fourth = (open_email_ticket(central) for _ in range(4))
    assert fourth.assignee is None  # everyone at the cap
    actions.change_status(actor=team[0], ticket=first, status="resolved")
    assert actions.assign_waiting_tickets(now=SUNDAY_10) == 0  # the queue's calendar is closed: nobody works
    assert actions.assign_waiting_tickets(now=MONDAY_10) == 1  # one place freed, the oldest waiting ticket
    fourth.refresh_from_db()
    assert fourth.assignee == team[0]
    event = fourth.events.filter(kind="assigned").get()
    assert event.actor is None and event.reason == "przydział automatyczny kolejki"
    assert actions.assign_waiting_tickets(now=MONDAY_10) == 0  # nothing left, nobody under the cap


def test_a_ticket_back_from_someone_on_leave_goes_to_a_colleague_at_work(open_email_ticket, central, team):
    set_mode(central, AssignmentMode.ROUND_ROBIN)
    ticket = open_email_ticket(central)
    assert ticket.assignee == team[0]
    StaffAbsence.objects.create(user=team[0], starts_on=MONDAY_10.date(), ends_on=MONDAY_10.date())
    assert actions.return_tickets_of_absent_staff(day=MONDAY_10.date()) == 1
    assert actions.assign_waiting_tickets(now=MONDAY_10) == 1
    ticket.refresh_from_db()
    assert ticket.assignee == team[1]  # the next in turn, not the one on leave


def test_a_manual_queue_keeps_its_waiting_tickets_for_people_to_take(open_email_ticket, central, team):
    ticket = open_email_ticket(central)
    assert actions.assign_waiting_tickets(now=MONDAY_10) == 0
    ticket.refresh_from_db()
    assert ticket.assignee is None
