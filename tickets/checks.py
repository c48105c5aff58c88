"""Checks and small pieces every write of tickets shares: who may work on a queue, the subject and choices
validated, the default queue, the row lock, and the status transition with its event."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk import access, ratelimit
from tickets import events, rules, selectors, ticket_access
from tickets.models import OPEN_STATUSES, Channel, Entry, Priority, Queue, Status, Ticket

if TYPE_CHECKING:
    from helpdesk.models import User

MAX_SUBJECT = 500


def check_recipients(actor: User, addresses: Sequence[str]) -> None:
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


def check_can_work(actor: access.Actor, queue: Queue) -> None:
    """A human actor must be allowed to work on tickets of `queue`; the system (None) always may."""
    ticket_access.require_work_in(actor, queue)


def check_can_assign(actor: access.Actor, queue: Queue) -> None:
    ticket_access.require_assign_in(actor, queue)


def clean_subject(subject: str) -> str:
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


def locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent actions do not overwrite each other."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("queue__calendar", "reporting_unit")
        .get(pk=ticket.pk)
    )


def new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "helpdesk.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


def check_choices(channel: str, priority: int, entry_kind: str) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Nieznany kanał: %(channel)s.") % {"channel": channel}})
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Nieznany priorytet.")})
    if entry_kind not in Entry.Kind.values:
        raise ValidationError({"entry_kind": _("Nieznany rodzaj wpisu.")})


def decided_queue(decision: rules.Decision) -> Queue | None:
    if decision.voivodeship_queue_of:
        return Queue.objects.filter(voivodeship_id=decision.voivodeship_queue_of, is_active=True).first()
    if decision.queue_id:
        return Queue.objects.filter(pk=decision.queue_id, is_active=True).first()
    return None


def set_status(
    ticket: Ticket, actor: access.Actor, status: str, reason: str, changed: list[str], now: datetime.datetime
) -> None:
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


def refuse_if_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id is not None:
        target = selectors.final_ticket(ticket)
        raise ValidationError(
            _("Zgłoszenie %(reference)s zostało scalone z %(target)s: pracuj na tamtym zgłoszeniu.")
            % {"reference": ticket.reference, "target": target.reference}
        )
