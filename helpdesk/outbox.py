"""Side effects that must survive a crash or an absent Redis: write a row now, deliver after commit.

`enqueue_*` is called inside an action's transaction. After commit the row is handed to a Celery task
(in the embedded default the task runs in-process). A failed delivery is handed over again for the moment its
backoff ends (a Celery task with that ETA), so a "30 s" retry comes after 30 s, not at beat's next drain after
that. Whatever that misses (the broker away, a worker killed holding the task, a process killed between its
commit and the hand-over) stays pending and `drain()` (Celery beat every OUTBOX_DRAIN_SECONDS, 10 by default,
or `manage.py drain_outbox`) delivers it.
A row is claimed by an atomic UPDATE, so any number of workers can drain at once without sending twice.

Live pushes are delivered batch-first (`dispatch_many`; a single push is a batch of one): every due push of the
list is claimed by one UPDATE … RETURNING, the events are grouped by channel-layer group and each group gets ONE
message, `ticket.events`, carrying its events in order (each with its `notice`, the row's id), and the rows
sent are recorded by one UPDATE. E-mails go one by one (`claim` each), so a worker killed while sending one holds
only that one for CLAIM_LEASE.

An e-mail that fails `settings.OUTBOX_MAX_ATTEMPTS` times is marked failed (`failed_at`) and no longer retried
by itself; `retry_now()` gives it another attempt. Every failed attempt sends `delivery_failed`, and a delivery
that succeeds after failures sends `delivered_after_failure`, so the owner of the message (e.g. a ticket reply,
tickets.delivery) can show it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Max
from django.dispatch import Signal
from django.utils import timezone

from helpdesk import redact
from helpdesk.models import OutboxMessage
from helpdesk.speed import bulk

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=1)

# sender=OutboxMessage, message=<row after the attempt>, final=<no more automatic attempts>
delivery_failed = Signal()
# sender=OutboxMessage, message=<row after the attempt>: delivered after at least one failed attempt
delivered_after_failure = Signal()


def enqueue_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    cc: list[str] | None = None,
    headers: dict | None = None,
    not_before: dt.datetime | None = None,
    secrets: list[str] | None = None,
) -> OutboxMessage:
    """`not_before` holds the message until then (e.g. a notice written at night waits for working hours).
    `secrets`: strings (a private link's token) removed from the stored row once the e-mail is sent."""
    payload = {"to": to, "cc": cc or [], "subject": subject, "body": body, "headers": headers or {}}
    if secrets:
        payload["secrets"] = list(secrets)
    return _enqueue(OutboxMessage.Kind.EMAIL, payload, not_before)


def enqueue_push(*, groups: list[str], event: dict) -> OutboxMessage:
    return _enqueue(OutboxMessage.Kind.PUSH, {"groups": groups, "event": event})


_collecting: ContextVar[list[OutboxMessage] | None] = ContextVar("outbox_collecting", default=None)


@contextmanager
def collected() -> Iterator[list[OutboxMessage]]:
    """Messages enqueued inside the block are written with one multi-row INSERT when it ends without an
    error, and handed to Celery after commit in one task (batched actions). Must run inside a transaction."""
    outer = _collecting.get()
    if outer is not None:  # inside another collecting block: its rows, written when it ends
        yield outer
        return
    rows: list[OutboxMessage] = []
    token = _collecting.set(rows)
    try:
        yield rows
    finally:
        _collecting.reset(token)
    if not rows:
        return
    bulk.create(rows)
    now = timezone.now()
    due = [message.pk for message in rows if message.next_attempt_at <= now]
    if due:
        transaction.on_commit(lambda: hand_over_many(due))


def collecting() -> bool:
    """Whether messages enqueued now are held by a collected() block (written when it ends, without ids yet)."""
    return _collecting.get() is not None


def _enqueue(kind: str, payload: dict, not_before: dt.datetime | None = None) -> OutboxMessage:
    now = timezone.now()
    message = OutboxMessage(kind=kind, payload=payload, next_attempt_at=max(not_before or now, now))
    rows = _collecting.get()
    if rows is not None:
        rows.append(message)
        return message
    message.save(force_insert=True)
    if message.next_attempt_at <= now:  # a held message is delivered by the periodic drain when its time comes
        transaction.on_commit(lambda: hand_over(message.pk))
    return message


def hand_over(message_id: int, *, eta: dt.datetime | None = None) -> None:
    """Queue delivery on Celery (at `eta`: a retry); if the broker is away, leave the row for the periodic drain."""
    from helpdesk.tasks import dispatch_outbox  # here: the task module imports this one

    try:
        if eta is None:
            dispatch_outbox.delay(message_id)
        else:
            dispatch_outbox.apply_async((message_id,), eta=eta)
    except Exception as exc:  # broker unreachable: nothing is lost, drain() retries
        log.warning("outbox %s left for the drain: %s", message_id, exc)


def _retry_when_due(message: OutboxMessage) -> None:
    """Hand a failed message over again for when its backoff ends. Not with tasks run in-process (the embedded
    default): an eager task ignores its ETA and would run at once, before the message is due."""
    from helpdesk.tasks import dispatch_outbox

    if not dispatch_outbox.app.conf.task_always_eager:
        transaction.on_commit(lambda: hand_over(message.pk, eta=message.next_attempt_at))


def hand_over_many(message_ids: list[int], *, eta: dt.datetime | None = None) -> None:
    """One Celery task for the messages of a batch (not one per message), at `eta` for a retry; the drain covers
    a lost broker."""
    from helpdesk.tasks import dispatch_outbox_many  # here: the task module imports this one

    try:
        if eta is None:
            dispatch_outbox_many.delay(list(message_ids))
        else:
            dispatch_outbox_many.apply_async((list(message_ids),), eta=eta)
    except Exception as exc:
        log.warning("outbox %s… (%s messages) left for the drain: %s", message_ids[0], len(message_ids), exc)


def claim(message_id: int) -> OutboxMessage | None:
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM_LEASE)
    return OutboxMessage.objects.get(pk=message_id) if claimed else None


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(dt.timedelta(seconds=15 * 2**attempts), MAX_BACKOFF)


def dispatch(message_id: int) -> bool:
    """Deliver one pending message if nobody else holds it; True when it was delivered now."""
    return dispatch_many([message_id]) == 1


def dispatch_many(message_ids: list[int]) -> int:
    """Deliver the pending messages among `message_ids` that nobody else holds; returns how many were delivered
    now. The pushes are claimed together and sent in one channel-layer message per group (`_send_pushes`);
    the e-mails one by one, after them (a push is cheap and live, an e-mail may wait on SMTP)."""
    ids = list(dict.fromkeys(message_ids))
    pushes = claim_pushes(ids)
    delivered = _send_pushes(pushes) if pushes else 0
    claimed = {message.pk for message in pushes}
    return delivered + sum(_dispatch_one(message_id) for message_id in ids if message_id not in claimed)


CLAIM_CHUNK = 5000  # ids per claiming UPDATE (PostgreSQL takes at most 65,535 parameters in a statement)


def claim_pushes(message_ids: list[int]) -> list[OutboxMessage]:
    """Claim every due push among `message_ids` at once (the lease of `claim`, one UPDATE … RETURNING per
    CLAIM_CHUNK ids): the rows claimed, oldest first, as they were before the claim (`attempts`)."""
    now = timezone.now()
    lease_ends = now + CLAIM_LEASE
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    found: list[OutboxMessage] = []
    for start in range(0, len(message_ids), CLAIM_CHUNK):
        chunk = message_ids[start : start + CLAIM_CHUNK]
        marks = ", ".join(["%s"] * len(chunk))  # a fixed table name; the ids are bound parameters
        sql = (
            f'UPDATE {table} SET "next_attempt_at" = %s WHERE "id" IN ({marks}) '  # noqa: S608
            'AND "kind" = %s AND "sent_at" IS NULL AND "failed_at" IS NULL AND "next_attempt_at" <= %s '
            'RETURNING "id", "payload", "attempts"'
        )
        params = [connection.ops.adapt_datetimefield_value(lease_ends), *chunk, OutboxMessage.Kind.PUSH]
        params.append(connection.ops.adapt_datetimefield_value(now))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for pk, payload, attempts in rows:
            message = OutboxMessage(
                pk=pk,
                kind=OutboxMessage.Kind.PUSH,
                payload=json.loads(payload) if isinstance(payload, str) else payload,  # text: SQLite, psycopg
                attempts=attempts,
                next_attempt_at=lease_ends,
            )
            message._state.adding = False
            message._state.db = connection.alias
            found.append(message)
    found.sort(key=lambda message: message.pk)
    return found


def _dispatch_one(message_id: int) -> bool:
    message = claim(message_id)
    if message is None:
        return False
    if message.kind == OutboxMessage.Kind.PUSH:  # claimed here only if it fell due just after claim_pushes
        return _send_pushes([message]) == 1
    try:
        DELIVERERS[message.kind](message)
    except Exception as exc:
        _failed(message, exc)
        return False
    failed_before = message.attempts > 0
    message.sent_at, message.attempts, message.last_error = timezone.now(), message.attempts + 1, ""
    fields = ["sent_at", "attempts", "last_error"]
    if message.payload.get("secrets"):  # sent: the token lives on only in the recipient's mailbox
        message.payload = redact.scrub_payload(message.payload)
        fields.append("payload")
    _record(message, fields)
    if failed_before:
        _notify(delivered_after_failure, message)
    return True


def _failed(message: OutboxMessage, exc: Exception, *, now: dt.datetime | None = None, retry: bool = True) -> None:
    """Record a failed attempt: its backoff, or the end of the attempts (an e-mail); tell the owner. `retry`:
    hand it over again for when its backoff ends (else the caller does, for a batch)."""
    attempts = message.attempts + 1
    now = now or timezone.now()
    final = message.kind == OutboxMessage.Kind.EMAIL and attempts >= settings.OUTBOX_MAX_ATTEMPTS
    message.attempts, message.last_error = attempts, f"{type(exc).__name__}: {exc}"[:2000]
    message.next_attempt_at = now + backoff(attempts)
    message.failed_at = now if final else None
    _record(message, ["attempts", "last_error", "next_attempt_at", "failed_at"])
    log.warning("outbox %s delivery failed (attempt %s%s): %s", message.pk, attempts, ", final" * final, exc)
    if retry and not final:
        _retry_when_due(message)
    _notify(delivery_failed, message, final=final)


PUSH_BATCH = 200  # events per channel-layer message (and so at most per websocket frame)


def _send_pushes(messages: list[OutboxMessage]) -> int:
    """Send claimed pushes: per group, its events in order in one `ticket.events` message (PUSH_BATCH at most);
    then record every row whose groups were all reached with one UPDATE. A row a group of which was not reached
    (the channel layer went away) is a failed attempt, retried after its backoff; the groups it did reach get it
    again then, and the sockets drop the copy by its `notice`."""
    by_group: dict[str, list[dict]] = {}
    for message in messages:
        event = {**message.payload["event"], "notice": message.pk}
        for group in message.payload["groups"]:
            by_group.setdefault(group, []).append(event)
    reached, error = send_groups(by_group)
    delivered = [m for m in messages if all(group in reached for group in m.payload["groups"])]
    if delivered:
        now = timezone.now()
        pks = [message.pk for message in delivered]
        _persist(
            f"{pks[0]}… ({len(pks)} pushes)",
            lambda: OutboxMessage.objects.filter(pk__in=pks).update(
                sent_at=now, attempts=F("attempts") + 1, last_error=""
            ),
        )
        for message in delivered:
            if message.attempts > 0:
                message.sent_at, message.attempts, message.last_error = now, message.attempts + 1, ""
                _notify(delivered_after_failure, message)
    if len(delivered) < len(messages):
        sent, now = {message.pk for message in delivered}, timezone.now()
        failed = [message for message in messages if message.pk not in sent]
        retries: dict[dt.datetime, list[int]] = {}
        for message in failed:
            _failed(message, error or ConnectionError("not sent"), now=now, retry=False)
            retries.setdefault(message.next_attempt_at, []).append(message.pk)
        _retry_many_when_due(retries)
    return len(delivered)


def _retry_many_when_due(retries: dict[dt.datetime, list[int]]) -> None:
    """Hand failed pushes over again, one task per moment their backoff ends (after a failure of the channel
    layer the rows of a batch share their history, so mostly one task). Not with tasks run in-process, as
    `_retry_when_due`."""
    from helpdesk.tasks import dispatch_outbox_many

    if dispatch_outbox_many.app.conf.task_always_eager:
        return
    for eta, ids in retries.items():
        transaction.on_commit(lambda ids=ids, eta=eta: hand_over_many(ids, eta=eta))


def send_groups(by_group: dict[str, list[dict]]) -> tuple[set[str], Exception | None]:
    """One event-loop run for all the groups (each async_to_sync call costs a loop and, with Redis, a
    connection): each group gets its events in `ticket.events` messages of PUSH_BATCH at most. Stops at the
    first failure (the channel layer away: the next groups would wait for the same timeout). Returns the groups
    reached and the error, if any."""
    layer = get_channel_layer()
    reached: set[str] = set()
    failure: list[Exception] = []

    async def send_all() -> None:
        for group, events in by_group.items():
            try:
                for start in range(0, len(events), PUSH_BATCH):
                    await layer.group_send(
                        group, {"type": "ticket.events", "events": events[start : start + PUSH_BATCH]}
                    )
            except Exception as exc:
                failure.append(exc)
                return
            reached.add(group)

    async_to_sync(send_all)()
    return reached, (failure[0] if failure else None)


RECORD_RETRY_SECONDS = (1, 2, 4, 8, 15, 30, 30, 30)  # about 2 minutes in all, well within CLAIM_LEASE


def _record(message: OutboxMessage, fields: list[str]) -> None:
    """Save what the attempt did (`_persist`)."""
    _persist(str(message.pk), lambda: message.save(update_fields=fields))


def _persist(what: str, write: Callable[[], object]) -> None:
    """Write what an attempt did. The e-mail is gone already: if the database went away at that moment (its
    connection terminated, the server unreachable), keep trying for about two minutes rather than give up, for
    a row left claimed is attempted again when its lease ends, and the e-mail would be sent twice."""
    for wait in (*RECORD_RETRY_SECONDS, None):
        try:
            write()
            return
        except DatabaseError as exc:
            if wait is None or connection.in_atomic_block:  # inside a transaction only its owner can recover
                raise
            log.warning("outbox %s: recording the attempt failed (%s); trying again in %ss", what, exc, wait)
            connection.close()  # a broken connection goes back to the pool, which replaces it
            time.sleep(wait)


def _notify(signal: Signal, message: OutboxMessage, **kwargs) -> None:
    """Tell the message's owner; a failing receiver is logged and never undoes the delivery bookkeeping."""
    for receiver, result in signal.send_robust(sender=OutboxMessage, message=message, **kwargs):
        if isinstance(result, Exception):
            log.error("outbox %s: %s failed: %s", message.pk, getattr(receiver, "__name__", receiver), result)


def retry_now(message_id: int) -> bool:
    """Give an undelivered message another attempt right after commit (also after it was marked failed)."""
    updated = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        failed_at=None, next_attempt_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: hand_over(message_id))
    return bool(updated)


def drain(limit: int = 500) -> int:
    """Deliver every due message (oldest first); returns how many were delivered."""
    due = OutboxMessage.objects.filter(
        sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=timezone.now()
    )
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return dispatch_many(ids)


def latest_id() -> int:
    """The newest row's id: the cursor a page starts from (pushes after it are news to the page)."""
    return OutboxMessage.objects.aggregate(last=Max("pk"))["last"] or 0


# A page away longer than this many pushes (of everyone's) reloads rather than catching up one by one.
CATCH_UP_SCAN = 5000


@dataclass(frozen=True)
class CatchUp:
    events: list[dict]  # the events for the group, oldest first, each with its `notice` id
    last: int  # the cursor to ask from next time
    complete: bool  # False: more than CATCH_UP_SCAN pushes happened meanwhile; the page should reload


def pushes_since(group: str, after: int, *, leave_out: frozenset[str] = frozenset()) -> CatchUp:
    """The live events sent, or still to be sent, to `group` after row `after`, as the socket would have
    delivered them (`notice` set), except those whose `change` is in `leave_out` (e.g. a call that rang)."""
    rows = list(
        OutboxMessage.objects.filter(kind=OutboxMessage.Kind.PUSH, pk__gt=after)
        .order_by("pk")
        .values_list("pk", "payload")[: CATCH_UP_SCAN + 1]
    )
    complete = len(rows) <= CATCH_UP_SCAN
    rows = rows[:CATCH_UP_SCAN]
    found = [
        {**payload["event"], "notice": pk}
        for pk, payload in rows
        if group in payload.get("groups", ()) and payload.get("event", {}).get("change") not in leave_out
    ]
    return CatchUp(found, rows[-1][0] if rows else after, complete)


def oldest_due_email(now: dt.datetime) -> OutboxMessage | None:
    """The oldest e-mail not delivered yet that was meant to go already: tried and failed at least once, or due
    now (a message held with `not_before` until later is not late)."""
    from django.db.models import Q

    undelivered = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EMAIL, sent_at__isnull=True)
    return undelivered.filter(Q(attempts__gt=0) | Q(next_attempt_at__lte=now)).order_by("created_at", "pk").first()


def last_delivery_error() -> OutboxMessage | None:
    """The undelivered e-mail that failed most recently (its `last_error`), or None."""
    failing = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EMAIL, sent_at__isnull=True).exclude(last_error="")
    return failing.order_by("-next_attempt_at", "-pk").first()


def pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True, failed_at__isnull=True).count()


def failed_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True, failed_at__isnull=False).count()


def _deliver_email(message: OutboxMessage) -> None:
    payload = message.payload
    EmailMessage(
        subject=payload["subject"], body=payload["body"], to=payload["to"], cc=payload["cc"], headers=payload["headers"]
    ).send(fail_silently=False)


DELIVERERS = {OutboxMessage.Kind.EMAIL: _deliver_email}  # pushes: `_send_pushes`, in batches
