"""Who gets a new ticket of a queue: manual (nobody), round-robin, or the member with the fewest open tickets.

Only members who are working are considered: active staff allowed to work the queue, not on leave on the
queue's next working day (a ticket arriving at night goes to someone who works tomorrow morning), at work by
their own days and hours if they have any (`works_now`), and under the queue's cap of open tickets. Nobody
eligible: the ticket stays unassigned in the queue.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from helpdesk.business_time import Schedule, parse_workdays
from helpdesk.models import StaffAbsence
from tickets import ticket_access
from tickets.models import OPEN_STATUSES, AssignmentMode, Queue, Ticket


def absent_user_ids(day: dt.date) -> set[int]:
    return set(StaffAbsence.objects.filter(starts_on__lte=day, ends_on__gte=day).values_list("user_id", flat=True))


def works_now(member, schedule: Schedule, now: dt.datetime) -> bool:
    """Whether `member` is at work by their own days and hours, which narrow the queue calendar's (empty: the
    calendar's): while the queue is open, at `now`; while it is closed, on its next working day. Times are
    local times of the calendar's time zone."""
    days = parse_workdays(member.work_weekdays)
    starts, ends = member.work_starts_at, member.work_ends_at
    if not days and starts is None and ends is None:
        return True
    if not schedule.is_open(now):
        return not days or timezone.localtime(schedule.next_open(now), schedule.zone).weekday() in days
    local = timezone.localtime(now, schedule.zone)
    if days and local.weekday() not in days:
        return False
    return (starts is None or local.time() >= starts) and (ends is None or local.time() < ends)


def eligible_members(queue: Queue, now: dt.datetime) -> list:
    """Members who may take a ticket now, each annotated with `open_count`."""
    schedule = queue.calendar.schedule()
    return [member for member in _available_members(queue, now) if works_now(member, schedule, now)]


def _available_members(queue: Queue, now: dt.datetime) -> list:
    """eligible_members() before their own working hours: the same for the whole working day."""
    schedule = queue.calendar.schedule()
    working_day = timezone.localtime(schedule.next_open(now), schedule.zone).date()
    absent = absent_user_ids(working_day)
    members = (
        queue.members.filter(is_active=True)
        .exclude(pk__in=absent)
        .annotate(open_count=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES)))
        .order_by("pk")
    )
    result = []
    for member in members:
        if not ticket_access.may_be_assigned(member, queue):
            continue
        if queue.max_open_per_member is not None and member.open_count >= queue.max_open_per_member:
            continue
        result.append(member)
    return result


def pick_assignee(queue: Queue, now: dt.datetime):
    """The member the queue's mode chooses, or None (manual mode, or nobody eligible)."""
    if queue.assignment_mode == AssignmentMode.MANUAL:
        return None
    members = eligible_members(queue, now)
    if not members:
        return None
    if queue.assignment_mode == AssignmentMode.LEAST_OPEN:
        return min(members, key=lambda member: (member.open_count, member.pk))
    after = [member for member in members if queue.last_assigned_id is None or member.pk > queue.last_assigned_id]
    return (after or members)[0]


def remember_round_robin(queue: Queue, assignee) -> None:
    if queue.assignment_mode == AssignmentMode.ROUND_ROBIN and assignee is not None:
        Queue.objects.filter(pk=queue.pk).update(last_assigned=assignee)
        queue.last_assigned = assignee


def tickets_of_absent_staff(day: dt.date):
    """Open tickets whose assignee is on leave on `day`: they return to their queue."""
    return Ticket.objects.filter(assignee_id__in=absent_user_ids(day), status__in=OPEN_STATUSES).order_by("pk")


class BatchAssigner:
    """The queue's assignment (or, for a rule that asks to assign in a manual queue, the member with the fewest
    open tickets) for the new tickets of one batch (tickets.opening.open_tickets): each queue's eligible
    members are read once per working day, then the batch's own assignments are carried in memory (open
    counts, the caps, the round-robin position) so every ticket sees the ones before it, as when they are
    opened one by one. `remember()` writes the round-robin positions."""

    def __init__(self) -> None:
        self._members: dict[tuple, list] = {}
        self._extra: dict[int, int] = {}
        self._last: dict[int, tuple[Queue, int | None]] = {}

    def _eligible(self, queue: Queue, now: dt.datetime) -> list[tuple[object, int]]:
        schedule = queue.calendar.schedule()
        key = (queue.pk, timezone.localtime(schedule.next_open(now), schedule.zone).date())
        if key not in self._members:
            self._members[key] = _available_members(queue, now)
        result = []
        for member in self._members[key]:
            if not works_now(member, schedule, now):
                continue
            count = member.open_count + self._extra.get(member.pk, 0)
            if queue.max_open_per_member is not None and count >= queue.max_open_per_member:
                continue
            result.append((member, count))
        return result

    def pick(self, queue: Queue, now: dt.datetime, *, least_open: bool = False):
        if not least_open and queue.assignment_mode == AssignmentMode.MANUAL:
            return None
        members = self._eligible(queue, now)
        if not members:
            return None
        if least_open or queue.assignment_mode == AssignmentMode.LEAST_OPEN:
            return min(members, key=lambda pair: (pair[1], pair[0].pk))[0]
        last = self._last[queue.pk][1] if queue.pk in self._last else queue.last_assigned_id
        after = [member for member, _count in members if last is None or member.pk > last]
        return (after or [member for member, _count in members])[0]

    def took(self, queue: Queue, assignee) -> None:
        self._extra[assignee.pk] = self._extra.get(assignee.pk, 0) + 1
        if queue.assignment_mode == AssignmentMode.ROUND_ROBIN:
            self._last[queue.pk] = (queue, assignee.pk)

    def remember(self) -> None:
        for queue, user_id in self._last.values():
            Queue.objects.filter(pk=queue.pk).update(last_assigned_id=user_id)
            queue.last_assigned_id = user_id
        self._last.clear()
