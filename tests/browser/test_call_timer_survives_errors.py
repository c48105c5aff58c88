"""The call timer starts with the page and keeps counting when the form comes back with errors: an agent who
pressed Ctrl+Enter too early does not lose the time already spent on the call."""

import pytest

from helpdesk.models import Role, User
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_empty_call_is_refused_and_the_timer_goes_on(page, live_server):
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill("alice")
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.goto(f"{live_server.url}/tickets/calls/new")
    page.wait_for_load_state("load")
    page.wait_for_function("Number(document.querySelector('[name=duration_seconds]').value) >= 2")

    page.get_by_label("Numer dzwoniącego").press("Control+Enter")
    page.get_by_text("Rozmowa jest pusta").wait_for()
    page.wait_for_load_state("load")

    assert not Ticket.objects.exists()
    seconds = int(page.locator("[name=duration_seconds]").input_value())
    assert seconds >= 2 and page.locator("#call-clock").text_content() != "0:00"
    page.wait_for_function(f"Number(document.querySelector('[name=duration_seconds]').value) >= {seconds + 1}")
    assert page.get_by_role("button", name="Stop").is_visible()
