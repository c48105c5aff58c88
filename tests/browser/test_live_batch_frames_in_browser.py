"""The pages take a batch frame, {"events": [...]}: the outbox's pushes reach a socket in batches, one frame each
(tickets.consumers._GroupsConsumer.ticket_events), and a page applies every event of it in order; a frame of one
event (presence, typing, a batch that came down to one) still works. In both browsers on the real ASGI server;
the frames are handed to the page's own socket as the server's would be (its channel layer is in its process)."""

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.sockets.push(this); }
  };
})();"""
OPEN = "(path, n) => window.sockets.filter((s) => s.url.endsWith(path) && s.readyState === 1).length >= n"
RECEIVE = """(path, frame) => {
  const socket = window.sockets.filter((s) => s.url.endsWith(path)).at(-1);
  socket.dispatchEvent(new MessageEvent("message", { data: frame }));
}"""


def _receive(tab, path: str, frame: dict) -> None:
    tab.evaluate(RECEIVE, path, json.dumps(frame))


def test_the_list_counts_every_ticket_of_a_batch_frame(open_tab, daphne_server, alice):
    tab = open_tab(script=SOCKETS)
    tab.log_in(daphne_server, "alice", "test-pass-123")
    tab.wait_until(OPEN, "/ws/tickets/", 1)
    opened = [{"change": "opened", "reference": f"SSOZ-2026-00000{n}", "notice": n} for n in (1, 2, 3)]
    _receive(tab, "/ws/tickets/", {"events": opened})
    tab.wait("#live-notice", timeout=10)
    assert tab.text("#live-notice [data-count]") == "3"
    _receive(tab, "/ws/tickets/", {"change": "status", "reference": "SSOZ-2026-000009", "notice": 9})  # one alone
    assert tab.text("#live-notice [data-count]") == "4"


def test_the_ticket_page_applies_each_event_of_a_batch_frame(open_tab, daphne_server, alice, bob, open_email_ticket):
    from tickets.models import Queue

    ticket = open_email_ticket(Queue.objects.get(slug="woj-14"), subject="Korekta MZ-11")
    path = f"/ws/tickets/{ticket.reference}/"
    tab = open_tab(script=SOCKETS)
    tab.log_in(daphne_server, "alice", "test-pass-123")
    tab.goto(f"{daphne_server}/tickets/{ticket.reference}/")
    tab.wait_until(OPEN, path, 1)
    assert tab.evaluate("() => document.querySelector('#ticket-changed').hidden")
    events = [
        {"change": "entry", "reference": "SSOZ-2026-999999", "actor": "Celina", "actor_id": 999, "notice": 1},
        {"change": "entry", "reference": ticket.reference, "actor": "Bob", "actor_id": bob.pk, "notice": 2},
    ]
    _receive(tab, path, {"events": events})
    tab.wait("#ticket-changed", timeout=10)
    assert tab.text("#ticket-changed [data-who]") == "Bob"  # the other ticket's event left out


def test_the_notices_show_each_event_of_a_batch_frame_once(open_tab, daphne_server, bob):
    tab = open_tab(script=SOCKETS)
    tab.log_in(daphne_server, "bob", "test-pass-123")
    tab.wait_until(OPEN, "/ws/notify/", 1)
    assigned = [
        {"change": "assigned_to_you", "reference": f"SSOZ-2026-00000{n}", "subject": f"Korekta {n}", "notice": n}
        for n in (1, 2)
    ]
    _receive(tab, "/ws/notify/", {"events": assigned})
    tab.wait("#notify .notice", timeout=10)
    assert tab.count("#notify .notice") == 2
    _receive(tab, "/ws/notify/", {"events": assigned})  # the same pushes again (a catch-up): shown once
    assert tab.count("#notify .notice") == 2
    assert "SSOZ-2026-000002 Korekta 2" in tab.text("#notify .notice")  # the newest first
