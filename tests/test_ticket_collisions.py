"""Two agents on one ticket: a reply written while a colleague changed the ticket is refused once, with the
changes named and the text kept; sending it again goes through."""

import pytest
from django.urls import reverse

from tests.ticket_requests import new_entry
from tickets import actions
from tickets.models import Entry, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def adam(db):
    from helpdesk.models import Role, User

    return User.objects.create_user(username="adam", password="test-pass-123", role=Role.AGENT, first_name="Adam")


def _seen_event(client, ticket) -> int:
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    return page.context["reply_form"].initial["seen_event"]


def test_a_stale_reply_is_refused_once_with_the_text_kept(client, alice, adam, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    seen = _seen_event(client, ticket)
    actions.change_status(actor=adam, ticket=ticket, status=Status.RESOLVED, reason="odpowiedziałem telefonicznie")

    text = "Dzień dobry, formularz jest już dostępny."
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]), {"kind": "outbound", "body_text": text, "seen_event": seen}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Zgłoszenie zmieniło się" in page and "Adam" in page
    assert text in page  # nothing typed is lost
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()

    resend = response.context["reply_form"].data
    response = client.post(reverse("tickets:reply", args=[ticket.reference]), resend)
    assert response.status_code == 302
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 1


def test_my_own_changes_do_not_make_my_reply_stale(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    seen = _seen_event(client, ticket)
    actions.assign(actor=alice, ticket=ticket, assignee=alice)
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]), {"kind": "note", "body_text": "Biorę.", "seen_event": seen}
    )
    assert response.status_code == 302
    assert ticket.entries.filter(kind=Entry.Kind.NOTE).count() == 1


def test_a_new_message_from_the_requester_also_counts_as_a_change(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    seen = _seen_event(client, ticket)
    actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.INBOUND, body_text="Jednak już działa, dziękuję!")], actor=None
    )[0]
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]), {"kind": "outbound", "body_text": "x", "seen_event": seen}
    )
    assert response.status_code == 409
