"""Members' own working hours and closures of part of a day.

Round-robin and least-open skip a member outside their own days and hours (which narrow the queue calendar's;
empty = the calendar's), and a closure with a time range (e.g. an afternoon off) is taken out of working time,
so SLA due times move past it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from helpdesk.models import BusinessCalendar, CalendarClosure, Role, User
from tickets import assignment, sla
from tickets.models import AssignmentMode, SlaTimer

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WARSAW)


def agent(username: str, weekdays: str = "", starts=None, ends=None) -> User:
    user = User.objects.create_user(username=username, role=Role.AGENT, email=f"{username}@example.gov.pl")
    user.work_weekdays, user.work_starts_at, user.work_ends_at = weekdays, starts, ends
    user.full_clean(exclude=["password"])
    user.save(update_fields=["work_weekdays", "work_starts_at", "work_ends_at"])
    return user


@pytest.fixture
def team(central):
    """anna: calendar hours; beata: mornings 8–12; celestyna: Mon, Wed, Fri only."""
    members = [agent("anna"), agent("beata", starts=dt.time(8), ends=dt.time(12)), agent("celestyna", "0,2,4")]
    central.members.set(members)
    return members


def set_mode(queue, mode):
    queue.assignment_mode = mode
    queue.save(update_fields=["assignment_mode"])


# --- own working hours in assignment ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_OPEN])
def test_only_members_at_work_at_that_moment_are_eligible(central, team, mode):
    set_mode(central, mode)

    def names(now):
        return [member.username for member in assignment.eligible_members(central, now)]

    assert names(at(2026, 11, 30, 9, 0)) == ["anna", "beata", "celestyna"]  # Monday morning
    assert names(at(2026, 11, 30, 13, 0)) == ["anna", "celestyna"]  # Monday afternoon: beata has gone
    assert names(at(2026, 12, 1, 9, 0)) == ["anna", "beata"]  # Tuesday: not celestyna's day
    assert names(at(2026, 12, 1, 12, 0)) == ["anna"]  # the end of beata's hours is not working time
    # outside the queue's hours: who works on its next working day (Tuesday → Wednesday)
    assert names(at(2026, 12, 1, 22, 0)) == ["anna", "beata", "celestyna"]
    assert names(at(2026, 11, 30, 22, 0)) == ["anna", "beata"]  # Monday night → Tuesday


def test_round_robin_passes_over_a_member_outside_their_hours(central, team):
    set_mode(central, AssignmentMode.ROUND_ROBIN)
    anna, _beata, celestyna = team
    picks = []
    for now in (at(2026, 11, 30, 13, 0), at(2026, 11, 30, 13, 5), at(2026, 11, 30, 13, 10)):
        chosen = assignment.pick_assignee(central, now)
        assignment.remember_round_robin(central, chosen)
        picks.append(chosen)
    assert picks == [anna, celestyna, anna]  # beata works mornings only


def test_least_open_chooses_among_those_at_work_even_if_someone_else_has_fewer_tickets(
    central, team, open_email_ticket
):
    set_mode(central, AssignmentMode.MANUAL)
    anna, beata, celestyna = team
    for owner in (anna, celestyna):
        ticket = open_email_ticket(central)
        ticket.assignee = owner
        ticket.save(update_fields=["assignee"])
    set_mode(central, AssignmentMode.LEAST_OPEN)
    assert assignment.pick_assignee(central, at(2026, 11, 30, 9, 0)) == beata  # no tickets, at work
    assert assignment.pick_assignee(central, at(2026, 11, 30, 14, 0)) == anna  # beata gone: tie, lowest pk


def test_the_batch_assigner_checks_the_hours_of_each_ticket_not_of_the_first(central, team):
    set_mode(central, AssignmentMode.LEAST_OPEN)
    anna, beata, _celestyna = team
    batch = assignment.BatchAssigner()
    first = batch.pick(central, at(2026, 12, 1, 9, 0))
    batch.took(central, first)
    second = batch.pick(central, at(2026, 12, 1, 9, 1))
    batch.took(central, second)
    assert {first, second} == {anna, beata}
    assert batch.pick(central, at(2026, 12, 1, 13, 0)) == anna  # same day, beata's hours are over


def test_members_without_own_hours_follow_the_queue_calendar(central):
    members = [agent("ola"), agent("ela")]
    central.members.set(members)
    set_mode(central, AssignmentMode.ROUND_ROBIN)
    assert assignment.eligible_members(central, at(2026, 11, 30, 15, 59)) == members
    assert assignment.eligible_members(central, at(2026, 11, 28, 10, 0)) == members  # Saturday → Monday


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"work_weekdays": "pn,wt"}, "Dni pracy to numery 0–6"),
        ({"work_weekdays": "0,7"}, "Dni pracy to numery 0–6"),
        ({"work_starts_at": dt.time(14), "work_ends_at": dt.time(10)}, "Koniec pracy musi być późniejszy"),
    ],
)
def test_bad_working_hours_are_refused_with_a_polish_message(fields, message):
    user = User(username="zla", role=Role.AGENT, **fields)
    with pytest.raises(ValidationError, match=message):
        user.full_clean(exclude=["password"])


def test_working_hours_are_edited_in_the_admin(client):
    root = User.objects.create_superuser(
        username="root", password="x-pass-123", email="root@example.gov.pl", role=Role.ADMIN
    )
    beata = agent("beata")
    client.force_login(root)
    page = client.get(f"/admin/helpdesk/user/{beata.pk}/change/").content.decode()
    assert 'name="work_weekdays"' in page and 'name="work_starts_at"' in page and "Godziny pracy" in page
    form = {
        "username": "beata",
        "email": "beata@example.gov.pl",
        "role": Role.AGENT,
        "notice_mode": "each",
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "08:00:00",
        "work_weekdays": "0,1,2",
        "work_starts_at": "08:00",
        "work_ends_at": "12:00",
    }
    response = client.post(f"/admin/helpdesk/user/{beata.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    beata.refresh_from_db()
    assert (beata.work_weekdays, beata.work_starts_at, beata.work_ends_at) == ("0,1,2", dt.time(8), dt.time(12))
    response = client.post(f"/admin/helpdesk/user/{beata.pk}/change/", {**form, "work_weekdays": "pn"})
    assert response.status_code == 200 and "Dni pracy to numery 0–6" in response.content.decode()
    beata.refresh_from_db()
    assert beata.work_weekdays == "0,1,2"


# --- closures of part of a day ---------------------------------------------------------------------------


@pytest.fixture
def office():
    return BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00")


def test_a_closure_with_hours_takes_only_that_part_of_the_day(office):
    CalendarClosure.objects.create(
        calendar=office, date=dt.date(2026, 12, 2), starts_at=dt.time(10), ends_at=dt.time(12), reason="szkolenie"
    )
    CalendarClosure.objects.create(calendar=office, date=dt.date(2026, 12, 3), starts_at=dt.time(12), reason="wigilia")
    CalendarClosure.objects.create(calendar=office, date=dt.date(2026, 12, 4), ends_at=dt.time(11), reason="awaria")
    schedule = office.schedule()
    assert [schedule.is_open(at(2026, 12, 2, h, 0)) for h in (9, 10, 11, 12)] == [True, False, False, True]
    assert schedule.is_open(at(2026, 12, 3, 11, 59)) and not schedule.is_open(at(2026, 12, 3, 12, 0))
    assert not schedule.is_open(at(2026, 12, 4, 10, 59)) and schedule.is_open(at(2026, 12, 4, 11, 0))
    assert all(schedule.is_working_day(dt.date(2026, 12, d)) for d in (2, 3, 4))  # still working days, in part
    assert schedule.between(at(2026, 12, 2, 0, 0), at(2026, 12, 5, 0, 0)) == dt.timedelta(hours=6 + 4 + 5)
    assert schedule.add(at(2026, 12, 2, 9, 30), dt.timedelta(hours=1)) == at(2026, 12, 2, 12, 30)
    assert schedule.next_open(at(2026, 12, 4, 8, 0)) == at(2026, 12, 4, 11, 0)


def test_a_closure_without_hours_is_still_the_whole_day(office):
    CalendarClosure.objects.create(calendar=office, date=dt.date(2026, 12, 2))
    assert not office.schedule().is_working_day(dt.date(2026, 12, 2))


def test_a_closure_ending_before_it_starts_is_refused(office):
    closure = CalendarClosure(calendar=office, date=dt.date(2026, 12, 2), starts_at=dt.time(12), ends_at=dt.time(9))
    with pytest.raises(ValidationError, match="Koniec zamknięcia musi być późniejszy"):
        closure.full_clean()


@pytest.mark.parametrize(
    ("closed", "first_response_due", "resolution_due"),
    [
        # no closure: 8 h from Monday 09:00 is Tuesday 09:00, 40 h is Monday 7 Dec 09:00
        (None, at(2026, 12, 1, 9, 0), at(2026, 12, 7, 9, 0)),
        # Monday afternoon off from 12:00: 3 h on Monday, 5 h on Tuesday
        ((dt.date(2026, 11, 30), dt.time(12), None), at(2026, 12, 1, 13, 0), at(2026, 12, 7, 13, 0)),
        # Tuesday closed until 12:00: 7 h on Monday, then 12:00–13:00 on Tuesday
        ((dt.date(2026, 12, 1), None, dt.time(12)), at(2026, 12, 1, 13, 0), at(2026, 12, 7, 13, 0)),
    ],
)
def test_an_sla_due_time_moves_past_a_half_day_closure(
    open_email_ticket, central, closed, first_response_due, resolution_due
):
    if closed is not None:
        day, starts, ends = closed
        CalendarClosure.objects.create(calendar=central.calendar, date=day, starts_at=starts, ends_at=ends)
    ticket = open_email_ticket(central)
    SlaTimer.objects.filter(ticket=ticket).delete()
    sla.sync(ticket, at(2026, 11, 30, 9, 0))
    clocks = {timer.kind: timer for timer in SlaTimer.objects.filter(ticket=ticket)}
    assert clocks["first_response"].due_at == first_response_due
    assert clocks["resolution"].due_at == resolution_due
