"""Celery tasks: thin wrappers that take ids and call the outbox."""

from celery import shared_task
from django.utils import timezone

from helpdesk import outbox
from helpdesk.models import WorkerHeartbeat


@shared_task(ignore_result=True)
def dispatch_outbox(message_id: int) -> None:
    outbox.dispatch_many([message_id])


@shared_task(ignore_result=True)
def dispatch_outbox_many(message_ids: list[int]) -> None:
    outbox.dispatch_many(message_ids)


@shared_task(ignore_result=True)
def drain_outbox() -> int:
    return outbox.drain()


@shared_task(ignore_result=True)
def heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(name="celery", defaults={"last_seen": timezone.now()})
