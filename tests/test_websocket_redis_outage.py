"""Redis (the channel layer) stopped and started under a real daphne: websocket handshakes are refused cleanly
(403) or succeed, never 500; an open socket is closed with 4503 so the page reconnects; once Redis is back the
first handshake succeeds and live updates arrive again.

Before: a handshake while Redis was away (and the first one after it came back) answered 500, because the
channel layer's error escaped the consumer (joining the groups, or the blocking read of its own channel that
channels starts with the connection) and daphne answered the unaccepted handshake with a server error."""

import json
import time

import pytest
from django.db import transaction
from django.test import Client, override_settings
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from helpdesk import outbox
from tests.conftest import need_server
from tests.daphne_server import Daphne
from tests.redis_server import RedisServer, available
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.consumers import CLOSE_TRY_AGAIN_LATER


def _socket(server: Daphne, path: str, session: str):
    headers = {"Cookie": f"sessionid={session}", "Origin": server.origin}
    return connect(f"ws://127.0.0.1:{server.port}{path}", additional_headers=headers, open_timeout=30)


def _handshake_status(server: Daphne, path: str, session: str) -> int:
    try:
        with _socket(server, path, session):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def _closed_with(sock, server: Daphne) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            sock.recv(timeout=max(0.1, deadline - time.monotonic()))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006
        except TimeoutError:
            break
    pytest.fail(f"the socket stayed open although Redis was gone; daphne said:\n{server.output()}")


@pytest.fixture
def own_redis(tmp_path):
    need_server("redis-server", available(), "apt-get install redis-server")
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_websockets_are_refused_cleanly_while_redis_is_away_and_live_updates_resume_after(
    own_redis, tmp_path, alice, queue_14
):
    web = Client()
    web.force_login(alice)
    session = web.cookies["sessionid"].value
    server = Daphne(tmp_path, own_redis.url).start()
    paths = ("/ws/tickets/", "/ws/notify/")
    try:
        with _socket(server, "/ws/tickets/", session) as open_socket:
            own_redis.stop()
            assert _closed_with(open_socket, server) == CLOSE_TRY_AGAIN_LATER

        assert [_handshake_status(server, path, session) for path in paths] == [403, 403]

        own_redis.start()  # empty: the groups joined before are gone with it
        with _socket(server, "/ws/tickets/", session) as sock:  # the very first handshake after: no 500
            with override_settings(CHANNEL_LAYERS=server.channel_layers), transaction.atomic():
                ticket = actions.open_tickets(
                    [new_ticket(channel="email", subject="Korekta MZ-11", body_text="Pytanie", queue=queue_14)],
                    actor=None,
                )[0]
            with override_settings(CHANNEL_LAYERS=server.channel_layers):
                outbox.drain()
            event = json.loads(sock.recv(timeout=15))
            assert (event["change"], event["reference"]) == ("opened", ticket.reference)
        assert _handshake_status(server, "/ws/notify/", session) == 101
    finally:
        if own_redis.process is None:
            own_redis.start()  # Daphne.stop() removes its keys
        server.stop()
    output = server.output()
    assert "Exception inside application" not in output and " 500 " not in output, output
