"""The only write path for tickets. Every function here is atomic, takes the acting user (None for the
system, e.g. e-mail ingestion), validates, writes the event log and schedules side effects after commit.

Views, the API, Celery tasks and management commands call these; none of them writes ticket models.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.identifiers import normalize_phone
from contacts.identify import identify
from helpdesk import access, outbox, ratelimit
from helpdesk.filenames import neutral_name
from helpdesk.html import sanitize_html
from helpdesk.models import NoticeMode, Role
from helpdesk.speed import bulk
from tickets import assignment, deadlines, events, mentions, notices, rules, search, selectors, sla
from tickets.models import (
    OPEN_STATUSES,
    AssignmentMode,
    Attachment,
    Category,
    Channel,
    Entry,
    Priority,
    Queue,
    SavedView,
    Status,
    StoredFile,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketLink,
)
from tickets.references import next_reference, next_references

log = logging.getLogger(__name__)

MAX_SUBJECT = 500


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    is_inline: bool = False
    content_id: str = ""


# --- checks ------------------------------------------------------------------------------------------


def _check_recipients(actor, addresses: Sequence[str]) -> None:
    """No mass mailing through the helpdesk: a reply goes to at most REPLY_MAX_RECIPIENTS addresses (To and Cc
    together), and one member of staff's replies to at most REPLY_RECIPIENTS_PER_HOUR addresses an hour (a
    refused reply counts nothing)."""
    count = len({address.strip().lower() for address in addresses if address.strip()})
    if count > settings.REPLY_MAX_RECIPIENTS:
        raise ValidationError(
            _(
                "Odpowiedź może mieć najwyżej %(limit)s adresatów (pola Do i Kopia razem), a ma %(count)s. "
                "Usuń część adresów: do wielu osób naraz pomoc SSOZ nie wysyła."
            )
            % {"limit": settings.REPLY_MAX_RECIPIENTS, "count": count}
        )
    limit = settings.REPLY_RECIPIENTS_PER_HOUR
    if not ratelimit.take("reply-recipients", str(actor.pk), amount=count, limit=limit, window_seconds=3600):
        raise ValidationError(
            _(
                "Ta odpowiedź nie została wysłana: w tej godzinie Twoje odpowiedzi trafiłyby do więcej niż "
                "%(limit)s adresatów (limit na osobę). Spróbuj ponownie po pełnej godzinie."
            )
            % {"limit": limit}
        )


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
    return Ticket.objects.select_for_update().select_related("queue__calendar").get(pk=ticket.pk)


# --- side effects --------------------------------------------------------------------------------------


def push_groups(ticket: Ticket) -> list[str]:
    """Websocket groups told about a change: everyone who sees all tickets, the ticket's voivodeship, and the
    pages open on this ticket (tickets.consumers)."""
    groups = ["tickets.all", f"ticket.{ticket.pk}"]
    if ticket.queue.voivodeship_id:
        groups.append(f"tickets.v{ticket.queue.voivodeship_id}")
    return groups


def _announce(ticket: Ticket, change: str, actor=None) -> None:
    outbox.enqueue_push(
        groups=push_groups(ticket),
        event={
            "change": change,
            "reference": ticket.reference,
            "status": ticket.status,
            "queue": ticket.queue_id,
            "actor_id": actor.pk if actor else None,
            "actor": str(actor) if actor else "",
        },
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


def store_files(contents: Sequence[bytes]) -> dict[str, StoredFile]:
    """store_file() for many contents (by SHA-256): one query for those stored already, one INSERT for the
    rest; if another process stored one of them meanwhile, one by one."""
    for content in contents:
        if len(content) > settings.ATTACHMENT_MAX_BYTES:
            store_file(content)  # raises the usual error
    wanted = {hashlib.sha256(content).hexdigest(): content for content in contents}
    found = {stored.sha256: stored for stored in StoredFile.objects.filter(sha256__in=list(wanted))}
    new = []
    for digest, content in wanted.items():
        if digest not in found:
            stored = StoredFile(sha256=digest, size=len(content))
            stored.content.save(digest, ContentFile(content), save=False)
            new.append(stored)
    try:
        with transaction.atomic():
            StoredFile.objects.bulk_create(new)
    except IntegrityError:
        for stored in new:
            stored.content.storage.delete(stored.content.name)
        return {digest: store_file(content) for digest, content in wanted.items()}
    found.update((stored.sha256, stored) for stored in new)
    return found


def _new_attachment(entry: Entry, item: NewAttachment, stored: StoredFile) -> Attachment:
    filename = neutral_name(item.filename or "").strip().replace("/", "_").replace("\\", "_")[:255] or "zalacznik.bin"
    return Attachment(
        entry=entry,
        file=stored,
        filename=filename,
        content_type=(item.content_type or "application/octet-stream")[:200],
        is_inline=item.is_inline,
        content_id=item.content_id[:300],
    )


def _attach(entry: Entry, attachments: Sequence[NewAttachment]) -> None:
    for item in attachments:
        _new_attachment(entry, item, store_file(item.content)).save(force_insert=True)


# --- actions -------------------------------------------------------------------------------------------


def _check_choices(channel: str, priority: int, entry_kind: str) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Nieznany kanał: %(channel)s.") % {"channel": channel}})
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Nieznany priorytet.")})
    if entry_kind not in Entry.Kind.values:
        raise ValidationError({"entry_kind": _("Nieznany rodzaj wpisu.")})


def _ticket_row(*, requester_name: str, requester_email: str, now, decision, found, **fields) -> Ticket:
    """The new ticket's row, unsaved and without its reference (open_ticket and TicketBatch both build it here)."""
    return Ticket(
        requester_name=requester_name[:200],
        requester_email=(requester_email or "").strip().lower(),
        created_at=now,
        updated_at=now,
        tags=decision.tags if decision else [],
        identification=found.state if found else "identified",
        unit_candidates=[unit.pk for unit in found.candidates] if found else [],
        **fields,
    )


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
    call_id: str = "",
    caller_number: str = "",
    outside_hours: bool = False,
    attachments: Sequence[NewAttachment] = (),
    mailbox: str = "",
    fallback_queue: Queue | None = None,
    visible_text: str = "",
    related_to: Ticket | None = None,
) -> Ticket:
    """Open a ticket with its first conversation entry (`related_to`: an earlier ticket it refers to).

    Without `reporting_unit` the sender, the numbers in the text and the phone identify it (contacts.identify);
    without `queue` the routing rules choose queue, category, priority, tags and assignee (tickets.rules), and
    the decision is logged with the rules that made it (`fallback_queue`, e.g. a mailbox's, when no rule
    names one). The queue's assignment mode and SLA clocks apply.
    """
    _check_choices(channel, priority, entry_kind)
    subject = _clean_subject(subject)
    now = timezone.now()
    found = None
    if reporting_unit is None:
        found = identify(sender_email=requester_email, text=f"{subject}\n{body_text}", phone=requester_phone)
        reporting_unit, requester = found.unit, requester or found.person
    decision = None
    if queue is None:
        facts = rules.Facts(
            channel=channel,
            mailbox=mailbox,
            sender=requester_email,
            unit_voivodeship=reporting_unit.voivodeship_id if reporting_unit else None,
            category=category.slug if category else "",
            subject=subject,
            body=body_text,
            moment=now,
        )
        decision = rules.decide(facts)
        queue = _decided_queue(decision)
        if fallback_queue is not None and (queue is None or queue.kind == Queue.Kind.TRIAGE):
            # A mailbox's own queue beats the generic "unidentified → triage"; a rule naming a queue beats both.
            queue = fallback_queue
            decision.steps.append({"rule_name": _("kolejka skrzynki %(mailbox)s") % {"mailbox": mailbox or "—"}})
        queue = queue or default_queue()
        if decision.category and decision.category != facts.category:
            category = Category.objects.filter(slug=decision.category).first() or category
        priority = decision.priority or priority
    _check_can_work(actor, queue)
    near = deadlines.near_deadlines(f"{subject}\n{body_text}", queue.calendar, now)
    if near and priority < Priority.HIGH:
        priority = Priority.HIGH
    if requester is not None and not requester_name:
        requester_name = requester.name
    ticket = _ticket_row(
        subject=subject,
        channel=channel,
        queue=queue,
        priority=priority,
        category=category,
        requester=requester,
        requester_name=requester_name,
        requester_email=requester_email,
        requester_phone=requester_phone,
        reporting_unit=reporting_unit,
        related_to=related_to,
        now=now,
        decision=decision,
        found=found,
    )
    ticket.reference = next_reference(timezone.localdate(now).year)
    ticket.save(force_insert=True)
    search.index_ticket(ticket)
    events.ticket_opened(ticket, actor)
    if found is not None:
        events.identified(ticket, actor, found.method, found.unit, found.candidates)
    if decision is not None:
        events.routed(ticket, actor, decision.steps)
    if near:
        events.deadline_near(ticket, near)
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
        call_id=call_id[:100],
        caller_number=caller_number,
        outside_hours=outside_hours,
        attachments=attachments,
        visible_text=visible_text,
        created_at=now,
    )
    events.entry_added(ticket, actor, entry)
    _assign_new(ticket, decision, now)
    if decision is not None and ticket.requester_email:
        for reply_subject, reply_body in decision.replies:
            _send_canned_reply(ticket, entry, reply_subject, reply_body)
    sla.sync(ticket, now)
    _notify_regional_admins(ticket)
    _announce(ticket, "opened", actor)
    return ticket


def _decided_queue(decision: rules.Decision) -> Queue | None:
    if decision.voivodeship_queue_of:
        return Queue.objects.filter(voivodeship_id=decision.voivodeship_queue_of, is_active=True).first()
    if decision.queue_id:
        return Queue.objects.filter(pk=decision.queue_id, is_active=True).first()
    return None


def _assign_new(ticket: Ticket, decision: rules.Decision | None, now) -> None:
    """A rule's assignee, or the queue's assignment mode; someone who cannot see the queue is skipped."""
    from django.contrib.auth import get_user_model

    assignee, reason = None, events.REASON_QUEUE_MODE
    if decision is not None and decision.assign_to_id:
        assignee = get_user_model().objects.filter(pk=decision.assign_to_id, is_active=True).first()
        reason = events.REASON_ROUTING
        visible = assignee is not None and access.voivodeship_scope(assignee).allows(ticket.queue.voivodeship_id)
        assignee = assignee if visible and access.can_work_tickets(assignee) else None
    if assignee is None:
        assignee = assignment.pick_assignee(ticket.queue, now)
    if assignee is None and decision is not None and decision.auto_assign:
        assignee = assignment.pick_assignee_least_open(ticket.queue, now)
    if assignee is None:
        return
    events.assigned(ticket, None, None, assignee, reason)
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    assignment.remember_round_robin(ticket.queue, assignee)


def _send_canned_reply(ticket: Ticket, entry: Entry, reply_subject: str, reply_body: str) -> None:
    headers = {"X-Helpdesk-Ticket": ticket.reference, "Auto-Submitted": "auto-replied"}
    if entry.message_id:
        headers["In-Reply-To"] = headers["References"] = entry.message_id
    subject = reply_subject or ticket.subject
    outbox.enqueue_email(
        to=[ticket.requester_email],
        subject=f"[{ticket.reference}] {subject}",
        body=reply_body.replace("{sygnatura}", ticket.reference),
        headers=headers,
    )


def _admins_to_notify(code: str) -> list:
    admins = access.workers_for(code).filter(role=Role.REGIONAL_ADMIN, notice_mode=NoticeMode.EACH).exclude(email="")
    return list(admins.order_by("pk"))


def _notify_regional_admins(ticket: Ticket, admins: list | None = None) -> None:
    """A regional administrator who chose a notice per ticket gets one when a ticket reaches their queue
    (`admins`: _admins_to_notify(code), when the caller has it already)."""
    code = ticket.queue.voivodeship_id
    if not code:
        return
    if admins is None:
        admins = _admins_to_notify(code)
    url = settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket.reference])
    body = "\n".join(
        [
            _("Nowe zgłoszenie w kolejce %(queue)s.") % {"queue": ticket.queue.name},
            "",
            _("Temat: %(subject)s") % {"subject": ticket.subject},
            _("Zgłaszający: %(name)s") % {"name": ticket.requester_name or ticket.requester_email or "—"},
            _("Jednostka: %(unit)s") % {"unit": ticket.reporting_unit or "—"},
            url,
            "",
            _("Możesz odpowiedzieć zgłaszającemu, odpowiadając na tę wiadomość ze swojej skrzynki."),
            _("Napisz #notatka w pierwszym wierszu, aby dodać notatkę wewnętrzną zamiast odpowiedzi."),
        ]
    )
    for admin in admins:  # one message each: its Message-ID names the recipient (tickets.notices)
        outbox.enqueue_email(
            to=[admin.email],
            subject=f"[{ticket.reference}] {ticket.subject}",
            body=body,
            headers={
                "Message-ID": notices.notice_message_id(ticket, admin),
                "X-Helpdesk-Ticket": ticket.reference,
                "X-Helpdesk-Notice": "routed",
            },
        )


@transaction.atomic
def post_staff_email_reply(*, ticket: Ticket, staff, text: str, attachments: Sequence[NewAttachment] = ()) -> Entry:
    """A member of staff answered a notice by e-mail: their reply to the requester, or an internal note when
    the first line is #notatka / #note. Their usual permissions apply (a refusal is raised, not ignored)."""
    as_note, text = notices.split_note_marker(text)
    kind = Entry.Kind.NOTE if as_note else Entry.Kind.OUTBOUND
    return add_entry(actor=staff, ticket=ticket, kind=kind, body_text=text, attachments=attachments, via="email")


def _email_answerers(ticket_ids) -> dict[int, list]:
    """The active members of staff who answered these tickets' requesters from their mailbox (answering a
    notice: post_staff_email_reply), by ticket (one query)."""
    found: dict[int, dict] = {}
    rows = TicketEvent.objects.filter(
        ticket_id__in=ticket_ids, kind="entry_added", data__via="email", data__entry_kind=Entry.Kind.OUTBOUND
    ).select_related("actor")
    for event in rows.order_by("created_at", "id"):
        if event.actor is not None and event.actor.is_active:
            found.setdefault(event.ticket_id, {})[event.actor_id] = event.actor
    return {ticket_id: list(people.values()) for ticket_id, people in found.items()}


def _tell_email_answerers(items: list[tuple[Ticket, Entry]], answerers: dict | None = None) -> list:
    """The requester wrote back on a ticket that a member of staff answered by e-mail: who chose a notice per
    ticket gets this message by e-mail at once, and can answer it from their mailbox again (its Message-ID is a
    notice's); who chose the daily digest finds it there (tickets.notices); who chose none, nothing. Returns
    the people told by e-mail (the followers' e-mail would say it twice). `answerers`: _email_answerers() of
    the tickets, when a batch has read them already."""
    if answerers is None:
        answerers = _email_answerers({ticket.pk for ticket, _entry in items})
    told = []
    for ticket, entry in items:
        for person in answerers.get(ticket.pk, []):
            if person.notice_mode != NoticeMode.EACH or not person.email or not selectors.can_see(person, ticket):
                continue
            _send_requester_wrote_back(ticket, entry, person)
            told.append(person)
    return told


def _send_requester_wrote_back(ticket: Ticket, entry: Entry, person) -> None:
    text = (entry.visible_text or entry.body_text or "").strip()
    body = "\n".join(
        [
            _(
                "Zgłaszający odpisał w zgłoszeniu %(reference)s (%(subject)s), na które odpowiedź wysłano z Twojej "
                "skrzynki."
            )
            % {"reference": ticket.reference, "subject": ticket.subject},
            _("Od: %(sender)s") % {"sender": entry.sender_email or ticket.requester_email or "—"},
            "",
            text[:4000] or _("(bez treści; załączniki na stronie zgłoszenia)"),
            "",
            _ticket_url(ticket),
            "",
            _("Możesz odpowiedzieć zgłaszającemu, odpowiadając na tę wiadomość ze swojej skrzynki."),
            _("Napisz #notatka w pierwszym wierszu, aby dodać notatkę wewnętrzną zamiast odpowiedzi."),
        ]
    )
    first_notice = notices.notice_message_id(ticket, person)
    outbox.enqueue_email(
        to=[person.email],
        subject=_("[%(reference)s] Zgłaszający odpisał: %(subject)s")
        % {"reference": ticket.reference, "subject": ticket.subject},
        body=body,
        headers={
            "Message-ID": notices.notice_message_id(ticket, person, unique=True),
            "In-Reply-To": first_notice,
            "References": first_notice,
            "X-Helpdesk-Ticket": ticket.reference,
            "X-Helpdesk-Notice": "requester_wrote",
        },
    )


def _new_entry(ticket: Ticket, actor, *, kind: str, attachments: Sequence[NewAttachment], **fields) -> Entry:
    """The entry, validated and sanitised, not saved yet."""
    empty = not (fields.get("body_text") or "").strip() and not fields.get("body_html") and not attachments
    if empty and kind != Entry.Kind.CALL:  # a logged call may have no notes
        raise ValidationError({"body_text": _("Treść nie może być pusta.")})
    fields["body_html"] = sanitize_html(fields.get("body_html") or "")
    fields["to"] = list(fields.get("to") or [])
    fields["cc"] = list(fields.get("cc") or [])
    return Entry(ticket=ticket, kind=kind, author=actor, **fields)


def _create_entry(ticket: Ticket, actor, *, kind: str, attachments: Sequence[NewAttachment], **fields) -> Entry:
    entry = _new_entry(ticket, actor, kind=kind, attachments=attachments, **fields)
    entry.save(force_insert=True)
    _attach(entry, attachments)
    search.index_entry(entry)
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
    call_id: str = "",
    caller_number: str = "",
    outside_hours: bool = False,
    attachments: Sequence[NewAttachment] = (),
    visible_text: str = "",
    reopen: bool = True,
    via: str = "",
) -> Entry:
    """Add an inbound message, a reply (sent by e-mail after commit), an internal note or a call.

    `reopen=False` for automatic inbound mail (out-of-office answers, bounces): it is recorded but never
    changes the ticket's status. `via="email"`: staff wrote it from their mailbox (post_staff_email_reply)."""
    if kind not in Entry.Kind.values:
        raise ValidationError({"kind": _("Nieznany rodzaj wpisu.")})
    ticket = _locked(ticket)
    if ticket.merged_into_id is not None:  # a merged ticket's mail, notes and replies land in the final target
        ticket = _locked(selectors.final_ticket(ticket))
    _check_can_work(actor, ticket.queue)
    mentioned = _mentioned_staff(ticket, actor, body_text) if kind == Entry.Kind.NOTE else []
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
    if kind == Entry.Kind.OUTBOUND:
        _check_recipients(actor, [*to, *cc])
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
        call_id=call_id[:100],
        caller_number=caller_number,
        outside_hours=outside_hours,
        attachments=attachments,
        visible_text=visible_text,
        created_at=now,
    )
    automatic = kind == Entry.Kind.INBOUND and not reopen
    events.entry_added(ticket, actor, entry, via=via, automatic=automatic)
    if mentioned:
        events.mentioned(ticket, actor, entry, mentioned)
        _notify_mentioned(ticket, actor, entry, mentioned)
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
    sla.sync(ticket, now)
    _announce(ticket, "entry_added", actor)
    told = _tell_email_answerers([(ticket, entry)]) if kind == Entry.Kind.INBOUND and not automatic else []
    _notify_followers(ticket, actor, "entry_added", str(Entry.Kind(kind).label), skip=mentioned, no_email=told)
    return entry


def _mentioned_staff(ticket: Ticket, actor, text: str) -> list:
    """The colleagues @mentioned in a note. A name nobody has, or someone who cannot see the ticket, is refused
    (the note is not saved, the writer keeps the text and corrects it)."""
    from django.contrib.auth import get_user_model

    names = mentions.usernames_in(text)
    if not names:
        return []
    wanted = models.Q()
    for name in names:
        wanted |= models.Q(username__iexact=name)
    people = {user.username.lower(): user for user in get_user_model().objects.filter(wanted, is_active=True)}
    unknown = [name for name in names if name.lower() not in people]
    if unknown:
        raise ValidationError(
            {"body_text": _("Nie ma pracownika o nazwie użytkownika: %(names)s.") % {"names": _ats(unknown)}}
        )
    allowed = set(
        selectors.staff_who_can_see(ticket).filter(pk__in=[u.pk for u in people.values()]).values_list("pk", flat=True)
    )
    blind = [people[name.lower()].username for name in names if people[name.lower()].pk not in allowed]
    if blind:
        raise ValidationError(
            {
                "body_text": _(
                    "Nie można wspomnieć %(names)s: nie ma dostępu do tego zgłoszenia. Usuń wzmiankę albo "
                    "najpierw przekaż zgłoszenie do kolejki, którą ta osoba widzi."
                )
                % {"names": _ats(blind)}
            }
        )
    return [people[name.lower()] for name in names]


def _ats(names: list[str]) -> str:
    return ", ".join(f"@{name}" for name in names)


def _ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket.reference])


def _notify_mentioned(ticket: Ticket, actor, entry: Entry, people: list) -> None:
    """A live notice (/ws/notify/) and an e-mail to each colleague mentioned (not to the writer)."""
    for person in people:
        if actor is not None and person.pk == actor.pk:
            continue
        outbox.enqueue_push(
            groups=[f"user.{person.pk}"],
            event={
                "change": "mentioned",
                "reference": ticket.reference,
                "subject": ticket.subject,
                "by": str(actor) if actor else "",
            },
        )
        if person.email:
            outbox.enqueue_email(
                to=[person.email],
                subject=_("[%(reference)s] %(who)s wspomina o Tobie w notatce")
                % {
                    "reference": ticket.reference,
                    "who": actor or _("system"),
                },
                body="\n".join(
                    [
                        _("%(who)s wspomina o Tobie w notatce wewnętrznej do zgłoszenia %(reference)s (%(subject)s):")
                        % {"who": actor or _("system"), "reference": ticket.reference, "subject": ticket.subject},
                        "",
                        entry.body_text[:4000],
                        "",
                        _ticket_url(ticket),
                    ]
                ),
                headers={"X-Helpdesk-Ticket": ticket.reference, "X-Helpdesk-Notice": "mention"},
            )


def _followers(ticket_ids) -> dict[int, list[TicketFollower]]:
    """The active followers of these tickets, with their users, by ticket (one query)."""
    found: dict[int, list[TicketFollower]] = {}
    rows = TicketFollower.objects.filter(ticket_id__in=ticket_ids, user__is_active=True).select_related("user")
    for follower in rows.order_by("pk"):
        found.setdefault(follower.ticket_id, []).append(follower)
    return found


def _notify_followers(ticket: Ticket, actor, what: str, detail: str, skip=(), followers=None, no_email=()) -> None:
    """Followers who still see the ticket get a live notice, and an e-mail if they chose one (not the actor).
    `followers`: the ticket's, read beforehand for a batch (_followers); else they are read here. `no_email`:
    people already told by e-mail of the same thing."""
    skip_ids = {person.pk for person in skip} | ({actor.pk} if actor is not None else set())
    emailed = {person.pk for person in no_email}
    if followers is None:
        followers = _followers([ticket.pk]).get(ticket.pk, [])
    for follower in followers:
        if follower.user_id in skip_ids or not selectors.can_see(follower.user, ticket):
            continue  # e.g. a regional administrator after the ticket left their voivodeship
        outbox.enqueue_push(
            groups=[f"user.{follower.user_id}"],
            event={
                "change": "followed",
                "what": what,
                "detail": detail,
                "reference": ticket.reference,
                "subject": ticket.subject,
                "by": str(actor) if actor else "",
            },
        )
        if follower.by_email and follower.user.email and follower.user_id not in emailed:
            outbox.enqueue_email(
                to=[follower.user.email],
                subject=_("[%(reference)s] Obserwowane zgłoszenie: %(detail)s")
                % {"reference": ticket.reference, "detail": detail},
                body="\n".join(
                    [
                        _("W obserwowanym zgłoszeniu %(reference)s (%(subject)s): %(detail)s (%(who)s).")
                        % {
                            "reference": ticket.reference,
                            "subject": ticket.subject,
                            "detail": detail,
                            "who": actor or _("system"),
                        },
                        "",
                        _ticket_url(ticket),
                        "",
                        _("Aby nie dostawać tych wiadomości, przestań obserwować zgłoszenie na jego stronie."),
                    ]
                ),
                headers={"X-Helpdesk-Ticket": ticket.reference, "X-Helpdesk-Notice": "follow"},
            )


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
    entry.outbox_message = outbox.enqueue_email(
        to=entry.to,
        cc=entry.cc,
        subject=f"[{ticket.reference}] {ticket.subject}",
        body=_with_signature(entry.body_text, getattr(entry.author, "signature", "")),
        headers=headers,
    )
    entry.save(update_fields=["outbox_message"])  # its delivery state is shown on the entry (tickets.delivery)


def _with_signature(body: str, signature: str) -> str:
    """The reply's e-mail text with the author's signature ("Moje ustawienia") under the usual "-- " line,
    unless the reply already ends with it."""
    signature = (signature or "").strip()
    if not signature or body.rstrip().endswith(signature):
        return body
    return f"{body.rstrip()}\n\n-- \n{signature}\n"


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
    _refuse_if_merged(ticket)
    now = timezone.now()
    changed = ["updated_at"]
    ticket.updated_at = now
    old_status = ticket.status
    _set_status(ticket, actor, status, reason, changed, now)
    ticket.save(update_fields=changed)
    sla.sync(ticket, now)
    _announce(ticket, "status_changed", actor)
    if ticket.status != old_status:
        _notify_followers(ticket, actor, "status_changed", str(Status(ticket.status).label))
    return ticket


def _refuse_if_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id is not None:
        target = selectors.final_ticket(ticket)
        raise ValidationError(
            _("Zgłoszenie %(reference)s zostało scalone z %(target)s: pracuj na tamtym zgłoszeniu.")
            % {"reference": ticket.reference, "target": target.reference}
        )


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
        sla.sync(ticket, ticket.updated_at)
        _announce(ticket, "priority_changed", actor)
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
    _announce(ticket, "assigned", actor)
    if assignee is not None and assignee != actor:
        outbox.enqueue_push(
            groups=[f"user.{assignee.pk}"],
            event={"change": "assigned_to_you", "reference": ticket.reference, "subject": ticket.subject},
        )
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
    sla.sync(ticket, ticket.updated_at)
    _announce(ticket, "moved", actor)
    # the old voivodeship's live lists must drop the ticket too
    if old_queue.voivodeship_id and old_queue.voivodeship_id != queue.voivodeship_id:
        outbox.enqueue_push(
            groups=[f"tickets.v{old_queue.voivodeship_id}"],
            event={"change": "moved_away", "reference": ticket.reference},
        )
    return ticket


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("wyjaśnione w trakcie rozmowy")
    NEW_TICKET = "new", _("nowe zgłoszenie")
    EXISTING = "existing", _("dopisz do istniejącego zgłoszenia")
    REGION = "region", _("przekaż administratorowi wojewódzkiemu")
    CALLBACK = "callback", _("prośba o oddzwonienie")


@transaction.atomic
def log_call(
    *,
    actor,
    direction: str,
    caller_number: str,
    outcome: str,
    notes: str = "",
    subject: str = "",
    duration_seconds: int | None = None,
    reporting_unit=None,
    requester=None,
    requester_name: str = "",
    category: Category | None = None,
    ticket: Ticket | None = None,
    call_id: str = "",
    callback_due_at=None,
) -> Ticket:
    """Log a phone call an agent handled: a new ticket (resolved already if answered on the call, handed to
    the unit's voivodeship, or waiting for a call back) or the next entry of an existing ticket."""
    if actor is None:
        raise ValidationError(_("Rozmowę rejestruje pracownik."))
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Nieznany wynik rozmowy.")})
    if direction not in Entry.CallDirection.values:
        raise ValidationError({"direction": _("Nieznany kierunek rozmowy.")})
    if duration_seconds is not None and not 0 <= duration_seconds <= 24 * 3600:
        raise ValidationError({"duration_seconds": _("Czas rozmowy musi mieścić się w 0–24 h.")})
    if ticket is not None and outcome != CallOutcome.EXISTING:  # never a new ticket while one was picked
        raise ValidationError(
            {
                "ticket": _(
                    "Wybrano istniejące zgłoszenie: jako wynik rozmowy zaznacz „dopisz do istniejącego "
                    "zgłoszenia” albo usuń wybór zgłoszenia."
                )
            }
        )
    number = normalize_phone(caller_number) if caller_number.strip() else ""
    call = {
        "call_direction": direction,
        "call_duration_seconds": duration_seconds,
        "call_id": call_id,
        "caller_number": number,
        "body_text": notes,
    }
    if outcome == CallOutcome.EXISTING:
        if ticket is None:
            raise ValidationError({"ticket": _("Wybierz zgłoszenie, do którego dopisać rozmowę.")})
        _check_call_says_something(number, requester, requester_name, reporting_unit, notes)
        call["outside_hours"] = not ticket.queue.calendar.is_open(timezone.now())
        add_entry(actor=actor, ticket=ticket, kind=Entry.Kind.CALL, **call)
        return ticket
    if outcome == CallOutcome.REGION and reporting_unit is None:
        raise ValidationError({"reporting_unit": _("Aby przekazać sprawę do województwa, wskaż jednostkę.")})
    if outcome == CallOutcome.CALLBACK and callback_due_at is None:
        raise ValidationError({"callback_due_at": _("Podaj, do kiedy oddzwonić.")})
    _check_call_says_something(number, requester, requester_name, reporting_unit, notes)
    queue = _queue_for_call(actor, reporting_unit if outcome == CallOutcome.REGION else None)
    call["outside_hours"] = not queue.calendar.is_open(timezone.now())
    ticket = open_ticket(
        actor=actor,
        channel=Channel.PHONE,
        subject=subject or _("Rozmowa telefoniczna %(number)s") % {"number": number or _("(numer ukryty)")},
        queue=queue,
        requester=requester,
        requester_name=requester_name,
        requester_phone=number,
        reporting_unit=reporting_unit,
        category=category,
        entry_kind=Entry.Kind.CALL,
        **call,
    )
    if outcome == CallOutcome.ANSWERED:
        ticket = change_status(actor=actor, ticket=ticket, status=Status.RESOLVED, reason=CallOutcome.ANSWERED.label)
    elif outcome == CallOutcome.CALLBACK:
        Ticket.objects.filter(pk=ticket.pk).update(callback_due_at=callback_due_at)
        events.callback_requested(ticket, actor, callback_due_at)
        ticket.callback_due_at = callback_due_at
    else:
        ticket = change_status(actor=actor, ticket=ticket, status=Status.OPEN)
    return ticket


def _check_call_says_something(number: str, requester, requester_name: str, unit, notes: str) -> None:
    """An empty call form must not become a ticket (or an empty entry): who called, about which unit, or what
    was said — at least one of them."""
    if not (number or requester is not None or requester_name.strip() or unit is not None or notes.strip()):
        raise ValidationError(
            _(
                "Rozmowa jest pusta: podaj numer dzwoniącego, rozmówcę, jednostkę albo notatkę z rozmowy, "
                "a dopiero potem zapisz."
            ),
            code="empty_call",
        )


def _queue_for_call(actor, unit) -> Queue:
    """The voivodeship's queue when handing over; a regional administrator's own queue; else the default."""
    if unit is not None:
        return Queue.objects.get(voivodeship_id=unit.voivodeship_id)
    scope = access.voivodeship_scope(actor)
    if not scope.is_everything and scope.codes:
        return Queue.objects.get(voivodeship_id=sorted(scope.codes)[0])
    return Queue.objects.filter(is_active=True, kind=Queue.Kind.CENTRAL).order_by("pk").first() or default_queue()


@transaction.atomic
def reroute(*, actor, ticket: Ticket) -> Ticket:
    """Run the routing rules again on the ticket's first message; log what they decided and which rule did."""
    ticket = _locked(ticket)
    _check_can_work(actor, ticket.queue)
    first = ticket.entries.filter(kind=Entry.Kind.INBOUND).order_by("created_at", "id").first()
    facts = rules.Facts(
        channel=ticket.channel,
        sender=ticket.requester_email,
        unit_voivodeship=ticket.reporting_unit.voivodeship_id if ticket.reporting_unit_id else None,
        category=ticket.category.slug if ticket.category_id else "",
        subject=ticket.subject,
        body=first.body_text if first else "",
        moment=ticket.created_at,
    )
    decision = rules.decide(facts)
    queue = _decided_queue(decision) or default_queue()
    if actor is not None and not access.can_hand_to(actor, queue.voivodeship_id):
        raise ValidationError(
            _("Reguły kierują to zgłoszenie do kolejki %(queue)s, do której nie możesz go przekazać.")
            % {"queue": queue.name}
        )
    now = timezone.now()
    changed = ["updated_at"]
    old_queue = ticket.queue
    if queue.pk != old_queue.pk:
        events.queue_changed(ticket, actor, old_queue, queue, events.REASON_ROUTING)
        ticket.queue = queue
        changed.append("queue")
        if ticket.assignee and not access.voivodeship_scope(ticket.assignee).allows(queue.voivodeship_id):
            events.assigned(ticket, actor, ticket.assignee, None, events.REASON_ASSIGNEE_LOST_SIGHT)
            ticket.assignee = None
            changed.append("assignee")
    if decision.category and decision.category != facts.category:
        category = Category.objects.filter(slug=decision.category).first()
        if category is not None:
            events.category_changed(ticket, actor, ticket.category, category, events.REASON_ROUTING)
            ticket.category = category
            changed.append("category")
    if decision.priority and decision.priority != ticket.priority:
        events.priority_changed(ticket, actor, ticket.priority, decision.priority, events.REASON_ROUTING)
        ticket.priority = decision.priority
        changed.append("priority")
    tags = ticket.tags + [tag for tag in decision.tags if tag not in ticket.tags]
    if tags != ticket.tags:
        events.tags_changed(ticket, actor, ticket.tags, tags, events.REASON_ROUTING)
        ticket.tags = tags
        changed.append("tags")
    events.routed(ticket, actor, decision.steps, rerouted=True)
    ticket.updated_at = now
    ticket.save(update_fields=changed)
    sla.sync(ticket, now)
    _announce(ticket, "moved" if "queue" in changed else "rerouted", actor)
    if old_queue.voivodeship_id and old_queue.voivodeship_id != queue.voivodeship_id:
        outbox.enqueue_push(
            groups=[f"tickets.v{old_queue.voivodeship_id}"],
            event={"change": "moved_away", "reference": ticket.reference},
        )
    return ticket


@transaction.atomic
def choose_unit(*, actor, ticket: Ticket, unit) -> Ticket:
    """The agent picks the reporting unit (e.g. one of several candidates found by identification)."""
    ticket = _locked(ticket)
    _check_can_work(actor, ticket.queue)
    if actor is not None and not access.voivodeship_scope(actor).allows(unit.voivodeship_id):
        raise ValidationError({"unit": _("Ta jednostka należy do innego województwa.")})
    if ticket.reporting_unit_id == unit.pk:
        return ticket
    ticket.reporting_unit = unit
    ticket.identification = "identified"
    ticket.unit_candidates = []
    ticket.updated_at = timezone.now()
    events.identified(ticket, actor, "agent", unit, [])
    ticket.save(update_fields=["reporting_unit", "identification", "unit_candidates", "updated_at"])
    _announce(ticket, "unit_chosen", actor)
    return ticket


def return_tickets_of_absent_staff(*, day=None) -> int:
    """Open tickets of staff on leave on `day` go back to their queue (each in its own transaction)."""
    day = day or timezone.localdate()
    count = 0
    for ticket in assignment.tickets_of_absent_staff(day):
        assign(actor=None, ticket=ticket, assignee=None, reason=events.REASON_ABSENCE)
        count += 1
    return count


def close_resolved_tickets(*, now=None, limit: int = 1000) -> int:
    """Close the tickets resolved more than `TICKETS_CLOSE_RESOLVED_AFTER_DAYS` days ago (0: never): nobody
    came back, the matter is over (and the requester's private link ends `KB_REQUESTER_LINK_DAYS` later). Runs on
    Celery beat; each ticket in its own transaction, logged as an automatic status change. Returns how many."""
    days = settings.TICKETS_CLOSE_RESOLVED_AFTER_DAYS
    if not days:
        return 0
    now = now or timezone.now()
    due = Ticket.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timezone.timedelta(days=days), merged_into__isnull=True
    )
    count = 0
    for ticket_id in list(due.order_by("resolved_at", "pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, status=Status.RESOLVED).first()
            if ticket is None:  # reopened meanwhile
                continue
            changed = ["updated_at"]
            ticket.updated_at = now
            _set_status(ticket, None, Status.CLOSED, events.REASON_RESOLVED_LONG_AGO, changed, now)
            ticket.save(update_fields=changed)
            sla.sync(ticket, now)
            _announce(ticket, "status_changed", None)
        count += 1
    if count:
        log.info("closed %s ticket(s) resolved more than %s days ago", count, days)
    return count


WAITING_BATCH = 500  # tickets looked at per queue and run of assign_waiting_tickets()


def assign_waiting_tickets(*, now=None) -> int:
    """Give the unassigned new and open tickets of queues that assign automatically (round-robin, fewest open
    tickets) to a member who works now: a ticket that came in while nobody was at work (before everyone's own
    hours, or at night in a queue of such members) or that came back when its assignee went on leave would
    otherwise wait for someone to take it by hand. Runs on Celery beat while the queue's calendar is open;
    each ticket in its own transaction, logged as the queue's automatic assignment. Returns how many."""
    now = now or timezone.now()
    count = 0
    automatic = Queue.objects.filter(is_active=True).exclude(assignment_mode=AssignmentMode.MANUAL)
    for queue in automatic.select_related("calendar").order_by("pk"):
        if not queue.calendar.schedule().is_open(now):
            continue
        waiting = Ticket.objects.filter(
            queue=queue, assignee__isnull=True, merged_into__isnull=True, status__in=(Status.NEW, Status.OPEN)
        ).order_by("created_at", "pk")
        for ticket_id in list(waiting.values_list("pk", flat=True)[:WAITING_BATCH]):
            if not _assign_waiting(ticket_id, now):
                break  # nobody of this queue can take one now
            count += 1
    return count


@transaction.atomic
def _assign_waiting(ticket_id: int, now) -> bool:
    ticket = Ticket.objects.select_for_update().select_related("queue").get(pk=ticket_id)
    if ticket.assignee_id is not None or ticket.status not in (Status.NEW, Status.OPEN):
        return True  # taken meanwhile: go on with the next one
    assignee = assignment.pick_assignee(ticket.queue, now)
    if assignee is None:
        return False
    assign(actor=None, ticket=ticket, assignee=assignee, reason=events.REASON_QUEUE_MODE)
    assignment.remember_round_robin(ticket.queue, assignee)
    return True


@transaction.atomic
def record_automatic_answer(*, ticket: Ticket, text: str) -> None:
    """The e-mail channel answered the requester automatically (e.g. report statuses): log what was sent."""
    events.automatic_answer(ticket, text)


@transaction.atomic
def save_view(*, actor, name: str, query: str) -> SavedView:
    """Save the current ticket-list filters under a name (saving again under the same name replaces them)."""
    access.require(access.is_staff_member(actor), _("Brak uprawnień."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Podaj nazwę widoku."))
    if len(name) > 100:
        raise ValidationError(_("Nazwa widoku może mieć najwyżej 100 znaków."))
    if len(query) > 1000:
        raise ValidationError(_("Zbyt długie parametry listy."))
    view, _created = SavedView.objects.update_or_create(user=actor, name=name, defaults={"query": query})
    return view


@transaction.atomic
def delete_view(*, actor, view: SavedView) -> None:
    """Delete a saved view; only its owner may."""
    access.require(view.user_id == getattr(actor, "pk", None), _("To nie jest Twój widok."))
    view.delete()


# --- delivery of replies (tickets.delivery) ------------------------------------------------------------


def _announce_delivery(ticket: Ticket, entry: Entry, actor=None) -> None:
    """A live push so open ticket pages update the reply's delivery line in place."""
    delivery = entry.delivery
    outbox.enqueue_push(
        groups=push_groups(ticket),
        event={
            "change": "delivery",
            "reference": ticket.reference,
            "status": ticket.status,
            "queue": ticket.queue_id,
            "actor_id": actor.pk if actor else None,
            "actor": str(actor) if actor else "",
            "entry": entry.pk,
            "delivery": delivery.state if delivery else "",
            "delivery_text": delivery.text if delivery else "",
        },
    )


def _reply_of(message) -> Entry | None:
    return Entry.objects.select_related("ticket__queue", "outbox_message").filter(outbox_message=message).first()


@transaction.atomic
def record_delivery_failure(*, message, final: bool) -> None:
    """The outbox failed to send a reply's e-mail: the ticket's log says so at the first failure and when retries
    are given up, and open ticket pages update at every attempt. Status, assignee and SLA clocks are untouched."""
    entry = _reply_of(message)
    if entry is None:  # not a reply (an acknowledgement, a notice): nothing to show on a ticket
        return
    if final or message.attempts == 1:
        events.delivery_failed(entry.ticket, entry, message.attempts, message.last_error, final)
    _announce_delivery(entry.ticket, entry)


@transaction.atomic
def record_late_delivery(*, message) -> None:
    """A reply's e-mail went out after failed attempts."""
    entry = _reply_of(message)
    if entry is None:
        return
    events.delivered_late(entry.ticket, entry, message.attempts)
    _announce_delivery(entry.ticket, entry)


@transaction.atomic
def retry_delivery(*, actor, entry: Entry) -> Entry:
    """An agent asks to send an undelivered reply again now (also after the automatic retries gave up)."""
    ticket = _locked(entry.ticket)
    _check_can_work(actor, ticket.queue)
    entry = Entry.objects.select_related("outbox_message").get(pk=entry.pk, ticket=ticket)
    delivery = entry.delivery
    if delivery is None or not delivery.can_retry:
        raise ValidationError(_("Ta odpowiedź nie czeka na ponowną wysyłkę."))
    outbox.retry_now(entry.outbox_message_id)
    events.delivery_retried(ticket, actor, entry)
    entry.outbox_message.refresh_from_db()
    _announce_delivery(ticket, entry, actor)
    return entry


# --- merging, links, following -------------------------------------------------------------------------


@transaction.atomic
def merge_tickets(*, actor, source: Ticket, target: Ticket, reason: str = "") -> Ticket:
    """Merge the duplicate `source` into `target` (or into the ticket `target` was itself merged into).

    The source's conversation (entries with their attachments, in their own time order among the target's),
    followers and links move to the target; its requester becomes a participant of the target (the e-mail
    channel threads their replies there); tickets merged into the source earlier point at the target. The source
    is closed with `merged_into` set, its page redirects and its reference and Message-IDs still lead to the
    target. Both tickets must be ones the actor may work on; both get an event. Returns the target."""
    if actor is None:
        raise ValidationError(_("Zgłoszenia scala pracownik."))
    target = selectors.final_ticket(Ticket.objects.get(pk=target.pk))  # as it is now, not as the caller read it
    if source.pk == target.pk:
        raise ValidationError(_("Nie można scalić zgłoszenia z nim samym."))
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .select_related("queue")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    _check_can_work(actor, source.queue)
    _check_can_work(actor, target.queue)
    if source.merged_into_id is not None:
        raise ValidationError(
            _("Zgłoszenie %(reference)s zostało już scalone z %(target)s.")
            % {"reference": source.reference, "target": selectors.final_ticket(source).reference}
        )
    if target.merged_into_id is not None:  # merged meanwhile by someone else
        raise ValidationError(_("Zgłoszenie docelowe zostało właśnie scalone z innym: spróbuj ponownie."))
    now = timezone.now()
    moved = Entry.objects.filter(ticket=source).update(ticket=target)
    for follower in TicketFollower.objects.filter(ticket=source):
        TicketFollower.objects.get_or_create(
            ticket=target, user_id=follower.user_id, defaults={"by_email": follower.by_email, "created_at": now}
        )
    TicketFollower.objects.filter(ticket=source).delete()
    for link in TicketLink.objects.filter(models.Q(low=source) | models.Q(high=source)):
        other_id = link.high_id if link.low_id == source.pk else link.low_id
        if other_id != target.pk:
            low, high = sorted((other_id, target.pk))
            TicketLink.objects.get_or_create(
                low_id=low, high_id=high, defaults={"created_by": actor, "created_at": now}
            )
        link.delete()
    Ticket.objects.filter(merged_into=source).update(merged_into=target)
    events.merged_into(source, actor, target, moved, reason)
    events.merged_from(target, actor, source, moved, reason)
    changed = ["merged_into", "updated_at"]
    source.merged_into, source.updated_at = target, now
    _set_status(source, actor, Status.CLOSED, reason or events.REASON_MERGED, changed, now)
    source.save(update_fields=changed)
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    # the conversation moved: the duplicate keeps only its own subject and requester, the target gains the moved
    # entries and the duplicate's reference, subject and requester (a search for either finds the target)
    search.rebuild(source)
    search.rebuild(target)
    search.add(target.pk, search.document_tokens(search.ticket_text(source)))
    sla.sync(source, now)
    sla.sync(target, now)
    _announce(source, "merged", actor)
    _announce(target, "merged_from", actor)
    _notify_followers(target, actor, "merged_from", source.reference)
    return target


def _check_can_link(actor, ticket: Ticket, other: Ticket) -> None:
    _check_can_work(actor, ticket.queue)
    if actor is not None and not selectors.can_see(actor, other):
        raise access.not_found()
    if ticket.pk == other.pk:
        raise ValidationError(_("Nie można powiązać zgłoszenia z nim samym."))


@transaction.atomic
def link_tickets(*, actor, ticket: Ticket, other: Ticket) -> TicketLink:
    """Mark two tickets as related (symmetric: shown on both). The actor works on `ticket` and sees `other`."""
    _check_can_link(actor, ticket, other)
    low, high = sorted((ticket.pk, other.pk))
    link, created = TicketLink.objects.get_or_create(
        low_id=low, high_id=high, defaults={"created_by": actor, "created_at": timezone.now()}
    )
    if not created:
        raise ValidationError(
            _("Zgłoszenia %(a)s i %(b)s są już powiązane.") % {"a": ticket.reference, "b": other.reference}
        )
    events.linked(ticket, actor, other)
    events.linked(other, actor, ticket)
    return link


@transaction.atomic
def unlink_tickets(*, actor, ticket: Ticket, other: Ticket) -> None:
    _check_can_link(actor, ticket, other)
    low, high = sorted((ticket.pk, other.pk))
    deleted, _rows = TicketLink.objects.filter(low_id=low, high_id=high).delete()
    if not deleted:
        raise ValidationError(
            _("Zgłoszenia %(a)s i %(b)s nie są powiązane.") % {"a": ticket.reference, "b": other.reference}
        )
    events.unlinked(ticket, actor, other)
    events.unlinked(other, actor, ticket)


def _check_can_follow(actor, ticket: Ticket) -> None:
    access.require(access.is_staff_member(actor), _("Brak uprawnień."))
    if not selectors.can_see(actor, ticket):
        raise access.not_found()


@transaction.atomic
def follow(*, actor, ticket: Ticket, by_email: bool = False) -> TicketFollower:
    """Follow a ticket one may see (also read-only): notices of new entries and status changes."""
    _check_can_follow(actor, ticket)
    if ticket.merged_into_id is not None:
        ticket = selectors.final_ticket(ticket)
        _check_can_follow(actor, ticket)
    follower, created = TicketFollower.objects.get_or_create(
        ticket=ticket, user=actor, defaults={"by_email": by_email, "created_at": timezone.now()}
    )
    if created or follower.by_email != by_email:
        follower.by_email = by_email
        follower.save(update_fields=["by_email"])
        events.followed(ticket, actor, by_email)
    return follower


@transaction.atomic
def unfollow(*, actor, ticket: Ticket) -> None:
    _check_can_follow(actor, ticket)
    deleted, _rows = TicketFollower.objects.filter(ticket=ticket, user=actor).delete()
    if deleted:
        events.unfollowed(ticket, actor)


# --- many new tickets at once (e-mail ingestion) ---------------------------------------------------------


@dataclass
class _Planned:
    fields: dict
    then: Callable | None
    ticket: Ticket | None = None
    entry: Entry | None = None
    found: object = None
    decision: rules.Decision | None = None
    near: list = field(default_factory=list)
    assigned_reason: str = ""
    now: object = None


PlannedTicket = _Planned  # what TicketBatch.open() returns: a ticket to be written by the next flush


class TicketBatch:
    """Open many tickets for the system (actor None) in one transaction with a few queries in all.

    `open(**kwargs)` takes the keyword arguments of open_ticket() (without `actor`) and an optional
    `then(ticket)`, run once the ticket exists, in order (it may enqueue outbox messages and log events: they
    are written with the batch's). `flush()` then decides and writes everything: identification of all
    senders at once (contacts.identify.identify_many), the routing rules read and compiled once, queues,
    categories, SLA policies, deadlines and notice recipients looked up once per distinct value, one block of
    references from the counter row, and multi-row INSERTs for tickets, entries, attachments, events, SLA
    timers and outbox rows (handed to Celery in one task after commit).

    `append(...)` adds an inbound entry to a ticket that existed before, or (`opened=`, what open() returned) to
    one the batch opens: the new tickets are written first, then the entries appended.

    The rows are the same as open_ticket() called for each item in the same order
    (tests/test_batched_ingestion.py compares them). The tickets opened must not depend on one another's rows;
    the queue assignment, which does, is carried from one ticket to the next in memory
    (assignment.BatchAssigner).
    """

    def __init__(self) -> None:
        self._planned: list[_Planned] = []
        self._queues: dict[int, Queue] = {}
        self._decided: dict[tuple, Queue | None] = {}
        self._categories: dict[str, Category | None] = {}
        self._policies: dict[tuple, object] = {}
        self._near: dict[tuple, list] = {}
        self._admins: dict[str, list] = {}
        self._users: dict[int, object] = {}
        self._rules: list | None = None
        self._default: Queue | None = None
        self._appends: list[_Planned] = []
        self.assigner = assignment.BatchAssigner()

    def __len__(self) -> int:
        return len(self._planned) + len(self._appends)

    def open(self, *, then: Callable | None = None, **fields) -> PlannedTicket:
        """Plan open_ticket(actor=None, **fields); returns the plan, which append(opened=…) may name (its
        `ticket` is set once the flush has written it)."""
        if "actor" in fields:
            raise TypeError("TicketBatch opens tickets for the system only (actor None)")
        plan = _Planned(fields=fields, then=then)
        self._planned.append(plan)
        return plan

    def append(
        self,
        *,
        ticket_id: int | None = None,
        opened: PlannedTicket | None = None,
        then: Callable | None = None,
        reopen: bool = True,
        **fields,
    ) -> None:
        """add_entry(actor=None, kind=INBOUND, ...) for a message from outside, written with the next flush, on
        the ticket `ticket_id` or on the one opened by this batch's open() that returned `opened` (a reply to a
        message of the same batch: no flush needed before it, the flush writes new tickets before appending).
        `fields` are add_entry()'s (body_text, sender_email, attachments…), `then(ticket)` runs once the entry
        exists. Meant for a ticket the message does not reopen (the caller knows its status; a ticket just opened
        is new): one that needs reopening or was merged meanwhile, found when the flush locks it, goes through
        add_entry()."""
        if (ticket_id is None) == (opened is None):
            raise TypeError("append() takes either ticket_id or opened")
        fields = {"ticket_id": ticket_id, "opened": opened, "reopen": reopen, **fields}
        self._appends.append(_Planned(fields=fields, then=then))

    # look-ups, once per batch and value

    def _queue(self, queue: Queue) -> Queue:
        return self._queues.setdefault(queue.pk, queue)

    def _default_queue(self) -> Queue:
        if self._default is None:
            self._default = self._queue(default_queue())
        return self._default

    def _decided_queue(self, decision: rules.Decision) -> Queue | None:
        key = (decision.voivodeship_queue_of, decision.queue_id)
        if key not in self._decided:
            queue = _decided_queue(decision)
            self._decided[key] = self._queue(queue) if queue is not None else None
        return self._decided[key]

    def _category(self, slug: str) -> Category | None:
        if slug not in self._categories:
            self._categories[slug] = Category.objects.filter(slug=slug).first()
        return self._categories[slug]

    def _near_deadlines(self, text: str, queue: Queue, now) -> list:
        """deadlines.near_deadlines(): every form's deadlines in the window read once per calendar and day."""
        codes = rules.form_codes(text)
        if not codes:
            return []
        key = (queue.calendar_id, timezone.localdate(now))
        if key not in self._near:
            self._near[key] = deadlines.near_deadlines(None, queue.calendar, now)
        return [deadline for deadline in self._near[key] if deadline.form.code in codes]

    def forget_queues(self) -> None:
        """Read the queues' round-robin positions and their members' open tickets afresh from here on (call
        after a flush, when something outside the batch may have assigned or reopened a ticket). The queues
        themselves stay: one query for the positions, not one per queue for the rest of the batch."""
        if self._queues:
            positions = Queue.objects.filter(pk__in=list(self._queues)).values_list("pk", "last_assigned_id")
            for pk, last in positions:
                self._queues[pk].last_assigned_id = last
        self.assigner = assignment.BatchAssigner()  # open counts too (after a flush: the database has ours)

    def _policy(self, ticket: Ticket):
        key = (ticket.queue_id, ticket.priority, ticket.category_id)
        if key not in self._policies:
            self._policies[key] = sla.policy_for(ticket)
        return self._policies[key]

    def _notice_admins(self, code: str) -> list:
        if code not in self._admins:
            self._admins[code] = _admins_to_notify(code)
        return self._admins[code]

    def _rule_assignee(self, user_id: int, queue: Queue):
        from django.contrib.auth import get_user_model

        if user_id not in self._users:
            self._users[user_id] = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        assignee = self._users[user_id]
        visible = assignee is not None and access.voivodeship_scope(assignee).allows(queue.voivodeship_id)
        return assignee if visible and access.can_work_tickets(assignee) else None

    # deciding: what open_ticket() does before writing, in memory

    def _plan(self, plan: _Planned, found) -> None:
        fields = dict(plan.fields)
        channel = fields.pop("channel")
        priority = fields.pop("priority", Priority.NORMAL)
        entry_kind = fields.pop("entry_kind", Entry.Kind.INBOUND)
        _check_choices(channel, priority, entry_kind)
        subject = _clean_subject(fields.pop("subject"))
        body_text = fields.pop("body_text", "")
        queue = fields.pop("queue", None)
        requester = fields.pop("requester", None)
        requester_name = fields.pop("requester_name", "")
        requester_email = fields.pop("requester_email", "")
        requester_phone = fields.pop("requester_phone", "")
        reporting_unit = fields.pop("reporting_unit", None)
        category = fields.pop("category", None)
        mailbox = fields.pop("mailbox", "")
        fallback_queue = fields.pop("fallback_queue", None)
        related_to = fields.pop("related_to", None)
        attachments = tuple(fields.pop("attachments", ()))
        now = timezone.now()
        if reporting_unit is None:
            reporting_unit, requester = found.unit, requester or found.person
        else:
            found = None
        decision = None
        if queue is None:
            facts = rules.Facts(
                channel=channel,
                mailbox=mailbox,
                sender=requester_email,
                unit_voivodeship=reporting_unit.voivodeship_id if reporting_unit else None,
                category=category.slug if category else "",
                subject=subject,
                body=body_text,
                moment=now,
            )
            if self._rules is None:
                self._rules = rules.active_rules()
            decision = rules.evaluate(facts, self._rules)
            queue = self._decided_queue(decision)
            if fallback_queue is not None and (queue is None or queue.kind == Queue.Kind.TRIAGE):
                queue = self._queue(fallback_queue)
                decision.steps.append({"rule_name": _("kolejka skrzynki %(mailbox)s") % {"mailbox": mailbox or "—"}})
            queue = queue or self._default_queue()
            if decision.category and decision.category != facts.category:
                category = self._category(decision.category) or category
            priority = decision.priority or priority
        else:
            queue = self._queue(queue)
        near = self._near_deadlines(f"{subject}\n{body_text}", queue, now)
        if near and priority < Priority.HIGH:
            priority = Priority.HIGH
        if requester is not None and not requester_name:
            requester_name = requester.name
        ticket = _ticket_row(
            subject=subject,
            channel=channel,
            queue=queue,
            priority=priority,
            category=category,
            requester=requester,
            requester_name=requester_name,
            requester_email=requester_email,
            requester_phone=requester_phone,
            reporting_unit=reporting_unit,
            related_to=related_to,
            now=now,
            decision=decision,
            found=found,
        )
        plan.entry = _new_entry(
            ticket,
            None,
            kind=entry_kind,
            subject=subject,
            body_text=body_text,
            sender_name=requester_name,
            sender_email=requester_email,
            attachments=attachments,
            created_at=now,
            call_id=fields.pop("call_id", "")[:100],
            **fields,
        )
        plan.fields = {"attachments": attachments}
        plan.ticket, plan.found, plan.decision, plan.near, plan.now = ticket, found, decision, near, now
        self._assign(plan)

    def _assign(self, plan: _Planned) -> None:
        """_assign_new() for a ticket of the batch (the assignee is written with the ticket)."""
        ticket, decision = plan.ticket, plan.decision
        assignee, reason = None, events.REASON_QUEUE_MODE
        if decision is not None and decision.assign_to_id:
            assignee = self._rule_assignee(decision.assign_to_id, ticket.queue)
            reason = events.REASON_ROUTING
        if assignee is None:
            assignee = self.assigner.pick(ticket.queue, plan.now)
        if assignee is None and decision is not None and decision.auto_assign:
            assignee = self.assigner.pick(ticket.queue, plan.now, least_open=True)
        if assignee is None:
            return
        ticket.assignee = assignee
        plan.assigned_reason = reason
        self.assigner.took(ticket.queue, assignee)

    # writing

    @transaction.atomic
    def flush(self) -> list[Ticket]:
        """Decide and write every ticket opened since the last flush, then the entries appended; returns the
        new tickets in order."""
        planned, self._planned = self._planned, []
        appends, self._appends = self._appends, []
        tickets = self._write_new(planned) if planned else []
        if appends:
            self._write_appends(appends)
        return tickets

    def _write_appends(self, appends: list[_Planned]) -> None:
        """What add_entry() writes for each append, with one query per kind of row for all of them. A ticket
        opened by the batch is locked and read back like the others: what add_entry() would see."""
        for plan in appends:
            opened = plan.fields.pop("opened")
            if opened is not None:
                if opened.ticket is None or opened.ticket.pk is None:
                    raise ValueError("append(opened=…) names a ticket that this batch has not written")
                plan.fields["ticket_id"] = opened.ticket.pk
        wanted = sorted({plan.fields["ticket_id"] for plan in appends})
        locked = Ticket.objects.select_for_update().select_related("queue__calendar").filter(pk__in=wanted)
        tickets = {ticket.pk: ticket for ticket in locked}
        now = timezone.now()
        quiet, wrote_back = [], set()  # wrote_back: the plans of people's messages (not automatic ones)
        for plan in appends:
            fields = dict(plan.fields)
            ticket, reopen = tickets[fields.pop("ticket_id")], fields.pop("reopen")
            if ticket.merged_into_id is not None or (
                reopen and ticket.status in (Status.WAITING_CUSTOMER, Status.RESOLVED)
            ):  # changed since the caller looked: the usual way
                add_entry(actor=None, ticket=ticket, kind=Entry.Kind.INBOUND, reopen=reopen, **fields)
                if plan.then is not None:
                    plan.then(ticket)
                continue
            attachments = tuple(fields.pop("attachments", ()))
            sender_name = fields.pop("sender_name", "") or ticket.requester_name
            sender_email = fields.pop("sender_email", "") or ticket.requester_email
            plan.ticket, plan.fields = ticket, {"attachments": attachments}
            plan.entry = _new_entry(
                ticket,
                None,
                kind=Entry.Kind.INBOUND,
                subject=ticket.subject,
                sender_name=sender_name[:200],
                sender_email=sender_email,
                attachments=attachments,
                created_at=now,
                **fields,
            )
            quiet.append(plan)
            if reopen:
                wrote_back.add(id(plan))
        if not quiet:
            return
        bulk.create([plan.entry for plan in quiet])
        _write_attachments(plan for plan in quiet)
        search.add_many(
            ((plan.ticket.pk, search.document_tokens(search.entry_text(plan.entry))) for plan in quiet), new=False
        )
        changed = list({plan.ticket.pk: plan.ticket for plan in quiet}.values())
        Ticket.objects.filter(pk__in=[ticket.pk for ticket in changed]).update(updated_at=now)
        followers = _followers([ticket.pk for ticket in changed])
        answerers = _email_answerers([plan.ticket.pk for plan in quiet if id(plan) in wrote_back])
        with events.collected(), outbox.collected():
            for plan in quiet:
                ticket = plan.ticket
                ticket.updated_at = now
                events.entry_added(ticket, None, plan.entry, automatic=id(plan) not in wrote_back)
                _announce(ticket, "entry_added", None)
                told = []
                if id(plan) in wrote_back and answerers.get(ticket.pk):
                    told = _tell_email_answerers([(ticket, plan.entry)], answerers)
                label = str(Entry.Kind.INBOUND.label)
                _notify_followers(
                    ticket, None, "entry_added", label, followers=followers.get(ticket.pk, []), no_email=told
                )
                if plan.then is not None:
                    plan.then(ticket)
            sla.sync_many(changed, now, self._policy)

    def _write_new(self, planned: list[_Planned]) -> list[Ticket]:
        from contacts.identify import identify, identify_many

        guesses = {}  # identification of the sender and the numbers in the text, as open_ticket() does it
        for plan in planned:
            if plan.fields.get("reporting_unit") is None:
                text = f"{_clean_subject(plan.fields['subject'])}\n{plan.fields.get('body_text', '')}"
                guesses[id(plan)] = (plan.fields.get("requester_email", ""), text, plan.fields.get("requester_phone"))
        by_text = [key for key, (_sender, _text, phone) in guesses.items() if not phone]
        found = dict(zip(by_text, identify_many([guesses[key][:2] for key in by_text]), strict=True))
        for key, (sender, text, phone) in guesses.items():
            if phone:  # a phone number: rare in a batch, asked one by one
                found[key] = identify(sender_email=sender, text=text, phone=phone)
        for plan in planned:
            self._plan(plan, found.get(id(plan)))
        tickets = [plan.ticket for plan in planned]
        timers = []  # computed before the tickets are written: they carry the nearest due time (sla_due_at)
        for plan in planned:
            timers += sla.timers_for_new(plan.ticket, plan.now, self._policy(plan.ticket))
        years: dict[int, list[Ticket]] = {}
        for ticket in tickets:
            years.setdefault(timezone.localdate(ticket.created_at).year, []).append(ticket)
        for year, group in years.items():
            for ticket, reference in zip(group, next_references(year, len(group)), strict=True):
                ticket.reference = reference
        bulk.create(tickets)
        for plan in planned:
            plan.entry.ticket = plan.ticket
        bulk.create([plan.entry for plan in planned])
        search.add_many(
            (plan.ticket.pk, search.document_tokens(*search.ticket_texts(plan.ticket), search.entry_text(plan.entry)))
            for plan in planned
        )
        _write_attachments(planned)
        with events.collected(), outbox.collected():
            for plan in planned:
                ticket, decision = plan.ticket, plan.decision
                events.ticket_opened(ticket, None)
                if plan.found is not None:
                    events.identified(ticket, None, plan.found.method, plan.found.unit, plan.found.candidates)
                if decision is not None:
                    events.routed(ticket, None, decision.steps)
                if plan.near:
                    events.deadline_near(ticket, plan.near)
                events.entry_added(ticket, None, plan.entry)
                if ticket.assignee_id:
                    events.assigned(ticket, None, None, ticket.assignee, plan.assigned_reason)
                if decision is not None and ticket.requester_email:
                    for reply_subject, reply_body in decision.replies:
                        _send_canned_reply(ticket, plan.entry, reply_subject, reply_body)
                if ticket.queue.voivodeship_id:
                    _notify_regional_admins(ticket, self._notice_admins(ticket.queue.voivodeship_id))
                _announce(ticket, "opened", None)
                if plan.then is not None:
                    plan.then(ticket)

            bulk.create(timers, ids=False)
        self.assigner.remember()
        return tickets


def _write_attachments(planned) -> None:
    """The attachments of the planned entries (plan.fields["attachments"]): files stored once, rows in one go."""
    items = [(plan.entry, item) for plan in planned for item in plan.fields["attachments"]]
    if items:
        files = store_files([item.content for _entry, item in items])
        rows = [_new_attachment(entry, item, files[hashlib.sha256(item.content).hexdigest()]) for entry, item in items]
        bulk.create(rows, ids=False)


def open_tickets(items: Sequence[dict]) -> list[Ticket]:
    """open_ticket(actor=None, **item) for each item, batched (TicketBatch); the same rows, in order."""
    batch = TicketBatch()
    for item in items:
        batch.open(**item)
    return batch.flush()
