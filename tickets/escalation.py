"""The SLA escalation scan (Celery beat, tickets.tasks.escalate_sla): reads only timers whose `next_check_at` has
come (a partial index holds nothing else, so closed tickets are never loaded), claims each row with SELECT … FOR
UPDATE SKIP LOCKED, and does what tickets.sla.escalation_for() decided: logs the warning or the breach exactly once,
notifies the assignee and the queue's lead (never outside the calendar's hours unless the queue asks for it: the
e-mail waits in the outbox until the next working minute), and on a breach raises the priority or hands the ticket
to the lead through tickets.actions, as the policy says.

It sits above tickets.actions (which calls tickets.sla), so the clocks never import the actions.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import outbox
from tickets import actions, events, sla
from tickets.models import SlaTimer, Ticket


def escalate(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Warn and breach every timer whose moment has come; returns how many escalations were logged."""
    now = now or timezone.now()
    done = 0
    for timer_id in list(sla.due_for_check(now, limit)):
        with transaction.atomic():
            timer = (
                SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket__queue__calendar", "ticket__queue__lead", "ticket__assignee", "policy")
                .filter(pk=timer_id, next_check_at__lte=now)
                .first()
            )
            if timer is not None:
                done += _carry_out(timer, sla.escalation_for(timer, now), now)
    return done


def _carry_out(timer: SlaTimer, decision: sla.Escalation, now: dt.datetime) -> int:
    ticket = timer.ticket
    timer.next_check_at = decision.next_check_at
    if decision.kind == sla.RECHECK:
        timer.save(update_fields=["next_check_at"])
        return 0
    if decision.kind == sla.WARNING:
        timer.warned_at = now
        timer.save(update_fields=["warned_at", "next_check_at"])
        events.sla_warning(ticket, timer.kind, timer.due_at)
        _notify(ticket, timer, now, breach=False)
        return 1
    timer.breached_at = now
    timer.save(update_fields=["breached_at", "next_check_at"])
    events.sla_breached(ticket, timer.kind, timer.due_at)
    _notify(ticket, timer, now, breach=True)
    if decision.raise_priority:
        actions.change_priority(actor=None, ticket=ticket, priority=ticket.priority + 1, reason=sla.REASON_BREACH)
    if decision.reassign_to_lead:
        actions.assign(actor=None, ticket=ticket, assignee=ticket.queue.lead, reason=sla.REASON_BREACH)
    return 1


def _notify(ticket: Ticket, timer: SlaTimer, now: dt.datetime, *, breach: bool) -> None:
    recipients = {user.email for user in (ticket.assignee, ticket.queue.lead) if user is not None and user.email}
    if not recipients:
        return
    schedule = ticket.queue.calendar.schedule()
    not_before = now if ticket.queue.escalate_outside_hours else schedule.next_open(now)
    values = {"reference": ticket.reference, "kind": timer.get_kind_display()}
    if breach:
        subject = _("[%(reference)s] Przekroczony termin SLA: %(kind)s") % values
    else:
        subject = _("[%(reference)s] Zbliża się termin SLA: %(kind)s") % values
    due = timezone.localtime(timer.due_at).strftime("%d.%m.%Y %H:%M") if timer.due_at else ""
    body = "\n".join(
        [
            ticket.subject,
            _("Termin: %(due)s") % {"due": due},
            _("Kolejka: %(queue)s") % {"queue": ticket.queue.name},
            settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket.reference]),
        ]
    )
    outbox.enqueue_email(to=sorted(recipients), subject=subject, body=body, not_before=not_before)
