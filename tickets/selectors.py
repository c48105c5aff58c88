"""Reading tickets: every query starts from `tickets_for_user`, so scoping cannot be forgotten."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from helpdesk import access
from tickets import sla
from tickets.models import OPEN_STATUSES, Attachment, Entry, Queue, SlaTimer, Ticket


def tickets_for_user(user) -> QuerySet[Ticket]:
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return Ticket.objects.all()
    if not scope.codes:
        return Ticket.objects.none()
    return Ticket.objects.filter(queue__voivodeship_id__in=scope.codes)


def queues_for_user(user) -> QuerySet[Queue]:
    scope = access.voivodeship_scope(user)
    queues = Queue.objects.filter(is_active=True)
    if scope.is_everything:
        return queues
    return queues.filter(voivodeship_id__in=scope.codes or [])


def handoff_queues_for_user(user) -> QuerySet[Queue]:
    """Queues `user` may hand a ticket to: their own, plus the central desk and triage (see access.can_hand_to)."""
    scope = access.voivodeship_scope(user)
    queues = Queue.objects.filter(is_active=True)
    if scope.is_everything:
        return queues
    return queues.filter(Q(voivodeship__isnull=True) | Q(voivodeship_id__in=scope.codes or []))


def ticket_for_user(user, reference: str) -> Ticket:
    """The ticket page's fetch: 404 for a ticket that does not exist or that `user` may not see."""
    ticket = (
        tickets_for_user(user)
        .select_related(
            "queue__calendar",
            "queue__voivodeship",
            "assignee",
            "reporting_unit__voivodeship",
            "requester",
            "category",
        )
        .filter(reference=reference)
        .first()
    )
    if ticket is None:
        raise access.not_found()
    return ticket


def conversation(ticket: Ticket) -> QuerySet[Entry]:
    return ticket.entries.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.select_related("file"))
    )


def attachment_for_user(user, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("file", "entry__ticket")
        .filter(pk=attachment_id, entry__ticket__in=tickets_for_user(user))
        .first()
    )
    if attachment is None:
        raise access.not_found()
    if attachment.entry.kind == Entry.Kind.NOTE and not access.is_staff_member(user):
        raise access.not_found()
    return attachment


@dataclass(frozen=True)
class TicketFilters:
    queue: str = ""  # queue slug
    status: str = ""  # a Status value, "open" for every open status, or "" for all
    assignee: str = ""  # "me", "none", a user id, or ""
    q: str = ""  # reference or words of the subject

    @classmethod
    def from_query(cls, params) -> TicketFilters:
        return cls(**{name: (params.get(name) or "").strip()[:200] for name in ("queue", "status", "assignee", "q")})


def list_tickets(user, filters: TicketFilters) -> QuerySet[Ticket]:
    """The ticket list: scoped, filtered, newest activity first, with everything a row shows joined in."""
    tickets = tickets_for_user(user)
    if filters.queue:
        tickets = tickets.filter(queue__slug=filters.queue)
    if filters.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.q:
        q = filters.q
        tickets = tickets.filter(Q(reference__iexact=q) | Q(subject__icontains=q) | Q(requester_email__iexact=q))
    live_timers = Prefetch("sla_timers", queryset=SlaTimer.objects.exclude(state=SlaTimer.State.DONE))
    return (
        tickets.select_related("queue__calendar", "assignee", "reporting_unit", "category")
        .prefetch_related(live_timers)
        .order_by("-updated_at", "-id")
    )


def sla_overview(ticket: Ticket, now=None) -> list[dict]:
    """Every SLA clock of the ticket, described for the ticket page (working time left, paused, met…)."""
    from django.utils import timezone

    schedule = ticket.queue.calendar.schedule()
    now = now or timezone.now()
    timers = SlaTimer.objects.filter(ticket=ticket).order_by("kind")
    return [sla.describe(timer, schedule, now) for timer in timers]


def list_sla(tickets, now=None) -> None:
    """Attach `sla_nearest` (the clock closest to its due time, described) to each ticket of a list page."""
    from django.utils import timezone

    now = now or timezone.now()
    for ticket in tickets:
        ticket.sla_nearest = sla.nearest(ticket.sla_timers.all(), ticket.queue.calendar.schedule(), now)


def unit_candidates(user, ticket: Ticket) -> list:
    """The units identification found possible for the ticket, limited to those `user` may see."""
    from contacts.selectors import units_for_user

    if not ticket.unit_candidates:
        return []
    return list(units_for_user(user).filter(pk__in=ticket.unit_candidates).order_by("name"))


@dataclass(frozen=True)
class SlaReportRow:
    queue: str
    kind: str
    finished: int
    met: int
    breached_open: int

    @property
    def met_share(self) -> float | None:
        return round(100 * self.met / self.finished, 1) if self.finished else None


def sla_report(user, start, end) -> list[SlaReportRow]:
    """SLA compliance per queue and clock for clocks finished in [start, end), plus clocks breached and still
    running now; scoped like every ticket read. What a desk lead shows the ministry."""
    from django.db.models import Count

    timers = SlaTimer.objects.filter(ticket__in=tickets_for_user(user))
    finished = (
        timers.filter(state=SlaTimer.State.DONE, done_at__gte=start, done_at__lt=end)
        .values("ticket__queue__name", "kind")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(breached_at__isnull=True)))
    )
    breached = (
        timers.exclude(state=SlaTimer.State.DONE)
        .filter(breached_at__isnull=False)
        .values("ticket__queue__name", "kind")
        .annotate(total=Count("pk"))
    )
    rows: dict[tuple[str, str], dict] = {}
    for item in finished:
        key = (item["ticket__queue__name"], item["kind"])
        rows[key] = {"finished": item["total"], "met": item["met"], "breached_open": 0}
    for item in breached:
        key = (item["ticket__queue__name"], item["kind"])
        rows.setdefault(key, {"finished": 0, "met": 0, "breached_open": 0})["breached_open"] = item["total"]
    return [
        SlaReportRow(queue=queue, kind=SlaTimer.Kind(kind).label, **values)
        for (queue, kind), values in sorted(rows.items())
    ]
