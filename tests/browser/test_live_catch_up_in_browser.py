"""A page whose websocket drops catches up when it reconnects, in a real browser on the real ASGI server: the
list offers a refresh for a ticket changed while the socket was away, the ticket page warns about a change made
meanwhile, and the notices (/ws/notify/) show a ticket assigned meanwhile. The socket is cut with Playwright's
websocket routing; the changes are made by this process, whose pushes never reach the server's channel layer, so
only the catch-up can tell the page about them."""

import re

import pytest

from tickets import actions


def _login(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_role("heading", name="Zgłoszenia").wait_for()


def _cuttable_sockets(page, path_pattern: str) -> list:
    """Pass the page's websockets matching `path_pattern` through to the server; returns the live routes, so that
    a test can cut one (route.close()) as a dropped connection would."""
    routes = []

    def through(route):
        route.connect_to_server()
        routes.append(route)

    page.route_web_socket(re.compile(path_pattern), through)
    return routes


def _cut(page, routes: list) -> None:
    connected = len(routes)
    routes[-1].close(code=1011, reason="dropped")
    deadline = 20_000
    while len(routes) == connected and deadline > 0:
        page.wait_for_timeout(200)
        deadline -= 200
    assert len(routes) > connected, "the page did not reconnect"  # it does by itself after a second


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_list_offers_a_refresh_for_a_change_made_while_its_socket_was_away(
    page, daphne_server, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11")
    routes = _cuttable_sockets(page, r"/ws/tickets/$")
    _login(page, daphne_server, "alice")
    notice = page.locator("#live-notice")
    while not routes:
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)
    assert notice.is_hidden()

    actions.add_entry(actor=bob, ticket=ticket, kind="note", body_text="Sprawdzam")
    page.wait_for_timeout(500)
    assert notice.is_hidden()  # the push went nowhere this page listens
    _cut(page, routes)

    notice.wait_for(state="visible", timeout=10_000)
    assert notice.locator("[data-count]").inner_text() == "1"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_ticket_page_warns_about_a_change_made_while_its_socket_was_away(
    page, daphne_server, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11")
    routes = _cuttable_sockets(page, rf"/ws/tickets/{ticket.reference}/$")
    _login(page, daphne_server, "alice")
    page.goto(f"{daphne_server}/tickets/{ticket.reference}/")
    while not routes:
        page.wait_for_timeout(100)
    changed = page.locator("#ticket-changed")
    page.wait_for_timeout(500)
    assert changed.is_hidden()

    actions.add_entry(actor=bob, ticket=ticket, kind="note", body_text="Dzwoniłem do jednostki")
    page.wait_for_timeout(500)
    assert changed.is_hidden()
    _cut(page, routes)

    changed.wait_for(state="visible", timeout=10_000)
    assert changed.locator("[data-who]").inner_text() == "Bob"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_ticket_assigned_while_the_notice_socket_was_away_is_announced_after_the_reconnect(
    page, daphne_server, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11")
    routes = _cuttable_sockets(page, r"/ws/notify/$")
    _login(page, daphne_server, "bob")
    while not routes:
        page.wait_for_timeout(100)
    notices = page.locator("#notify .notice")
    page.wait_for_timeout(500)
    assert notices.count() == 0

    actions.assign(actor=alice, ticket=ticket, assignee=bob)
    page.wait_for_timeout(500)
    assert notices.count() == 0  # the push went nowhere this page listens
    _cut(page, routes)

    notices.first.wait_for(state="visible", timeout=10_000)
    assert notices.count() == 1
    assert f"{ticket.reference} Korekta MZ-11" in notices.first.inner_text()
