"""Many stored messages in one transaction (inbox_ingest.actions.process_batch): what processing them one by
one in order would do, with a few queries for the lot.

The batch reads its facts at once (earlier copies by dedupe key, every Message-ID its messages refer to, the
loop guard of its senders), classifies each message with the usual function (messages.classify) when those
facts settle it, and collects the tickets to open and the entries to add; one call of the tickets' write path
each (open_tickets, then add_entries) writes them. A message whose facts the batch cannot know in memory (a
reply that reopens a ticket, a bounce, a reference in the subject, a copy of a message of the same batch, an
answer to a notice, one that cannot be parsed) goes the usual way in its turn, after everything before it is
written, inside a savepoint so that a failure quarantines it alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk import outbox
from helpdesk.speed import bulk
from inbox_ingest import messages, parsing, pipeline, threading
from inbox_ingest.acknowledgements import LoopGuard, acknowledgement_address
from inbox_ingest.messages import Route
from inbox_ingest.models import RawMessage, SentMessage
from tickets import actions as ticket_actions
from tickets import events, notices
from tickets.models import Queue, Status, Ticket

log = logging.getLogger(__name__)


@dataclass
class _Opening:
    """A ticket the batch opens: its request, and the ticket once the next flush wrote it."""

    request: ticket_actions.NewTicket
    row: RawMessage
    parsed: parsing.ParsedMessage
    ticket: Ticket | None = None


@dataclass
class _Appending:
    """An entry the batch adds, to a ticket from before the batch (`ticket_id`) or to one it opens."""

    target: _Opening | threading.Known
    row: RawMessage
    parsed: parsing.ParsedMessage
    attachments: list
    notes: list
    reopen: bool


class Batch:
    """One process_batch() pass over locked rows."""

    def __init__(self, rows: list[RawMessage], prepared: dict[int, pipeline.Prepared] | None = None) -> None:
        self.rows = rows
        self.prepared = prepared or {}
        self.opening: list[_Opening] = []  # written at the next flush
        self.appending: list[_Appending] = []
        self.done: list[RawMessage] = []  # handled here, saved at the next flush
        self.sent: list[SentMessage] = []  # acknowledgements of the batch, saved at the next flush
        self.seen_keys: set[str] = set()  # dedupe keys of the batch so far
        # Message-ID of a message of the batch → the ticket its entry went to, for the replies to it: a ticket
        # the batch opens or one that existed before (as in known_ids)
        self.entries: dict[str, _Opening | threading.Known] = {}
        # Message-IDs of messages that went the usual way and ended on a ticket (see _thread_target); a message
        # of the batch in neither wrote no entry (a copy, an automatic answer to nothing, one quarantined)
        self.untracked: set[str] = set()
        self.touched: set[int] = set()  # tickets changed by messages that went the usual way
        self._default_queue: Queue | None = None

    def run(self) -> None:
        pending = [row for row in self.rows if row.status == RawMessage.Status.PENDING]
        if not pending:
            return
        parsed = [self._parsed(row) for row in pending]
        keys = [
            messages.dedupe_key(item, bytes(row.raw)) if not isinstance(item, Exception) else None
            for row, item in zip(pending, parsed, strict=True)
        ]
        readable = [item for item in parsed if not isinstance(item, Exception)]
        self.taken = {
            row.dedupe_key: row
            for row in RawMessage.objects.filter(dedupe_key__in=[key for key in keys if key])
            .select_related("ticket")
            .defer("raw")
        }
        self.known_ids = threading.known_message_ids({mid for item in readable for mid in item.thread_ids})
        self.guard = LoopGuard({acknowledgement_address(item) for item in readable})
        self.queues: dict[int, Queue] = {}  # one instance per mailbox queue, kept current (round-robin position)
        for row in pending:
            if row.mailbox is not None:
                row.mailbox.queue = self.queues.setdefault(row.mailbox.queue_id, row.mailbox.queue)
        for row, item, key in zip(pending, parsed, keys, strict=True):
            row.attempts += 1
            if key is None or isinstance(item, Exception) or not self._in_batch(row, item, key):
                self._flush()
                self._one(row, None if isinstance(item, Exception) else item, unique=self._unique(row, key))
                self._after_one(row, item)
            if key is not None:
                self.seen_keys.add(key)
        self._flush()

    def _prepared(self, row: RawMessage) -> pipeline.Prepared | None:
        """What a parsing worker computed from the row's bytes (None when none did, or from other bytes)."""
        prepared = self.prepared.get(row.pk)
        return prepared if prepared is not None and prepared.sha256 == row.sha256 else None

    def _parsed(self, row: RawMessage) -> parsing.ParsedMessage | Exception:
        prepared = self._prepared(row)
        if prepared is not None:
            return prepared.parsed if prepared.parsed is not None else ValueError("unparseable")
        try:
            return parsing.parse(bytes(row.raw))
        except Exception as exc:  # taken the usual way, which quarantines it
            return exc

    # classifying in the batch

    def _in_batch(self, row: RawMessage, parsed: parsing.ParsedMessage, key: str) -> bool:
        """Classify the message from the batch's facts and collect what it writes; False when those facts do
        not settle it (the usual way)."""
        if key in self.seen_keys or parsed.is_bounce:
            return False
        first = self.taken.get(key)
        first = first if first is not None and first.pk != row.pk else None
        target = None
        if first is None and self._answers_known(parsed):
            target = self._quiet_append_target(parsed)
            if target is None:
                return False
        elif first is None and not self._opens_without_look_ups(parsed):
            return False
        route = messages.classify(parsed, first_copy=first, staff_reply=None, thread_found=target is not None)
        if route is Route.DUPLICATE and first is not None:
            messages.mark_duplicate(row, first)
        elif target is not None:
            self._append(row, parsed, key, target)
        else:
            attachments, notes = messages.claim(row, parsed, key)
            if route is Route.AUTOMATIC:  # no ticket to put it on (the thread look-up found none)
                row.outcome, row.reason = RawMessage.Outcome.AUTOREPLY, parsed.auto_reply[:500]
            else:
                self._open(row, parsed, attachments, notes)
            messages.done(row, parsed)
        row.processed_at = timezone.now()
        self.done.append(row)
        return True

    def _answers_known(self, parsed: parsing.ParsedMessage) -> bool:
        """Whether it refers to a Message-ID we know (from before the batch or of it)."""
        return any(mid in self.known_ids or mid in self.entries or mid in self.untracked for mid in parsed.thread_ids)

    def _opens_without_look_ups(self, parsed: parsing.ParsedMessage) -> bool:
        """A message in no known thread needs no more look-ups unless its subject names a ticket (the subject rule
        looks at who takes part in it) or it may answer a notice."""
        if threading.reference_pattern().search(parsed.subject or ""):
            return False
        return bool(parsed.auto_reply) or not notices.may_answer_a_notice(parsed.thread_ids)

    def _quiet_append_target(self, parsed: parsing.ParsedMessage) -> _Opening | threading.Known | None:
        """The ticket the message only adds an entry to, when the message does not change its status: a reply
        (or an automatic answer) to an open ticket from before the batch or to one the batch opens (a new
        ticket, which an inbound entry leaves as it is); else None (the usual way). Nothing the batch's new
        tickets depend on changes then (no acknowledgement, no reopening that would change who has how many
        open tickets), so the entry is written with them instead of flushing them first."""
        if notices.may_answer_a_notice(parsed.thread_ids):
            return None
        target = self._thread_target(parsed.thread_ids)
        if isinstance(target, _Opening):
            written = target.ticket  # by a flush before a message that went the usual way, which may touch it
            return None if written is not None and written.pk in self.touched else target
        if target is None:
            return None
        reopens = target.status in (Status.WAITING_CUSTOMER, Status.RESOLVED)
        return None if target.merged or reopens or target.ticket_id in self.touched else target

    def _thread_target(self, thread_ids: tuple[str, ...]) -> _Opening | threading.Known | None:
        """threading.first_known() in the batch: the ticket of the first of `thread_ids` that an entry or a sent
        message has, from before the batch (known_ids) or written by it (self.entries); a message of the batch
        that wrote no entry is passed over as the look-up would. None (the usual way) when that is not known
        here: a message that went the usual way, or a Message-ID found both before and in the batch."""
        for message_id in thread_ids:
            if message_id in self.untracked:
                return None
            ours, known = self.entries.get(message_id), self.known_ids.get(message_id)
            if ours is not None and known is not None:
                return None
            if ours is not None or known is not None:
                return ours if ours is not None else known
        return None

    # collecting

    def _open(self, row: RawMessage, parsed: parsing.ParsedMessage, attachments, notes) -> None:
        queue = row.mailbox.queue if row.mailbox is not None else self._queue()
        prepared = self._prepared(row)  # with the facts of its text computed by the worker
        facts = prepared.facts if prepared is not None else None
        opening = _Opening(messages.ticket_request(row, parsed, attachments, notes, queue, facts=facts), row, parsed)
        self.opening.append(opening)
        self._entry_written(parsed, opening)
        row.outcome = RawMessage.Outcome.CREATED

    def _append(self, row: RawMessage, parsed: parsing.ParsedMessage, key: str, target) -> None:
        attachments, notes = messages.claim(row, parsed, key)
        if parsed.auto_reply:
            row.outcome, row.reason = RawMessage.Outcome.AUTOREPLY, parsed.auto_reply[:500]
            notes = []  # as the usual way appends it
        else:
            row.outcome = RawMessage.Outcome.APPENDED
        self.appending.append(_Appending(target, row, parsed, attachments, notes, reopen=not parsed.auto_reply))
        self._entry_written(parsed, target)
        messages.done(row, parsed)

    def _entry_written(self, parsed: parsing.ParsedMessage, target) -> None:
        """Remember where the message's entry (its Message-ID) goes, for the replies to it in the batch."""
        if parsed.message_id:
            self.entries[parsed.message_id] = target

    def _queue(self) -> Queue:
        if self._default_queue is None:
            queue = ticket_actions.default_queue()
            self._default_queue = self.queues.setdefault(queue.pk, queue)
        return self._default_queue

    # writing

    def _flush(self) -> None:
        """Write what the batch holds: the new tickets (with their acknowledgements), the entries, then the
        rows' outcomes."""
        opening, self.opening = self.opening, []
        appending, self.appending = self.appending, []
        if opening or appending:
            with events.collected(), outbox.collected():
                self._write(opening, appending)
        if self.sent:
            bulk.create(self.sent, ids=False)
            self.sent = []
        if self.done:
            bulk.update(self.done, messages.SAVED_FIELDS)
            self.done = []

    def _write(self, opening: list[_Opening], appending: list[_Appending]) -> None:
        tickets = ticket_actions.open_tickets([item.request for item in opening], actor=None)
        for item, ticket in zip(opening, tickets, strict=True):
            item.ticket = item.row.ticket = ticket
            sent = messages.after_opening(ticket, item.parsed, self.guard)
            if sent is not None:
                self.sent.append(sent)
        requests = [
            messages.entry_request(
                self._target_ticket(item.target), item.parsed, item.attachments, item.notes, reopen=item.reopen
            )
            for item in appending
        ]
        for appended, entry in zip(appending, ticket_actions.add_entries(requests, actor=None), strict=True):
            appended.row.ticket = entry.ticket

    @staticmethod
    def _target_ticket(target: _Opening | threading.Known) -> Ticket:
        if isinstance(target, _Opening):
            if target.ticket is None:
                raise ValueError("an entry names a ticket that this batch has not written")
            return target.ticket
        return Ticket(pk=target.ticket_id)  # add_entries reads it afresh under a lock

    # the usual way, in the batch's transaction

    def _unique(self, row: RawMessage, key: str | None) -> bool:
        """Whether no other stored message has the row's dedupe key: none had it when the batch was read
        (self.taken), and no message of the batch so far."""
        if key is None or key in self.seen_keys:
            return False
        first = self.taken.get(key)
        return first is None or first.pk == row.pk

    def _one(self, row: RawMessage, parsed: parsing.ParsedMessage | None, *, unique: bool = False) -> None:
        """The usual way for a row already locked by the batch (`parsed`: its parse, when it had one)."""
        try:
            with transaction.atomic():
                messages.ingest(row, parsed=parsed, unique=unique, queue=None if row.mailbox_id else self._queue())
        except IntegrityError:
            raise
        except Exception as exc:
            messages.quarantine(row, exc)
        row.processed_at = timezone.now()
        row.save(update_fields=messages.SAVED_FIELDS)

    def _after_one(self, row: RawMessage, parsed: parsing.ParsedMessage | Exception) -> None:
        """Bring the batch's facts up to date after a message went the usual way: the loop guard (only a bounce
        marks addresses failing, and only a new ticket is acknowledged: to the one address of its sender), the
        tickets it touched and the queues' round-robin positions (it may have assigned a ticket)."""
        if row.outcome == RawMessage.Outcome.BOUNCE:
            self.guard = LoopGuard(self.guard.addresses)
        elif row.outcome == RawMessage.Outcome.CREATED and not isinstance(parsed, Exception):
            to = acknowledgement_address(parsed)
            if to:
                self.guard.recount(to)
        if row.ticket_id and row.outcome != RawMessage.Outcome.DUPLICATE:  # a copy changes nothing
            self.touched.add(row.ticket_id)
            if not isinstance(parsed, Exception) and parsed.message_id:
                self.untracked.add(parsed.message_id)
        for pk, last in Queue.objects.filter(pk__in=list(self.queues)).values_list("pk", "last_assigned_id"):
            self.queues[pk].last_assigned_id = last
