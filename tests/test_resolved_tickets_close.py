"""Resolved tickets nobody came back to are closed by a beat task after TICKETS_CLOSE_RESOLVED_AFTER_DAYS (logged
as an automatic status change), and the requester's private link ends KB_REQUESTER_LINK_DAYS after the ticket
was resolved, not only after it was closed: a link of a ticket resolved 400 days ago no longer shows it or takes
a reply that would reopen it."""

import datetime as dt
import logging

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from knowledge_base import actions as kb_actions
from tickets import actions as ticket_actions
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 10, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def resolved(alice):
    """A contact-form ticket with its link, answered and resolved on START."""
    cache.clear()
    with time_machine.travel(START, tick=False):
        ticket, token = kb_actions.submit_contact_form(
            name="Anna Kowalska", email="anna@przychodnia.example.pl", subject="MZ-11", body="Przycisk szary."
        )
        ticket_actions.change_status(actor=alice, ticket=ticket, status=Status.RESOLVED)
    return ticket, f"/zgloszenie/{token}/"


@override_settings(TICKETS_CLOSE_RESOLVED_AFTER_DAYS=14)
def test_the_beat_task_closes_tickets_resolved_long_ago_and_logs_it(resolved, caplog):
    ticket, _path = resolved
    with time_machine.travel(START + dt.timedelta(days=13), tick=False):
        assert ticket_actions.close_resolved_tickets() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    later = START + dt.timedelta(days=14, minutes=1)
    with time_machine.travel(later, tick=False), caplog.at_level(logging.INFO, logger="tickets.actions"):
        from tickets.tasks import close_resolved_tickets

        assert close_resolved_tickets() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at == later
    event = ticket.events.filter(kind="status_changed").last()
    assert event.actor is None and event.data["to"] == Status.CLOSED and "zamknięte automatycznie" in event.reason
    assert "closed 1 ticket(s) resolved more than 14 days ago" in caplog.text
    assert settings.CELERY_BEAT_SCHEDULE["close-resolved-tickets"]["task"] == "tickets.tasks.close_resolved_tickets"


@override_settings(TICKETS_CLOSE_RESOLVED_AFTER_DAYS=0)
def test_zero_days_never_closes(resolved):
    ticket, _path = resolved
    with time_machine.travel(START + dt.timedelta(days=400), tick=False):
        assert ticket_actions.close_resolved_tickets() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


@override_settings(KB_REQUESTER_LINK_DAYS=30, TICKETS_CLOSE_RESOLVED_AFTER_DAYS=0)
def test_the_link_of_a_ticket_resolved_400_days_ago_is_gone_and_a_reply_cannot_reopen_it(client, resolved):
    ticket, path = resolved
    with time_machine.travel(START + dt.timedelta(days=29), tick=False):
        assert "Przycisk szary." in client.get(path).content.decode()  # within the days after resolving
    with time_machine.travel(START + dt.timedelta(days=400), tick=False):
        page = client.get(path)
        assert page.status_code == 404 and "Przycisk szary." not in page.content.decode()
        assert client.post(path, {"body": "Halo, nadal nie działa"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and not ticket.entries.filter(body_text__startswith="Halo").exists()


@override_settings(KB_REQUESTER_LINK_DAYS=30, TICKETS_CLOSE_RESOLVED_AFTER_DAYS=14)
def test_a_reply_within_the_days_reopens_and_the_clock_starts_again(client, resolved, alice):
    ticket, path = resolved
    with time_machine.travel(START + dt.timedelta(days=20), tick=False):
        assert client.post(path, {"body": "Jednak nie działa."}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.resolved_at is None
    with time_machine.travel(START + dt.timedelta(days=60), tick=False):
        assert "Jednak nie działa." in client.get(path).content.decode()  # open: no end yet
        assert ticket_actions.close_resolved_tickets() == 0
