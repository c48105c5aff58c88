"""The write path for tickets. Every function here is atomic, takes the acting user (None for the system,
e.g. e-mail ingestion), validates, writes the event log and schedules side effects after commit.

Views, the API, Celery tasks and management commands call these; none of them writes ticket models. Opening
tickets and adding entries live in tickets.opening and tickets.entries (lists of tickets.requests values),
merging, links and following in tickets.linking; they are named here too, so `actions.<name>` is the one
place to look.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.identifiers import normalize_phone
from helpdesk import access, live_groups, outbox
from tickets import assignment, checks, events, notifying, rules, sla, ticket_access
from tickets.checks import default_queue
from tickets.entries import add_entries, post_staff_email_reply
from tickets.files import store_file, store_files
from tickets.linking import follow, link_tickets, merge_tickets, unfollow, unlink_tickets
from tickets.models import AssignmentMode, Category, Channel, Entry, Priority, Queue, SavedView, Status, Ticket
from tickets.notifying import push_groups
from tickets.opening import open_tickets
from tickets.requests import (
    CallDetails,
    EmailHeaders,
    Message,
    NewAttachment,
    NewEntry,
    NewTicket,
    Requester,
    Routing,
    Sender,
)

if TYPE_CHECKING:
    from contacts.models import ReportingUnit
    from helpdesk.models import OutboxMessage, User

__all__ = [  # its own actions and those of the sibling modules it names
    "CallDetails",
    "CallOutcome",
    "EmailHeaders",
    "Message",
    "NewAttachment",
    "NewEntry",
    "NewTicket",
    "Requester",
    "Routing",
    "Sender",
    "add_entries",
    "assign",
    "assign_waiting_tickets",
    "change_priority",
    "change_status",
    "choose_unit",
    "close_resolved_tickets",
    "default_queue",
    "delete_view",
    "follow",
    "link_tickets",
    "log_call",
    "merge_tickets",
    "move_to_queue",
    "open_tickets",
    "post_staff_email_reply",
    "push_groups",
    "record_automatic_answer",
    "record_delivery_failure",
    "record_late_delivery",
    "reroute",
    "retry_delivery",
    "return_tickets_of_absent_staff",
    "save_view",
    "store_file",
    "store_files",
    "unfollow",
    "unlink_tickets",
]  # fmt: skip

log = logging.getLogger(__name__)


@transaction.atomic
def change_status(*, actor: access.Actor, ticket: Ticket, status: str, reason: str = "") -> Ticket:
    if status not in Status.values:
        raise ValidationError({"status": _("Nieznany status: %(status)s.") % {"status": status}})
    ticket = checks.locked(ticket)
    checks.check_can_work(actor, ticket.queue)
    checks.refuse_if_merged(ticket)
    now = timezone.now()
    changed = ["updated_at"]
    ticket.updated_at = now
    old_status = ticket.status
    checks.set_status(ticket, actor, status, reason, changed, now)
    ticket.save(update_fields=changed)
    sla.sync(ticket, now)
    notifying.announce(ticket, "status_changed", actor)
    if ticket.status != old_status:
        notifying.notify_followers(ticket, actor, "status_changed", str(Status(ticket.status).label))
    return ticket


@transaction.atomic
def change_priority(*, actor: access.Actor, ticket: Ticket, priority: int, reason: str = "") -> Ticket:
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Nieznany priorytet.")})
    ticket = checks.locked(ticket)
    checks.check_can_work(actor, ticket.queue)
    if ticket.priority != priority:
        events.priority_changed(ticket, actor, ticket.priority, priority, reason)
        ticket.priority = priority
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["priority", "updated_at"])
        sla.sync(ticket, ticket.updated_at)
        notifying.announce(ticket, "priority_changed", actor)
    return ticket


@transaction.atomic
def assign(*, actor: access.Actor, ticket: Ticket, assignee: User | None, reason: str = "") -> Ticket:
    """Give the ticket to `assignee` (None: back to the queue). The assignee must be able to see it."""
    ticket = checks.locked(ticket)
    checks.check_can_assign(actor, ticket.queue)
    if assignee is not None:
        if not ticket_access.works_on_tickets(assignee):
            raise ValidationError({"assignee": _("%(name)s nie może obsługiwać zgłoszeń.") % {"name": assignee}})
        if not ticket_access.may_be_assigned(assignee, ticket.queue):
            raise ValidationError(
                {"assignee": _("%(name)s nie ma dostępu do zgłoszeń tej kolejki.") % {"name": assignee}}
            )
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    events.assigned(ticket, actor, ticket.assignee, assignee, reason)
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    notifying.announce(ticket, "assigned", actor)
    if assignee is not None and assignee != actor:
        outbox.enqueue_push(
            groups=[live_groups.user(assignee.pk)],
            event={
                "change": "assigned_to_you",
                "reference": ticket.reference,
                "subject": ticket.subject,
                **ticket_access.push_place(ticket),
            },
        )
    return ticket


@transaction.atomic
def move_to_queue(*, actor: access.Actor, ticket: Ticket, queue: Queue, reason: str = "") -> Ticket:
    """Hand the ticket to another queue (e.g. from the central desk to a voivodeship, and back)."""
    ticket = checks.locked(ticket)
    checks.check_can_work(actor, ticket.queue)
    if not queue.is_active:
        raise ValidationError({"queue": _("Ta kolejka jest nieaktywna.")})
    if actor is not None and not ticket_access.may_hand_to(actor, queue):
        raise ValidationError(
            {"queue": _("Zgłoszenie można przekazać do centrali albo do kolejki swojego województwa.")}
        )
    if ticket.queue_id == queue.pk:
        return ticket
    old_queue, before = ticket.queue, ticket_access.place_of(ticket)
    events.queue_changed(ticket, actor, old_queue, queue, reason)
    changed = ["queue", "updated_at"]
    ticket.queue = queue
    if ticket.assignee and not ticket_access.may_be_assigned(ticket.assignee, queue):
        events.assigned(ticket, actor, ticket.assignee, None, events.REASON_ASSIGNEE_LOST_SIGHT)
        ticket.assignee = None
        changed.append("assignee")
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=changed)
    sla.sync(ticket, ticket.updated_at)
    notifying.announce(ticket, "moved", actor)
    _tell_lists_losing_sight(ticket, before)  # the old voivodeship's live lists must drop the ticket too
    return ticket


def _tell_lists_losing_sight(ticket: Ticket, before: ticket_access.Place) -> None:
    """Live lists that saw the ticket where it was and no longer see it drop it ("moved_away")."""
    groups = ticket_access.groups_losing_sight(before, ticket_access.place_of(ticket))
    if groups:
        outbox.enqueue_push(groups=groups, event={"change": "moved_away", "reference": ticket.reference})


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("wyjaśnione w trakcie rozmowy")
    NEW_TICKET = "new", _("nowe zgłoszenie")
    EXISTING = "existing", _("dopisz do istniejącego zgłoszenia")
    REGION = "region", _("przekaż administratorowi wojewódzkiemu")
    CALLBACK = "callback", _("prośba o oddzwonienie")


@transaction.atomic
def log_call(
    *,
    actor: access.Actor,
    call: CallDetails,
    outcome: str,
    notes: str = "",
    subject: str = "",
    caller: Requester | None = None,
    category: Category | None = None,
    ticket: Ticket | None = None,
    callback_due_at: datetime.datetime | None = None,
) -> Ticket:
    """Log a phone call an agent handled: a new ticket (resolved already if answered on the call, handed to
    the unit's voivodeship, or waiting for a call back) or the next entry of an existing ticket. `caller`: who
    called (name, contact person, unit; the number is the call's); whether it came outside the queue's hours
    is worked out here."""
    if actor is None:
        raise ValidationError(_("Rozmowę rejestruje pracownik."))
    caller = caller or Requester()
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Nieznany wynik rozmowy.")})
    if call.direction not in Entry.CallDirection.values:
        raise ValidationError({"direction": _("Nieznany kierunek rozmowy.")})
    if call.duration_seconds is not None and not 0 <= call.duration_seconds <= 24 * 3600:
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
    number = normalize_phone(call.caller_number) if call.caller_number.strip() else ""
    message = Message(text=notes)
    if outcome == CallOutcome.EXISTING:
        if ticket is None:
            raise ValidationError({"ticket": _("Wybierz zgłoszenie, do którego dopisać rozmowę.")})
        _check_call_says_something(number, caller, notes)
        outside = not ticket.queue.calendar.is_open(timezone.now())
        call = replace(call, caller_number=number, outside_hours=outside)
        add_entries([NewEntry(ticket=ticket, kind=Entry.Kind.CALL, message=message, call=call)], actor=actor)
        return ticket
    if outcome == CallOutcome.REGION and caller.unit is None:
        raise ValidationError({"reporting_unit": _("Aby przekazać sprawę do województwa, wskaż jednostkę.")})
    if outcome == CallOutcome.CALLBACK and callback_due_at is None:
        raise ValidationError({"callback_due_at": _("Podaj, do kiedy oddzwonić.")})
    _check_call_says_something(number, caller, notes)
    queue = _queue_for_call(actor, caller.unit if outcome == CallOutcome.REGION else None)
    request = NewTicket(
        channel=Channel.PHONE,
        subject=subject or _("Rozmowa telefoniczna %(number)s") % {"number": number or _("(numer ukryty)")},
        message=message,
        requester=replace(caller, email="", phone=number),
        routing=Routing(queue=queue, category=category),
        call=replace(call, caller_number=number, outside_hours=not queue.calendar.is_open(timezone.now())),
    )
    (ticket,) = open_tickets([request], actor=actor)
    if outcome == CallOutcome.ANSWERED:
        ticket = change_status(actor=actor, ticket=ticket, status=Status.RESOLVED, reason=CallOutcome.ANSWERED.label)
    elif outcome == CallOutcome.CALLBACK:
        Ticket.objects.filter(pk=ticket.pk).update(callback_due_at=callback_due_at)
        events.callback_requested(ticket, actor, callback_due_at)
        ticket.callback_due_at = callback_due_at
    else:
        ticket = change_status(actor=actor, ticket=ticket, status=Status.OPEN)
    return ticket


def _check_call_says_something(number: str, caller: Requester, notes: str) -> None:
    """An empty call form must not become a ticket (or an empty entry): who called, about which unit, or what
    was said — at least one of them."""
    if not (number or caller.person is not None or caller.name.strip() or caller.unit is not None or notes.strip()):
        raise ValidationError(
            _(
                "Rozmowa jest pusta: podaj numer dzwoniącego, rozmówcę, jednostkę albo notatkę z rozmowy, "
                "a dopiero potem zapisz."
            ),
            code="empty_call",
        )


def _queue_for_call(actor: access.Actor, unit: ReportingUnit | None) -> Queue:
    """The voivodeship's queue when handing over; a regional administrator's own queue; else the default."""
    if unit is not None:
        return Queue.objects.get(voivodeship_id=unit.voivodeship_id)
    scope = access.voivodeship_scope(actor)
    if not scope.is_everything and scope.codes:
        return Queue.objects.get(voivodeship_id=sorted(scope.codes)[0])
    return Queue.objects.filter(is_active=True, kind=Queue.Kind.CENTRAL).order_by("pk").first() or default_queue()


@transaction.atomic
def reroute(*, actor: access.Actor, ticket: Ticket) -> Ticket:
    """Run the routing rules again on the ticket's first message; log what they decided and which rule did."""
    ticket = checks.locked(ticket)
    checks.check_can_work(actor, ticket.queue)
    first = ticket.entries.filter(kind=Entry.Kind.INBOUND).order_by("created_at", "id").first()
    facts = rules.Facts(
        channel=ticket.channel,
        sender=ticket.requester_email,
        unit_voivodeship=ticket.reporting_unit.voivodeship_id if ticket.reporting_unit else None,
        category=ticket.category.slug if ticket.category else "",
        subject=ticket.subject,
        body=first.body_text if first else "",
        moment=ticket.created_at,
    )
    decision = rules.decide(facts)
    queue = checks.decided_queue(decision) or default_queue()
    if actor is not None and not ticket_access.may_hand_to(actor, queue):
        raise ValidationError(
            _("Reguły kierują to zgłoszenie do kolejki %(queue)s, do której nie możesz go przekazać.")
            % {"queue": queue.name}
        )
    now = timezone.now()
    changed = ["updated_at"]
    old_queue, before = ticket.queue, ticket_access.place_of(ticket)
    if queue.pk != old_queue.pk:
        events.queue_changed(ticket, actor, old_queue, queue, events.REASON_ROUTING)
        ticket.queue = queue
        changed.append("queue")
        if ticket.assignee and not ticket_access.may_be_assigned(ticket.assignee, queue):
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
    notifying.announce(ticket, "moved" if "queue" in changed else "rerouted", actor)
    _tell_lists_losing_sight(ticket, before)
    return ticket


@transaction.atomic
def choose_unit(*, actor: access.Actor, ticket: Ticket, unit: ReportingUnit) -> Ticket:
    """The agent picks the reporting unit (e.g. one of several candidates found by identification)."""
    ticket = checks.locked(ticket)
    checks.check_can_work(actor, ticket.queue)
    if actor is not None and not access.voivodeship_scope(actor).allows(unit.voivodeship_id):
        raise ValidationError({"unit": _("Ta jednostka należy do innego województwa.")})
    if ticket.reporting_unit_id == unit.pk:
        return ticket
    before = ticket_access.place_of(ticket)
    ticket.reporting_unit = unit
    ticket.identification = "identified"
    ticket.unit_candidates = []
    ticket.updated_at = timezone.now()
    events.identified(ticket, actor, "agent", unit, [])
    ticket.save(update_fields=["reporting_unit", "identification", "unit_candidates", "updated_at"])
    notifying.announce(ticket, "unit_chosen", actor)
    _tell_lists_losing_sight(ticket, before)
    return ticket


def return_tickets_of_absent_staff(*, day: datetime.date | None = None) -> int:
    """Open tickets of staff on leave on `day` go back to their queue (each in its own transaction)."""
    day = day or timezone.localdate()
    count = 0
    for ticket in assignment.tickets_of_absent_staff(day):
        assign(actor=None, ticket=ticket, assignee=None, reason=events.REASON_ABSENCE)
        count += 1
    return count


def close_resolved_tickets(*, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Close the tickets resolved more than `TICKETS_CLOSE_RESOLVED_AFTER_DAYS` days ago (0: never): nobody
    came back, the matter is over (and the requester's private link ends `KB_REQUESTER_LINK_DAYS` later). Runs on
    Celery beat; each ticket in its own transaction, logged as an automatic status change. Returns how many."""
    days = settings.TICKETS_CLOSE_RESOLVED_AFTER_DAYS
    if not days:
        return 0
    now = now or timezone.now()
    due = Ticket.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - datetime.timedelta(days=days), merged_into__isnull=True
    )
    count = 0
    for ticket_id in list(due.order_by("resolved_at", "pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, status=Status.RESOLVED).first()
            if ticket is None:  # reopened meanwhile
                continue
            changed = ["updated_at"]
            ticket.updated_at = now
            checks.set_status(ticket, None, Status.CLOSED, events.REASON_RESOLVED_LONG_AGO, changed, now)
            ticket.save(update_fields=changed)
            sla.sync(ticket, now)
            notifying.announce(ticket, "status_changed", None)
        count += 1
    if count:
        log.info("closed %s ticket(s) resolved more than %s days ago", count, days)
    return count


WAITING_BATCH = 500  # tickets looked at per queue and run of assign_waiting_tickets()


def assign_waiting_tickets(*, now: datetime.datetime | None = None) -> int:
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
def _assign_waiting(ticket_id: int, now: datetime.datetime) -> bool:
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
def save_view(*, actor: access.Actor, name: str, query: str) -> SavedView:
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
def delete_view(*, actor: access.Actor, view: SavedView) -> None:
    """Delete a saved view; only its owner may."""
    access.require(view.user_id == getattr(actor, "pk", None), _("To nie jest Twój widok."))
    view.delete()


# --- delivery of replies (tickets.delivery) ------------------------------------------------------------


def _announce_delivery(ticket: Ticket, entry: Entry, actor: access.Actor = None) -> None:
    """A live push so open ticket pages update the reply's delivery line in place."""
    delivery = entry.delivery
    outbox.enqueue_push(
        groups=notifying.push_groups(ticket),
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
            **ticket_access.push_place(ticket),
        },
    )


def _reply_of(message: OutboxMessage) -> Entry | None:
    return Entry.objects.select_related("ticket__queue", "outbox_message").filter(outbox_message=message).first()


@transaction.atomic
def record_delivery_failure(*, message: OutboxMessage, final: bool) -> None:
    """The outbox failed to send a reply's e-mail: the ticket's log says so at the first failure and when retries
    are given up, and open ticket pages update at every attempt. Status, assignee and SLA clocks are untouched."""
    entry = _reply_of(message)
    if entry is None:  # not a reply (an acknowledgement, a notice): nothing to show on a ticket
        return
    if final or message.attempts == 1:
        events.delivery_failed(entry.ticket, entry, message.attempts, message.last_error, final)
    _announce_delivery(entry.ticket, entry)


@transaction.atomic
def record_late_delivery(*, message: OutboxMessage) -> None:
    """A reply's e-mail went out after failed attempts."""
    entry = _reply_of(message)
    if entry is None:
        return
    events.delivered_late(entry.ticket, entry, message.attempts)
    _announce_delivery(entry.ticket, entry)


@transaction.atomic
def retry_delivery(*, actor: access.Actor, entry: Entry) -> Entry:
    """An agent asks to send an undelivered reply again now (also after the automatic retries gave up)."""
    ticket = checks.locked(entry.ticket)
    checks.check_can_work(actor, ticket.queue)
    entry = Entry.objects.select_related("outbox_message").get(pk=entry.pk, ticket=ticket)
    message, delivery = entry.outbox_message, entry.delivery  # both None for an entry sent by no e-mail
    if message is None or delivery is None or not delivery.can_retry:
        raise ValidationError(_("Ta odpowiedź nie czeka na ponowną wysyłkę."))
    outbox.retry_now(message.pk)
    events.delivery_retried(ticket, actor, entry)
    message.refresh_from_db()
    _announce_delivery(ticket, entry, actor)
    return entry
