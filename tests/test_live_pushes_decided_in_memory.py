"""A websocket decides whether a ticket's push may reach its user from the push itself (issue 16): the push
carries the ticket's place (ticket_access.push_place) and the socket applies the read rule of the pages
(ticket_access.may_read_place) in memory, without a query per event and socket. It must decide exactly as the
ticket itself would (every persona, every place), still fall back to the database for a push without a place,
keep the regional administrator of another voivodeship out, and deliver nothing once access has ended: at the
announcement, or, for a session ended without one, at the periodic re-reading of the session."""

import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from contacts.models import ReportingUnit
from helpdesk import outbox
from helpdesk.asgi import application
from helpdesk.channel_layer import redis_channel_layer
from helpdesk.models import OutboxMessage, Role, User
from tests.ticket_requests import add_one, new_entry, new_ticket
from tickets import actions, consumers, ticket_access
from tickets.models import Queue

PLACES = [  # (queue, voivodeship of the reporting unit or None)
    ("woj-14", None),
    ("woj-14", "24"),
    ("woj-24", "14"),
    ("centralna", None),
    ("centralna", "14"),
    ("do-rozdzielenia", "24"),
]
LAYERS = [pytest.param("memory", id="in-memory layer"), pytest.param("redis", id="redis", marks=pytest.mark.redis)]


def _tickets_everywhere():
    units = {
        "14": ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14"),
        "24": ReportingUnit.objects.create(name="Przychodnia w Gliwicach", regon="730000005", voivodeship_id="24"),
    }
    return actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject=f"Zgłoszenie w {queue} o jednostce {unit}",
                body_text="Pytanie o MZ-11",
                queue=Queue.objects.get(slug=queue),
                reporting_unit=units[unit] if unit else None,
            )
            for queue, unit in PLACES
        ],
        actor=None,
    )


@pytest.fixture
def dorota(db) -> User:
    """A regional administrator of two voivodeships."""
    user = User.objects.create_user(username="dorota", password="test-pass-123", role=Role.REGIONAL_ADMIN)
    user.voivodeships.set(["14", "24"])
    return user


@pytest.mark.django_db
def test_the_place_a_push_carries_decides_as_the_ticket_itself_without_a_query(
    alice, bob, celina, szef, redaktor, dorota, django_assert_num_queries
):
    tickets = _tickets_everywhere()
    for user in (alice, bob, celina, szef, redaktor, dorota):
        for ticket in tickets:
            may_read = ticket_access.may_read(user, ticket)
            event = {"change": "status_changed", "reference": ticket.reference, **ticket_access.push_place(ticket)}
            with django_assert_num_queries(0):
                on_a_list = consumers.decided(user, event)
                on_its_page = consumers.decided(user, event, ticket.pk)
            assert (on_a_list is None) == may_read and on_a_list in (None, 0), (user, ticket.subject)
            assert on_its_page == (None if may_read else consumers.CLOSE_NOT_FOUND), (user, ticket.subject)
            assert consumers.deliverable(user, {"reference": ticket.reference}) == on_a_list  # from the database


@pytest.mark.django_db
def test_a_push_without_a_place_is_decided_from_the_ticket_as_it_is_now(bob, celina):
    ticket = _tickets_everywhere()[4]  # the central queue, about a unit of 14
    without = {"change": "entry_added", "reference": ticket.reference}
    for event in (without, {**without, "place": 7}, {**without, "place": ["14"]}):
        assert consumers.decided(bob, event) == consumers.UNDECIDED
        assert consumers.deliverable(bob, event) is None
        assert consumers.deliverable(celina, event) == 0
        assert consumers.deliverable(celina, event, ticket.pk) == consumers.CLOSE_NOT_FOUND


@pytest.mark.django_db
def test_every_push_about_a_ticket_carries_its_place(alice, bob):
    """Opening, a note with a mention, a status, an assignment (and its notice to the assignee), a move: each
    push that names a ticket carries where the ticket is after the change, except "moved_away" (delivered to
    lists that must drop the ticket, without a check)."""
    ticket = _tickets_everywhere()[0]
    add_one(new_entry(ticket=ticket, kind="note", body_text="@bob proszę o kontakt"), actor=alice)
    actions.change_status(actor=alice, ticket=ticket, status="waiting_customer")
    actions.assign(actor=alice, ticket=ticket, assignee=bob)
    actions.move_to_queue(actor=alice, ticket=ticket, queue=Queue.objects.get(slug="woj-24"))
    events = [row.payload["event"] for row in OutboxMessage.objects.filter(kind=OutboxMessage.Kind.PUSH)]
    about = [event for event in events if event.get("reference") == ticket.reference]
    changes = {event["change"] for event in about}
    assert {"opened", "entry_added", "mentioned", "status_changed", "assigned", "assigned_to_you", "moved"} <= changes
    for event in about:
        if event["change"] == "moved_away":
            assert "place" not in event
        elif event["change"] == "moved":
            assert event["place"] == ["24", None]
        else:
            assert event["place"] == ["14", None], event["change"]


def test_a_push_is_encoded_once_for_all_sockets_of_the_process():
    event = {"change": "status_changed", "reference": "SSOZ-2026-000001", "notice": 10**9}
    assert consumers.encoded(event) is consumers.encoded(dict(event))
    assert '"moved"' in consumers.encoded({**event, "change": "moved"})  # the same id, another push: encoded anew
    for notice in range(consumers.ENCODED_PUSHES + 10):
        consumers.encoded({"notice": notice})
    assert len(consumers._encoded) <= consumers.ENCODED_PUSHES
    assert consumers.encoded({"change": "typing", "user": "Alice"}) == '{"change": "typing", "user": "Alice"}'


# --- through the consumers -------------------------------------------------------------------------------


@pytest.fixture
def channel_layer(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CHANNEL_LAYERS = {"default": redis_channel_layer(url, prefix=f"test-mem-{uuid.uuid4().hex[:8]}")}
    yield request.param


async def _login(user) -> Client:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    return client


async def _connect(client: Client, path: str):
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected, path
    return communicator


async def _until_quiet(communicator) -> tuple[list[str], int | None]:
    events = []
    while not await communicator.receive_nothing(timeout=0.4):
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            return events, output.get("code")
        events.append(output["text"])
    return events, None


async def _changes(actor, tickets) -> None:
    for ticket in tickets:
        await database_sync_to_async(actions.change_status)(actor=actor, ticket=ticket, status="waiting_customer")
        await database_sync_to_async(add_one)(new_entry(ticket=ticket, kind="note", body_text="Notatka"), actor=actor)
    await database_sync_to_async(outbox.drain)()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("channel_layer", LAYERS, indirect=True)
async def test_the_regional_admin_of_another_voivodeship_never_receives_the_push(channel_layer, alice, bob, celina):
    """Celina (24) has her list, her notices and the page of a ticket of her own open; the tickets only of
    Masovia change, by the queue or only by the unit: bob (14) hears of each, celina of none."""
    tickets = await database_sync_to_async(_tickets_everywhere)()
    places = await database_sync_to_async(lambda: [ticket_access.place_of(t).voivodeships for t in tickets])()
    masovian_only = [t for t, codes in zip(tickets, places, strict=True) if codes == {"14"}]
    silesian = next(t for t, codes in zip(tickets, places, strict=True) if codes == {"24"})
    assert len(masovian_only) == 2  # one by its queue, one in the central queue by its unit
    celina_client, bob_client = await _login(celina), await _login(bob)
    celinas = [await _connect(celina_client, path) for path in ("/ws/tickets/", "/ws/notify/")]
    celinas_page = await _connect(celina_client, f"/ws/tickets/{silesian.reference}/")
    bobs_list = await _connect(bob_client, "/ws/tickets/")
    await _until_quiet(celinas_page)  # her own presence

    await _changes(alice, masovian_only)
    heard = " ".join((await _until_quiet(bobs_list))[0])
    assert all(ticket.reference in heard for ticket in masovian_only)
    for communicator in (*celinas, celinas_page):
        assert await _until_quiet(communicator) == ([], None)
    for communicator in (*celinas, celinas_page, bobs_list):
        await communicator.disconnect()
    if channel_layer == "redis":
        await get_channel_layer().flush()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_socket_whose_access_ended_gets_nothing_after_the_announcement(alice, bob):
    """Bob's voivodeships change to 24 (announced to his sockets): his page of a ticket of 14 closes, his list
    hears nothing more of 14, although the pushes carry a place he read a moment ago."""
    ticket = (await database_sync_to_async(_tickets_everywhere)())[0]  # woj-14
    client = await _login(bob)
    page, stream = await _connect(client, f"/ws/tickets/{ticket.reference}/"), await _connect(client, "/ws/tickets/")
    await _until_quiet(page)
    await _changes(alice, [ticket])
    assert len((await _until_quiet(stream))[0]) == 2  # before: he hears of it
    assert len((await _until_quiet(page))[0]) == 2

    await database_sync_to_async(bob.voivodeships.set)(["24"])
    closed = await page.receive_output(timeout=10)  # the announcement read, the ticket out of sight
    assert closed == {"type": "websocket.close", "code": consumers.CLOSE_NOT_FOUND}
    await _changes(alice, [ticket])
    assert await _until_quiet(stream) == ([], None)
    await stream.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_session_ended_without_an_announcement_is_found_at_the_periodic_reading(alice, bob, monkeypatch):
    """The session's row deleted behind the application's back (no logout, nothing announced): with the
    re-reading due, the next event closes the socket instead of reaching it."""
    ticket = (await database_sync_to_async(_tickets_everywhere)())[0]
    client = await _login(bob)
    stream = await _connect(client, "/ws/tickets/")
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0.0)
    await database_sync_to_async(Session.objects.filter(session_key=client.cookies["sessionid"].value).delete)()
    await _changes(alice, [ticket])
    assert await _until_quiet(stream) == ([], consumers.CLOSE_SESSION_ENDED)
