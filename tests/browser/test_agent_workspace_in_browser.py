"""An agent works a ticket in a real browser: logs in, finds it in the list, answers it, closes it;
a regional administrator of another voivodeship logs in and does not see it."""

import os
from pathlib import Path

import pytest

from helpdesk.models import Role, User
from tickets import actions
from tickets.models import Entry, Queue, Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()


def test_agent_answers_and_resolves_a_ticket_and_another_region_never_sees_it(page, live_server, mailoutbox):
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    celina = User.objects.create_user(username="celina", password="test-pass-123", role=Role.REGIONAL_ADMIN)
    celina.voivodeships.set(["24"])
    ticket = actions.open_ticket(
        actor=None,
        channel="email",
        subject="Nie widzę formularza MZ-88 na liście",
        body_text="Dzień dobry,\nw systemie brakuje formularza MZ-88 dla naszej przychodni.",
        requester_email="kadry@przychodnia.example.pl",
        requester_name="Maria Wiśniewska",
        queue=Queue.objects.get(slug="woj-14"),
    )

    _login(page, live_server, "alice")
    page.get_by_role("link", name=ticket.reference).click()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Nie widzę formularza MZ-88 na liście")
    page.get_by_label("Treść").fill("Dzień dobry, formularz został dodany. Proszę odświeżyć listę.")
    page.get_by_role("button", name="Wyślij").click()
    page.get_by_text("Wysłano odpowiedź.").wait_for()
    page.locator("form[action$='/status']").get_by_label("Status").select_option(Status.RESOLVED)
    page.get_by_role("button", name="Zmień status").click()
    page.get_by_text("Zmieniono status.").wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ticket-page.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 1
    assert [m.to for m in mailoutbox] == [["kadry@przychodnia.example.pl"]]

    page.get_by_role("button", name="Wyloguj").click()
    _login(page, live_server, "celina")
    page.get_by_role("heading", name="Zgłoszenia").wait_for()
    assert page.get_by_text(ticket.reference).count() == 0
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    assert "Nie widzę formularza" not in page.content()
