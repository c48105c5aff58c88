"""A page whose websocket drops catches up when it reconnects, in both browsers on the real ASGI server: the list
offers a refresh for a ticket changed while the socket was away, the ticket page warns about a change made
meanwhile, and the notices (/ws/notify/) show a ticket assigned meanwhile. The tab keeps the page's websockets
within reach (SOCKETS) so that the test can drop one as a lost connection would; the changes are made by this
process, whose pushes never reach the server's channel layer, so only the catch-up can tell the page about them."""

import pytest

from tests.ticket_requests import new_entry
from tickets import actions

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Runs before the page's scripts: every WebSocket the page opens is kept in window.sockets.
SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.sockets.push(this); }
  };
})();"""
OPEN = "(path, n) => window.sockets.filter((s) => s.url.endsWith(path) && s.readyState === 1).length >= n"


def _dropped(tab, path: str) -> None:
    """The page's open socket to `path` drops; the page opens a new one by itself (after a second)."""
    opened = tab.evaluate("(path) => window.sockets.filter((s) => s.url.endsWith(path)).length", path)
    tab.evaluate("(path) => window.sockets.filter((s) => s.url.endsWith(path)).at(-1).close()", path)
    tab.wait_until(
        "(path, n) => window.sockets.filter((s) => s.url.endsWith(path)).length > n", path, opened, timeout=20
    )


def _hidden(tab, target: str) -> bool:
    return tab.evaluate("(target) => document.querySelector(target).hidden", target)


def test_the_list_offers_a_refresh_for_a_change_made_while_its_socket_was_away(
    open_tab, daphne_server, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11")
    tab = open_tab(script=SOCKETS)
    tab.log_in(daphne_server, "alice", "test-pass-123")
    tab.wait_until(OPEN, "/ws/tickets/", 1)
    assert _hidden(tab, "#live-notice")

    actions.add_entries([new_entry(ticket=ticket, kind="note", body_text="Sprawdzam")], actor=bob)[0]
    assert _hidden(tab, "#live-notice")  # the push went nowhere this page listens
    _dropped(tab, "/ws/tickets/")

    tab.wait("#live-notice", timeout=15)
    assert tab.text("#live-notice [data-count]") == "1"


def test_the_ticket_page_warns_about_a_change_made_while_its_socket_was_away(
    open_tab, daphne_server, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11")
    path = f"/ws/tickets/{ticket.reference}/"
    tab = open_tab(script=SOCKETS)
    tab.log_in(daphne_server, "alice", "test-pass-123")
    tab.goto(f"{daphne_server}/tickets/{ticket.reference}/")
    tab.wait_until(OPEN, path, 1)
    assert _hidden(tab, "#ticket-changed")

    actions.add_entries([new_entry(ticket=ticket, kind="note", body_text="Dzwoniłem do jednostki")], actor=bob)[0]
    assert _hidden(tab, "#ticket-changed")
    _dropped(tab, path)

    tab.wait("#ticket-changed", timeout=15)
    assert tab.text("#ticket-changed [data-who]") == "Bob"


def test_a_ticket_assigned_while_the_notice_socket_was_away_is_announced_after_the_reconnect(
    open_tab, daphne_server, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11")
    tab = open_tab(script=SOCKETS)
    tab.log_in(daphne_server, "bob", "test-pass-123")
    tab.wait_until(OPEN, "/ws/notify/", 1)
    assert tab.count("#notify .notice") == 0

    actions.assign(actor=alice, ticket=ticket, assignee=bob)
    assert tab.count("#notify .notice") == 0  # the push went nowhere this page listens
    _dropped(tab, "/ws/notify/")

    tab.wait("#notify .notice", timeout=15)
    assert tab.count("#notify .notice") == 1
    assert f"{ticket.reference} Korekta MZ-11" in tab.text("#notify .notice")
