"""Two agents open the same ticket in two browsers on the real ASGI server: each sees the other, sees them
typing, and the one who writes while the other changes the ticket is warned before and after sending."""

import pytest

from helpdesk.models import Role, User
from tickets import actions
from tickets.models import Entry, Queue


def _login(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_role("heading", name="Zgłoszenia").wait_for()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_presence_typing_and_collision_warning(browser, daphne_server):
    for name, first in (("alice", "Alicja"), ("adam", "Adam")):
        User.objects.create_user(username=name, password="test-pass-123", role=Role.AGENT, first_name=first)
    ticket = actions.open_ticket(
        actor=None,
        channel="email",
        subject="Brak MZ-06",
        body_text="Nie widzę MZ-06.",
        requester_email="pielegniarka@szkola.example.pl",
        queue=Queue.objects.get(slug="centralna"),
    )
    url = f"{daphne_server}/tickets/{ticket.reference}/"
    alicja, adam = (browser.new_context().new_page() for _ in range(2))
    _login(alicja, daphne_server, "alice")
    _login(adam, daphne_server, "adam")
    alicja.goto(url)
    adam.goto(url)

    alicja.get_by_text("Oglądają też:").wait_for()
    assert alicja.locator("[data-viewers]").inner_text() == "Adam"
    assert adam.locator("[data-viewers]").inner_text() == "Alicja"

    alicja.get_by_label("Treść").fill("Dzień dobry, formularz MZ-06 ")
    adam.get_by_text("pisze odpowiedź…").wait_for()
    assert adam.locator("[data-typing]").inner_text() == "Alicja"

    adam.get_by_label("Rodzaj").select_option("note")
    adam.get_by_label("Treść").fill("Dzwoniłem, sprawa wyjaśniona.")
    adam.get_by_role("button", name="Wyślij").click()
    adam.get_by_text("Dodano notatkę.").wait_for()

    warning = alicja.locator("#ticket-changed")
    warning.wait_for(state="visible")
    assert "Adam" in warning.inner_text()

    alicja.get_by_label("Treść").fill("Dzień dobry, formularz MZ-06 jest już na liście.")
    alicja.get_by_role("button", name="Wyślij").click()
    alicja.get_by_text("Zgłoszenie zmieniło się, gdy pisałeś(-aś)").wait_for()
    assert alicja.get_by_label("Treść").input_value() == "Dzień dobry, formularz MZ-06 jest już na liście."
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()
    alicja.get_by_role("button", name="Wyślij").click()
    alicja.get_by_text("Wysłano odpowiedź.").wait_for()
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 1
    for page in (alicja, adam):
        page.context.close()
