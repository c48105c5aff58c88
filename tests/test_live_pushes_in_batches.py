"""Live pushes are delivered batch-first (helpdesk.outbox.dispatch_many; a single push is a batch of one): the
due pushes of a list are claimed by one UPDATE … RETURNING, each group gets ONE channel-layer message with its
events in order (`ticket.events`), every row sent is recorded by one UPDATE, and a socket sends ONE frame,
{"events": [...]}, with the events its user may read (tickets.consumers._GroupsConsumer.ticket_events).

Here: a batch of new tickets of two voivodeships (one open_tickets call, as the e-mail ingestion opens them)
reaches an agent as one frame with every event, the administrator of 14 as one frame with those of 14, and the
regional administrator of 24 not at all; a worker killed between the claim and the send loses nothing (the
rows stay claimed for CLAIM_LEASE and the drain sends them then); the catch-up after a reconnect
(outbox.pushes_since) still returns the events of a batch with the same `notice` ids; a ticket page whose
ticket leaves the user's sight in the middle of a batch gets the events before it, then closes (4404)."""

import datetime as dt
import json
import uuid

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from helpdesk import live_groups, outbox, tasks
from helpdesk.asgi import application
from helpdesk.channel_layer import redis_channel_layer
from helpdesk.models import OutboxMessage
from tests.ticket_requests import new_ticket
from tickets import actions, consumers
from tickets.models import Queue

LAYERS = [pytest.param("memory", id="in-memory layer"), pytest.param("redis", id="redis", marks=pytest.mark.redis)]
NOON = dt.datetime(2026, 12, 7, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def channel_layer(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CHANNEL_LAYERS = {"default": redis_channel_layer(url, prefix=f"test-batch-{uuid.uuid4().hex[:8]}")}
    yield request.param


async def _connect(user, path: str) -> WebsocketCommunicator:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected, path
    return communicator


async def _frames(communicator) -> tuple[list, int | None]:
    """The frames received until the socket is quiet (each parsed), and the close code if it closed."""
    frames = []
    while not await communicator.receive_nothing(timeout=0.4):
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.append(json.loads(output["text"]))
    return frames, None


def _events(frame: dict) -> list[dict]:
    return frame.get("events", [frame])


def _open_in(slugs: list[str]):
    """One batch of new tickets (one open_tickets call, as the e-mail ingestion opens them)."""
    return actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject=f"Zgłoszenie {n} w {slug}",
                body_text="MZ-11",
                queue=Queue.objects.get(slug=slug),
            )
            for n, slug in enumerate(slugs)
        ],
        actor=None,
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("channel_layer", LAYERS, indirect=True)
async def test_a_batch_of_two_voivodeships_is_one_frame_and_never_reaches_the_administrator_of_24(
    channel_layer, alice, bob, celina
):
    alices = await _connect(alice, "/ws/tickets/")
    bobs = await _connect(bob, "/ws/tickets/")
    celinas = [await _connect(celina, path) for path in ("/ws/tickets/", "/ws/notify/")]

    tickets = await database_sync_to_async(_open_in)(["woj-14", "woj-12", "woj-14", "woj-12", "woj-14"])

    frames, closed = await _frames(alices)
    assert closed is None and len(frames) == 1 and "events" in frames[0]  # one frame for the whole batch
    events = frames[0]["events"]
    assert [event["reference"] for event in events] == [ticket.reference for ticket in tickets]  # in order
    notices = [event["notice"] for event in events]
    assert notices == sorted(notices) and len(set(notices)) == len(tickets)
    frames, _ = await _frames(bobs)
    of_14 = [ticket.reference for ticket in tickets if ticket.queue.slug == "woj-14"]
    assert len(frames) == 1 and [event["reference"] for event in _events(frames[0])] == of_14
    for communicator in celinas:
        assert await _frames(communicator) == ([], None)
    sent = await database_sync_to_async(lambda: list(OutboxMessage.objects.filter(pk__in=notices)))()
    assert all(row.sent_at is not None and row.attempts == 1 for row in sent)
    for communicator in (alices, bobs, *celinas):
        await communicator.disconnect()
    if channel_layer == "redis":
        await get_channel_layer().flush()


def _listen(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def _enqueue_batch(groups_of_each: list[list[str]]) -> list[OutboxMessage]:
    now = timezone.now()
    rows = [
        OutboxMessage(
            kind=OutboxMessage.Kind.PUSH,
            payload={"groups": groups, "event": {"change": "opened", "reference": f"ZG-{n}"}},
            next_attempt_at=now,
        )
        for n, groups in enumerate(groups_of_each)
    ]
    OutboxMessage.objects.bulk_create(rows)
    return rows


@pytest.mark.django_db
def test_a_batch_is_claimed_sent_and_recorded_in_two_queries_with_one_message_per_group(django_assert_num_queries):
    rows = _enqueue_batch([["a"], ["a", "b"], ["b"], ["a"]])
    channels = {group: _listen(group) for group in ("a", "b")}
    with django_assert_num_queries(2):  # the claim (UPDATE … RETURNING) and the record (UPDATE)
        assert outbox.dispatch_many([row.pk for row in rows]) == 4
    layer = get_channel_layer()
    got = {group: async_to_sync(layer.receive)(channel) for group, channel in channels.items()}
    assert [e["notice"] for e in got["a"]["events"]] == [rows[0].pk, rows[1].pk, rows[3].pk]
    assert [e["notice"] for e in got["b"]["events"]] == [rows[1].pk, rows[2].pk]
    assert {message["type"] for message in got.values()} == {"ticket.events"}
    assert outbox.dispatch_many([row.pk for row in rows]) == 0  # sent once


class Killed(BaseException):
    """The worker's process gone (kill -9) between the claim and the send: nothing after it runs."""


@pytest.mark.django_db
def test_a_worker_killed_between_claim_and_send_loses_nothing(monkeypatch, settings):
    """The rows stay claimed for CLAIM_LEASE (a redelivered task or another worker does not send them at
    once), then the drain sends every one, counted as one attempt."""
    real_send = outbox.send_groups
    monkeypatch.setattr(outbox, "send_groups", lambda by_group: (_ for _ in ()).throw(Killed()))
    with time_machine.travel(NOON, tick=False) as clock:
        channel = _listen("a")  # the in-memory layer's memberships and messages expire by its clock: NOON's
        rows = _enqueue_batch([["a"], ["a"], ["a"]])
        with pytest.raises(Killed):
            tasks.dispatch_outbox_many([row.pk for row in rows])
        monkeypatch.setattr(outbox, "send_groups", real_send)
        held = list(OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]))
        assert all(row.sent_at is None and row.next_attempt_at == NOON + outbox.CLAIM_LEASE for row in held)
        assert tasks.dispatch_outbox_many([row.pk for row in rows]) is None and outbox.drain() == 0
        clock.move_to(NOON + outbox.CLAIM_LEASE - dt.timedelta(seconds=1))
        assert outbox.drain() == 0
        clock.move_to(NOON + outbox.CLAIM_LEASE)
        assert outbox.drain() == 3
        received = async_to_sync(get_channel_layer().receive)(channel)
    assert [event["notice"] for event in received["events"]] == [row.pk for row in rows]
    assert all(row.attempts == 1 and row.sent_at is not None for row in OutboxMessage.objects.filter(kind="push"))


@pytest.mark.django_db
def test_a_channel_layer_away_fails_the_batch_for_one_retry_after_the_backoff(
    monkeypatch, django_capture_on_commit_callbacks
):
    """Every row of the batch is a failed attempt with its backoff; the batch is handed over again as ONE task
    for when the backoff ends (a worker, not tasks run in-process, which would ignore the ETA)."""

    def away(by_group):
        return set(), ConnectionError("Redis away")

    handed = []
    monkeypatch.setattr(outbox, "send_groups", away)
    monkeypatch.setattr(outbox, "hand_over_many", lambda ids, eta=None: handed.append((ids, eta)))
    conf = tasks.dispatch_outbox_many.app.conf
    eager = conf.task_always_eager
    conf.update(task_always_eager=False)  # (monkeypatch would delete the setting afterwards, not restore it)
    try:
        with time_machine.travel(NOON, tick=False):
            rows = _enqueue_batch([["a"], ["b"], ["a", "b"]])
            with django_capture_on_commit_callbacks(execute=True):
                assert outbox.dispatch_many([row.pk for row in rows]) == 0
    finally:
        conf.update(task_always_eager=eager)
    assert handed == [([row.pk for row in rows], NOON + outbox.backoff(1))]
    for row in OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]):
        assert row.sent_at is None and row.failed_at is None and row.attempts == 1
        assert row.last_error == "ConnectionError: Redis away" and row.next_attempt_at == NOON + outbox.backoff(1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_catch_up_after_a_reconnect_returns_the_events_of_a_batch(alice):
    tickets = _open_in(["woj-14", "woj-12", "woj-14"])
    caught = outbox.pushes_since(live_groups.voivodeship("14"), 0)
    assert caught.complete
    opened = [event for event in caught.events if event.get("change") == "opened"]
    assert [event["reference"] for event in opened] == [tickets[0].reference, tickets[2].reference]
    sent = OutboxMessage.objects.filter(pk__in=[event["notice"] for event in opened])
    assert sent.count() == 2 and not sent.filter(sent_at__isnull=True).exists()  # delivered live, and caught up


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_ticket_page_gets_the_events_before_its_ticket_left_sight_and_then_closes(alice, bob):
    (ticket,) = await database_sync_to_async(_open_in)(["woj-14"])
    page = await _connect(bob, f"/ws/tickets/{ticket.reference}/")
    await _frames(page)  # his own presence
    here, elsewhere = {"place": ["14", None]}, {"place": ["24", None]}
    events = [
        {"change": "status", "reference": ticket.reference, "notice": 10**9, **here},
        {"change": "entry", "reference": ticket.reference, "notice": 10**9 + 1, **here},
        {"change": "moved", "reference": ticket.reference, "notice": 10**9 + 2, **elsewhere},
        {"change": "entry", "reference": ticket.reference, "notice": 10**9 + 3, **elsewhere},
    ]
    await get_channel_layer().group_send(live_groups.ticket(ticket.pk), {"type": "ticket.events", "events": events})
    frames, closed = await _frames(page)
    assert frames == [{"events": events[:2]}] and closed == consumers.CLOSE_NOT_FOUND
    await page.disconnect()


def test_a_batch_frame_is_encoded_once_for_all_sockets_of_the_process():
    events = [{"change": "opened", "reference": f"SSOZ-2026-00000{n}", "notice": 10**8 + n} for n in (1, 2)]
    text = consumers.encoded_batch(events)
    assert consumers.encoded_batch([dict(event) for event in events]) is text
    assert json.loads(text) == {"events": events}
    changed = [events[0], {**events[1], "change": "moved"}]  # the same ids, other pushes: encoded anew
    assert json.loads(consumers.encoded_batch(changed)) == {"events": changed}
