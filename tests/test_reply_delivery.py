"""A reply whose e-mail cannot be delivered: Django's smtp backend against a real (tiny) SMTP server on 127.0.0.1
that refuses or defers, or a port where nothing listens. The entry shows "not delivered yet — attempt N, last
error …" and, after settings.OUTBOX_MAX_ATTEMPTS, "delivery failed"; the ticket's log says so, open pages are told
live, agents can retry now, and the ticket's status and SLA clocks stay as the reply left them."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from helpdesk import outbox
from helpdesk.models import OutboxMessage
from tests.smtp_server import SmtpServer
from tests.ticket_requests import add_one, new_entry
from tickets import actions
from tickets.models import Entry, SlaTimer, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    yield server
    server.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: connections are refused


def _reply(run_on_commit, alice, ticket, text="Proszę zalogować się ponownie."):
    return run_on_commit(add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text=text), actor=alice)


def _due_now():
    OutboxMessage.objects.filter(sent_at__isnull=True).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def _entry(entry):
    return Entry.objects.select_related("outbox_message").get(pk=entry.pk)


def _timers(ticket):
    fields = ("kind", "state", "due_at", "done_at", "running_since", "consumed_seconds")
    return sorted(SlaTimer.objects.filter(ticket=ticket).values_list(*fields))


def _page(client, user, ticket):
    client.force_login(user)
    return client.get(f"/tickets/{ticket.reference}/").content.decode()


def test_a_reply_goes_out_over_smtp_with_threading_headers(smtp, alice, central, open_email_ticket, run_on_commit):
    ticket = open_email_ticket(central, message_id="<q1@przychodnia.example.pl>")
    entry = _reply(run_on_commit, alice, ticket)
    (sent,) = [m for m in smtp.messages if m["Message-ID"] == entry.message_id]
    assert sent["In-Reply-To"] == "<q1@przychodnia.example.pl>" and "<q1@przychodnia.example.pl>" in sent["References"]
    assert "Proszę zalogować się ponownie." in sent.get_content()
    assert _entry(entry).delivery.state == "sent"


def test_a_deferred_reply_shows_the_attempt_and_error_then_fails_for_good(
    smtp, alice, central, open_email_ticket, run_on_commit, client
):
    ticket = open_email_ticket(central)
    smtp.mode = "tempfail"
    entry = _reply(run_on_commit, alice, ticket)
    delivery = _entry(entry).delivery
    assert delivery.state == "retrying" and delivery.attempts == 1 and "451" in delivery.last_error
    page = _page(client, alice, ticket)
    assert "Jeszcze nie doręczono — próba 1 z 3" in page and "temporarily overloaded" in page
    assert "Ponów wysyłkę teraz" in page
    events = list(ticket.events.filter(kind="delivery_failed"))
    assert len(events) == 1 and not events[0].data["final"]

    for _attempt in range(2):
        _due_now()
        outbox.drain()
    assert smtp.messages == []
    delivery = _entry(entry).delivery
    assert delivery.state == "failed" and delivery.attempts == 3
    _due_now()
    outbox.drain()
    assert OutboxMessage.objects.get(pk=entry.outbox_message_id).attempts == 3  # given up: no more attempts
    page = _page(client, alice, ticket)
    assert "Nie udało się wysłać (3 próby)" in page and "Ponów wysyłkę teraz" in page
    final = ticket.events.filter(kind="delivery_failed").order_by("pk").last()
    assert final.data["final"] and final.data["attempts"] == 3
    assert "Nie udało się wysłać odpowiedzi e-mailem (3 próby)" in page  # in the event log
    assert ticket.events.filter(kind="delivery_failed").count() == 2  # the first failure and the final one
    assert outbox.failed_count() == 1 and client.get("/healthz").json()["outbox_failed"] == 1
    api = client.get(f"/api/v1/tickets/{ticket.reference}/").json()
    (reply,) = [item for item in api["entries"] if item["id"] == entry.pk]
    assert reply["delivery"]["state"] == "failed" and reply["delivery"]["attempts"] == 3
    assert "451" in reply["delivery"]["last_error"]
    assert all(item["delivery"] is None for item in api["entries"] if item["kind"] != "outbound")


def test_retry_now_sends_a_failed_reply_once_the_server_is_back(
    smtp, alice, central, open_email_ticket, run_on_commit, client
):
    ticket = open_email_ticket(central)
    smtp.mode = "reject"
    entry = _reply(run_on_commit, alice, ticket)
    for _attempt in range(2):
        _due_now()
        outbox.drain()
    assert _entry(entry).delivery.state == "failed" and "550" in _entry(entry).delivery.last_error
    smtp.mode = "accept"
    client.force_login(alice)
    url = f"/tickets/{ticket.reference}/entries/{entry.pk}/retry-delivery"
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    delivery = _entry(entry).delivery
    assert delivery.state == "sent" and delivery.attempts == 4
    assert [m["Message-ID"] for m in smtp.messages] == [entry.message_id]
    kinds = list(ticket.events.filter(kind__startswith="deliver").values_list("kind", "actor"))
    assert ("delivery_retried", alice.pk) in kinds and ("delivered_late", None) in kinds
    assert "Wysłano e-mailem." in _page(client, alice, ticket)
    # nothing left to retry
    response = client.post(url, follow=True)
    assert "Ta odpowiedź nie czeka na ponowną wysyłkę." in response.content.decode()


def test_a_refused_connection_is_retried_and_delivered_when_smtp_returns(
    smtp, settings, alice, central, open_email_ticket, run_on_commit
):
    ticket = open_email_ticket(central)
    settings.EMAIL_PORT = _closed_port()
    entry = _reply(run_on_commit, alice, ticket)
    delivery = _entry(entry).delivery
    assert delivery.state == "retrying" and "Connection refused" in delivery.last_error
    settings.EMAIL_PORT = smtp.port
    _due_now()
    outbox.drain()
    assert _entry(entry).delivery.state == "sent" and len(smtp.messages) == 1
    assert ticket.events.filter(kind="delivered_late", data__attempts=2).exists()


def test_a_failing_delivery_leaves_status_assignee_and_sla_as_the_reply_left_them(
    smtp, alice, central, open_email_ticket, run_on_commit
):
    ticket = open_email_ticket(central)
    smtp.mode = "reject"
    _reply(run_on_commit, alice, ticket)
    ticket.refresh_from_db()
    before = (ticket.status, ticket.assignee_id, ticket.first_response_at, ticket.updated_at)
    timers = sorted(
        SlaTimer.objects.filter(ticket=ticket).values_list(
            "kind", "state", "due_at", "done_at", "running_since", "consumed_seconds"
        )
    )
    assert timers  # the ticket has SLA clocks to compare
    for _attempt in range(2):
        _due_now()
        outbox.drain()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.first_response_at, ticket.updated_at) == before
    assert ticket.status == Status.WAITING_CUSTOMER
    after = sorted(
        SlaTimer.objects.filter(ticket=ticket).values_list(
            "kind", "state", "due_at", "done_at", "running_since", "consumed_seconds"
        )
    )
    assert after == timers


def test_other_failing_mail_is_not_shown_on_tickets(smtp, central, open_email_ticket):
    ticket = open_email_ticket(central)
    smtp.mode = "reject"
    message = outbox.enqueue_email(to=["a@example.pl"], subject="Powiadomienie", body="B")
    outbox.dispatch(message.pk)
    assert not ticket.events.filter(kind="delivery_failed").exists()
    message.refresh_from_db()
    assert message.attempts == 1 and message.failed_at is None


def test_retry_is_refused_to_a_regional_admin_of_another_voivodeship(
    smtp, alice, celina, queue_14, open_email_ticket, run_on_commit, client
):
    ticket = open_email_ticket(queue_14)
    smtp.mode = "reject"
    entry = _reply(run_on_commit, alice, ticket)
    client.force_login(celina)
    response = client.post(f"/tickets/{ticket.reference}/entries/{entry.pk}/retry-delivery")
    assert response.status_code == 404
    assert not ticket.events.filter(kind="delivery_retried").exists()
    assert _entry(entry).outbox_message.next_attempt_at > timezone.now()  # not made due


def test_retry_of_an_entry_of_another_ticket_is_not_found(
    smtp, alice, central, open_email_ticket, run_on_commit, client
):
    first, second = open_email_ticket(central), open_email_ticket(central, subject="Inne")
    smtp.mode = "reject"
    entry = _reply(run_on_commit, alice, first)
    client.force_login(alice)
    assert client.post(f"/tickets/{second.reference}/entries/{entry.pk}/retry-delivery").status_code == 404
    assert client.get(f"/tickets/{first.reference}/entries/{entry.pk}/retry-delivery").status_code == 405


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_open_ticket_pages_are_told_live_when_a_reply_fails(smtp, alice, central, open_email_ticket):
    from tests.test_ticket_page_websocket import _connect, _next

    ticket = await database_sync_to_async(open_email_ticket)(central)
    smtp.mode = "tempfail"
    page, connected, _code = await _connect(alice, f"/ws/tickets/{ticket.reference}/")
    assert connected

    def reply():
        entry = actions.add_entries(
            [new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Odpowiedź")], actor=alice
        )[0]
        outbox.drain()  # as the worker would: the reply's e-mail fails, then the pushes go out
        outbox.drain()
        return entry

    entry = await database_sync_to_async(reply)()
    event = await _next(page, "delivery")
    assert event["entry"] == entry.pk and event["delivery"] == "retrying"
    assert "próba 1 z 3" in event["delivery_text"] and "451" in event["delivery_text"]
    await page.disconnect()
