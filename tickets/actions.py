"""The only write path for tickets. Every function here is atomic, takes the acting user (None for the
system, e.g. e-mail ingestion), validates, writes the event log and schedules side effects after commit.

Views, the API, Celery tasks and management commands call these; none of them writes ticket models.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import access, outbox
from helpdesk.html import sanitize_html
from tickets import events
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Channel,
    Entry,
    Priority,
    Queue,
    Status,
    StoredFile,
    Ticket,
)
from tickets.references import next_reference

MAX_SUBJECT = 500


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    is_inline: bool = False
    content_id: str = ""


# --- checks ------------------------------------------------------------------------------------------


def _check_can_work(actor, queue: Queue) -> None:
    """A human actor must be allowed to work on tickets of `queue`; the system (None) always may."""
    if actor is None:
        return
    access.require(access.can_work_tickets(actor), _("Nie masz uprawnień do obsługi zgłoszeń."))
    code = queue.voivodeship_id
    access.require(access.voivodeship_scope(actor).allows(code), _("To zgłoszenie należy do innego województwa."))


def _check_can_assign(actor, queue: Queue) -> None:
    if actor is None:
        return
    access.require(access.can_assign_tickets(actor), _("Nie masz uprawnień do przydzielania zgłoszeń."))
    access.require(
        access.voivodeship_scope(actor).allows(queue.voivodeship_id), _("To zgłoszenie należy do innego województwa.")
    )


def _clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValidationError({"subject": _("Temat nie może być pusty.")})
    return subject[:MAX_SUBJECT]


def default_queue() -> Queue:
    queue = Queue.objects.filter(is_active=True, kind=Queue.Kind.TRIAGE).order_by("pk").first()
    queue = queue or Queue.objects.filter(is_active=True, kind=Queue.Kind.CENTRAL).order_by("pk").first()
    if queue is None:
        raise ValidationError(_("Brak aktywnej kolejki: utwórz kolejkę w panelu administracyjnym."))
    return queue


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent actions do not overwrite each other."""
    return Ticket.objects.select_for_update().select_related("queue").get(pk=ticket.pk)


# --- side effects --------------------------------------------------------------------------------------


def push_groups(ticket: Ticket) -> list[str]:
    """Websocket groups told about a change: everyone who sees all tickets, and the ticket's voivodeship."""
    groups = ["tickets.all"]
    if ticket.queue.voivodeship_id:
        groups.append(f"tickets.v{ticket.queue.voivodeship_id}")
    return groups


def _announce(ticket: Ticket, change: str) -> None:
    outbox.enqueue_push(
        groups=push_groups(ticket),
        event={"change": change, "reference": ticket.reference, "status": ticket.status, "queue": ticket.queue_id},
    )


def _new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "helpdesk.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


# --- files ---------------------------------------------------------------------------------------------


def store_file(content: bytes) -> StoredFile:
    """Store `content` once per SHA-256; a second identical attachment points at the same file."""
    if len(content) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("Załącznik jest za duży (%(size)s B, limit %(limit)s B).")
            % {"size": len(content), "limit": settings.ATTACHMENT_MAX_BYTES}
        )
    digest = hashlib.sha256(content).hexdigest()
    existing = StoredFile.objects.filter(sha256=digest).first()
    if existing:
        return existing
    stored = StoredFile(sha256=digest, size=len(content))
    stored.content.save(digest, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            stored.save()
    except IntegrityError:  # someone stored the same content meanwhile
        stored.content.storage.delete(stored.content.name)
        return StoredFile.objects.get(sha256=digest)
    return stored


def _attach(entry: Entry, attachments: Sequence[NewAttachment]) -> None:
    for item in attachments:
        filename = (item.filename or "").strip().replace("/", "_").replace("\\", "_")[:255] or "zalacznik.bin"
        Attachment.objects.create(
            entry=entry,
            file=store_file(item.content),
            filename=filename,
            content_type=(item.content_type or "application/octet-stream")[:200],
            is_inline=item.is_inline,
            content_id=item.content_id[:300],
        )


# --- actions -------------------------------------------------------------------------------------------


@transaction.atomic
def open_ticket(
    *,
    actor,
    channel: str,
    subject: str,
    body_text: str = "",
    body_html: str = "",
    queue: Queue | None = None,
    requester=None,
    requester_name: str = "",
    requester_email: str = "",
    requester_phone: str = "",
    reporting_unit=None,
    category: Category | None = None,
    priority: int = Priority.NORMAL,
    entry_kind: str = Entry.Kind.INBOUND,
    message_id: str = "",
    in_reply_to: str = "",
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    call_direction: str = "",
    call_duration_seconds: int | None = None,
    attachments: Sequence[NewAttachment] = (),
    visible_text: str = "",
    related_to: Ticket | None = None,
) -> Ticket:
    """Open a ticket with its first conversation entry (`related_to`: an earlier ticket it refers to)."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Nieznany kanał: %(channel)s.") % {"channel": channel}})
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Nieznany priorytet.")})
    if entry_kind not in Entry.Kind.values:
        raise ValidationError({"entry_kind": _("Nieznany rodzaj wpisu.")})
    subject = _clean_subject(subject)
    queue = queue or default_queue()
    _check_can_work(actor, queue)
    if requester is not None and not requester_name:
        requester_name = requester.name
    now = timezone.now()
    ticket = Ticket.objects.create(
        reference=next_reference(timezone.localdate(now).year),
        subject=subject,
        channel=channel,
        queue=queue,
        priority=priority,
        category=category,
        requester=requester,
        requester_name=requester_name[:200],
        requester_email=(requester_email or "").strip().lower(),
        requester_phone=requester_phone,
        reporting_unit=reporting_unit,
        related_to=related_to,
        created_at=now,
        updated_at=now,
    )
    events.ticket_opened(ticket, actor)
    entry = _create_entry(
        ticket,
        actor,
        kind=entry_kind,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        sender_name=requester_name if actor is None else str(actor),
        sender_email=requester_email if actor is None else actor.email,
        to=to,
        cc=cc,
        message_id=message_id,
        in_reply_to=in_reply_to,
        call_direction=call_direction,
        call_duration_seconds=call_duration_seconds,
        attachments=attachments,
        visible_text=visible_text,
        created_at=now,
    )
    events.entry_added(ticket, actor, entry)
    _announce(ticket, "opened")
    return ticket


def _create_entry(ticket: Ticket, actor, *, kind: str, attachments: Sequence[NewAttachment], **fields) -> Entry:
    empty = not (fields.get("body_text") or "").strip() and not fields.get("body_html") and not attachments
    if empty and kind != Entry.Kind.CALL:  # a logged call may have no notes
        raise ValidationError({"body_text": _("Treść nie może być pusta.")})
    fields["body_html"] = sanitize_html(fields.get("body_html") or "")
    fields["to"] = list(fields.get("to") or [])
    fields["cc"] = list(fields.get("cc") or [])
    entry = Entry.objects.create(ticket=ticket, kind=kind, author=actor, **fields)
    _attach(entry, attachments)
    return entry


@transaction.atomic
def add_entry(
    *,
    actor,
    ticket: Ticket,
    kind: str,
    body_text: str = "",
    body_html: str = "",
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    sender_name: str = "",
    sender_email: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    call_direction: str = "",
    call_duration_seconds: int | None = None,
    attachments: Sequence[NewAttachment] = (),
    visible_text: str = "",
    reopen: bool = True,
) -> Entry:
    """Add an inbound message, a reply (sent by e-mail after commit), an internal note or a call.

    `reopen=False` for automatic inbound mail (out-of-office answers, bounces): it is recorded but never
    changes the ticket's status."""
    if kind not in Entry.Kind.values:
        raise ValidationError({"kind": _("Nieznany rodzaj wpisu.")})
    ticket = _locked(ticket)
    _check_can_work(actor, ticket.queue)
    if kind in (Entry.Kind.OUTBOUND, Entry.Kind.NOTE, Entry.Kind.CALL) and actor is None:
        raise ValidationError(_("Odpowiedź, notatkę i rozmowę dodaje pracownik."))
    now = timezone.now()
    if kind == Entry.Kind.OUTBOUND:
        to = list(to) or ([ticket.requester_email] if ticket.requester_email else [])
        if not to:
            raise ValidationError({"to": _("Zgłaszający nie ma adresu e-mail: podaj adresata.")})
        message_id = _new_message_id()
        in_reply_to = _message_to_answer(ticket)
        sender_name, sender_email = str(actor), settings.DEFAULT_FROM_EMAIL
    elif actor is not None:
        sender_name, sender_email = sender_name or str(actor), sender_email or actor.email
    else:  # a message from the requester, e.g. by e-mail
        sender_name, sender_email = sender_name or ticket.requester_name, sender_email or ticket.requester_email
    entry = _create_entry(
        ticket,
        actor,
        kind=kind,
        subject=ticket.subject,
        body_text=body_text,
        body_html=body_html,
        to=to,
        cc=cc,
        sender_name=sender_name[:200],
        sender_email=sender_email,
        message_id=message_id,
        in_reply_to=in_reply_to,
        call_direction=call_direction,
        call_duration_seconds=call_duration_seconds,
        attachments=attachments,
        visible_text=visible_text,
        created_at=now,
    )
    events.entry_added(ticket, actor, entry)
    changed = ["updated_at"]
    ticket.updated_at = now
    if kind == Entry.Kind.OUTBOUND:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changed.append("first_response_at")
        _set_status(ticket, actor, Status.WAITING_CUSTOMER, events.REASON_REPLY_SENT, changed, now)
        _send_reply(ticket, entry)
    elif kind == Entry.Kind.INBOUND and reopen and ticket.status in (Status.WAITING_CUSTOMER, Status.RESOLVED):
        _set_status(ticket, actor, Status.OPEN, events.REASON_REQUESTER_WROTE, changed, now)
    elif kind == Entry.Kind.CALL and ticket.first_response_at is None:
        ticket.first_response_at = now
        changed.append("first_response_at")
    ticket.save(update_fields=changed)
    _announce(ticket, "entry_added")
    return entry


def _thread_message_ids(ticket: Ticket) -> list[tuple[str, str]]:
    """(kind, Message-ID) of every message of the ticket's e-mail thread, oldest first."""
    return list(ticket.entries.exclude(message_id="").order_by("created_at", "id").values_list("kind", "message_id"))


def _message_to_answer(ticket: Ticket) -> str:
    """A reply answers the requester's latest message, or continues our own last one if they never wrote."""
    thread = _thread_message_ids(ticket)
    inbound = [message_id for kind, message_id in thread if kind == Entry.Kind.INBOUND]
    return (inbound or [message_id for _kind, message_id in thread] or [""])[-1]


REFERENCES_KEPT = 20  # RFC 5322 lets References grow; mail clients cope with a trimmed middle


def _send_reply(ticket: Ticket, entry: Entry) -> None:
    headers = {"Message-ID": entry.message_id, "X-Helpdesk-Ticket": ticket.reference}
    if entry.in_reply_to:
        headers["In-Reply-To"] = entry.in_reply_to
        earlier = [message_id for _kind, message_id in _thread_message_ids(ticket) if message_id != entry.message_id]
        if len(earlier) > REFERENCES_KEPT:
            earlier = earlier[:1] + earlier[-(REFERENCES_KEPT - 1) :]
        headers["References"] = " ".join(earlier)
    outbox.enqueue_email(
        to=entry.to,
        cc=entry.cc,
        subject=f"[{ticket.reference}] {ticket.subject}",
        body=entry.body_text,
        headers=headers,
    )


def _set_status(ticket: Ticket, actor, status: str, reason: str, changed: list[str], now) -> None:
    if ticket.status == status:
        return
    old = ticket.status
    ticket.status = status
    changed.append("status")
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        changed.append("resolved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    elif status in OPEN_STATUSES and (ticket.resolved_at or ticket.closed_at):
        ticket.resolved_at = ticket.closed_at = None
        changed += ["resolved_at", "closed_at"]
    events.status_changed(ticket, actor, old, status, reason)


@transaction.atomic
def change_status(*, actor, ticket: Ticket, status: str, reason: str = "") -> Ticket:
    if status not in Status.values:
        raise ValidationError({"status": _("Nieznany status: %(status)s.") % {"status": status}})
    ticket = _locked(ticket)
    _check_can_work(actor, ticket.queue)
    now = timezone.now()
    changed = ["updated_at"]
    ticket.updated_at = now
    _set_status(ticket, actor, status, reason, changed, now)
    ticket.save(update_fields=changed)
    _announce(ticket, "status_changed")
    return ticket


@transaction.atomic
def change_priority(*, actor, ticket: Ticket, priority: int, reason: str = "") -> Ticket:
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Nieznany priorytet.")})
    ticket = _locked(ticket)
    _check_can_work(actor, ticket.queue)
    if ticket.priority != priority:
        events.priority_changed(ticket, actor, ticket.priority, priority, reason)
        ticket.priority = priority
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["priority", "updated_at"])
        _announce(ticket, "priority_changed")
    return ticket


@transaction.atomic
def assign(*, actor, ticket: Ticket, assignee, reason: str = "") -> Ticket:
    """Give the ticket to `assignee` (None: back to the queue). The assignee must be able to see it."""
    ticket = _locked(ticket)
    _check_can_assign(actor, ticket.queue)
    if assignee is not None:
        if not access.can_work_tickets(assignee):
            raise ValidationError({"assignee": _("%(name)s nie może obsługiwać zgłoszeń.") % {"name": assignee}})
        if not access.voivodeship_scope(assignee).allows(ticket.queue.voivodeship_id):
            raise ValidationError(
                {"assignee": _("%(name)s nie ma dostępu do zgłoszeń tej kolejki.") % {"name": assignee}}
            )
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    events.assigned(ticket, actor, ticket.assignee, assignee, reason)
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    _announce(ticket, "assigned")
    return ticket


@transaction.atomic
def move_to_queue(*, actor, ticket: Ticket, queue: Queue, reason: str = "") -> Ticket:
    """Hand the ticket to another queue (e.g. from the central desk to a voivodeship, and back)."""
    ticket = _locked(ticket)
    _check_can_work(actor, ticket.queue)
    if not queue.is_active:
        raise ValidationError({"queue": _("Ta kolejka jest nieaktywna.")})
    if actor is not None and not access.can_hand_to(actor, queue.voivodeship_id):
        raise ValidationError(
            {"queue": _("Zgłoszenie można przekazać do centrali albo do kolejki swojego województwa.")}
        )
    if ticket.queue_id == queue.pk:
        return ticket
    old_queue = ticket.queue
    events.queue_changed(ticket, actor, old_queue, queue, reason)
    changed = ["queue", "updated_at"]
    ticket.queue = queue
    if ticket.assignee and not access.voivodeship_scope(ticket.assignee).allows(queue.voivodeship_id):
        events.assigned(ticket, actor, ticket.assignee, None, events.REASON_ASSIGNEE_LOST_SIGHT)
        ticket.assignee = None
        changed.append("assignee")
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=changed)
    _announce(ticket, "moved")
    # the old voivodeship's live lists must drop the ticket too
    if old_queue.voivodeship_id and old_queue.voivodeship_id != queue.voivodeship_id:
        outbox.enqueue_push(
            groups=[f"tickets.v{old_queue.voivodeship_id}"],
            event={"change": "moved_away", "reference": ticket.reference},
        )
    return ticket
