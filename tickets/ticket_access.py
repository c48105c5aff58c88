"""Who may do what with a ticket — read it, work on it, assign it — and, from the same rule, the ticket
querysets, the people a ticket concerns and the live-push groups. Every page, API view, websocket, action,
notice and task asks here; nothing else combines roles, scopes and tickets.

The rule. A ticket belongs to the voivodeship of its queue and to the voivodeship of its reporting unit (its
`Place`; a central or triage queue, or no unit, adds none). A member of staff's scope
(helpdesk.access.voivodeship_scope) is everything (agents, supervisors, admins) or some voivodeships (a regional
administrator).
- Read: the scope is everything, or holds a voivodeship the ticket belongs to. So a regional administrator
  reads the tickets of their queues and those about their units wherever they are: a ticket handed back to the
  central desk keeps its history visible to them.
- Work (reply, note, status, priority, move, merge, link, choose the unit, be assigned): the role works on
  tickets and the scope allows the queue's voivodeship. The unit does not count: a regional administrator
  reads a ticket about their unit in the central queue but does not act on it.
- Assign: as work, with the roles that assign (supervisors too).

Live pushes come from the same two sets, never from a rule of their own: a ticket's change goes to the group of
everything and to the group of each voivodeship it belongs to (`push_groups`); a user's live list joins the
group of everything or of each voivodeship of their scope (`subscriptions`). A user hears of a change exactly
when they may read the ticket (tests/test_ticket_access_rule.py checks the forms agree for every persona and
place). Group names are spelled in helpdesk.live_groups.

`actor=None` in the `require_*` checks is the system (e-mail ingestion, SLA escalations), which always may.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F, Lookup, Q, QuerySet
from django.utils.translation import gettext as _

from contacts.models import ReportingUnit
from helpdesk import access, live_groups
from tickets.models import Queue, Ticket

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

    from helpdesk.models import User

    Visitor = User | AnonymousUser  # request.user: a member of staff or not, signed in or not


@dataclass(frozen=True)
class Place:
    """Where a ticket is, as far as access goes: the voivodeship of its queue and of its reporting unit."""

    queue: str | None  # None: the central desk or triage
    unit: str | None = None  # None: no reporting unit chosen yet

    @property
    def voivodeships(self) -> frozenset[str]:
        """The voivodeships the ticket belongs to for reading (and live pushes)."""
        return frozenset(code for code in (self.queue, self.unit) if code)


def place_of(ticket: Ticket) -> Place:
    """The ticket's place; reads its queue and reporting unit (select_related them when fetching many)."""
    unit = ticket.reporting_unit  # None without a query when no unit is chosen
    return Place(queue=ticket.queue.voivodeship_id, unit=unit.voivodeship_id if unit is not None else None)


# --- read ------------------------------------------------------------------------------------------------


def reads_tickets(user: Visitor) -> bool:
    """Some ticket may be in `user`'s sight: the ticket pages open to them (knowledge-base editors see none)."""
    return access.can_see_tickets(user)


def reads_every_ticket(user: Visitor) -> bool:
    """No ticket is out of `user`'s sight (checks and queries can be skipped); cached on the user."""
    return access.voivodeship_scope(user).is_everything


def may_read_place(user: Visitor, place: Place) -> bool:
    return access.voivodeship_scope(user).allows_any(place.voivodeships)


def may_read(user: Visitor, ticket: Ticket) -> bool:
    """`ticket` is in `readable(user)`, decided without a query for the ticket."""
    # those who see everything need not load the ticket's queue and unit
    return reads_every_ticket(user) or may_read_place(user, place_of(ticket))


def readable(user: Visitor) -> QuerySet[Ticket]:
    """Every ticket `user` may read: `may_read` as a queryset. Every ticket query starts here (through
    tickets.selectors.tickets_for_user), so scoping cannot be forgotten."""
    scope = access.voivodeship_scope(user)
    if scope.codes is None:
        return Ticket.objects.all()
    if not scope.codes:
        return Ticket.objects.none()
    in_queues, about_units = _sides(scope.codes)
    return Ticket.objects.filter(in_queues | about_units)


def readable_parts(user: Visitor) -> list[QuerySet[Ticket]]:
    """`readable(user)` as disjoint querysets whose union it is: for a regional administrator, the tickets of
    their queues, and the tickets about their units in other queues. Why: PostgreSQL cannot use an index for
    either side of the OR, so a count over `readable` tests both sides on every open ticket of the country
    (80,000 at a million tickets) to find the 10,000 in one voivodeship; each part alone reads its own range of
    an index leading with the queue or the unit (Ticket.Meta.indexes). tickets.selectors counts through them."""
    scope = access.voivodeship_scope(user)
    if scope.codes is None:
        return [Ticket.objects.all()]
    if not scope.codes:
        return []
    in_queues, about_units = _sides(scope.codes, apart=True)
    return [Ticket.objects.filter(in_queues), Ticket.objects.filter(about_units).exclude(in_queues)]


def _sides(codes: frozenset[str], *, apart: bool = False) -> tuple[Q, Q]:
    """The two sides of the read rule for a scope of some voivodeships: in one of their queues, about one of
    their units. Semi-joins rather than joins: each side can use its own index. `apart`: for a side queried on
    its own (`readable_parts`), the units as `_AmongIds`."""
    codes_in_order = sorted(codes)
    queues = Queue.objects.filter(voivodeship_id__in=codes_in_order).values("pk")
    units = ReportingUnit.objects.filter(voivodeship_id__in=codes_in_order).order_by().values("pk")
    about_units = Q(_AmongIds(F("reporting_unit_id"), units)) if apart else Q(reporting_unit_id__in=units)
    return Q(queue_id__in=queues), about_units


class _AmongIds(Lookup):
    """`column IN (subquery)`, written on PostgreSQL as `column = ANY(ARRAY(subquery))`: an index condition, so
    the tickets about a voivodeship's 1,250 units are read from their 1,250 ranges of `ticket_open_by_unit`.
    For `IN (subquery)` the planner chose a merge join that read the whole index (71,000 entries at a million
    tickets, to find 1,700 of a voivodeship's open tickets in other queues; EXPLAIN ANALYZE 97 ms against 32 ms
    on a busy machine). Not for a side of an OR: there the array would be searched linearly for every row,
    where `IN` hashes the subquery once."""

    lookup_name = "among_ids"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        template = "%s = ANY(ARRAY%s)" if connection.vendor == "postgresql" else "%s IN %s"
        return template % (lhs, rhs), (*lhs_params, *rhs_params)


def readers(ticket: Ticket) -> QuerySet[User]:
    """Active staff who may read `ticket` (for @mentions, notices): `may_read` turned around."""
    return access.staff_seeing(place_of(ticket).voivodeships)


# --- work --------------------------------------------------------------------------------------------------


def works_on_tickets(user: Visitor) -> bool:
    """The role works on some tickets (pages such as logging a call, the quarantine's buttons); which: `may_work`."""
    return access.can_work_tickets(user)


def may_work_in(user: Visitor, queue: Queue) -> bool:
    """May `user` work on the tickets of `queue` (and so be assigned them)?"""
    return access.can_work_tickets(user) and access.voivodeship_scope(user).allows(queue.voivodeship_id)


def may_work(user: Visitor, ticket: Ticket) -> bool:
    return may_work_in(user, ticket.queue)


def require_work_in(actor: User | None, queue: Queue, elsewhere: str | None = None) -> None:
    """PermissionDenied, saying why in Polish, unless `actor` may work on the tickets of `queue`. `elsewhere`:
    what to say when only the voivodeship is wrong (default: the ticket belongs to another voivodeship)."""
    if actor is None:
        return
    access.require(access.can_work_tickets(actor), _("Nie masz uprawnień do obsługi zgłoszeń."))
    access.require(
        access.voivodeship_scope(actor).allows(queue.voivodeship_id),
        elsewhere or _("To zgłoszenie należy do innego województwa."),
    )


def workers(queue: Queue) -> QuerySet[User]:
    """Active staff who may work on the tickets of `queue`: `may_work_in` turned around (the assignee list)."""
    return access.workers_for(queue.voivodeship_id)


def queues_of(user: Visitor) -> QuerySet[Queue]:
    """The queues of `user`'s scope (inactive ones too): they read every ticket in them whatever its unit, and
    work on them if their role works on tickets. `may_work_in` as a queryset, for the roles that work."""
    scope = access.voivodeship_scope(user)
    if scope.codes is None:
        return Queue.objects.all()
    return Queue.objects.filter(voivodeship_id__in=sorted(scope.codes))


def may_hand_to(user: Visitor, queue: Queue) -> bool:
    """Where `user` may move a ticket they work on: a queue of their scope, and always the central desk or
    triage (a regional administrator hands a ticket that is not theirs back)."""
    return access.can_hand_to(user, queue.voivodeship_id)


def handoff_queues(user: Visitor) -> QuerySet[Queue]:
    """`may_hand_to` as a queryset of active queues (the move form's choices)."""
    scope = access.voivodeship_scope(user)
    queues = Queue.objects.filter(is_active=True)
    if scope.codes is None:
        return queues
    return queues.filter(Q(voivodeship__isnull=True) | Q(voivodeship_id__in=sorted(scope.codes)))


# --- assign ------------------------------------------------------------------------------------------------


def may_assign_in(user: Visitor, queue: Queue) -> bool:
    return access.can_assign_tickets(user) and access.voivodeship_scope(user).allows(queue.voivodeship_id)


def may_assign(user: Visitor, ticket: Ticket) -> bool:
    return may_assign_in(user, ticket.queue)


def require_assign_in(actor: User | None, queue: Queue) -> None:
    if actor is None:
        return
    access.require(access.can_assign_tickets(actor), _("Nie masz uprawnień do przydzielania zgłoszeń."))
    access.require(
        access.voivodeship_scope(actor).allows(queue.voivodeship_id), _("To zgłoszenie należy do innego województwa.")
    )


def may_be_assigned(person: User, queue: Queue) -> bool:
    """May `person` hold the tickets of `queue` (chosen by hand, by the queue's rotation or as its lead)?"""
    return may_work_in(person, queue)


# --- live pushes ---------------------------------------------------------------------------------------------


def place_groups(place: Place) -> list[str]:
    """The live-list groups of the users who may read a ticket at `place` (`subscriptions` meets them)."""
    return [live_groups.EVERY_TICKET, *(live_groups.voivodeship(code) for code in sorted(place.voivodeships))]


def push_place(ticket: Ticket) -> dict[str, list[str | None]]:
    """What a live push about `ticket` carries so that each socket decides `may_read_place` from the event
    itself, without asking the database: the ticket's place at the change (`place_in_push` reads it back).
    A later change of place is pushed too (a "moved" to the new place, "moved_away" to the groups losing it)."""
    place = place_of(ticket)
    return {"place": [place.queue, place.unit]}


def place_in_push(event: dict) -> Place | None:
    """The place `push_place` put in `event`; None when it has none (presence, typing, a push queued before
    pushes carried it): then only the database can tell."""
    found = event.get("place")
    if not isinstance(found, list) or len(found) != 2:
        return None
    if not all(code is None or isinstance(code, str) for code in found):
        return None
    return Place(queue=found[0], unit=found[1])


def push_groups(ticket: Ticket) -> list[str]:
    """Where a change of `ticket` is pushed: the live lists of everyone who may read it and the pages open on it.
    Each socket still checks the event against the ticket as it is now (tickets.consumers)."""
    return [*place_groups(place_of(ticket)), live_groups.ticket(ticket.pk)]


def groups_losing_sight(before: Place, after: Place) -> list[str]:
    """The live-list groups that saw a ticket at `before` and no longer do at `after` (told "moved_away")."""
    kept = set(place_groups(after))
    return [group for group in place_groups(before) if group not in kept]


def subscriptions(user: Visitor) -> list[str]:
    """The live-list groups `user`'s socket joins: the group of everything, or one per voivodeship of their
    scope; none for someone who reads no ticket."""
    scope = access.voivodeship_scope(user)
    if scope.codes is None:
        return [live_groups.EVERY_TICKET]
    return [live_groups.voivodeship(code) for code in sorted(scope.codes)]
