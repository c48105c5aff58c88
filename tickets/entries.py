"""Adding conversation entries: the only way an entry comes to be on an existing ticket (`add_entries`; one
entry is a list of one). An inbound message, a reply (sent by e-mail after commit), an internal note or a call.

The tickets are locked at once (a merged ticket's entries land in its final target), each entry is decided in
memory in order (sender, recipients and threading headers of a reply, @mentions, the status it brings), and one
writer writes: the entries and their attachments in one go, the events and outbox rows collected, the tickets'
changed fields, their SLA clocks.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import access, outbox
from helpdesk.html import sanitize_html
from helpdesk.speed import bulk
from tickets import (
    checks,
    events,
    files,
    mentions,
    notices,
    notifying,
    search,
    selectors,
    sla,
    submissions,
    ticket_access,
)
from tickets.models import Entry, SlaPolicy, Status, Ticket, TicketFollower
from tickets.requests import CallDetails, EmailHeaders, Message, NewAttachment, NewEntry, Sender

if TYPE_CHECKING:
    from helpdesk.models import User

_Thread = list[tuple[str, str]]  # (kind, Message-ID) of a ticket's e-mail messages, oldest first

REFERENCES_KEPT = 20  # RFC 5322 lets References grow; mail clients cope with a trimmed middle
REOPENED_BY_REQUESTER = (Status.WAITING_CUSTOMER, Status.RESOLVED)


def new_entry(
    ticket: Ticket,
    actor: access.Actor,
    *,
    kind: str,
    subject: str,
    message: Message,
    sender: Sender,
    email: EmailHeaders,
    call: CallDetails | None,
    created_at: datetime.datetime,
    safe_html: str | None = None,
) -> Entry:
    """The entry, validated and sanitised, not saved yet (also a new ticket's first one, tickets.opening).
    `safe_html`: the message's HTML sanitised already (tickets.text_facts), else sanitised here."""
    if not message.text.strip() and not message.html and not message.attachments and kind != Entry.Kind.CALL:
        raise ValidationError({"body_text": _("Treść nie może być pusta.")})  # a logged call may have no notes
    return Entry(
        ticket=ticket,
        kind=kind,
        author=actor,
        subject=subject,
        body_text=message.text,
        body_html=sanitize_html(message.html or "") if safe_html is None else safe_html,
        visible_text=message.visible_text,
        sender_name=sender.name[:200],
        sender_email=sender.email,
        to=list(email.to),
        cc=list(email.cc),
        message_id=email.message_id,
        in_reply_to=email.in_reply_to,
        call_direction=call.direction if call else "",
        call_duration_seconds=call.duration_seconds if call else None,
        call_id=call.call_id[:100] if call else "",
        caller_number=call.caller_number if call else "",
        outside_hours=call.outside_hours if call else False,
        created_at=created_at,
    )


@dataclass
class _Decided:
    """One request decided: its (locked, final) ticket, the unsaved entry, who is mentioned and, for a reply,
    the Message-IDs of the thread before it (its References)."""

    request: NewEntry
    ticket: Ticket
    entry: Entry
    mentioned: list = field(default_factory=list)
    earlier: list[str] = field(default_factory=list)

    @property
    def automatic(self) -> bool:
        return self.entry.kind == Entry.Kind.INBOUND and not self.request.reopen


@transaction.atomic
def add_entries(requests: Sequence[NewEntry], *, actor: access.Actor) -> list[Entry]:
    """Add each requested entry, in order; `actor`: the member of staff who writes them, None for the system
    (a message from outside). Returns the entries (each `entry.ticket` the ticket it landed on).

    A reply goes to the requester unless `to` names others, answers the requester's latest message and is
    sent after commit; it and a call count as the first response; a reply waits for the customer, a message
    from the requester reopens a ticket waiting for them or resolved (unless `reopen=False`). Followers,
    colleagues @mentioned in a note and staff who answered by e-mail are told.

    A request with a `submission_key` the actor used before for the same request is not written again: the
    entry written then is returned in its place, with `repeated` set (tickets.submissions; the key is claimed
    first, so a concurrent second submission waits for the first and gets its entry)."""
    if not requests:
        return []
    for request in requests:
        if request.kind not in Entry.Kind.values:
            raise ValidationError({"kind": _("Nieznany rodzaj wpisu.")})
        if request.kind in (Entry.Kind.OUTBOUND, Entry.Kind.NOTE, Entry.Kind.CALL) and actor is None:
            raise ValidationError(_("Odpowiedź, notatkę i rozmowę dodaje pracownik."))
    repeats = submissions.claim(requests, actor)
    written = iter(_add([request for i, request in enumerate(requests) if i not in repeats], actor))
    entries = [repeats[i] if i in repeats else next(written) for i in range(len(requests))]
    submissions.record(requests, entries, actor)
    return entries


def _add(requests: list[NewEntry], actor: access.Actor) -> list[Entry]:
    if not requests:
        return []
    tickets = _locked_targets([request.ticket.pk for request in requests])
    now = timezone.now()
    threads: dict[int, list[tuple[str, str]]] = {}  # ticket → (kind, Message-ID) of the batch's entries
    decided = [_decide(request, tickets[request.ticket.pk], actor, now, threads) for request in requests]
    _write(decided, actor, now)
    return [item.entry for item in decided]


def _locked_targets(ticket_ids: list[int]) -> dict[int, Ticket]:
    """Each ticket asked for → the ticket its entries go to, read under a row lock (one instance per ticket,
    so the entries of a batch see each other's changes): itself, or the final target of a merged one."""
    rows = Ticket.objects.select_for_update(of=("self",)).select_related("queue__calendar", "reporting_unit")
    locked = {ticket.pk: ticket for ticket in rows.filter(pk__in=set(ticket_ids)).order_by("pk")}
    targets = {}
    for pk in ticket_ids:
        ticket = locked[pk]
        if ticket.merged_into_id is not None:
            final = selectors.final_ticket(ticket).pk
            if final not in locked:
                locked[final] = rows.get(pk=final)
            ticket = locked[final]
        targets[pk] = ticket
    return targets


def _decide(
    request: NewEntry, ticket: Ticket, actor: access.Actor, now: datetime.datetime, threads: dict[int, _Thread]
) -> _Decided:
    checks.check_can_work(actor, ticket.queue)
    kind = request.kind
    mentioned = _mentioned_staff(ticket, actor, request.message.text) if kind == Entry.Kind.NOTE else []
    email, earlier = request.email, []
    batch_thread = threads.setdefault(ticket.pk, [])  # this batch's messages on the ticket so far
    if kind == Entry.Kind.OUTBOUND:
        thread = _thread_message_ids(ticket) + batch_thread
        to = list(email.to) or ([ticket.requester_email] if ticket.requester_email else [])
        if not to:
            raise ValidationError({"to": _("Zgłaszający nie ma adresu e-mail: podaj adresata.")})
        assert actor is not None, "a reply has a member of staff as its author"  # the system sends none
        checks.check_recipients(actor, [*to, *email.cc])
        earlier = [message_id for _kind, message_id in thread]
        email = EmailHeaders(
            message_id=checks.new_message_id(), in_reply_to=_message_to_answer(thread), to=to, cc=email.cc
        )
        sender_name, sender_email = str(actor), settings.DEFAULT_FROM_EMAIL
    elif actor is not None:
        sender_name, sender_email = request.sender.name or str(actor), request.sender.email or actor.email
    else:  # a message from the requester, e.g. by e-mail
        sender_name = request.sender.name or ticket.requester_name
        sender_email = request.sender.email or ticket.requester_email
    entry = new_entry(
        ticket,
        actor,
        kind=kind,
        subject=ticket.subject,
        message=request.message,
        sender=Sender(name=sender_name, email=sender_email),
        email=email,
        call=request.call,
        created_at=now,
    )
    if email.message_id:  # a later reply of the batch answers this one too
        batch_thread.append((kind, email.message_id))
    return _Decided(request, ticket, entry, mentioned, earlier)


def _write(decided: list[_Decided], actor: access.Actor, now: datetime.datetime) -> None:
    bulk.create([item.entry for item in decided])
    files.write_attachments((item.entry, item.request.message.attachments) for item in decided)
    search.add_many(
        ((item.ticket.pk, search.document_tokens(search.entry_text(item.entry))) for item in decided), new=False
    )
    tickets = list({item.ticket.pk: item.ticket for item in decided}.values())
    followers = notifying.followers_of([ticket.pk for ticket in tickets])
    wrote = [item.ticket.pk for item in decided if item.entry.kind == Entry.Kind.INBOUND and not item.automatic]
    answerers = notifying.email_answerers(wrote) if wrote else {}
    changed: dict[int, list[str]] = {ticket.pk: ["updated_at"] for ticket in tickets}
    replies = []
    if outbox.collecting() and any(item.entry.kind == Entry.Kind.OUTBOUND for item in decided):
        # a reply points at its outbox row, which an outer collected() block would write only later
        raise RuntimeError("add_entries() sends replies: call it outside an outbox.collected() block")
    with events.collected(), outbox.collected():
        for item in decided:
            item.ticket.updated_at = now
            _apply(item, actor, now, changed[item.ticket.pk])
            _tell(item, actor, followers.get(item.ticket.pk, []), answerers)
            if item.entry.kind == Entry.Kind.OUTBOUND:
                replies.append(item.entry)
    for entry in replies:  # its delivery state is shown on the entry (tickets.delivery)
        entry.save(update_fields=["outbox_message"])
    quiet = [ticket.pk for ticket in tickets if changed[ticket.pk] == ["updated_at"]]
    if quiet:
        Ticket.objects.filter(pk__in=quiet).update(updated_at=now)
    for ticket in tickets:
        if ticket.pk not in quiet:
            ticket.save(update_fields=sorted(set(changed[ticket.pk])))
    policies: dict[tuple[int, int, int | None], SlaPolicy | None] = {}

    def policy_of(ticket: Ticket) -> SlaPolicy | None:
        key = (ticket.queue_id, ticket.priority, ticket.category_id)
        if key not in policies:
            policies[key] = sla.policy_for(ticket)
        return policies[key]

    sla.sync_many(tickets, now, policy_of)


def _apply(item: _Decided, actor: access.Actor, now: datetime.datetime, changed: list[str]) -> None:
    """What the entry changes on its ticket (first response, status), logged; a reply is put in the outbox."""
    ticket, entry = item.ticket, item.entry
    events.entry_added(ticket, actor, entry, via=item.request.via, automatic=item.automatic)
    if item.mentioned:
        events.mentioned(ticket, actor, entry, item.mentioned)
        notifying.notify_mentioned(ticket, actor, entry, item.mentioned)
    if entry.kind == Entry.Kind.OUTBOUND:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changed.append("first_response_at")
        checks.set_status(ticket, actor, Status.WAITING_CUSTOMER, events.REASON_REPLY_SENT, changed, now)
        _send_reply(ticket, entry, item.earlier)
    elif entry.kind == Entry.Kind.INBOUND and item.request.reopen and ticket.status in REOPENED_BY_REQUESTER:
        checks.set_status(ticket, actor, Status.OPEN, events.REASON_REQUESTER_WROTE, changed, now)
    elif entry.kind == Entry.Kind.CALL and ticket.first_response_at is None:
        ticket.first_response_at = now
        changed.append("first_response_at")


def _tell(
    item: _Decided, actor: access.Actor, followers: list[TicketFollower], answerers: dict[int, list[User]]
) -> None:
    ticket, entry = item.ticket, item.entry
    notifying.announce(ticket, "entry_added", actor)
    told = []
    if entry.kind == Entry.Kind.INBOUND and not item.automatic and answerers.get(ticket.pk):
        told = notifying.tell_email_answerers([(ticket, entry)], answerers)
    label = str(Entry.Kind(entry.kind).label)
    notifying.notify_followers(
        ticket, actor, "entry_added", label, skip=item.mentioned, followers=followers, no_email=told
    )


def post_staff_email_reply(
    *, ticket: Ticket, staff: User, text: str, attachments: Sequence[NewAttachment] = ()
) -> Entry:
    """A member of staff answered a notice by e-mail: their reply to the requester, or an internal note when
    the first line is #notatka / #note. Their usual permissions apply (a refusal is raised, not ignored)."""
    as_note, text = notices.split_note_marker(text)
    kind = Entry.Kind.NOTE if as_note else Entry.Kind.OUTBOUND
    request = NewEntry(
        ticket=ticket, kind=kind, message=Message(text=text, attachments=tuple(attachments)), via="email"
    )
    return add_entries([request], actor=staff)[0]


def _mentioned_staff(ticket: Ticket, actor: access.Actor, text: str) -> list[User]:
    """The colleagues @mentioned in a note. A name nobody has, or someone who cannot see the ticket, is refused
    (the note is not saved, the writer keeps the text and corrects it)."""
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
            {
                "body_text": _("Nie ma pracownika o nazwie użytkownika: %(names)s.")
                % {"names": notifying.at_names(unknown)}
            }
        )
    allowed = set(
        ticket_access.readers(ticket).filter(pk__in=[u.pk for u in people.values()]).values_list("pk", flat=True)
    )
    blind = [people[name.lower()].username for name in names if people[name.lower()].pk not in allowed]
    if blind:
        raise ValidationError(
            {
                "body_text": _(
                    "Nie można wspomnieć %(names)s: nie ma dostępu do tego zgłoszenia. Usuń wzmiankę albo "
                    "najpierw przekaż zgłoszenie do kolejki, którą ta osoba widzi."
                )
                % {"names": notifying.at_names(blind)}
            }
        )
    return [people[name.lower()] for name in names]


def _thread_message_ids(ticket: Ticket) -> _Thread:
    """(kind, Message-ID) of every message of the ticket's e-mail thread, oldest first."""
    return list(ticket.entries.exclude(message_id="").order_by("created_at", "id").values_list("kind", "message_id"))


def _message_to_answer(thread: _Thread) -> str:
    """A reply answers the requester's latest message, or continues our own last one if they never wrote."""
    inbound = [message_id for kind, message_id in thread if kind == Entry.Kind.INBOUND]
    return (inbound or [message_id for _kind, message_id in thread] or [""])[-1]


def _send_reply(ticket: Ticket, entry: Entry, earlier: list[str]) -> None:
    """Put the reply in the outbox with its threading headers (`earlier`: the thread's Message-IDs before it)."""
    headers = {"Message-ID": entry.message_id, "X-Helpdesk-Ticket": ticket.reference}
    if entry.in_reply_to:
        headers["In-Reply-To"] = entry.in_reply_to
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


def _with_signature(body: str, signature: str) -> str:
    """The reply's e-mail text with the author's signature ("Moje ustawienia") under the usual "-- " line,
    unless the reply already ends with it."""
    signature = (signature or "").strip()
    if not signature or body.rstrip().endswith(signature):
        return body
    return f"{body.rstrip()}\n\n-- \n{signature}\n"
