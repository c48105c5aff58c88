"""The e-mail channel's write path: store a message raw, turn the stored copy into a ticket or an entry,
and the agents' quarantine actions. Tickets are written only through tickets.actions (open_tickets,
add_entries). One message is classified and written in inbox_ingest.messages, a batch of them in
inbox_ingest.batching; acknowledgements and the loop guard are in inbox_ingest.acknowledgements.

Exactly once:
- `store()` writes the raw bytes (with mailbox, UIDVALIDITY and UID, unique together) in one transaction;
  fetching the same UID again finds the row and stores nothing.
- `process()` locks the stored row, claims its `dedupe_key` (the Message-ID, or a content hash when there is
  none; unique), and creates the ticket or entry in the same transaction. A crash rolls all of it back and the
  row stays pending for the next run; a second copy (refetch, second mailbox) finds the key taken and is
  recorded as a duplicate of the first.
- One bad message is quarantined with its reason and never blocks the ones after it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.speed import bulk
from inbox_ingest import parsing, pipeline
from inbox_ingest.acknowledgements import _OWN_CACHE, acknowledgement_allowed, acknowledgement_row, valid_email
from inbox_ingest.batching import Batch
from inbox_ingest.messages import SAVED_FIELDS, content_key, dedupe_key, ingest, quarantine
from inbox_ingest.models import Mailbox, RawMessage
from tickets import actions as ticket_actions
from tickets import checks, ticket_access
from tickets.models import Channel

__all__ = [
    "_OWN_CACHE",
    "Result",
    "acknowledgement_allowed",
    "acknowledgement_row",
    "content_key",
    "create_ticket_anyway",
    "dedupe_key",
    "discard_quarantined",
    "process",
    "process_batch",
    "retry_quarantined",
    "store",
    "store_batch",
]  # its own, and what older callers import from here

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    raw_id: int
    message_id: str
    outcome: str
    ticket: str | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {
            "message_id": self.message_id or None,
            "outcome": self.outcome,
            "ticket": self.ticket,
            "reason": self.reason,
        }


# --- storing -----------------------------------------------------------------------------------------


def store(
    *, raw: bytes, mailbox: Mailbox | None = None, uidvalidity: int | None = None, uid: int | None = None, source=""
) -> tuple[RawMessage, bool]:
    """Store a received message before anything else; (row, False) when this UID was stored before."""
    if uid is not None:
        existing = RawMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
        if existing:
            return existing, False
    headers = parsing.parse_headers_only(raw)
    try:
        with transaction.atomic():
            row = RawMessage.objects.create(
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                source=str(source)[:500],
                raw=raw,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                message_id=headers.message_id[:998],
                subject=headers.subject[:500],
                sender=headers.from_email[:254],
            )
    except IntegrityError:  # another watcher stored this UID a moment ago
        return RawMessage.objects.get(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid), False
    return row, True


def store_batch(items: list[dict]) -> list[RawMessage]:
    """Store several fetched messages in one transaction (each item: the keyword arguments of `store`).

    Faster than one transaction each; if any UID was stored meanwhile, falls back to storing one by one.
    An item may carry `prepared` (pipeline.Prepared: its hash and headers computed ahead, in a worker or in the
    calling thread by pipeline.Preparer.here, with the rest of its parse)."""
    rows = []
    for item in items:
        raw = item["raw"]
        prepared = item.get("prepared")
        headers = prepared.headers if prepared else parsing.parse_headers_only(raw)
        rows.append(
            RawMessage(
                mailbox=item.get("mailbox"),
                uidvalidity=item.get("uidvalidity"),
                uid=item.get("uid"),
                source=str(item.get("source", ""))[:500],
                raw=raw,
                size=len(raw),
                sha256=prepared.sha256 if prepared else hashlib.sha256(raw).hexdigest(),
                message_id=headers.message_id[:998],
                subject=headers.subject[:500],
                sender=headers.from_email[:254],
            )
        )
    try:
        with transaction.atomic():
            bulk.create(rows)  # sets their primary keys
            return rows
    except IntegrityError:
        return [store(**{key: value for key, value in item.items() if key != "prepared"})[0] for item in items]


# --- processing --------------------------------------------------------------------------------------


def process(raw_id: int) -> Result:
    """Turn a stored message into a ticket or entry (or a duplicate, autoreply, bounce, quarantine), in a
    transaction of its own (a savepoint inside the caller's): the row is locked for it (select_for_update).
    Before, it ran in the caller's transaction and had none when process_batch fell back to it after a failed
    batch (e.g. attachment storage full) on PostgreSQL: TransactionManagementError, the rows stayed pending and
    the IMAP watcher retried the same batch for ever, taking no more mail from that mailbox."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _process_once(raw_id)
        except IntegrityError:
            # two processes claimed the same dedupe key at once: the loser is a duplicate, see it on retry
            if attempt:
                raise
    raise AssertionError("unreachable")


def process_batch(raw_ids: list[int], prepared: dict[int, pipeline.Prepared] | None = None) -> list[Result]:
    """Process several stored messages in one transaction (what the watcher and ingest_mail do).

    The batch is read, parsed and looked up at once (dedupe keys, thread Message-IDs, senders, the loop
    guard), and the new tickets are written together (inbox_ingest.batching), with the replies that only
    add an entry to a ticket from before the batch or of the batch (Batch._quiet_append_target); a message that needs
    more (a reply that reopens a ticket, a bounce, a reference in the subject, a copy of a message of the same
    batch, an answer to a notice, one that cannot be parsed) is taken in its turn the usual way, after
    everything before it is written, inside a savepoint so that a failure quarantines it alone. The outcome
    is the one of processing the messages one by one in order. If anything else fails, the whole batch is
    rolled back and each message is processed on its own, so a bad one never blocks the others.

    `prepared` (row id → pipeline.Prepared) are parse results computed ahead (in a worker process, with the facts
    of the text of the ticket each would open, tickets.text_facts, handed to the planner on its request; or in
    this thread before storing) from the same bytes; a row without one (or whose hash differs) is parsed here.
    The caller runs it inside helpdesk.speed.batch() (plans, collector)."""
    try:
        with transaction.atomic():
            rows = _with_mailboxes(
                list(RawMessage.objects.select_for_update(of=("self",)).filter(pk__in=raw_ids).order_by("pk"))
            )
            Batch(rows, prepared).run()
            return [_result(row) for row in rows]
    except Exception:
        log.info("batch of %s messages processed one by one after a failure", len(raw_ids), exc_info=True)
        return [process(raw_id) for raw_id in raw_ids]


def _with_mailboxes(rows: list[RawMessage]) -> list[RawMessage]:
    """Give the rows their mailbox (with its queue and the queue's calendar), one instance per mailbox read
    with one query: a batch from the watcher is hundreds of rows of one mailbox, and joining it to every row
    (select_related) made three model instances per row and sent the same columns hundreds of times."""
    ids = {row.mailbox_id for row in rows if row.mailbox_id is not None}
    if ids:
        boxes = Mailbox.objects.select_related("queue__calendar").in_bulk(ids)
        for row in rows:
            if row.mailbox_id is not None:
                row.mailbox = boxes[row.mailbox_id]
    return rows


def _process_once(raw_id: int) -> Result:
    row = RawMessage.objects.select_for_update(of=("self",)).select_related("mailbox__queue").get(pk=raw_id)
    if row.status != RawMessage.Status.PENDING:
        return _result(row)
    row.attempts += 1
    try:
        with transaction.atomic():
            ingest(row)
    except IntegrityError:
        raise
    except Exception as exc:  # anything unexpected: quarantine, never block the next message
        quarantine(row, exc)
    row.processed_at = timezone.now()
    row.save(update_fields=SAVED_FIELDS)
    return _result(row)


def _result(row: RawMessage) -> Result:
    ticket = row.ticket.reference if row.ticket else None
    return Result(row.pk, row.message_id, row.outcome or row.status, ticket, row.reason)


# --- quarantine actions (agents) -------------------------------------------------------------------------


def _check_quarantine(actor, row: RawMessage) -> None:
    queue = row.mailbox.queue if row.mailbox else checks.default_queue()
    ticket_access.require_work_in(actor, queue, elsewhere=_("Ta wiadomość należy do skrzynki innego województwa."))
    if row.status != RawMessage.Status.QUARANTINED:
        raise ValidationError(_("Ta wiadomość nie jest już w kwarantannie."))


def _locked_row(raw_id: int) -> RawMessage:
    return RawMessage.objects.select_for_update(of=("self",)).select_related("mailbox__queue").get(pk=raw_id)


@transaction.atomic
def retry_quarantined(*, actor, raw_id: int) -> Result:
    """Process a quarantined message again (e.g. after a fix); it may land in quarantine again."""
    row = _locked_row(raw_id)
    _check_quarantine(actor, row)
    RawMessage.objects.filter(pk=row.pk).update(status=RawMessage.Status.PENDING, reason="", outcome="")
    result = _process_once(row.pk)
    log.info("quarantined message %s retried by %s: %s", row.pk, actor, result.outcome)
    return result


@transaction.atomic
def create_ticket_anyway(*, actor, raw_id: int) -> Result:
    """Open a ticket from a quarantined message with whatever can be read, the raw message attached."""
    row = _locked_row(raw_id)
    _check_quarantine(actor, row)
    raw = bytes(row.raw)
    try:
        parsed = parsing.parse(raw)
        subject, sender, name, text = parsed.subject, parsed.from_email, parsed.from_name, parsed.text
    except Exception:
        subject, sender, name, text = row.subject, row.sender, "", raw.decode("utf-8", errors="replace")
    queue = row.mailbox.queue if row.mailbox else checks.default_queue()
    request = ticket_actions.NewTicket(
        channel=Channel.EMAIL,
        subject=subject or _("(bez tematu)"),
        message=ticket_actions.Message(
            text=(text or "").strip() or _("(treść nieczytelna: zob. oryginał w załączniku)"),
            attachments=(ticket_actions.NewAttachment("oryginal.eml", raw, "message/rfc822"),),
        ),
        requester=ticket_actions.Requester(name=name, email=valid_email(sender)),
        routing=ticket_actions.Routing(queue=queue),
    )
    (ticket,) = ticket_actions.open_tickets([request], actor=None)
    row.status, row.outcome, row.ticket = RawMessage.Status.DONE, RawMessage.Outcome.CREATED, ticket
    row.reason = _("Zgłoszenie utworzone ręcznie z kwarantanny przez %(who)s.") % {"who": actor}
    row.processed_at = timezone.now()
    row.save()
    return _result(row)


@transaction.atomic
def discard_quarantined(*, actor, raw_id: int, reason: str = "") -> Result:
    """Set a quarantined message aside for good (the raw copy stays for the record)."""
    row = _locked_row(raw_id)
    _check_quarantine(actor, row)
    row.status = RawMessage.Status.DISCARDED
    row.reason = (_("Odrzucona przez %(who)s.") % {"who": actor} + (" " + reason if reason else ""))[:5000]
    row.processed_at = timezone.now()
    row.save(update_fields=["status", "reason", "processed_at"])
    return _result(row)
