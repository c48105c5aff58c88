"""Websockets decide access for every event, not only at connection (issue 13, finding 3): a ticket that
moves to another voivodeship, a logout, a password change and a one-time password each end what an open
socket receives: entries, status changes, presence and typing."""

import datetime as dt

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from helpdesk import outbox
from helpdesk.asgi import application
from helpdesk.staff import change_own_password, issue_one_time_password
from tests.ticket_requests import add_one, new_entry, new_ticket, open_one
from tickets import actions, consumers

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


async def _login(user) -> Client:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    return client


async def _connect(client: Client, path: str):
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def _events_until_closed(communicator) -> tuple[list[dict], int | None]:
    """Everything the socket is sent until it is quiet (events) and the close code, if it was closed."""
    events = []
    while not await communicator.receive_nothing(timeout=0.3):
        output = await communicator.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            return events, output.get("code")
        events.append(output["text"])
    return events, None


async def _open_ticket(queue, subject="Korekta MZ-11"):
    return await database_sync_to_async(open_one)(
        new_ticket(channel="email", subject=subject, body_text="Pytanie o dział II", queue=queue), actor=None
    )


async def test_a_ticket_moved_to_another_voivodeship_is_no_longer_pushed_to_its_old_administrator(
    alice, bob, queue_14, queue_24
):
    await database_sync_to_async(cache.clear)()
    ticket = await _open_ticket(queue_14)
    bob_client = await _login(bob)
    page, connected, _ = await _connect(bob_client, f"/ws/tickets/{ticket.reference}/")
    assert connected
    stream, connected, _ = await _connect(bob_client, "/ws/tickets/")
    assert connected
    await _events_until_closed(page)  # bob's own presence

    await database_sync_to_async(actions.move_to_queue)(actor=alice, ticket=ticket, queue=queue_24)
    await database_sync_to_async(outbox.drain)()
    events, code = await _events_until_closed(page)
    assert events == [] and code == consumers.CLOSE_NOT_FOUND  # not even the "moved" change
    stream_events, _ = await _events_until_closed(stream)
    assert [e for e in stream_events if "moved_away" not in e] == []  # the list is told only to drop it

    alice_page, connected, _ = await _connect(await _login(alice), f"/ws/tickets/{ticket.reference}/")
    assert connected
    await alice_page.send_json_to({"type": "typing"})
    await database_sync_to_async(add_one)(
        new_entry(ticket=ticket, kind="note", body_text="Notatka: PESEL 44051401359"), actor=alice
    )
    await database_sync_to_async(outbox.drain)()
    events, _ = await _events_until_closed(stream)
    assert events == []
    assert await page.receive_nothing(timeout=0.3)
    await alice_page.disconnect()
    await stream.disconnect()


async def test_after_logout_the_open_sockets_receive_nothing_and_close(alice, bob, queue_14):
    await database_sync_to_async(cache.clear)()
    ticket = await _open_ticket(queue_14)
    client = await _login(alice)
    page, _, _ = await _connect(client, f"/ws/tickets/{ticket.reference}/")
    stream, _, _ = await _connect(client, "/ws/tickets/")
    notify, _, _ = await _connect(client, "/ws/notify/")
    await _events_until_closed(page)
    await database_sync_to_async(client.logout)()

    await database_sync_to_async(add_one)(new_entry(ticket=ticket, kind="note", body_text="Nowa notatka"), actor=bob)
    await database_sync_to_async(actions.assign)(actor=bob, ticket=ticket, assignee=alice)
    await database_sync_to_async(outbox.drain)()
    for communicator in (page, stream, notify):
        events, code = await _events_until_closed(communicator)
        assert events == [] and code == consumers.CLOSE_SESSION_ENDED


async def test_presence_and_typing_stop_reaching_a_logged_out_viewer(alice, bob, queue_14):
    await database_sync_to_async(cache.clear)()
    ticket = await _open_ticket(queue_14)
    alice_client = await _login(alice)
    watcher, _, _ = await _connect(alice_client, f"/ws/tickets/{ticket.reference}/")
    await _events_until_closed(watcher)
    await database_sync_to_async(alice_client.logout)()

    typist, connected, _ = await _connect(await _login(bob), f"/ws/tickets/{ticket.reference}/")
    assert connected
    await typist.send_json_to({"type": "typing"})
    events, code = await _events_until_closed(watcher)
    assert not any("Bob" in event for event in events) and code == consumers.CLOSE_SESSION_ENDED
    await typist.disconnect()


async def test_a_password_change_elsewhere_ends_the_sockets_of_the_old_session(alice, bob, queue_14):
    ticket = await _open_ticket(queue_14)
    client = await _login(alice)
    stream, _, _ = await _connect(client, "/ws/tickets/")
    await database_sync_to_async(change_own_password)(alice, "Nowe-Hasło-2026!")
    await database_sync_to_async(add_one)(new_entry(ticket=ticket, kind="note", body_text="Notatka"), actor=bob)
    await database_sync_to_async(outbox.drain)()
    events, code = await _events_until_closed(stream)
    assert events == [] and code == consumers.CLOSE_SESSION_ENDED


@pytest.mark.parametrize("path", ["/ws/tickets/", "/ws/notify/", "ticket"])
async def test_a_user_who_must_change_a_one_time_password_cannot_connect(alice, queue_14, path):
    ticket = await _open_ticket(queue_14)
    await database_sync_to_async(issue_one_time_password)(alice)
    client = await _login(alice)  # logged in with the one-time password, not yet changed
    if path == "ticket":
        path = f"/ws/tickets/{ticket.reference}/"
    _communicator, connected, code = await _connect(client, path)
    assert not connected and code in (consumers.CLOSE_FORBIDDEN, consumers.CLOSE_NOT_FOUND)


async def test_a_deactivated_account_loses_its_sockets_at_once(alice):
    stream, _, _ = await _connect(await _login(alice), "/ws/tickets/")

    def deactivate():
        alice.is_active = False
        alice.save()

    await database_sync_to_async(deactivate)()
    events, code = await _events_until_closed(stream)
    assert events == [] and code == consumers.CLOSE_SESSION_ENDED


async def test_a_regional_admin_moved_to_another_voivodeship_gets_its_tickets_instead(bob, alice, queue_14, queue_24):
    ticket_14 = await _open_ticket(queue_14, "Sprawa z województwa 14")
    ticket_24 = await _open_ticket(queue_24, "Sprawa z województwa 24")
    stream, _, _ = await _connect(await _login(bob), "/ws/tickets/")
    await database_sync_to_async(bob.voivodeships.set)(["24"])
    await _events_until_closed(stream)  # the socket re-reads bob's access and changes its groups

    for ticket in (ticket_14, ticket_24):
        await database_sync_to_async(actions.change_status)(actor=alice, ticket=ticket, status="waiting_customer")
    await database_sync_to_async(outbox.drain)()
    events, code = await _events_until_closed(stream)
    assert code is None and ticket_24.reference in " ".join(events) and ticket_14.reference not in " ".join(events)
    await stream.disconnect()


async def test_a_socket_outliving_its_session_closes_at_the_next_event(alice, bob, queue_14):
    with time_machine.travel(dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC), tick=True) as traveller:
        ticket = await _open_ticket(queue_14)
        stream, _, _ = await _connect(await _login(alice), "/ws/tickets/")
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        await database_sync_to_async(add_one)(new_entry(ticket=ticket, kind="note", body_text="Notatka"), actor=bob)
        await database_sync_to_async(outbox.drain)()
        events, code = await _events_until_closed(stream)
    assert events == [] and code == consumers.CLOSE_SESSION_ENDED


async def test_a_ticket_about_their_unit_in_the_central_queue_still_reaches_the_regional_admin(alice, bob, central):
    from contacts.models import ReportingUnit

    def prepare():
        unit = ReportingUnit.objects.create(name="Przychodnia Pod Lipami", regon="123456785", voivodeship_id="14")
        return actions.open_tickets(
            [new_ticket(channel="email", subject="MZ-88", body_text="Pytanie", queue=central, reporting_unit=unit)],
            actor=None,
        )[0]

    ticket = await database_sync_to_async(prepare)()
    page, connected, _ = await _connect(await _login(bob), f"/ws/tickets/{ticket.reference}/")
    assert connected
    await _events_until_closed(page)
    await database_sync_to_async(add_one)(new_entry(ticket=ticket, kind="note", body_text="Notatka"), actor=alice)
    await database_sync_to_async(outbox.drain)()
    events, code = await _events_until_closed(page)
    assert code is None and any('"entry_added"' in event for event in events)
    await page.disconnect()
