"""An agent picks a reply template on the ticket page and the reply is filled in with the ticket's data."""

import pytest

from helpdesk.models import Role, User
from tickets import actions
from tickets.models import CannedResponse, Queue

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_choosing_a_template_fills_the_reply_for_this_ticket(page, live_server):
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    CannedResponse.objects.create(title="Potwierdzenie", body="Dzień dobry {zglaszajacy}, przyjęliśmy {sygnatura}.")
    ticket = actions.open_ticket(
        actor=None,
        channel="email",
        subject="Brak MZ-06",
        body_text="Nie widzę MZ-06.",
        requester_email="pielegniarka@szkola.example.pl",
        requester_name="Anna Kowalska",
        queue=Queue.objects.get(slug="centralna"),
    )
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill("alice")
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    reply = page.locator("#reply-form textarea")
    reply.fill("Uwaga: ")
    page.get_by_label("Szablon odpowiedzi").select_option(label="Potwierdzenie")
    expected = f"Uwaga: Dzień dobry Anna Kowalska, przyjęliśmy {ticket.reference}."
    page.wait_for_function("(t) => document.querySelector('#reply-form textarea').value === t", arg=expected)
    assert page.url.endswith(f"/tickets/{ticket.reference}/")  # filled in place, no reload
