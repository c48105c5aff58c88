"""Live notices over /ws/notify/: an @mention reaches the colleague's socket, a change of a followed ticket
reaches its followers; the regional administrator of another voivodeship receives none of it."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from helpdesk import outbox
from helpdesk.asgi import application
from tests.ticket_requests import add_one, new_entry, new_ticket, open_one
from tickets import actions
from tickets.models import Entry, Status

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


async def _notify_socket(user):
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, "/ws/notify/", headers=headers)
    connected, _code = await communicator.connect()
    assert connected
    return communicator


async def _open(queue):
    return await database_sync_to_async(open_one)(
        new_ticket(channel="email", subject="Korekta MZ-11", body_text="Pytanie", queue=queue), actor=None
    )


async def test_a_mention_reaches_the_colleagues_socket(alice, bob, celina, queue_14):
    ticket = await _open(queue_14)
    bobs, celinas = await _notify_socket(bob), await _notify_socket(celina)
    await database_sync_to_async(add_one)(
        new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="@bob zadzwonisz do nich?"), actor=alice
    )
    await database_sync_to_async(outbox.drain)()
    event = await bobs.receive_json_from(timeout=2)
    assert event.pop("notice") > 0  # the outbox row's id: the page's cursor for catching up after a reconnect
    assert event.pop("place") == ["14", None]  # the ticket's place: the socket decides the read rule from it
    assert event == {"change": "mentioned", "reference": ticket.reference, "subject": "Korekta MZ-11", "by": "Alice"}
    assert await celinas.receive_nothing(timeout=0.3)
    await bobs.disconnect()
    await celinas.disconnect()


async def test_followers_hear_live_of_a_new_entry_and_a_status_change(alice, bob, celina, queue_14):
    ticket = await _open(queue_14)
    await database_sync_to_async(actions.follow)(actor=bob, ticket=ticket)
    bobs, celinas = await _notify_socket(bob), await _notify_socket(celina)
    await database_sync_to_async(add_one)(
        new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, to=["kadry@example.pl"], body_text="Odpowiedź"), actor=alice
    )
    await database_sync_to_async(outbox.drain)()
    first = await bobs.receive_json_from(timeout=2)
    assert (first["change"], first["what"], first["reference"], first["by"]) == (
        "followed",
        "entry_added",
        ticket.reference,
        "Alice",
    )
    await database_sync_to_async(actions.change_status)(actor=alice, ticket=ticket, status=Status.RESOLVED)
    await database_sync_to_async(outbox.drain)()
    second = await bobs.receive_json_from(timeout=2)
    assert (second["what"], second["detail"]) == ("status_changed", "rozwiązane")
    await asyncio.sleep(0)
    assert await celinas.receive_nothing(timeout=0.3)
    await bobs.disconnect()
    await celinas.disconnect()
