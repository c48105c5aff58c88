"""A page whose websocket was away catches up on reconnect: it remembers the last event it knew of (rendered into
the page) and asks the server what changed after it, through the same access layer as the page itself.

Pushes sent while a socket is disconnected are gone (channel layers keep nothing); the event log is not."""

import re

import pytest

from tests.ticket_requests import add_one, new_entry, new_ticket, open_one
from tickets import actions
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _cursor(html: bytes, element_id: str) -> int:
    tag = re.search(rf'<[^>]*id="{element_id}"[^>]*>', html.decode()).group(0)
    return int(re.search(r'data-last-event="(\d+)"', tag).group(1))


def test_the_list_learns_which_tickets_changed_while_its_socket_was_away(
    client, alice, bob, queue_14, queue_24, open_email_ticket
):
    seen = open_email_ticket(queue_14, subject="Korekta MZ-11")
    untouched = open_email_ticket(queue_14, subject="Termin MZ-03")
    client.force_login(alice)
    cursor = _cursor(client.get("/tickets/").content, "live-notice")

    # while alice's socket is away: a note on one ticket, a new ticket elsewhere
    actions.add_entries([new_entry(ticket=seen, kind="note", body_text="Sprawdzam")], actor=bob)[0]
    new = open_email_ticket(queue_24, subject="Nowe pytanie")

    caught_up = client.get("/tickets/changes", {"after": cursor}).json()
    assert set(caught_up["references"]) == {seen.reference, new.reference}
    assert untouched.reference not in caught_up["references"] and caught_up["more"] is False
    assert caught_up["last_event"] > cursor

    again = client.get("/tickets/changes", {"after": caught_up["last_event"]}).json()
    assert again["references"] == [] and again["last_event"] == caught_up["last_event"]


def test_a_catch_up_is_scoped_like_the_list(client, bob, celina, queue_14, queue_24, open_email_ticket):
    mazowsze = open_email_ticket(queue_14)
    slask = open_email_ticket(queue_24)
    client.force_login(celina)
    assert client.get("/tickets/changes", {"after": 0}).json()["references"] == [slask.reference]
    client.force_login(bob)
    assert client.get("/tickets/changes", {"after": 0}).json()["references"] == [mazowsze.reference]


def test_a_catch_up_names_at_most_its_limit_of_tickets_and_says_there_were_more(alice, queue_14, open_email_ticket):
    from tickets import selectors

    for n in range(3):
        open_email_ticket(queue_14, subject=f"Pytanie {n}")
    caught_up = selectors.tickets_changed_since(alice, 0, limit=2)
    assert len(caught_up["references"]) == 2 and caught_up["more"] is True


def test_the_ticket_page_learns_what_others_changed_while_its_socket_was_away(
    client, alice, bob, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    cursor = _cursor(client.get(f"/tickets/{ticket.reference}/").content, "live-ticket")

    actions.add_entries([new_entry(ticket=ticket, kind="note", body_text="Dzwoniłem do jednostki")], actor=bob)[0]
    actions.change_status(actor=alice, ticket=ticket, status=Status.WAITING_CUSTOMER)  # her own: not news to her
    actions.follow(actor=bob, ticket=ticket, by_email=False)  # following changes nothing on the page

    caught_up = client.get(f"/tickets/{ticket.reference}/changes", {"after": cursor}).json()
    assert [change["actor"] for change in caught_up["changes"]] == ["Bob"]
    assert caught_up["changes"][0]["description"]
    assert caught_up["last_event"] > cursor
    again = client.get(f"/tickets/{ticket.reference}/changes", {"after": caught_up["last_event"]}).json()
    assert again["changes"] == []


def test_a_regional_admin_of_another_voivodeship_gets_404_for_the_ticket_catch_up(
    client, celina, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(celina)
    assert client.get(f"/tickets/{ticket.reference}/changes", {"after": 0}).status_code == 404


def test_a_knowledge_base_editor_and_an_anonymous_visitor_learn_nothing(client, redaktor, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    for path in ("/tickets/changes", f"/tickets/{ticket.reference}/changes"):
        assert client.get(path, {"after": 0}).status_code == 302  # to the login page
    client.force_login(redaktor)  # no ticket pages at all: refused, saying nothing of the ticket
    for path in ("/tickets/changes", f"/tickets/{ticket.reference}/changes"):
        response = client.get(path, {"after": 0})
        assert response.status_code == 403 and ticket.subject not in response.content.decode()


@pytest.mark.parametrize("after", ["", "-1", "abc", "1.5", "9" * 40])
def test_a_malformed_cursor_gets_a_clear_polish_error(client, alice, queue_14, open_email_ticket, after):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    for path in ("/tickets/changes", f"/tickets/{ticket.reference}/changes"):
        response = client.get(path, {"after": after})
        assert response.status_code == 400
        assert "numerem zdarzenia" in response.json()["error"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_client_that_reconnects_on_the_production_set_up_catches_up_on_what_it_missed(
    redis_url, tmp_path, alice, bob, queue_14
):
    """daphne with Redis as the channel layer: what was pushed while the socket was away never arrives on the new
    socket, and the catch-up names it."""
    import http.client
    import json

    from django.db import transaction
    from django.test import Client, override_settings
    from websockets.sync.client import connect

    from tests.daphne_server import Daphne

    web = Client()
    web.force_login(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    server = Daphne(tmp_path, redis_url).start()

    def get(path: str) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            assert response.status == 200, (path, response.status)
            return response.read()
        finally:
            connection.close()

    def socket():
        return connect(
            f"ws://127.0.0.1:{server.port}/ws/tickets/",
            additional_headers={"Cookie": cookie, "Origin": server.origin},
            open_timeout=30,
        )

    def change(fn, *args, **kwargs):
        with override_settings(CHANNEL_LAYERS=server.channel_layers), transaction.atomic():
            return fn(*args, **kwargs)

    opening = {"channel": "email", "body_text": "Pytanie", "queue": queue_14}
    try:
        cursor = _cursor(get("/tickets/"), "live-notice")
        with socket() as first:
            heard = change(open_one, new_ticket(subject="Korekta MZ-11", **opening), actor=None)
            assert json.loads(first.recv(timeout=15))["reference"] == heard.reference
        # the socket is away: these pushes go to Redis with nobody listening
        change(add_one, new_entry(ticket=heard, kind="note", body_text="Sprawdzam"), actor=bob)
        missed = change(open_one, new_ticket(subject="Termin MZ-03", **opening), actor=None)
        with socket() as second:
            with pytest.raises(TimeoutError):
                second.recv(timeout=2)
            caught_up = json.loads(get(f"/tickets/changes?after={cursor}"))
            assert set(caught_up["references"]) == {heard.reference, missed.reference}
            later = change(open_one, new_ticket(subject="Korekta MZ-06", **opening), actor=None)
            assert json.loads(second.recv(timeout=15))["reference"] == later.reference
    finally:
        server.stop()
