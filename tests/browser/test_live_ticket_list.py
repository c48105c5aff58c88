"""The ticket list is live: when a colleague changes a ticket, an agent's open list offers a refresh,
through websockets on the real ASGI server; a regional administrator of another voivodeship hears nothing."""

import pytest

from helpdesk.models import Role, User
from tickets import actions
from tickets.models import Queue


def _login(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_role("heading", name="Zgłoszenia").wait_for()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_colleagues_note_shows_up_as_a_refresh_offer_on_the_open_list(browser, daphne_server):
    for name, role in (("alice", Role.AGENT), ("adam", Role.AGENT), ("celina", Role.REGIONAL_ADMIN)):
        User.objects.create_user(username=name, password="test-pass-123", role=role)
    User.objects.get(username="celina").voivodeships.set(["24"])
    ticket = actions.open_ticket(
        actor=None,
        channel="email",
        subject="Termin MZ-11",
        body_text="Do kiedy?",
        queue=Queue.objects.get(slug="woj-14"),
    )
    pages = {}
    for name in ("alice", "celina", "adam"):
        pages[name] = browser.new_context().new_page()
        _login(pages[name], daphne_server, name)
    notice = pages["alice"].locator("#live-notice")
    assert notice.is_hidden()
    pages["alice"].wait_for_timeout(500)  # let the websocket connect

    adam = pages["adam"]
    adam.goto(f"{daphne_server}/tickets/{ticket.reference}/")
    adam.get_by_label("Rodzaj").select_option("note")
    adam.get_by_label("Treść").fill("Sprawdzam w harmonogramie.")
    adam.get_by_role("button", name="Wyślij").click()
    adam.get_by_text("Dodano notatkę.").wait_for()

    notice.wait_for(state="visible", timeout=5000)
    assert notice.locator("[data-count]").inner_text() == "1"
    pages["celina"].wait_for_timeout(500)
    assert pages["celina"].locator("#live-notice").is_hidden()
    for page in pages.values():
        page.context.close()
