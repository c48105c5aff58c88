"""SLA clocks: time to first response and to resolution, in working time of the ticket's queue calendar.

`sync(ticket, now)` is the one function that brings a ticket's timers in line with the ticket: it picks the
policy (queue, priority, category), starts missing clocks, pauses them while the ticket waits for the customer,
resumes them when the customer answers, stops them on the first response / resolution, and recomputes due
times when the policy changes. tickets.actions calls it after every change, inside the same transaction.

`escalate(now)` is the Celery beat scan: it reads only timers whose `next_check_at` has come (a partial index
holds nothing else, so closed tickets are never loaded), claims each row with SELECT … FOR UPDATE SKIP LOCKED,
logs the warning or the breach exactly once, and notifies the assignee and the queue's lead, never outside the
calendar's hours unless the queue asks for it (the e-mail waits in the outbox until the next working minute).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import business_time, outbox
from tickets import events, ticket_access
from tickets.models import Priority, SlaPolicy, SlaTimer, Status, Ticket

log = logging.getLogger(__name__)

Kind, State = SlaTimer.Kind, SlaTimer.State
REASON_BREACH = events.REASON_SLA_BREACH


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy matching the ticket's queue, priority and category."""
    candidates = SlaPolicy.objects.filter(
        Q(queue__isnull=True) | Q(queue=ticket.queue_id),
        Q(priority__isnull=True) | Q(priority=ticket.priority),
        Q(category__isnull=True) | Q(category=ticket.category_id),
        is_active=True,
    )
    return max(candidates, key=lambda policy: (policy.specificity, -policy.pk), default=None)


def _desired_state(ticket: Ticket, kind: str) -> str:
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        return State.DONE
    if kind == Kind.FIRST_RESPONSE and ticket.first_response_at is not None:
        return State.DONE
    if ticket.status == Status.WAITING_CUSTOMER:
        return State.PAUSED
    return State.RUNNING


def _targets(policy: SlaPolicy | None) -> dict[str, int | None]:
    if policy is None:
        return {Kind.FIRST_RESPONSE: None, Kind.RESOLUTION: None}
    return {
        Kind.FIRST_RESPONSE: policy.first_response_minutes and policy.first_response_minutes * 60,
        Kind.RESOLUTION: policy.resolution_minutes and policy.resolution_minutes * 60,
    }


def warning_at(timer: SlaTimer, schedule: business_time.Schedule) -> dt.datetime | None:
    """When the warning is due: `warn_before` working time before the due time (None: no warning left)."""
    if timer.state != State.RUNNING or timer.warned_at or not timer.warn_before_seconds:
        return None
    lead_time = timer.target_seconds - timer.consumed_seconds - timer.warn_before_seconds
    if lead_time <= 0:
        return None
    return schedule.add(timer.running_since, dt.timedelta(seconds=lead_time))


def next_check(timer: SlaTimer, schedule: business_time.Schedule) -> dt.datetime | None:
    if timer.state != State.RUNNING or timer.breached_at is not None:
        return None
    warn = warning_at(timer, schedule)
    return min(warn, timer.due_at) if warn else timer.due_at


def sync(ticket: Ticket, now: dt.datetime) -> list[SlaTimer]:
    """Bring the ticket's SLA timers in line with its status, policy and first response."""
    timers = {timer.kind: timer for timer in SlaTimer.objects.filter(ticket=ticket)}
    return _plan(ticket, now, policy_for(ticket), timers, save=True)


def sync_many(tickets: list[Ticket], now: dt.datetime, policy_of) -> None:
    """sync() for several tickets, their timers read in one query; `policy_of(ticket)` is policy_for() (or a
    batch's memo of it)."""
    timers: dict[int, dict] = {}
    for timer in SlaTimer.objects.filter(ticket__in=[ticket.pk for ticket in tickets]):
        timers.setdefault(timer.ticket_id, {})[timer.kind] = timer
    for ticket in tickets:
        _plan(ticket, now, policy_of(ticket), timers.get(ticket.pk, {}), save=True)


def timers_for_new(ticket: Ticket, now: dt.datetime, policy: SlaPolicy | None) -> list[SlaTimer]:
    """The timers sync() would create for a ticket that has none yet, unsaved (batched creation writes them
    with one INSERT); `policy` is policy_for(ticket)."""
    return _plan(ticket, now, policy, {}, save=False)


def _plan(ticket: Ticket, now: dt.datetime, policy, timers: dict, *, save: bool) -> list[SlaTimer]:
    schedule = ticket.queue.calendar.schedule()
    targets = _targets(policy)
    result = []
    for kind in (Kind.FIRST_RESPONSE, Kind.RESOLUTION):
        desired, timer = _desired_state(ticket, kind), timers.get(kind)
        if timer is None:
            if not targets[kind] or desired == State.DONE:
                continue
            timer = SlaTimer(ticket=ticket, kind=kind, state=State.PAUSED, target_seconds=targets[kind])
        _update(timer, desired, policy, targets[kind], schedule, now, save=save)
        result.append(timer)
    _keep_nearest_due(ticket, result, save=save)
    return result


def _keep_nearest_due(ticket: Ticket, timers: list[SlaTimer], *, save: bool = True) -> None:
    """Keep the earliest due time of the running clocks on the ticket row (the list sorts by it, with an index)."""
    due = min((t.due_at for t in timers if t.state != State.DONE and t.due_at), default=None)
    if ticket.sla_due_at != due:
        ticket.sla_due_at = due
        if save:  # a ticket of a batch is written with it (tickets.opening)
            Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)


_KEPT = (
    "state", "consumed_seconds", "running_since", "due_at", "done_at", "breached_at", "target_seconds",
    "policy_id", "warn_before_seconds", "next_check_at",
)  # fmt: skip


def _update(
    timer: SlaTimer, desired: str, policy, target: int | None, schedule, now: dt.datetime, *, save: bool = True
) -> None:
    """Move the clock to `desired`; saved only when something changed (a new message on a running clock
    changes nothing, and the two UPDATEs per message were most of the cost of appending one)."""
    before = None if timer.pk is None else tuple(getattr(timer, name) for name in _KEPT)
    if timer.state == State.RUNNING and desired != State.RUNNING:
        timer.consumed_seconds += int(schedule.between(timer.running_since, now).total_seconds())
        if timer.breached_at is None and timer.consumed_seconds > timer.target_seconds:
            timer.breached_at = timer.due_at  # breached before the scan came round; the report must say so
        timer.running_since = timer.due_at = None
    if timer.state != State.RUNNING and desired == State.RUNNING:
        timer.running_since = now
    if timer.state != desired:
        timer.done_at = now if desired == State.DONE else None
        timer.state = desired
    if target:
        timer.target_seconds = target
    if policy is not None:
        timer.policy = policy
        timer.warn_before_seconds = policy.warn_before_minutes * 60
    if timer.state == State.RUNNING:
        left = max(0, timer.target_seconds - timer.consumed_seconds)
        timer.due_at = schedule.add(timer.running_since, dt.timedelta(seconds=left))
    timer.next_check_at = next_check(timer, schedule)
    if save and (before is None or before != tuple(getattr(timer, name) for name in _KEPT)):
        timer.save()


# --- showing --------------------------------------------------------------------------------------------


def describe(timer: SlaTimer, schedule: business_time.Schedule, now: dt.datetime) -> dict:
    """What an agent sees: working time left (or overdue), whether the clock is paused."""
    if timer.state == State.RUNNING:
        left = schedule.between(now, timer.due_at)
        overdue = left <= dt.timedelta(0)
        hours, minutes = business_time.format_duration(-left if overdue else left)
    else:
        left = dt.timedelta(seconds=timer.target_seconds - timer.consumed_seconds)
        overdue = left <= dt.timedelta(0)
        hours, minutes = business_time.format_duration(-left if overdue else left)
    amount = _("%(h)s h %(m)s min roboczych") % {"h": hours, "m": minutes}
    if timer.state == State.DONE:
        text = _("dotrzymany") if timer.breached_at is None else _("przekroczony")
    elif overdue:
        text = _("po terminie o %(amount)s") % {"amount": amount}
    elif timer.state == State.PAUSED:
        text = _("wstrzymany, zostało %(amount)s") % {"amount": amount}
    else:
        text = _("zostało %(amount)s") % {"amount": amount}
    return {
        "label": timer.get_kind_display(),
        "text": text,
        "due_at": timer.due_at,
        "state": timer.state,
        "overdue": overdue and timer.state != State.DONE,
        "warning": timer.warned_at is not None and timer.state == State.RUNNING,
    }


def nearest(timers, schedule: business_time.Schedule, now: dt.datetime) -> dict | None:
    """The running (or else paused) timer closest to its due time, described; for the ticket list."""
    live = [timer for timer in timers if timer.state != State.DONE]
    if not live:
        return None
    running = [timer for timer in live if timer.state == State.RUNNING]
    timer = min(running, key=lambda t: t.due_at) if running else live[0]
    return describe(timer, schedule, now)


# --- escalation -----------------------------------------------------------------------------------------


def due_for_check(now: dt.datetime, limit: int):
    return (
        SlaTimer.objects.filter(next_check_at__lte=now).order_by("next_check_at").values_list("pk", flat=True)[:limit]
    )


def escalate(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Warn and breach every timer whose moment has come; returns how many escalations were logged."""
    now = now or timezone.now()
    done = 0
    for timer_id in list(due_for_check(now, limit)):
        with transaction.atomic():
            timer = (
                SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket__queue__calendar", "ticket__queue__lead", "ticket__assignee", "policy")
                .filter(pk=timer_id, next_check_at__lte=now)
                .first()
            )
            if timer is not None:
                done += _escalate_one(timer, now)
    return done


def _escalate_one(timer: SlaTimer, now: dt.datetime) -> int:
    ticket = timer.ticket
    schedule = ticket.queue.calendar.schedule()
    if timer.due_at and now >= timer.due_at:
        timer.breached_at = now
        timer.next_check_at = None
        timer.save(update_fields=["breached_at", "next_check_at"])
        events.sla_breached(ticket, timer.kind, timer.due_at)
        _notify(ticket, timer, schedule, now, breach=True)
        _breach_actions(ticket, timer)
        return 1
    warn = warning_at(timer, schedule)
    if warn and now >= warn:
        timer.warned_at = now
        timer.next_check_at = next_check(timer, schedule)
        timer.save(update_fields=["warned_at", "next_check_at"])
        events.sla_warning(ticket, timer.kind, timer.due_at)
        _notify(ticket, timer, schedule, now, breach=False)
        return 1
    timer.next_check_at = next_check(timer, schedule)  # e.g. the policy changed since the row was written
    timer.save(update_fields=["next_check_at"])
    return 0


def _breach_actions(ticket: Ticket, timer: SlaTimer) -> None:
    from tickets import actions

    policy = timer.policy
    if policy is None:
        return
    if policy.breach_raise_priority and ticket.priority < Priority.URGENT:
        actions.change_priority(actor=None, ticket=ticket, priority=ticket.priority + 1, reason=REASON_BREACH)
    lead = ticket.queue.lead
    can_take = lead is not None and ticket_access.may_be_assigned(lead, ticket.queue)
    if policy.breach_reassign_to_lead and can_take and ticket.assignee_id != lead.pk:
        actions.assign(actor=None, ticket=ticket, assignee=lead, reason=REASON_BREACH)


def _notify(ticket: Ticket, timer: SlaTimer, schedule, now: dt.datetime, *, breach: bool) -> None:
    recipients = {user.email for user in (ticket.assignee, ticket.queue.lead) if user is not None and user.email}
    if not recipients:
        return
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
