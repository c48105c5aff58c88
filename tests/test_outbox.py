"""Side effects wait for the commit, and survive Redis being away: the outbox row stays pending and is
delivered when Redis returns."""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from helpdesk import outbox
from helpdesk.celery import app as celery_app
from helpdesk.models import OutboxMessage

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _due_now():
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_an_email_is_delivered_once_even_if_dispatched_twice(run_on_commit):
    message = run_on_commit(outbox.enqueue_email, to=["a@example.pl"], subject="Temat", body="Treść")
    assert len(mail.outbox) == 1
    assert outbox.dispatch(message.pk) is False
    assert outbox.drain() == 0
    assert len(mail.outbox) == 1


def test_with_the_broker_away_the_message_waits_for_the_drain(run_on_commit):
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=DEAD_REDIS)
    celery_app._pool = celery_app.amqp._producer_pool = None  # else the producers of the old broker publish
    try:
        run_on_commit(outbox.enqueue_email, to=["a@example.pl"], subject="Temat", body="Treść")
    finally:
        celery_app.conf.update(saved)
        celery_app._pool = celery_app.amqp._producer_pool = None
    assert mail.outbox == []
    assert outbox.pending_count() == 1
    # Redis is back: beat's periodic drain (or manage.py drain_outbox) delivers it
    assert outbox.drain() == 1
    assert len(mail.outbox) == 1 and outbox.pending_count() == 0


def test_a_failed_delivery_is_retried_later_with_backoff(monkeypatch):
    calls = []

    def flaky(message):
        calls.append(message.payload)
        if len(calls) == 1:
            raise ConnectionError("SMTP away")

    monkeypatch.setitem(outbox.DELIVERERS, OutboxMessage.Kind.EMAIL, flaky)
    message = outbox.enqueue_email(to=["a@example.pl"], subject="T", body="B")
    assert outbox.dispatch(message.pk) is False
    message.refresh_from_db()
    assert message.attempts == 1 and "SMTP away" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert outbox.drain() == 0  # not due yet
    _due_now()
    assert outbox.drain() == 1 and len(calls) == 2


@pytest.mark.redis
def test_a_live_push_waits_while_redis_is_down_and_arrives_when_it_returns(settings, redis_url):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [DEAD_REDIS]}}
    }
    message = outbox.enqueue_push(groups=["tickets.all"], event={"change": "opened", "reference": "SSOZ-2026-000001"})
    assert outbox.dispatch(message.pk) is False
    message.refresh_from_db()
    assert message.sent_at is None and message.last_error

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    layer = get_channel_layer()

    async def listen_then_drain():
        from asgiref.sync import sync_to_async

        channel = await layer.new_channel()
        await layer.group_add("tickets.all", channel)
        _due = sync_to_async(_due_now)
        await _due()
        delivered = await sync_to_async(outbox.drain)()
        received = await layer.receive(channel)
        await layer.group_discard("tickets.all", channel)
        await layer.flush()
        return delivered, received

    delivered, received = async_to_sync(listen_then_drain)()
    assert delivered == 1
    assert received["events"][0]["reference"] == "SSOZ-2026-000001"  # a batch of one
    assert outbox.pending_count() == 0


@pytest.mark.redis
def test_a_failed_delivery_is_handed_to_the_broker_again_for_the_moment_its_retry_is_due(
    monkeypatch, redis_url, django_capture_on_commit_callbacks
):
    """Not left for beat's next drain after the backoff (a "30 s" retry came after 30 to 60 s): a task with the
    retry's time as its ETA waits in the broker (a real Redis) for a worker."""
    import json

    import redis

    broker = redis.Redis.from_url(redis_url)
    queue = "celery"  # Celery's default queue, in the test's own Redis database
    broker.delete(queue)
    monkeypatch.setitem(outbox.DELIVERERS, OutboxMessage.Kind.EMAIL, _smtp_away)
    message = outbox.enqueue_email(to=["a@example.pl"], subject="T", body="B")
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_url)
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.dispatch(message.pk) is False
    finally:
        celery_app.conf.update(saved)
        celery_app._pool = celery_app.amqp._producer_pool = None
    message.refresh_from_db()
    queued = [json.loads(raw)["headers"] for raw in broker.lrange(queue, 0, -1)]
    broker.delete(queue)
    broker.close()
    assert [(h["task"], h["argsrepr"], h["eta"]) for h in queued] == [
        ("helpdesk.tasks.dispatch_outbox", f"({message.pk},)", message.next_attempt_at.isoformat())
    ]


def _smtp_away(message):
    raise ConnectionError("SMTP away")


class _FailingUpdates:
    """The database gone at the moment the attempt is recorded: the first `times` UPDATEs of the outbox row
    fail as a terminated connection does."""

    def __init__(self, times: int) -> None:
        self.left = times

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith('UPDATE "helpdesk_outboxmessage" SET "sent_at"') and self.left:
            self.left -= 1
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delivery_recorded_while_the_database_is_away_is_recorded_when_it_returns_and_sent_once(monkeypatch):
    """Before: the row stayed claimed and was delivered again when the claim's lease ended (bench/faults.py
    counted a reply delivered twice after pg_terminate_backend)."""
    monkeypatch.setattr(outbox, "RECORD_RETRY_SECONDS", (0, 0, 0))
    later = timezone.now() + dt.timedelta(hours=1)  # held: not handed over at once
    message = outbox.enqueue_email(to=["a@example.pl"], subject="Temat", body="Treść", not_before=later)
    _due_now()
    with connection.execute_wrapper(_FailingUpdates(2)):
        assert outbox.dispatch(message.pk) is True
    message.refresh_from_db()
    assert message.sent_at is not None and len(mail.outbox) == 1
    assert outbox.drain() == 0 and len(mail.outbox) == 1
