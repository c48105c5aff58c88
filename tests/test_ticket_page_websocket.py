"""The ticket page's websocket: who else is viewing, who is typing, changes, and the same scoping as pages."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from helpdesk import outbox
from helpdesk.asgi import application
from tests.ticket_requests import add_one, new_entry, new_ticket, open_one
from tickets import actions

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


async def _connect(user, path):
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def _next(communicator, change):
    while True:
        event = await communicator.receive_json_from(timeout=2)
        if event["change"] == change:
            return event


async def test_viewers_see_each_other_and_who_is_typing(alice, bob, queue_14):
    await database_sync_to_async(cache.clear)()
    ticket = await database_sync_to_async(open_one)(
        new_ticket(channel="email", subject="MZ-88", body_text="Pytanie", queue=queue_14), actor=None
    )
    path = f"/ws/tickets/{ticket.reference}/"
    first, connected, _ = await _connect(alice, path)
    assert connected
    second, connected, _ = await _connect(bob, path)
    assert connected
    presence = await _next(first, "presence")
    while len(presence["viewers"]) < 2:
        presence = await _next(first, "presence")
    assert sorted(v["name"] for v in presence["viewers"]) == ["Alice", "Bob"]

    await second.send_json_to({"type": "typing"})
    typing = await _next(first, "typing")
    assert typing["user"] == "Bob"

    await database_sync_to_async(add_one)(new_entry(ticket=ticket, kind="note", body_text="Sprawdzam"), actor=bob)
    await database_sync_to_async(outbox.drain)()
    change = await _next(first, "entry_added")
    assert change["actor"] == "Bob" and change["reference"] == ticket.reference

    await second.disconnect()
    presence = await _next(first, "presence")
    assert [v["name"] for v in presence["viewers"]] == ["Alice"]
    await first.disconnect()


async def test_a_regional_admin_of_another_voivodeship_cannot_open_the_ticket_socket(celina, queue_14):
    ticket = await database_sync_to_async(open_one)(
        new_ticket(channel="email", subject="MZ-88", body_text="Pytanie", queue=queue_14), actor=None
    )
    _communicator, connected, code = await _connect(celina, f"/ws/tickets/{ticket.reference}/")
    assert not connected and code == 4404


async def test_assignment_is_announced_to_the_new_assignee(alice, bob, queue_14):
    ticket = await database_sync_to_async(open_one)(
        new_ticket(channel="email", subject="Korekta MZ-11", body_text="Pytanie", queue=queue_14), actor=None
    )
    communicator, connected, _ = await _connect(bob, "/ws/notify/")
    assert connected
    await database_sync_to_async(actions.assign)(actor=alice, ticket=ticket, assignee=bob)
    await database_sync_to_async(outbox.drain)()
    event = await _next(communicator, "assigned_to_you")
    assert event["reference"] == ticket.reference and event["subject"] == "Korekta MZ-11"
    await communicator.disconnect()
