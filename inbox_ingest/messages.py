"""One stored e-mail message, the usual way: looked up (an earlier copy, the thread, a notice it answers),
classified (`classify`: open, append, duplicate, automatic answer, bounce, staff reply, quarantine) and written
through the tickets' one write path (tickets.opening.open_tickets, tickets.entries.add_entries). The batch
(inbox_ingest.batching) classifies with the same function from facts it looked up for many messages at once,
and builds the same requests (`ticket_request`, `entry_request`).
"""

from __future__ import annotations

import enum
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox_ingest import parsing, threading
from inbox_ingest.acknowledgements import (
    LoopGuard,
    acknowledge,
    acknowledgement_address,
    automatic_status_answer,
)
from inbox_ingest.models import FailingAddress, RawMessage
from tickets import actions as ticket_actions
from tickets import notices
from tickets.models import Channel, Entry, Queue, Ticket
from tickets.requests import EmailHeaders, Message, NewAttachment, NewEntry, NewTicket, Requester, Routing, Sender
from tickets.text_facts import TextFacts, facts_for

log = logging.getLogger(__name__)

TRACE_HEADERS = (b"received", b"delivered-to", b"return-path", b"x-original-to", b"x-received", b"status", b"x-uid")

SAVED_FIELDS = [
    "status", "outcome", "reason", "oversized", "attempts", "ticket", "duplicate_of", "dedupe_key", "processed_at",
]  # fmt: skip


class Route(enum.Enum):
    """What becomes of a message."""

    QUARANTINE = "quarantine"  # cannot be read
    DUPLICATE = "duplicate"  # a copy of a message taken before
    BOUNCE = "bounce"  # a delivery-status report: on the ticket whose mail bounced, the address marked failing
    AUTOMATIC = "automatic"  # an out-of-office or other automatic answer: quietly on its ticket, if any
    STAFF_REPLY = "staff_reply"  # a member of staff answered a notice from their mailbox
    APPEND = "append"  # a message in a ticket's thread
    OPEN = "open"  # a new ticket


def classify(parsed: parsing.ParsedMessage | Exception, *, first_copy, staff_reply, thread_found: bool) -> Route:
    """The one order of the e-mail channel's decisions, from facts looked up before (`first_copy`: an earlier
    stored message with the same dedupe key; `staff_reply`: notices.staff_reply_target(); `thread_found`:
    whether the thread look-up named a ticket)."""
    if isinstance(parsed, Exception):
        return Route.QUARANTINE
    if first_copy is not None:
        return Route.DUPLICATE
    if parsed.is_bounce:
        return Route.BOUNCE
    if parsed.auto_reply:
        return Route.AUTOMATIC
    if staff_reply is not None:
        return Route.STAFF_REPLY
    return Route.APPEND if thread_found else Route.OPEN


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


def dedupe_key(parsed: parsing.ParsedMessage, raw: bytes) -> str:
    if parsed.message_id:
        return f"mid:{parsed.message_id.lower()}"[:1000]
    return f"sha:{content_key(raw)}"


def mark_duplicate(row: RawMessage, first: RawMessage) -> None:
    """The same message was taken before (by its Message-ID or content): this copy only points at the first."""
    row.status, row.outcome, row.duplicate_of, row.ticket = (
        RawMessage.Status.DONE,
        RawMessage.Outcome.DUPLICATE,
        first,
        first.ticket,
    )
    row.reason = _("Ta sama wiadomość została już przyjęta (wiadomość nr %(id)s).") % {"id": first.pk}


def ingest(row: RawMessage, *, parsed: parsing.ParsedMessage | None = None, unique: bool = False, queue=None) -> None:
    """Turn the (locked) row into a ticket or an entry, the usual way. `unique`: the caller knows that no other
    stored message has this one's dedupe key (process_batch looked them up for the batch); `queue`: the default
    queue, when the caller has it."""
    raw = bytes(row.raw)
    parsed = parsed or parsing.parse(raw)
    key = dedupe_key(parsed, raw)
    first = None
    if not unique:
        first = RawMessage.objects.filter(dedupe_key=key).exclude(pk=row.pk).select_related("ticket").first()
    staff_reply = None
    if first is None and not (parsed.is_bounce or parsed.auto_reply):
        staff_reply = notices.staff_reply_target(parsed.thread_ids, parsed.from_email)
    thread = threading.Thread(None)
    if first is None and staff_reply is None:
        thread = threading.find_thread(parsed, extra_ids=parsed.bounced_message_ids if parsed.is_bounce else ())
    route = classify(parsed, first_copy=first, staff_reply=staff_reply, thread_found=thread.ticket is not None)
    if route is Route.DUPLICATE:
        assert first is not None  # classify() says duplicate only of a first copy
        mark_duplicate(row, first)
        return
    attachments, notes = claim(row, parsed, key)
    if route is Route.BOUNCE:
        _bounce(row, parsed, attachments, thread)
    elif route is Route.AUTOMATIC:
        row.outcome, row.reason = RawMessage.Outcome.AUTOREPLY, parsed.auto_reply[:500]
        if thread.ticket is not None:
            _append(row, thread.ticket, parsed, attachments, reopen=False)
    elif route is Route.STAFF_REPLY:
        assert staff_reply is not None  # classify() says so only when there is one
        _staff_reply(row, parsed, attachments, *staff_reply)
    elif route is Route.APPEND:
        assert thread.ticket is not None  # classify() appends only to a thread found
        _append(row, thread.ticket, parsed, attachments, notes, reopen=True)
        row.outcome = RawMessage.Outcome.APPENDED
    else:
        fallback = row.mailbox.queue if row.mailbox is not None else (queue or ticket_actions.default_queue())
        _open(row, parsed, attachments, notes, fallback, thread.related)
    done(row, parsed)


def ticket_request(
    row: RawMessage | None,
    parsed: parsing.ParsedMessage,
    attachments,
    notes,
    fallback_queue: Queue | None,
    related=None,
    facts: TextFacts | None = None,
) -> NewTicket:
    """The ticket a message opens: the routing rules decide (tickets.rules), the mailbox's queue when none
    does (a rule may name the mailbox by its address). `facts`: of its text, computed ahead (text_facts)."""
    return NewTicket(
        channel=Channel.EMAIL,
        subject=parsed.subject or _("(bez tematu)"),
        message=message_of(parsed, attachments, notes),
        requester=Requester(name=parsed.from_name, email=parsed.valid_from),
        routing=Routing(fallback_queue=fallback_queue, related_to=related),
        email=_headers(parsed, mailbox=row.mailbox.email_address if row is not None and row.mailbox else ""),
        facts=facts,
    )


def text_facts(parsed: parsing.ParsedMessage) -> TextFacts | None:
    """The facts of the text of the ticket `parsed` would open (tickets.text_facts), as its parsing worker
    computes them ahead (inbox_ingest.pipeline); None for a message that opens none that way (a bounce, an
    automatic answer) or whose subject cannot be a ticket's. The planner uses them only when they fit the
    ticket it writes: a message with notes on oversized attachments, or whose sender is identified as a
    person of a name of their own, has them computed again."""
    if parsed.is_bounce or parsed.auto_reply:
        return None
    try:
        return facts_for(ticket_request(None, parsed, (), (), None))
    except ValidationError:
        return None


def entry_request(ticket: Ticket, parsed: parsing.ParsedMessage, attachments, notes=(), *, reopen: bool) -> NewEntry:
    """The entry a message from outside adds to `ticket` (`reopen=False`: an automatic answer or a bounce)."""
    return NewEntry(
        ticket=ticket,
        kind=Entry.Kind.INBOUND,
        message=message_of(parsed, attachments, notes),
        sender=Sender(name=parsed.from_name, email=parsed.valid_from),
        email=_headers(parsed),
        reopen=reopen,
    )


def _headers(parsed: parsing.ParsedMessage, mailbox: str = "") -> EmailHeaders:
    return EmailHeaders(
        message_id=parsed.message_id,
        in_reply_to=(parsed.in_reply_to or ("",))[0],
        to=tuple(parsed.to),
        cc=tuple(parsed.cc),
        mailbox=mailbox,
    )


def _append(row, ticket: Ticket, parsed, attachments, notes=(), *, reopen: bool) -> None:
    (entry,) = ticket_actions.add_entries(
        [entry_request(ticket, parsed, attachments, notes, reopen=reopen)], actor=None
    )
    row.ticket = entry.ticket


def _open(row, parsed, attachments, notes, fallback_queue: Queue, related) -> None:
    request = ticket_request(row, parsed, attachments, notes, fallback_queue, related)
    (ticket,) = ticket_actions.open_tickets([request], actor=None)
    row.ticket, row.outcome = ticket, RawMessage.Outcome.CREATED
    if related is not None:
        row.reason = _("Nadawca nie uczestniczy w %(reference)s: utworzono nowe, powiązane zgłoszenie.") % {
            "reference": related.reference
        }
    sent = after_opening(ticket, parsed, LoopGuard([acknowledgement_address(parsed)]))
    if sent is not None:
        sent.save(force_insert=True)


def after_opening(ticket: Ticket, parsed: parsing.ParsedMessage, guard: LoopGuard):
    """The acknowledgement of a ticket a message opened (with the unit's report statuses when it asked for
    them: contacts.replies); returns its SentMessage row (unsaved) or None."""
    answer = automatic_status_answer(ticket, parsed)
    sent = acknowledge(ticket, parsed, guard, extra=answer)
    if sent is not None and answer:
        ticket_actions.record_automatic_answer(ticket=ticket, text=answer)
    return sent


def claim(row: RawMessage, parsed: parsing.ParsedMessage, key: str) -> tuple[list, list[str]]:
    """Claim the row's dedupe key (unique: taken when the row is saved in this transaction) and flag an
    oversized message; returns the attachments to keep and the notes on those left out (_attachments)."""
    row.dedupe_key = key
    attachments, notes = _attachments(parsed)
    row.oversized = parsed.size > settings.INBOX_MAX_MESSAGE_BYTES or bool(notes)
    return attachments, notes


def done(row: RawMessage, parsed: parsing.ParsedMessage) -> None:
    if row.oversized and not row.reason:
        row.reason = _("Wiadomość przekracza limit rozmiaru (%(size)s B).") % {"size": parsed.size}
    if parsed.cut:
        row.reason = " ".join([row.reason, *cut_notes(parsed)]).strip()
    row.status = RawMessage.Status.DONE


def _attachments(parsed: parsing.ParsedMessage) -> tuple[list[NewAttachment], list[str]]:
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
            NewAttachment(
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


def message_of(parsed: parsing.ParsedMessage, attachments=(), notes=()) -> Message:
    """The entry's text: the parser's, with notes on what was left out (cut content, oversized files)."""
    cut = cut_notes(parsed)
    notes = [*cut, *notes]
    text = parsed.text or ("" if parsed.html or cut else _("(wiadomość bez treści)"))
    if notes:
        text = (text + "\n\n" + "\n".join(notes)).strip()
    visible = parsed.visible_text if parsed.visible_text and parsed.visible_text != parsed.text.strip() else ""
    if visible and cut:  # said where it is seen, not only in the folded full text
        visible = visible + "\n\n" + "\n".join(cut)
    return Message(text=text, html=parsed.html, visible_text=visible, attachments=tuple(attachments))


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


def _bounce(row, parsed, attachments, thread: threading.Thread) -> None:
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
    row.outcome = RawMessage.Outcome.BOUNCE
    row.reason = _("Niedoręczenie do: %(addresses)s") % {"addresses": ", ".join(parsed.bounced_recipients) or "?"}
    if thread.ticket is not None:
        _append(row, thread.ticket, parsed, attachments, reopen=False)


def quarantine(row: RawMessage, exc: Exception) -> None:
    """One bad message is set aside with its reason and never blocks the ones after it."""
    log.exception("message %s quarantined", row.pk)
    row.status, row.outcome = RawMessage.Status.QUARANTINED, RawMessage.Outcome.QUARANTINED
    row.reason = f"{type(exc).__name__}: {_message_of(exc)}"[:5000]
    row.dedupe_key, row.ticket, row.duplicate_of = None, None, None


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return str(exc)
