"""An agent logs a phone call with the keyboard: the caller card appears as the number is typed, the unit is
picked from suggestions, the timer runs, Ctrl+Enter saves, and the call shows in the new ticket."""

import pytest

from contacts.models import Person, PersonPhone, ReportingUnit, UnitMembership
from helpdesk.models import Role, User
from tickets.models import Entry, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_logging_a_call_that_creates_a_ticket(page, live_server):
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    unit = ReportingUnit.objects.create(name="Przychodnia Pod Lipami", regon="123456785", voivodeship_id="14")
    person = Person.objects.create(name="Ewa Lis")
    PersonPhone.objects.create(person=person, number="+48501369856")
    UnitMembership.objects.create(person=person, unit=unit)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill("alice")
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_role("link", name="Zarejestruj rozmowę").click()
    page.wait_for_url("**/tickets/calls/new")
    page.wait_for_load_state("load")  # calls.js (deferred) must be listening before we type

    page.get_by_label("Numer dzwoniącego").fill("501 369 856")
    page.locator("#caller-card").get_by_text("Ewa Lis").wait_for()
    page.get_by_label("Jednostka (REGON, NIP, nr księgi lub nazwa)").fill("lipami")
    page.locator("#unit-suggestions").get_by_role("button", name="Przychodnia Pod Lipami").click()
    page.get_by_label("Temat").fill("Korekta działu II MZ-88")
    page.get_by_label("Notatka z rozmowy").fill("Pani Ewa pyta, jak poprawić dział II.")
    page.get_by_label("nowe zgłoszenie").check()
    page.wait_for_timeout(1200)  # the call timer runs
    page.get_by_label("Notatka z rozmowy").press("Control+Enter")
    page.get_by_text("Zapisano rozmowę w zgłoszeniu").wait_for()

    ticket = Ticket.objects.get()
    assert ticket.reporting_unit == unit and ticket.channel == "phone" and ticket.status == "open"
    call = ticket.entries.get()
    assert call.kind == Entry.Kind.CALL and call.caller_number == "+48501369856" and call.call_duration_seconds >= 1
    assert "Pani Ewa pyta" in page.content()
