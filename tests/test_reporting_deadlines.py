"""Tickets about a form due within the next working days get a higher priority; the workspace shows the
deadlines coming up."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from contacts.models import FormDeadline, StatisticalForm
from helpdesk.models import BusinessCalendar
from tests.ticket_requests import new_ticket
from tickets import actions, deadlines
from tickets.models import Priority

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def office():
    return BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00")


def test_the_horizon_counts_working_days_only(office):
    # Thursday 24 Dec 2026 is a holiday, 25–26 too, then the weekend: 3 working days later is Wednesday 30th
    assert deadlines.horizon(office, dt.date(2026, 12, 23), 3) == dt.date(2026, 12, 30)


def test_a_ticket_about_a_form_due_soon_gets_high_priority_and_says_why(monkeypatch, central, office):
    now = dt.datetime(2027, 3, 29, 10, 0, tzinfo=WARSAW)  # Monday
    monkeypatch.setattr(actions.timezone, "now", lambda: now)
    FormDeadline.objects.update_or_create(
        form=StatisticalForm.objects.get(code="MZ-11"), year=2026, defaults={"deadline": dt.date(2027, 3, 31)}
    )
    ticket = actions.open_tickets(
        [new_ticket(channel="email", subject="Pytanie o mz 11", body_text="Nie możemy wysłać.", queue=central)],
        actor=None,
    )[0]
    assert ticket.priority == Priority.HIGH
    event = ticket.events.get(kind="deadline_near")
    assert event.data["forms"] == [{"code": "MZ-11", "deadline": "2027-03-31"}]


def test_a_form_due_later_or_not_mentioned_leaves_the_priority_alone(monkeypatch, central):
    now = dt.datetime(2027, 3, 1, 10, 0, tzinfo=WARSAW)
    monkeypatch.setattr(actions.timezone, "now", lambda: now)
    FormDeadline.objects.update_or_create(
        form=StatisticalForm.objects.get(code="MZ-11"), year=2026, defaults={"deadline": dt.date(2027, 3, 31)}
    )
    later = actions.open_tickets(
        [new_ticket(channel="email", subject="MZ-11", body_text="x", queue=central)], actor=None
    )[0]
    other = actions.open_tickets(
        [new_ticket(channel="email", subject="Logowanie", body_text="x", queue=central)], actor=None
    )[0]
    assert later.priority == other.priority == Priority.NORMAL


def test_the_ticket_list_shows_the_next_deadlines(client, alice):
    FormDeadline.objects.all().delete()
    form = StatisticalForm.objects.get(code="MZ-88")
    FormDeadline.objects.create(form=form, year=2099, deadline=dt.date(2100, 4, 10))
    FormDeadline.objects.create(form=form, year=2000, deadline=dt.date(2001, 4, 10))  # past: not shown
    client.force_login(alice)
    page = client.get(reverse("tickets:list")).content.decode()
    assert "Najbliższe terminy sprawozdań" in page and "MZ-88" in page and "10.04.2100" in page
    assert "10.04.2001" not in page
