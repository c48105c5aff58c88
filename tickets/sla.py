"""SLA clocks: time to first response and to resolution, in working time of the ticket's queue calendar.

This module decides; it writes only the clock rows themselves. `decide(ticket, now, policy, timers)` says what a
ticket's clocks should become (start missing clocks, pause them while the ticket waits for the customer, resume
them when the customer answers, stop them on the first response / resolution, recompute due times when the
policy changes) and `apply(decisions)` writes that. `sync(ticket, now)` is the two for one ticket, which
tickets.actions calls after every change, inside the same transaction.

`escalation_for(timer, now)` decides what the Celery beat scan (tickets.escalation, which claims the rows and
may call the actions) does with a timer whose `next_check_at` has come: warn, breach (and raise the priority or
hand the ticket to the queue's lead, as the policy says) or only move the next check.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from helpdesk import business_time, choices
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


@dataclass(frozen=True)
class ClockDecision:
    """What one ticket's SLA clocks should become, decided by decide() without writing; apply() writes it."""

    ticket: Ticket
    timers: tuple[SlaTimer, ...]  # every clock the ticket keeps, as it should be (new ones unsaved)
    new: tuple[SlaTimer, ...]  # of those, the clocks to create
    changed: tuple[tuple[SlaTimer, tuple[str, ...]], ...]  # existing clocks and the fields that moved
    sla_due_at: dt.datetime | None  # the earliest due time of the running clocks, kept on the ticket row


def decide(ticket: Ticket, now: dt.datetime, policy: SlaPolicy | None, timers: dict[str, SlaTimer]) -> ClockDecision:
    """The clocks of `ticket` brought in line with its status, `policy` (policy_for(ticket)) and first response;
    `timers` are its current clocks by kind. Nothing is written and nothing passed in is changed."""
    schedule = ticket.queue.calendar.schedule()
    targets = _targets(policy)
    kept, new, changed = [], [], []
    for kind in (Kind.FIRST_RESPONSE, Kind.RESOLUTION):
        desired, current = _desired_state(ticket, kind), timers.get(kind)
        if current is None:
            if not targets[kind] or desired == State.DONE:
                continue
            timer = SlaTimer(ticket=ticket, kind=kind, state=State.PAUSED, target_seconds=targets[kind])
            new.append(timer)
        else:
            timer = copy.copy(current)
        before = tuple(getattr(timer, name) for name in _KEPT)
        _update(timer, desired, policy, targets[kind], schedule, now)
        moved = tuple(name for name, old in zip(_KEPT, before, strict=True) if getattr(timer, name) != old)
        if current is not None and moved:  # a new message on a running clock changes nothing: no UPDATE
            changed.append((timer, moved))
        kept.append(timer)
    due = min((t.due_at for t in kept if t.state != State.DONE and t.due_at), default=None)
    return ClockDecision(ticket, tuple(kept), tuple(new), tuple(changed), due)


def apply(decisions: list[ClockDecision]) -> None:
    """Write what decide() decided: the new clocks, the moved fields of the others, the ticket's nearest due time
    (the list sorts by it, with an index)."""
    for decision in decisions:
        for timer in decision.new:
            timer.save(force_insert=True)
        for timer, fields in decision.changed:
            timer.save(update_fields=[_FIELD_OF.get(name, name) for name in fields])
        if decision.ticket.sla_due_at != decision.sla_due_at:
            decision.ticket.sla_due_at = decision.sla_due_at
            Ticket.objects.filter(pk=decision.ticket.pk).update(sla_due_at=decision.sla_due_at)


def sync(ticket: Ticket, now: dt.datetime) -> list[SlaTimer]:
    """Bring the ticket's SLA timers in line with its status, policy and first response (read, decide, write)."""
    timers = {timer.kind: timer for timer in SlaTimer.objects.filter(ticket=ticket)}
    decision = decide(ticket, now, policy_for(ticket), timers)
    apply([decision])
    return list(decision.timers)


def sync_many(tickets: list[Ticket], now: dt.datetime, policy_of) -> None:
    """sync() for several tickets, their timers read in one query; `policy_of(ticket)` is policy_for() (or a
    batch's memo of it)."""
    timers: dict[int, dict] = {}
    for timer in SlaTimer.objects.filter(ticket__in=[ticket.pk for ticket in tickets]):
        timers.setdefault(timer.ticket_id, {})[timer.kind] = timer
    apply([decide(ticket, now, policy_of(ticket), timers.get(ticket.pk, {})) for ticket in tickets])


def timers_for_new(ticket: Ticket, now: dt.datetime, policy: SlaPolicy | None) -> list[SlaTimer]:
    """The timers sync() would create for a ticket that has none yet, unsaved (batched creation writes them
    with one INSERT); `policy` is policy_for(ticket). The ticket's `sla_due_at` is set, not saved: the batch
    writes the ticket row with it."""
    decision = decide(ticket, now, policy, {})
    ticket.sla_due_at = decision.sla_due_at
    return list(decision.new)


_KEPT = (
    "state", "consumed_seconds", "running_since", "due_at", "done_at", "breached_at", "target_seconds",
    "policy_id", "warn_before_seconds", "next_check_at",
)  # fmt: skip
_FIELD_OF = {"policy_id": "policy"}


def _update(timer: SlaTimer, desired: str, policy, target: int | None, schedule, now: dt.datetime) -> None:
    """Move the clock to `desired` (in memory)."""
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
        "label": choices.label(timer, "kind"),
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


@dataclass(frozen=True)
class Escalation:
    """What the scan does with a claimed timer whose moment came: decided by escalation_for(), done by
    tickets.escalation (which may call the actions: raise the priority, hand the ticket to the queue's lead)."""

    kind: str  # BREACH, WARNING or RECHECK (nothing to say yet: only the next check moves)
    next_check_at: dt.datetime | None
    raise_priority: bool = False
    reassign_to_lead: bool = False


BREACH, WARNING, RECHECK = "breach", "warning", "recheck"


def escalation_for(timer: SlaTimer, now: dt.datetime) -> Escalation:
    """Breach, warning or only a new check time for `timer` (its ticket, queue, lead and policy loaded)."""
    ticket = timer.ticket
    schedule = ticket.queue.calendar.schedule()
    if timer.due_at and now >= timer.due_at:
        policy, lead = timer.policy, ticket.queue.lead
        can_take = lead is not None and ticket_access.may_be_assigned(lead, ticket.queue)
        return Escalation(
            BREACH,
            next_check_at=None,
            raise_priority=bool(policy and policy.breach_raise_priority and ticket.priority < Priority.URGENT),
            reassign_to_lead=bool(policy and policy.breach_reassign_to_lead and can_take)
            and ticket.assignee_id != lead.pk,
        )
    warn = warning_at(timer, schedule)
    if warn and now >= warn:
        warned = copy.copy(timer)
        warned.warned_at = now
        return Escalation(WARNING, next_check_at=next_check(warned, schedule))
    return Escalation(RECHECK, next_check_at=next_check(timer, schedule))  # e.g. the policy changed meanwhile
