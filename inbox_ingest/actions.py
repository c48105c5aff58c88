"""The e-mail channel's write path: store a message raw, turn the stored copy into a ticket or an entry,
and the agents' quarantine actions. Tickets are written only through tickets.actions.

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

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import identify, replies
from helpdesk import access, ahead, outbox
from helpdesk.html import sanitize_html
from helpdesk.speed import bulk
from inbox_ingest import parsing, pipeline, threading
from inbox_ingest.models import FailingAddress, Mailbox, RawMessage, SentMessage
from tickets import actions as ticket_actions
from tickets import notices, rules, search
from tickets.models import Channel, Entry, Queue, Status, Ticket

log = logging.getLogger(__name__)

TRACE_HEADERS = (b"received", b"delivered-to", b"return-path", b"x-original-to", b"x-received", b"status", b"x-uid")


@dataclass(frozen=True)
class Result:
    raw_id: int | None
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


def content_key(raw: bytes) -> str:
    """A hash of the message without the trace headers each delivery adds (Received, Delivered-To, …), so
    the same message without a Message-ID delivered to two mailboxes hashes the same."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line.strip())
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name in TRACE_HEADERS or line.startswith(b"From ")
        if not skipping:
            kept.append(line.strip())
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.replace(b"\r\n", b"\n")).hexdigest()


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
    An item may carry `prepared` (pipeline.Prepared: its hash and headers computed ahead in a worker)."""
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
            return list(bulk.create(rows))
    except IntegrityError:
        return [store(**{key: value for key, value in item.items() if key != "prepared"})[0] for item in items]


# --- processing --------------------------------------------------------------------------------------


def process(raw_id: int) -> Result:
    """Turn a stored message into a ticket or entry (or a duplicate, autoreply, bounce, quarantine)."""
    for attempt in range(2):
        try:
            return _process_once(raw_id)
        except IntegrityError:
            # two processes claimed the same dedupe key at once: the loser is a duplicate, see it on retry
            if attempt:
                raise
    raise AssertionError("unreachable")


SAVED_FIELDS = [
    "status", "outcome", "reason", "oversized", "attempts", "ticket", "duplicate_of", "dedupe_key", "processed_at",
]  # fmt: skip


def process_batch(raw_ids: list[int], prepared: dict[int, pipeline.Prepared] | None = None) -> list[Result]:
    """Process several stored messages in one transaction (what the watcher and ingest_mail do).

    The batch is read, parsed and looked up at once (dedupe keys, thread Message-IDs, senders, the loop
    guard), and the new tickets are written together (tickets.actions.TicketBatch), with the replies that only
    add an entry to a ticket from before the batch or of the batch (_quiet_append_target); a message that needs
    more (a reply that reopens a ticket, a bounce, a reference in the subject, a copy of a message of the same
    batch, an answer to a notice, one that cannot be parsed) is taken in its turn the usual way, after
    everything before it is written, inside a savepoint so that a failure quarantines it alone. The outcome
    is the one of processing the messages one by one in order. If anything else fails, the whole batch is
    rolled back and each message is processed on its own, so a bad one never blocks the others.

    `prepared` (row id → pipeline.Prepared) are parse results computed ahead (in a worker process) from the
    same bytes, with values of pure functions the processing will need (foreseen); a row without one (or whose
    hash differs) is parsed here."""
    try:
        with transaction.atomic():
            rows = list(
                RawMessage.objects.select_for_update(of=("self",))
                .select_related("mailbox__queue__calendar")
                .filter(pk__in=raw_ids)
                .order_by("pk")
            )
            values = {key: value for item in (prepared or {}).values() for key, value in item.ahead.items()}
            with ahead.using(values):  # what the workers computed of pure functions (foreseen)
                _Batch(rows, prepared).run()
            return [_result(row) for row in rows]
    except Exception:
        log.info("batch of %s messages processed one by one after a failure", len(raw_ids), exc_info=True)
        return [process(raw_id) for raw_id in raw_ids]


def _parse(raw: bytes) -> parsing.ParsedMessage | Exception:
    try:
        return parsing.parse(raw)
    except Exception as exc:  # taken the usual way, which quarantines it
        return exc


# where a message of a batch adds its entry: a ticket the batch opens, or (id, status, merged) of one from before
_Target = ticket_actions.PlannedTicket | tuple[int, str, bool]


class _Batch:
    """One process_batch() pass over locked rows (see there)."""

    def __init__(self, rows: list[RawMessage], prepared: dict[int, pipeline.Prepared] | None = None) -> None:
        self.rows = rows
        self.prepared = prepared or {}
        self.tickets = ticket_actions.TicketBatch()
        self.done: list[RawMessage] = []  # handled here, saved at the next flush
        self.sent: list[SentMessage] = []  # acknowledgements of the batch, saved at the next flush
        self.seen_keys: set[str] = set()  # dedupe keys of the batch so far
        # Message-ID of a message of the batch → the ticket its entry went to, for the replies to it: a ticket
        # the batch opened (TicketBatch.open's plan) or one that existed before (as in known_ids)
        self.entries: dict[str, _Target] = {}
        # Message-IDs of messages that went the usual way and ended on a ticket (see _thread_target); a message
        # of the batch in neither wrote no entry (a copy, an automatic answer to nothing, one quarantined)
        self.untracked: set[str] = set()
        self._default_queue: Queue | None = None

    def run(self) -> None:
        pending = [row for row in self.rows if row.status == RawMessage.Status.PENDING]
        if not pending:
            return
        parsed = [self._parsed(row) for row in pending]
        keys = [
            dedupe_key(item, bytes(row.raw)) if not isinstance(item, Exception) else None
            for row, item in zip(pending, parsed, strict=True)
        ]
        readable = [item for item in parsed if not isinstance(item, Exception)]
        self.taken = {
            row.dedupe_key: row
            for row in RawMessage.objects.filter(dedupe_key__in=[key for key in keys if key])
            .select_related("ticket")
            .defer("raw")
        }
        thread_ids = {message_id for item in readable for message_id in item.thread_ids}
        # every Message-ID we received or sent that a message of the batch refers to → (ticket id, its status,
        # whether it was merged into another)
        self.known_ids: dict[str, tuple[int, str, bool]] = {}
        for model in (Entry, SentMessage):
            found = model.objects.filter(message_id__in=thread_ids).values_list(
                "message_id", "ticket_id", "ticket__status", "ticket__merged_into_id"
            )
            for message_id, ticket_id, status, merged_into in found:  # a sent one wins, as in threading
                self.known_ids[message_id] = (ticket_id, status, merged_into is not None)
        self.touched: set[int] = set()  # tickets changed by messages that went the usual way
        self.addresses = {_acknowledgement_address(item) for item in readable} - {""}
        self.queues: dict[int, Queue] = {}  # one instance per mailbox queue, kept current (round-robin position)
        for row in pending:
            if row.mailbox_id:
                row.mailbox.queue = self.queues.setdefault(row.mailbox.queue_id, row.mailbox.queue)
        self._read_loop_guard()
        for row, item, key in zip(pending, parsed, keys, strict=True):
            row.attempts += 1
            if key is not None and self._quick(row, item, key):
                row.processed_at = timezone.now()
                self.done.append(row)
            elif key is not None and (target := self._quiet_append_target(row, item, key)):
                self._append_quietly(row, item, key, target)
            else:
                self._flush()
                self._one(row, None if isinstance(item, Exception) else item, unique=self._unique(row, key))
                self._after_one(row, item)  # the usual way may have acknowledged or recorded a bounce
                if row.ticket_id and row.outcome != RawMessage.Outcome.DUPLICATE:  # a copy changes nothing
                    self.touched.add(row.ticket_id)
                    if not isinstance(item, Exception) and item.message_id:
                        self.untracked.add(item.message_id)
                self._refresh_queues()  # … or assigned a ticket
                self.tickets.forget_queues()
            if key is not None:
                self.seen_keys.add(key)
        self._flush()

    def _parsed(self, row: RawMessage) -> parsing.ParsedMessage | Exception:
        ahead = self.prepared.get(row.pk)
        if ahead is not None and ahead.sha256 == row.sha256:
            return ahead.parsed if ahead.parsed is not None else ValueError("unparseable")
        return _parse(bytes(row.raw))

    def _read_loop_guard(self) -> None:
        """The failing addresses and acknowledgements in the window, for the batch's senders."""
        self.failing = set(FailingAddress.objects.filter(email__in=self.addresses).values_list("email", flat=True))
        counts = (
            SentMessage.objects.filter(
                to_email__in=self.addresses, kind="acknowledgement", created_at__gte=_ack_window_start()
            )
            .values("to_email")
            .annotate(count=Count("pk"))
        )
        self.ack_counts = {row["to_email"]: row["count"] for row in counts}

    def _quiet_append_target(self, row: RawMessage, parsed: parsing.ParsedMessage, key: str) -> _Target | None:
        """The ticket the message only adds an entry to, when the message does not change its status: a reply
        (or an automatic answer) to an open ticket that existed before the batch (its (id, status, merged)) or
        to one the batch opened (TicketBatch.open's plan; a new ticket, which an inbound entry leaves as it is);
        else None (the usual way). Nothing the batch's new tickets depend on changes then (no acknowledgement,
        no reopening that would change who has how many open tickets, no ticket opened), so the entry is written
        with them, in the batch (TicketBatch.append), instead of flushing them first and going the usual way: a
        flush before each of the ~5 % replies split a batch into a dozen small ones, and each reply cost ~15
        statements."""
        if key in self.seen_keys or parsed.is_bounce or notices.may_answer_a_notice(parsed.thread_ids):
            return None
        target = self._thread_target(parsed.thread_ids)
        if isinstance(target, ticket_actions.PlannedTicket):
            written = target.ticket  # by a flush before a message that went the usual way, which may touch it
            return None if written is not None and written.pk in self.touched else target
        if target is None:
            return None
        ticket_id, status, merged = target
        reopens = status in (Status.WAITING_CUSTOMER, Status.RESOLVED)
        return None if merged or reopens or ticket_id in self.touched else target

    def _thread_target(self, thread_ids: tuple[str, ...]) -> _Target | None:
        """threading.by_message_ids() in the batch: the ticket of the first of `thread_ids` (the most specific
        first) that an entry or a sent message has, from before the batch (known_ids) or written by it
        (self.entries); a message of the batch that wrote no entry (a copy, an automatic answer to nothing) is
        passed over as the look-up would. None (the usual way) when that is not known here: a message that went
        the usual way, or a Message-ID found both before and in the batch."""
        for message_id in thread_ids:
            if message_id in self.untracked:
                return None
            ours, known = self.entries.get(message_id), self.known_ids.get(message_id)
            if ours is not None and known is not None:
                return None
            if ours is not None or known is not None:
                return ours if ours is not None else known
        return None

    def _append_quietly(self, row: RawMessage, parsed: parsing.ParsedMessage, key: str, target: _Target) -> None:
        """What _ingest() does for such a message (_person's or _automatic's append), in the batch (`target`:
        what _quiet_append_target() found)."""
        attachments, notes = _claim(row, parsed, key)
        if parsed.auto_reply:
            row.outcome, row.reason = RawMessage.Outcome.AUTOREPLY, parsed.auto_reply[:500]
            notes = ()  # as _automatic() appends it
        else:
            row.outcome = RawMessage.Outcome.APPENDED
        opened = target if isinstance(target, ticket_actions.PlannedTicket) else None
        self.tickets.append(
            ticket_id=None if opened else target[0],
            opened=opened,
            then=lambda ticket: setattr(row, "ticket", ticket),
            reopen=not parsed.auto_reply,
            **_inbound_entry(parsed, attachments, notes),
        )
        self._entry_written(parsed, target)
        _done(row, parsed)
        row.processed_at = timezone.now()
        self.done.append(row)

    def _entry_written(self, parsed: parsing.ParsedMessage, target: _Target) -> None:
        """Remember where the message's entry (its Message-ID) goes, for the replies to it in the batch."""
        if parsed.message_id:
            self.entries[parsed.message_id] = target

    def _after_one(self, row: RawMessage, parsed: parsing.ParsedMessage | Exception) -> None:
        """Bring the loop guard up to date after a message went the usual way. Only a bounce marks addresses
        failing, and only a new ticket is acknowledged (to the one address of its sender): re-reading the whole
        guard for the batch's ~250 senders after each reply was a tenth of the batch's time."""
        if row.outcome == RawMessage.Outcome.BOUNCE:
            self._read_loop_guard()
        elif row.outcome == RawMessage.Outcome.CREATED and not isinstance(parsed, Exception):
            to = _acknowledgement_address(parsed)
            if to:
                self.ack_counts[to] = SentMessage.objects.filter(
                    to_email=to, kind="acknowledgement", created_at__gte=_ack_window_start()
                ).count()

    def _quick(self, row: RawMessage, parsed: parsing.ParsedMessage, key: str) -> bool:
        """Handle the message here when _ingest() would only open a ticket, or record a duplicate or an
        automatic answer to no known ticket; False when it must go the usual way."""
        if key in self.seen_keys or parsed.is_bounce:
            return False
        first = self.taken.get(key)
        if first is not None and first.pk != row.pk:
            _mark_duplicate(row, first)
            return True
        thread_ids = parsed.thread_ids
        if any(mid in self.known_ids or mid in self.entries or mid in self.untracked for mid in thread_ids):
            return False  # answers a known ticket, or one of this batch: appended (quietly, or the usual way)
        if threading.reference_pattern().search(parsed.subject or ""):
            return False  # the subject rule looks at who takes part in the named ticket
        if not parsed.auto_reply and notices.may_answer_a_notice(thread_ids):
            return False
        queue = row.mailbox.queue if row.mailbox_id else self._queue()
        attachments, notes = _claim(row, parsed, key)
        if parsed.auto_reply:  # no ticket to put it on (the thread look-up found none)
            row.outcome, row.reason = RawMessage.Outcome.AUTOREPLY, parsed.auto_reply[:500]
        else:
            opened = self.tickets.open(
                then=lambda ticket: self._opened(row, parsed, ticket),
                channel=Channel.EMAIL,
                subject=parsed.subject or _("(bez tematu)"),
                queue=None,
                fallback_queue=queue,
                mailbox=row.mailbox.email_address if row.mailbox_id else "",
                requester_name=parsed.from_name,
                requester_email=_valid_email(parsed.from_email),
                message_id=parsed.message_id,
                in_reply_to=(parsed.in_reply_to or ("",))[0],
                to=parsed.to,
                cc=parsed.cc,
                attachments=attachments,
                related_to=None,
                **_texts(parsed, notes),
            )
            self._entry_written(parsed, opened)
            row.outcome = RawMessage.Outcome.CREATED
        _done(row, parsed)
        return True

    def _queue(self) -> Queue:
        if self._default_queue is None:
            queue = ticket_actions.default_queue()
            self._default_queue = self.queues.setdefault(queue.pk, queue)
        return self._default_queue

    def _refresh_queues(self) -> None:
        for pk, last in Queue.objects.filter(pk__in=list(self.queues)).values_list("pk", "last_assigned_id"):
            self.queues[pk].last_assigned_id = last

    def _opened(self, row: RawMessage, parsed: parsing.ParsedMessage, ticket: Ticket) -> None:
        """What _person() does after open_ticket(), with the batch's loop guard."""
        row.ticket = ticket
        answer = _automatic_status_answer(ticket, parsed)
        if self._acknowledge(ticket, parsed, extra=answer) and answer:
            ticket_actions.record_automatic_answer(ticket=ticket, text=answer)

    def _acknowledge(self, ticket: Ticket, parsed: parsing.ParsedMessage, extra: str) -> bool:
        to = _acknowledgement_address(parsed)
        if not to or to in self.failing:
            return False
        if self.ack_counts.get(to, 0) >= settings.INBOX_ACK_LIMIT:
            log.info("acknowledgement to %s skipped: limit reached (loop guard)", to)
            return False
        self.ack_counts[to] = self.ack_counts.get(to, 0) + 1
        self.sent.append(_send_acknowledgement(ticket, parsed, to, extra))
        return True

    def _flush(self) -> None:
        """Write what the batch holds: tickets (with their acknowledgements), then the rows' outcomes."""
        if len(self.tickets):
            self.tickets.flush()
        if self.sent:
            bulk.create(self.sent, ids=False)
            self.sent = []
        if self.done:
            bulk.update(self.done, SAVED_FIELDS)
            self.done = []

    def _unique(self, row: RawMessage, key: str | None) -> bool:
        """Whether no other stored message has the row's dedupe key: none had it when the batch was read
        (self.taken), and no message of the batch so far."""
        if key is None or key in self.seen_keys:
            return False
        first = self.taken.get(key)
        return first is None or first.pk == row.pk

    def _one(self, row: RawMessage, parsed: parsing.ParsedMessage | None, *, unique: bool = False) -> None:
        """_process_once() for a row already locked by the batch (`parsed`: its parse, when it had one)."""
        try:
            with transaction.atomic():
                _ingest(row, parsed=parsed, unique=unique, queue=None if row.mailbox_id else self._queue())
        except IntegrityError:
            raise
        except Exception as exc:
            log.exception("message %s quarantined", row.pk)
            row.status, row.outcome = RawMessage.Status.QUARANTINED, RawMessage.Outcome.QUARANTINED
            row.reason = f"{type(exc).__name__}: {_message_of(exc)}"[:5000]
            row.dedupe_key, row.ticket, row.duplicate_of = None, None, None
        row.processed_at = timezone.now()
        row.save(update_fields=SAVED_FIELDS)


@transaction.atomic
def _process_once(raw_id: int) -> Result:
    row = RawMessage.objects.select_for_update(of=("self",)).select_related("mailbox__queue").get(pk=raw_id)
    if row.status != RawMessage.Status.PENDING:
        return _result(row)
    row.attempts += 1
    try:
        with transaction.atomic():
            _ingest(row)
    except IntegrityError:
        raise
    except Exception as exc:  # anything unexpected: quarantine, never block the next message
        log.exception("message %s quarantined", row.pk)
        row.status, row.outcome = RawMessage.Status.QUARANTINED, RawMessage.Outcome.QUARANTINED
        row.reason = f"{type(exc).__name__}: {_message_of(exc)}"[:5000]
        row.dedupe_key, row.ticket, row.duplicate_of = None, None, None
    row.processed_at = timezone.now()
    row.save(update_fields=SAVED_FIELDS)
    return _result(row)


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return str(exc)


def _result(row: RawMessage) -> Result:
    ticket = row.ticket.reference if row.ticket_id else None
    return Result(row.pk, row.message_id, row.outcome or row.status, ticket, row.reason)


def _mark_duplicate(row: RawMessage, first: RawMessage) -> None:
    """The same message was taken before (by its Message-ID or content): this copy only points at the first."""
    row.status, row.outcome, row.duplicate_of, row.ticket = (
        RawMessage.Status.DONE,
        RawMessage.Outcome.DUPLICATE,
        first,
        first.ticket,
    )
    row.reason = _("Ta sama wiadomość została już przyjęta (wiadomość nr %(id)s).") % {"id": first.pk}


def dedupe_key(parsed: parsing.ParsedMessage, raw: bytes) -> str:
    if parsed.message_id:
        return f"mid:{parsed.message_id.lower()}"[:1000]
    return f"sha:{content_key(raw)}"


def _ingest(
    row: RawMessage,
    *,
    force_new: bool = False,
    parsed: parsing.ParsedMessage | None = None,
    unique: bool = False,
    queue: Queue | None = None,
) -> None:
    """`unique`: the caller knows that no other stored message has this one's dedupe key (process_batch looked
    them up for the batch); `queue`: the default queue, when the caller has it."""
    raw = bytes(row.raw)
    parsed = parsed or parsing.parse(raw)
    key = dedupe_key(parsed, raw)
    if not unique:
        first = RawMessage.objects.filter(dedupe_key=key).exclude(pk=row.pk).select_related("ticket").first()
        if first is not None:
            _mark_duplicate(row, first)
            return
    queue = row.mailbox.queue if row.mailbox_id else (queue or ticket_actions.default_queue())
    attachments, notes = _claim(row, parsed, key)
    staff_reply = (
        None
        if (parsed.is_bounce or parsed.auto_reply)
        else notices.staff_reply_target(parsed.thread_ids, parsed.from_email)
    )
    if parsed.is_bounce:
        _bounce(row, parsed, attachments)
    elif parsed.auto_reply:
        _automatic(row, parsed, attachments)
    elif staff_reply is not None:
        _staff_reply(row, parsed, attachments, *staff_reply)
    else:
        _person(row, parsed, attachments, queue, notes, force_new=force_new)
    _done(row, parsed)


def _claim(row: RawMessage, parsed: parsing.ParsedMessage, key: str) -> tuple[list, list[str]]:
    """Claim the row's dedupe key (unique: taken when the row is saved in this transaction) and flag an
    oversized message; returns the attachments to keep and the notes on those left out (_attachments)."""
    row.dedupe_key = key
    attachments, notes = _attachments(parsed)
    row.oversized = parsed.size > settings.INBOX_MAX_MESSAGE_BYTES or bool(notes)
    return attachments, notes


def _done(row: RawMessage, parsed: parsing.ParsedMessage) -> None:
    if row.oversized and not row.reason:
        row.reason = _("Wiadomość przekracza limit rozmiaru (%(size)s B).") % {"size": parsed.size}
    if parsed.cut:
        row.reason = " ".join([row.reason, *cut_notes(parsed)]).strip()
    row.status = RawMessage.Status.DONE


def _attachments(parsed: parsing.ParsedMessage) -> tuple[list[ticket_actions.NewAttachment], list[str]]:
    """Attachments for the entry; a file over the size limit stays in the stored raw message, with a note."""
    kept, notes = [], []
    for item in parsed.attachments:
        if item.size > settings.ATTACHMENT_MAX_BYTES:
            notes.append(
                _("[Załącznik %(name)s (%(size)s B) przekracza limit; jest w oryginale wiadomości.]")
                % {"name": item.filename, "size": item.size}
            )
            continue
        kept.append(
            ticket_actions.NewAttachment(
                filename=item.filename or "plik",
                content=item.content,
                content_type=item.content_type,
                is_inline=item.is_inline,
                content_id=item.content_id,
            )
        )
    return kept, notes


def cut_notes(parsed: parsing.ParsedMessage) -> list[str]:
    """What the ticket says about content the parser left out (parsing.CutContent): that it was cut, and where."""
    notes = []
    for cut in parsed.cut:
        if cut.depth == 0:
            notes.append(
                _(
                    "[Treść wiadomości jest zagnieżdżona zbyt głęboko, by ją odczytać: pominięto całą treść "
                    "(%(type)s). Całość jest w oryginale wiadomości.]"
                )
                % {"type": cut.content_type}
            )
        else:
            notes.append(
                _(
                    "[Treść zagnieżdżona głębiej niż %(limit)s poziomów pominięta: część %(part)s (%(type)s), "
                    "pominięte części: %(count)s. Całość jest w oryginale wiadomości.]"
                )
                % {"limit": parsing.MAX_DEPTH, "part": cut.part, "type": cut.content_type, "count": cut.parts}
            )
    return notes


def _texts(parsed: parsing.ParsedMessage, notes: list[str] = ()) -> dict:
    cut = cut_notes(parsed)
    notes = [*cut, *notes]
    text = parsed.text or ("" if parsed.html or cut else _("(wiadomość bez treści)"))
    if notes:
        text = (text + "\n\n" + "\n".join(notes)).strip()
    visible = parsed.visible_text if parsed.visible_text and parsed.visible_text != parsed.text.strip() else ""
    if visible and cut:  # said where it is seen, not only in the folded full text
        visible = visible + "\n\n" + "\n".join(cut)
    return {"body_text": text, "body_html": parsed.html, "visible_text": visible}


def foreseen(parsed: parsing.ParsedMessage) -> list[tuple[Callable, str]]:
    """The calls of pure functions (helpdesk.ahead) that processing `parsed` will make when it opens a ticket
    (_Batch._quick, then TicketBatch: routing, identification, deadlines, the entry, the search document, the
    acknowledgement's address), for the parsing workers to compute ahead (inbox_ingest.pipeline). It builds the
    texts with the same functions the batch uses; one it foresees wrongly (a message with notes on oversized
    attachments, a sender identified by a name of their own) is simply computed when it is needed."""
    calls: list[tuple[Callable, str]] = [(_valid_email, parsed.from_email), (_valid_email, parsed.reply_to)]
    if parsed.is_bounce or parsed.auto_reply:
        return calls
    try:
        subject = ticket_actions._clean_subject(parsed.subject or _("(bez tematu)"))
    except ValidationError:
        return calls
    texts = _texts(parsed)
    text = f"{subject}\n{texts['body_text']}"  # what routing, identification and the deadlines read
    email = _valid_email.__wrapped__(parsed.from_email)
    entry = Entry(subject=subject, sender_name=parsed.from_name, sender_email=email, **texts)
    return [
        *calls,
        (rules.stems, text),
        (rules.form_codes, text),
        (identify.find_numbers, text),
        (sanitize_html, parsed.html),
        (search.text_tokens, search.requester_text(subject, parsed.from_name[:200], email.strip().lower())),
        (search.text_tokens, search.entry_text(entry)),
    ]


def _append(row, ticket: Ticket, parsed, attachments, notes=(), *, reopen: bool) -> None:
    ticket_actions.add_entry(
        actor=None, ticket=ticket, kind=Entry.Kind.INBOUND, reopen=reopen, **_inbound_entry(parsed, attachments, notes)
    )
    row.ticket = ticket


def _inbound_entry(parsed: parsing.ParsedMessage, attachments, notes=()) -> dict:
    """add_entry()'s fields for a message from outside (the usual way, and TicketBatch.append)."""
    return {
        "to": parsed.to,
        "cc": parsed.cc,
        "sender_name": parsed.from_name,
        "sender_email": _valid_email(parsed.from_email),
        "message_id": parsed.message_id,
        "in_reply_to": (parsed.in_reply_to or ("",))[0],
        "attachments": attachments,
        **_texts(parsed, list(notes)),
    }


def _person(row, parsed, attachments, queue: Queue, notes, *, force_new: bool) -> None:
    thread = threading.Thread(None) if force_new else threading.find_thread(parsed)
    if thread.ticket is not None:
        _append(row, thread.ticket, parsed, attachments, notes, reopen=True)
        row.outcome = RawMessage.Outcome.APPENDED
        return
    ticket = ticket_actions.open_ticket(
        actor=None,
        channel=Channel.EMAIL,
        subject=parsed.subject or _("(bez tematu)"),
        queue=None,  # the routing rules decide (tickets.rules); the mailbox's queue when none does
        fallback_queue=queue,
        mailbox=row.mailbox.email_address if row.mailbox_id else "",  # routing rules name a mailbox by address
        requester_name=parsed.from_name,
        requester_email=_valid_email(parsed.from_email),
        message_id=parsed.message_id,
        in_reply_to=(parsed.in_reply_to or ("",))[0],
        to=parsed.to,
        cc=parsed.cc,
        attachments=attachments,
        related_to=thread.related,
        **_texts(parsed, notes),
    )
    row.ticket, row.outcome = ticket, RawMessage.Outcome.CREATED
    if thread.related is not None:
        row.reason = _("Nadawca nie uczestniczy w %(reference)s: utworzono nowe, powiązane zgłoszenie.") % {
            "reference": thread.related.reference
        }
    answer = _automatic_status_answer(ticket, parsed)
    if acknowledge(ticket, parsed, row.mailbox, extra=answer) and answer:
        ticket_actions.record_automatic_answer(ticket=ticket, text=answer)


def _staff_reply(row, parsed, attachments, ticket: Ticket, staff) -> None:
    """A regional administrator answered a notice from their own mailbox: post it as theirs (tickets.notices)."""
    text = parsed.visible_text or parsed.text
    entry = ticket_actions.post_staff_email_reply(ticket=ticket, staff=staff, text=text, attachments=attachments)
    row.ticket, row.outcome = ticket, RawMessage.Outcome.APPENDED
    row.reason = (
        _("Notatka wewnętrzna od %(who)s (odpowiedź na powiadomienie).")
        if entry.kind == Entry.Kind.NOTE
        else _("Odpowiedź %(who)s wysłana do zgłaszającego (odpowiedź na powiadomienie).")
    ) % {"who": staff}


def _automatic(row, parsed, attachments) -> None:
    """Out-of-office and other automatic answers: a quiet entry on the ticket they answer, or set aside."""
    thread = threading.find_thread(parsed)
    row.outcome, row.reason = RawMessage.Outcome.AUTOREPLY, parsed.auto_reply[:500]
    if thread.ticket is not None:
        _append(row, thread.ticket, parsed, attachments, reopen=False)


def _bounce(row, parsed, attachments) -> None:
    """A delivery-status report: attach it to the ticket whose mail bounced, mark the address failing."""
    now = timezone.now()
    for address in parsed.bounced_recipients:
        if "@" not in address:
            continue
        failing, created = FailingAddress.objects.get_or_create(
            email=address.lower()[:254],
            defaults={"bounces": 1, "last_reason": parsed.subject[:500], "last_bounce_at": now},
        )
        if not created:
            FailingAddress.objects.filter(pk=failing.pk).update(
                bounces=F("bounces") + 1, last_reason=parsed.subject[:500], last_bounce_at=now
            )
    thread = threading.find_thread(parsed, extra_ids=parsed.bounced_message_ids)
    row.outcome = RawMessage.Outcome.BOUNCE
    row.reason = _("Niedoręczenie do: %(addresses)s") % {"addresses": ", ".join(parsed.bounced_recipients) or "?"}
    if thread.ticket is not None:
        _append(row, thread.ticket, parsed, attachments, reopen=False)


@ahead.pure  # computed in the parsing workers (foreseen)
def _valid_email(address: str) -> str:
    from django.core.validators import validate_email

    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


# --- acknowledgements --------------------------------------------------------------------------------


_OWN_CACHE: dict[str, tuple[float, frozenset[str]]] = {}
OWN_CACHE_SECONDS = 60


def _own_addresses() -> frozenset[str]:
    """Our own addresses (never acknowledged); re-read at most once a minute: mailboxes rarely change."""
    import email.utils
    import time

    cached = _OWN_CACHE.get("own")
    if cached and time.monotonic() - cached[0] < OWN_CACHE_SECONDS:
        return cached[1]
    own = {email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    own |= {address.lower() for address in Mailbox.objects.values_list("email_address", flat=True)}
    _OWN_CACHE["own"] = (time.monotonic(), frozenset(own))
    return _OWN_CACHE["own"][1]


def _automatic_status_answer(ticket: Ticket, parsed) -> str:
    """With AUTO_STATUS_REPLY on, a clear "did our report arrive?" from an identified unit is answered with its
    report statuses in the acknowledgement (contacts.replies); the agents still get the ticket."""
    unit = ticket.reporting_unit
    if not (settings.AUTO_STATUS_REPLY and unit and unit.regon and ticket.identification == "identified"):
        return ""
    if not replies.is_status_question(f"{parsed.subject}\n{parsed.visible_text or parsed.text}"):
        return ""
    return replies.status_summary(unit)


def _acknowledgement_address(parsed: parsing.ParsedMessage) -> str:
    """Where an acknowledgement would go ("" for nowhere: no valid address, or one of ours)."""
    to = _valid_email(parsed.reply_to or parsed.from_email) or _valid_email(parsed.from_email)
    to = to.lower()  # addresses are stored lower-case: exact lookups use the indexes
    return "" if not to or to in _own_addresses() else to


def _ack_window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.INBOX_ACK_WINDOW_SECONDS)


def acknowledgement_allowed(to: str) -> bool:
    """The loop guard of every acknowledgement, whatever opened the ticket (an e-mail, the portal's contact
    form): none to an address our mail bounced from, at most INBOX_ACK_LIMIT to one address per
    INBOX_ACK_WINDOW_SECONDS (counted from the SentMessage rows every acknowledgement leaves, see
    `acknowledgement_row`). The ingestion batch applies the same rule to counts it read ahead (_acknowledge)."""
    to = (to or "").strip().lower()
    if not to or FailingAddress.objects.filter(email=to).exists():
        return False
    sent = SentMessage.objects.filter(to_email=to, kind="acknowledgement", created_at__gte=_ack_window_start())
    if sent.count() >= settings.INBOX_ACK_LIMIT:
        log.info("acknowledgement to %s skipped: limit reached (loop guard)", to)
        return False
    return True


def acknowledgement_row(ticket: Ticket, to: str) -> tuple[SentMessage, dict]:
    """A new acknowledgement's SentMessage row (unsaved: the loop guard's log and its Message-ID for threading)
    and the headers every acknowledgement carries (an automatic answer: no auto-replies to it)."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "helpdesk.local"
    message_id = f"<ack-{uuid.uuid4().hex}@{domain}>"
    sent = SentMessage(ticket=ticket, message_id=message_id, to_email=to.strip().lower(), kind="acknowledgement")
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Precedence": "auto_reply",
        "X-Helpdesk-Ticket": ticket.reference,
    }
    return sent, headers


def acknowledge(ticket: Ticket, parsed: parsing.ParsedMessage, mailbox: Mailbox | None, extra: str = "") -> bool:
    """Send the Polish acknowledgement for a new ticket, unless that would feed a mail loop."""
    to = _acknowledgement_address(parsed)
    if not acknowledgement_allowed(to):
        return False
    _send_acknowledgement(ticket, parsed, to, extra).save(force_insert=True)
    return True


def _send_acknowledgement(ticket: Ticket, parsed: parsing.ParsedMessage, to: str, extra: str) -> SentMessage:
    """Enqueue the acknowledgement; returns its SentMessage row (the loop guard's log), for the caller to save."""
    sent, headers = acknowledgement_row(ticket, to)
    if parsed.message_id:
        headers["In-Reply-To"] = parsed.message_id
        headers["References"] = " ".join((*parsed.references[-10:], parsed.message_id))
    body = _(
        "Dzień dobry,\n\n"
        "potwierdzamy przyjęcie zgłoszenia. Nadaliśmy mu sygnaturę %(reference)s.\n"
        "Odpowiadając, prosimy zachować sygnaturę w temacie wiadomości.\n"
        "Na zgłoszenia odpowiadamy w dni robocze w godzinach 8:00–16:00.\n\n"
        "Temat: %(subject)s\n\n"
        "Ta wiadomość została wysłana automatycznie.\n"
        "Pomoc SSOZ"
    ) % {"reference": ticket.reference, "subject": ticket.subject}
    if extra:
        body = f"{body}\n\n{extra}"
    outbox.enqueue_email(
        to=[to],
        subject=_("[%(reference)s] Potwierdzenie przyjęcia zgłoszenia: %(subject)s")
        % {"reference": ticket.reference, "subject": ticket.subject},
        body=body,
        headers=headers,
    )
    return sent


# --- quarantine actions (agents) -------------------------------------------------------------------------


def _check_quarantine(actor, row: RawMessage) -> None:
    access.require(access.can_work_tickets(actor), _("Nie masz uprawnień do obsługi zgłoszeń."))
    queue = row.mailbox.queue if row.mailbox_id else ticket_actions.default_queue()
    access.require(
        access.voivodeship_scope(actor).allows(queue.voivodeship_id),
        _("Ta wiadomość należy do skrzynki innego województwa."),
    )
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
    queue = row.mailbox.queue if row.mailbox_id else ticket_actions.default_queue()
    ticket = ticket_actions.open_ticket(
        actor=None,
        channel=Channel.EMAIL,
        subject=subject or _("(bez tematu)"),
        queue=queue,
        requester_name=name,
        requester_email=_valid_email(sender),
        body_text=(text or "").strip() or _("(treść nieczytelna: zob. oryginał w załączniku)"),
        attachments=[ticket_actions.NewAttachment("oryginal.eml", raw, "message/rfc822")],
    )
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
