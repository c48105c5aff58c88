"""A regional administrator's live ticket list updates for every ticket their list shows: also a ticket about one
of their reporting units sitting in a national (central or triage) queue. Before issue 15 the list showed such a
ticket (tickets_for_user: queue OR unit) but pushes went by the queue's voivodeship only, so it never updated live.
Through the real consumer, on the in-memory channel layer and on Redis (the production layer)."""

import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from contacts.models import ReportingUnit
from helpdesk import outbox
from helpdesk.asgi import application
from helpdesk.channel_layer import redis_channel_layer
from helpdesk.models import Role, User
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Queue

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LAYERS = [pytest.param("memory", id="in-memory layer"), pytest.param("redis", id="redis", marks=pytest.mark.redis)]


@pytest.fixture
def channel_layer(request, settings):
    """The channel layer the consumers and the outbox use in this test: in memory, or a Redis of its own prefix."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CHANNEL_LAYERS = {"default": redis_channel_layer(url, prefix=f"test-access-{uuid.uuid4().hex[:8]}")}
    yield request.param


async def _live_list(user):
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application, "/ws/tickets/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _received(communicator) -> list[dict]:
    events = []
    while not await communicator.receive_nothing(timeout=0.5):
        events.append(await communicator.receive_json_from(timeout=2))
    return events


def _radom_ticket_in(queue_slug: str):
    unit = ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14")
    request = new_ticket(
        channel="email",
        subject="Nie mogę złożyć MZ-11",
        body_text="System odrzuca sprawozdanie.",
        queue=Queue.objects.get(slug=queue_slug),
        reporting_unit=unit,
    )
    return actions.open_tickets([request], actor=None)[0]


@pytest.mark.parametrize("channel_layer", LAYERS, indirect=True)
@pytest.mark.parametrize("queue_slug", ["do-rozdzielenia", "centralna"])
async def test_a_regional_admin_hears_live_of_a_ticket_about_their_unit_in_a_national_queue(
    channel_layer, queue_slug, alice, bob, celina
):
    bob_list, celina_list = await _live_list(bob), await _live_list(celina)

    ticket = await database_sync_to_async(_radom_ticket_in)(queue_slug)
    await database_sync_to_async(actions.change_status)(actor=alice, ticket=ticket, status="open")
    await database_sync_to_async(outbox.drain)()

    heard = await _received(bob_list)
    assert [(event["change"], event["reference"]) for event in heard] == [
        ("opened", ticket.reference),
        ("status_changed", ticket.reference),
    ]
    assert await _received(celina_list) == []  # the regional administrator of another voivodeship
    for communicator in (bob_list, celina_list):
        await communicator.disconnect()
    if channel_layer == "redis":
        await get_channel_layer().flush()


@pytest.mark.parametrize("channel_layer", LAYERS, indirect=True)
async def test_a_change_pushed_to_two_of_a_users_voivodeships_arrives_once(channel_layer, alice, queue_24):
    """A ticket in Silesia's queue about a unit of Masovia goes to both voivodeships' groups; an administrator of
    both hears it once."""
    both = await database_sync_to_async(User.objects.create_user)(
        username="dorota", password="test-pass-123", role=Role.REGIONAL_ADMIN
    )
    await database_sync_to_async(both.voivodeships.set)(["14", "24"])
    both_list = await _live_list(both)

    ticket = await database_sync_to_async(_radom_ticket_in)("woj-24")
    await database_sync_to_async(outbox.drain)()

    assert [(event["change"], event["reference"]) for event in await _received(both_list)] == [
        ("opened", ticket.reference)
    ]
    await both_list.disconnect()
    if channel_layer == "redis":
        await get_channel_layer().flush()
