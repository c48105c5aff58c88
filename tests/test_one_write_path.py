"""Opening tickets and adding entries take lists (tickets.opening.open_tickets, tickets.entries.add_entries):
one ticket is a list of one, and several in one call decide as the same requests one after another."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox_ingest.messages import Route, classify
from inbox_ingest.parsing import parse
from tests.mailtools import message
from tests.ticket_requests import new_entry, new_ticket
from tickets import actions
from tickets.models import Entry, Status, Ticket

pytestmark = pytest.mark.django_db


def test_nothing_asked_nothing_read_or_written():
    with CaptureQueriesContext(connection) as queries:
        assert actions.open_tickets([], actor=None) == []
        assert actions.add_entries([], actor=None) == []
    assert all(query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) for query in queries)


def test_a_reply_in_the_same_batch_answers_the_message_before_it(alice, central, run_on_commit):
    (ticket,) = actions.open_tickets(
        [new_ticket(subject="MZ-11", body_text="Pytanie", requester_email="a@example.pl", queue=central)], actor=None
    )
    inbound = new_entry(ticket=ticket, kind=Entry.Kind.INBOUND, body_text="Jeszcze jedno", message_id="<q2@x>")
    entries = run_on_commit(actions.add_entries, [inbound], actor=None)
    reply = new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Odpowiedź")
    note = new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Sprawdzone")
    entries += run_on_commit(actions.add_entries, [note, reply], actor=alice)
    assert [entry.kind for entry in entries] == ["inbound", "note", "outbound"]
    assert entries[2].in_reply_to == "<q2@x>" and entries[2].outbox_message_id is not None
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER and ticket.first_response_at is not None


def test_two_messages_and_a_reply_to_the_first_in_one_batch(alice, central):
    (ticket,) = actions.open_tickets(
        [new_ticket(subject="MZ-11", body_text="Pytanie", requester_email="a@example.pl", queue=central)], actor=None
    )
    first = new_entry(ticket=ticket, kind=Entry.Kind.CALL, body_text="Rozmowa", call_direction="incoming")
    reply = new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Odpowiedź", to=["b@example.pl"])
    call, sent = actions.add_entries([first, reply], actor=alice)
    assert call.call_direction == "incoming" and sent.to == ["b@example.pl"]
    assert ticket.events.filter(kind="entry_added").count() == 3  # the first message's, the call's, the reply's


def test_an_entry_the_system_may_not_write_refuses_the_whole_batch(central, open_email_ticket):
    ticket = open_email_ticket(central)
    fine = new_entry(ticket=ticket, kind=Entry.Kind.INBOUND, body_text="Dobrze")
    note = new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Notatka bez autora")
    with pytest.raises(ValidationError):
        actions.add_entries([fine, note], actor=None)
    assert ticket.entries.count() == 1


def test_several_tickets_in_one_call_get_consecutive_references(central):
    requests = [new_ticket(subject=f"Sprawa {n}", body_text="x", queue=central) for n in range(3)]
    tickets = actions.open_tickets(requests, actor=None)
    numbers = [int(ticket.reference.rsplit("-", 1)[1]) for ticket in tickets]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets]).count() == 3


def test_the_e_mail_channel_decides_in_one_order():
    plain = parse(message(message_id="<c1@x>"))
    automatic = parse(message(message_id="<c2@x>", headers={"Auto-Submitted": "auto-replied"}))
    first = object()
    unreadable = ValueError("nieczytelna")
    assert classify(unreadable, first_copy=None, staff_reply=None, thread_found=False) is Route.QUARANTINE
    assert classify(plain, first_copy=first, staff_reply=None, thread_found=True) is Route.DUPLICATE
    assert classify(automatic, first_copy=None, staff_reply=None, thread_found=True) is Route.AUTOMATIC
    assert classify(plain, first_copy=None, staff_reply=("ticket", "staff"), thread_found=True) is Route.STAFF_REPLY
    assert classify(plain, first_copy=None, staff_reply=None, thread_found=True) is Route.APPEND
    assert classify(plain, first_copy=None, staff_reply=None, thread_found=False) is Route.OPEN
