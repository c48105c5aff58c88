"""Websockets stay up while nothing happens, on the production set-up: a real daphne process with Redis as the
channel layer (REDIS_URL), not the in-memory layer the rest of the suite uses.

redis-py 8's default 5 s socket timeout equalled channels-redis's 5 s blocking read, so every idle socket was
closed with 1011 after about 5 s (helpdesk/channel_layer.py). One test idles for a minute: keep it the only one.
"""

import json
from contextlib import ExitStack

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import Client, override_settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from helpdesk import outbox
from helpdesk.channel_layer import blocking_read_seconds, redis_channel_layer
from tests.daphne_server import Daphne
from tests.ticket_requests import new_ticket
from tickets import actions

IDLE_SECONDS = 60


def _socket(server: Daphne, path: str, session: str):
    headers = {"Cookie": f"sessionid={session}", "Origin": server.origin}
    return connect(f"ws://127.0.0.1:{server.port}{path}", additional_headers=headers, open_timeout=30)


def _still_open_after(sockets: dict, seconds: float, server: Daphne) -> None:
    """Nothing arrives for `seconds` and no socket is closed (the first recv waits the whole time)."""
    for index, (path, sock) in enumerate(sockets.items()):
        try:
            message = sock.recv(timeout=seconds if index == 0 else 0.1)
        except TimeoutError:
            continue
        except ConnectionClosed as closed:
            pytest.fail(f"{path} closed while idle ({closed.rcvd}); daphne said:\n{server.output()}")
        pytest.fail(f"{path} got an unexpected message while idle: {message}")


def _next_event(sock, change: str) -> dict:
    while True:
        event = json.loads(sock.recv(timeout=15))
        if event.get("change") == change:
            return event


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_idle_websocket_stays_open_for_a_minute_and_then_receives_its_event(
    redis_url, tmp_path, alice, szef, queue_14
):
    client = Client()
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    server = Daphne(tmp_path, redis_url).start()
    try:
        with ExitStack() as stack:
            sockets = {
                path: stack.enter_context(_socket(server, path, session)) for path in ("/ws/tickets/", "/ws/notify/")
            }
            _still_open_after(sockets, IDLE_SECONDS, server)

            # the change travels the production path: action → outbox → channel layer in Redis → daphne
            with override_settings(CHANNEL_LAYERS=server.channel_layers):
                with transaction.atomic():
                    ticket = actions.open_tickets(
                        [new_ticket(channel="email", subject="Korekta MZ-11", body_text="Pytanie", queue=queue_14)],
                        actor=None,
                    )[0]
                with transaction.atomic():
                    actions.assign(actor=szef, ticket=ticket, assignee=alice)
                outbox.drain()

            opened = _next_event(sockets["/ws/tickets/"], "opened")
            assert opened["reference"] == ticket.reference
            assigned = _next_event(sockets["/ws/notify/"], "assigned_to_you")
            assert assigned["reference"] == ticket.reference
    finally:
        server.stop()
    assert "TimeoutError" not in server.output()


def test_the_channel_layers_read_timeout_outlasts_its_blocking_read():
    (host,) = redis_channel_layer("redis://127.0.0.1:6379/3")["CONFIG"]["hosts"]
    assert host["address"] == "redis://127.0.0.1:6379/3"
    assert host["socket_timeout"] > blocking_read_seconds()


def test_a_redis_url_whose_socket_timeout_would_close_idle_websockets_is_refused():
    with pytest.raises(ImproperlyConfigured, match="socket_timeout=5"):
        redis_channel_layer("redis://127.0.0.1:6379/3?socket_timeout=5")
    (host,) = redis_channel_layer("redis://127.0.0.1:6379/3?socket_timeout=30")["CONFIG"]["hosts"]
    assert host["address"].endswith("socket_timeout=30")  # redis-py takes the URL's value, long enough
