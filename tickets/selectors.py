"""Reading tickets: every query starts from `tickets_for_user`, so scoping cannot be forgotten."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from contacts.selectors import units_for_user
from helpdesk import access, inputs
from helpdesk.html import BLOCKED_IMAGE, without_remote_images
from helpdesk.models import BusinessCalendar
from tickets import events, search, sla, ticket_access
from tickets.events import QUIET_KINDS
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    CannedResponse,
    Entry,
    Queue,
    SavedView,
    SlaTimer,
    Status,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketLink,
)


def tickets_for_user(user) -> QuerySet[Ticket]:
    """What `user` may see: tickets.ticket_access.readable (the rule and why is there)."""
    return ticket_access.readable(user)


def queues_for_user(user) -> QuerySet[Queue]:
    """The active queues of `user`'s scope (the list's queue filter)."""
    return ticket_access.queues_of(user).filter(is_active=True)


def handoff_queues_for_user(user) -> QuerySet[Queue]:
    """Queues `user` may hand a ticket to (tickets.ticket_access.may_hand_to)."""
    return ticket_access.handoff_queues(user)


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


MAX_MERGE_HOPS = 50


def final_ticket(ticket: Ticket) -> Ticket:
    """Where a merged ticket's conversation lives now: follow `merged_into` to the end (not scoped: the e-mail
    channel and the actions use it; pages check the result through `tickets_for_user`)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and len(seen) < MAX_MERGE_HOPS:
        ticket = Ticket.objects.select_related("queue").get(pk=ticket.merged_into_id)
        if ticket.pk in seen:  # never happens through tickets.actions; do not loop if the data were edited by hand
            break
        seen.add(ticket.pk)
    return ticket


def mention_suggestions(user, ticket: Ticket, prefix: str, limit: int = 8) -> list[dict]:
    """Colleagues `user` may @mention in a note on `ticket` (those who can see it), by user name or name."""
    prefix = prefix.strip().lstrip("@")[:150]
    people = ticket_access.readers(ticket).exclude(pk=user.pk)
    if prefix:
        people = people.filter(
            Q(username__istartswith=prefix) | Q(first_name__istartswith=prefix) | Q(last_name__istartswith=prefix)
        )
    people = people.order_by("username").only("username", "first_name", "last_name")[:limit]
    return [{"username": person.username, "name": person.get_full_name() or person.username} for person in people]


def linked_tickets(user, ticket: Ticket) -> list[Ticket]:
    """The tickets linked to `ticket` that `user` may see (a link to a ticket out of sight is not shown).
    Two indexed queries whatever the number of links (the second only when there are links): the link rows,
    then the visible tickets by primary key — never an OR of subqueries over the whole ticket table."""
    pairs = TicketLink.objects.filter(Q(low=ticket) | Q(high=ticket)).values_list("low_id", "high_id")
    other = [high if low == ticket.pk else low for low, high in pairs]
    if not other:
        return []
    return list(tickets_for_user(user).filter(pk__in=other).only("reference", "subject", "status").order_by("pk"))


def merged_tickets(user, ticket: Ticket) -> list[Ticket]:
    """The tickets merged into `ticket` (visible to `user`), oldest first."""
    return list(
        tickets_for_user(user)
        .filter(merged_into=ticket)
        .only("reference", "subject", "requester_name", "requester_email")
        .order_by("pk")
    )


def follow_state(user, ticket: Ticket) -> dict:
    """For the follow button: does `user` follow the ticket (and by e-mail), and how many people do."""
    rows = list(TicketFollower.objects.filter(ticket=ticket).values_list("user_id", "by_email"))
    mine = [by_email for user_id, by_email in rows if user_id == user.pk]
    return {"following": bool(mine), "by_email": bool(mine and mine[0]), "count": len(rows)}


# events that name another ticket: the reference is shown only to someone who may see that ticket
_EVENTS_NAMING_A_TICKET = {"linked": "other", "unlinked": "other", "merged_into": "target", "merged_from": "source"}


# the ticket page shows the newest this many entries and events unless asked for all (a long conversation's
# older part behind a link: the newest stays visible without scrolling, and the page stays fast)
PAGE_ENTRIES = 30
PAGE_EVENTS = 60


def _newest(queryset: QuerySet, limit: int | None) -> tuple[list, bool]:
    """The newest `limit` rows (all if None) in chronological order, and whether older ones were left out;
    one query either way."""
    if limit is None:
        return list(queryset), False
    rows = list(queryset.order_by("-created_at", "-id")[: limit + 1])
    return rows[:limit][::-1], len(rows) > limit


def event_log(user, ticket: Ticket, limit: int | None = None) -> tuple[list[tuple], bool]:
    """(event, sentence) for the ticket page's log, the newest `limit` events (all if None) in chronological
    order, and whether older ones were left out."""
    log, older = _newest(ticket.events.select_related("actor"), limit)
    return _described(user, log), older


def _described(user, log: list[TicketEvent]) -> list[tuple[TicketEvent, str]]:
    """(event, sentence) for each event. A link or merge naming a ticket out of `user`'s sight is told without
    its reference (one query for all of them, whatever the length of the log)."""
    named = {event.data.get(key) for event in log if (key := _EVENTS_NAMING_A_TICKET.get(event.kind))}
    named.discard(None)
    visible = set(tickets_for_user(user).filter(reference__in=named).values_list("reference", flat=True))
    result = []
    for event in log:
        event.reason = events.display_reason(event)  # for display only; events are never saved again
        key = _EVENTS_NAMING_A_TICKET.get(event.kind)
        if key and event.data.get(key) not in visible:
            result.append((event, events.describe_hidden(event)))
        else:
            result.append((event, events.describe(event)))
    return result


# --- catching up: what changed while a page's websocket was away --------------------------------------------
# A page remembers the last event it has seen (TicketEvent ids only grow); after a reconnect it asks for what came
# later. Pushes sent while it was disconnected are lost (channel layers do not keep them), the event log is not.

CATCH_UP_LIMIT = 200


def latest_event_id() -> int:
    return TicketEvent.objects.aggregate(last=Max("id"))["last"] or 0


def changes_by_others(user, ticket: Ticket, after: int) -> QuerySet[TicketEvent]:
    """Events of `ticket` after event `after` that someone else made and that change what its page shows
    (following and links do not); the reply form's collision check and the page's catch-up ask the same."""
    return (
        ticket.events.filter(pk__gt=after)
        .exclude(actor=user)
        .exclude(kind__in=QUIET_KINDS)
        .select_related("actor")
        .order_by("pk")
    )


def ticket_changes_since(user, ticket: Ticket, after: int) -> dict:
    """For the ticket page after a reconnect: what others changed after event `after`, and the next cursor."""
    last = ticket.events.aggregate(last=Max("id"))["last"] or 0
    changes = _described(user, list(changes_by_others(user, ticket, after).filter(pk__lte=last)))
    return {
        "last_event": max(after, last),
        "changes": [{"actor": str(event.actor or ""), "description": sentence} for event, sentence in changes],
    }


def tickets_changed_since(user, after: int, limit: int = CATCH_UP_LIMIT) -> dict:
    """For the ticket list after a reconnect: the references of the tickets `user` may see that changed after event
    `after` (most recently changed first, at most `limit`; `more` when there were others), and the next cursor.
    The cursor is read first: a change committed meanwhile is reported now and perhaps again next time, never
    lost."""
    last = latest_event_id()
    changed = TicketEvent.objects.filter(pk__gt=after).exclude(kind__in=QUIET_KINDS).values("ticket_id")
    references = list(
        tickets_for_user(user)
        .filter(pk__in=changed)
        .order_by("-updated_at", "-id")
        .values_list("reference", flat=True)[: limit + 1]
    )
    return {"last_event": max(after, last), "references": references[:limit], "more": len(references) > limit}


def conversation(ticket: Ticket, limit: int | None = None) -> tuple[list[Entry], bool]:
    """The ticket's entries in chronological order, the newest `limit` of them (all if None), and whether older
    ones were left out; the same number of queries whatever the length."""
    entries = ticket.entries.select_related("author", "outbox_message").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.select_related("file"))
    )
    return _newest(entries, limit)


def show_email_html(entries: list[Entry], load_images_of: int | None) -> bool:
    """Prepare the HTML bodies the ticket page shows (entries without text): each gets `shown_html` with its
    remote images replaced by a placeholder, and `blocked_images`, how many; the entry `load_images_of` (the
    agent asked for its images) keeps them. Returns whether that entry had images to load (the page's
    Content-Security-Policy must then let them in)."""
    from django.templatetags.static import static

    loaded = False
    for entry in entries:
        if entry.visible_text or entry.body_text or not entry.body_html:
            continue
        entry.shown_html, entry.blocked_images = without_remote_images(entry.body_html, static(BLOCKED_IMAGE))
        if entry.pk == load_images_of and entry.blocked_images:
            entry.shown_html, entry.blocked_images, loaded = entry.body_html, 0, True
    return loaded


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


# "recently updated": changed within this many hours
RECENT_HOURS = 24

# the workspace views above the list: (slug, label); "region" is shown to regional administrators only
WORKSPACE_VIEWS = [
    ("mine", gettext_lazy("Moje")),
    ("my_queues", gettext_lazy("Moje kolejki")),
    ("region", gettext_lazy("Moje województwo")),
    ("unassigned", gettext_lazy("Nieprzydzielone")),
    ("overdue", gettext_lazy("Po terminie SLA")),
    ("waiting_customer", gettext_lazy("Czekają na zgłaszającego")),
    ("waiting_region", gettext_lazy("Czekają na województwo")),
    ("recent", gettext_lazy("Ostatnio zmienione")),
    ("followed", gettext_lazy("Obserwowane")),
]

# ?sort= whitelist: slug -> (label, ordering); anything else falls back to "updated"
SORTS = {
    "updated": (gettext_lazy("ostatnia zmiana"), ("-updated_at", "-id")),
    "created": (gettext_lazy("data utworzenia"), ("-created_at", "-id")),
    "priority": (gettext_lazy("priorytet"), ("-priority", "-updated_at", "-id")),
    "sla": (gettext_lazy("termin SLA"), (F("sla_due_at").asc(nulls_last=True), "-updated_at", "-id")),
}
# the ticket list counts (and pages through) at most this many tickets, a search at most this many matches
LIST_COUNT_CAP = 2_000
SEARCH_COUNT_CAP = 250  # five pages: a search is refined rather than paged (and counting matches in scope costs)
LIST_PARAMETERS = ("view", "queue", "status", "assignee", "q", "sort")


@dataclass(frozen=True)
class TicketFilters:
    queue: str = ""  # queue slug
    status: str = ""  # a Status value, "open" for every open status, or "" for all
    assignee: str = ""  # "me", "none", a user id, or ""
    q: str = ""  # words searched in the reference, subject, requester and conversation (tickets.search)
    view: str = ""  # one of WORKSPACE_VIEWS, or ""
    sort: str = "updated"  # one of SORTS

    @classmethod
    def from_query(cls, params) -> TicketFilters:
        values = {name: (params.get(name) or "").strip()[:200] for name in LIST_PARAMETERS}
        if values["view"] not in dict(WORKSPACE_VIEWS):
            values["view"] = ""
        if values["sort"] not in SORTS:
            values["sort"] = "updated"
        return cls(**values)

    def query_string(self) -> str:
        """The filters as a clean query string (what a saved view keeps): only non-default parameters."""
        return urlencode(
            [(name, getattr(self, name)) for name in LIST_PARAMETERS if getattr(self, name) not in ("", "updated")]
        )


def _overdue(now) -> Q:
    """Open tickets with a live SLA clock past its due time or already marked as breached (paused clocks too).

    A running clock past its due time is the ticket's nearest due time being past (`Ticket.sla_due_at`, the
    earliest due time of the live clocks, kept by tickets.sla): answered from the ticket row, with no look at
    the clocks. Only the breached clocks not covered by it (paused ones, which have no due time, and any whose
    due time moved into the future) are looked up, in the partial index `sla_timer_breached_live`: a few
    thousand ids to hash instead of every overdue clock. Two ranges of that index (no due time; due later), each
    its own subquery: one subquery with the OR read the whole index, the running overdue clocks too (55,000 at
    a million tickets, to keep 16,000)."""
    breached = SlaTimer.objects.exclude(state=SlaTimer.State.DONE).filter(breached_at__isnull=False)
    paused = breached.filter(due_at__isnull=True).values("ticket_id")
    due_later = breached.filter(due_at__gte=now).values("ticket_id")
    return Q(sla_due_at__lt=now) | Q(pk__in=paused) | Q(pk__in=due_later)


def workspace_conditions(user, now=None) -> dict[str, Q]:
    """The condition of each workspace view, for the list filter and for the counts alike."""
    now = now or timezone.now()
    is_open = Q(status__in=OPEN_STATUSES)
    conditions = {
        "mine": is_open & Q(assignee=user),
        "my_queues": is_open & Q(queue_id__in=Queue.objects.filter(members=user).values("pk")),
        "unassigned": is_open & Q(assignee__isnull=True),
        "overdue": is_open & _overdue(now),
        "waiting_customer": Q(status=Status.WAITING_CUSTOMER),
        "waiting_region": Q(status=Status.WAITING_REGION),
        "recent": Q(updated_at__gte=now - dt.timedelta(hours=RECENT_HOURS)),
        "followed": Q(pk__in=TicketFollower.objects.filter(user=user).values("ticket_id")),
    }
    if not ticket_access.reads_every_ticket(user):
        # a regional administrator's own voivodeship queues (tickets about their units elsewhere are read-only)
        conditions["region"] = is_open & Q(queue_id__in=ticket_access.queues_of(user).values("pk"))
    return conditions


@contextmanager
def _serial_plans():
    """On PostgreSQL, no parallel workers for the counts: each worker would rebuild the hashed subplans (the live
    SLA clocks of the "overdue" view, the scope's units) that one process builds once; measured at a million
    tickets on a busy 2-core machine: 150 → 60 ms. The setting ends with the transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


# a workspace view's count stops here ("1000+"): an exact count of a broad view is a scan of every open ticket
# in scope (80,000 index entries at a million tickets, half of the list page's database time), a capped one
# reads at most this many entries of an index
VIEW_COUNT_CAP = 1_000


def workspace_views(user, now=None) -> list[dict]:
    """The workspace views the user has, each with its count (at most VIEW_COUNT_CAP; `capped` when it reached
    it), in one query whatever the number of views or tickets.

    Someone who reads every ticket: one capped count per view (`_capped_count`), each a LIMIT over the tickets
    (the open ones for every view but "recent") read from the partial index `ticket_open_counts_sla`: a count
    of every open ticket of the country would read 80,000 index entries at a million tickets.
    A regional administrator: every view but "recent" counted in one pass over the open tickets of their scope,
    read part by part (tickets.ticket_access.readable_parts) from `ticket_open_by_queue` and
    `ticket_open_by_unit`: 10,000 index entries read once for a voivodeship at a million tickets, where a capped
    count per view tested the scope on up to every open ticket of the country, once per view."""
    now = now or timezone.now()
    conditions = workspace_conditions(user, now)
    if ticket_access.reads_every_ticket(user):
        sql, params = _counts_per_view(user, conditions)
    else:
        sql, params = _counts_in_one_pass(user, conditions)
    with _serial_plans(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = dict(zip(conditions, cursor.fetchone(), strict=True))
    counts = {slug: min(count or 0, VIEW_COUNT_CAP) for slug, count in found.items()}
    return [
        {"slug": slug, "label": label, "count": counts[slug], "capped": counts[slug] >= VIEW_COUNT_CAP}
        for slug, label in WORKSPACE_VIEWS
        if slug in counts
    ]


def _counts_per_view(user, conditions: dict[str, Q]) -> tuple[str, list[Any]]:
    """SQL with the capped count of each view in the order of `conditions`."""
    # the scope and its open tickets built once, each view's condition added to a copy: the same SQL as building
    # every view from the start, with ~20 % less CPU (a list page asks on every request)
    scope = tickets_for_user(user)
    open_scope = scope.filter(status__in=OPEN_STATUSES)
    selects: list[str] = []
    params: list[Any] = []
    for slug, condition in conditions.items():
        tickets = (scope if slug == "recent" else open_scope).filter(condition)
        sql, part_params = _capped_count(tickets, VIEW_COUNT_CAP)
        selects.append(f"({sql})")
        params.extend(part_params)
    return "SELECT " + ", ".join(selects), params


# the columns of a ticket the open views' conditions test (workspace_conditions): what each part of a regional
# administrator's scope hands to their one count, all of them in the partial indexes the parts are read from
# (`ticket_open_by_queue`, `ticket_open_by_unit`), so neither part reads a ticket row
_COUNTED_COLUMNS = ("id", "status", "assignee_id", "queue_id", "sla_due_at")


def _counts_in_one_pass(user, conditions: dict[str, Q]) -> tuple[str, list[Any]]:
    """SQL with the count of each view in the order of `conditions`: "recent" capped (`_capped_count`), the
    others counted in one aggregate over the open tickets of the parts of the scope (each part read from its own
    index, then the rows of both put together: the views' conditions, and the subqueries they hash — the breached
    clocks of the whole country for "overdue" — are then built once, not once per part; 3 ms less database time
    and 2 ms less CPU per list page at a million tickets). The aggregate is compiled over the ticket table and
    reads the parts' rows under the table's own name, so each condition is Django's SQL for it, unchanged.
    (The list is open only to staff whose scope holds a voivodeship: there is at least one part.)"""
    rows: list[str] = []
    params: list[Any] = []
    for part in ticket_access.readable_parts(user):
        part_sql, part_params = (
            part.filter(status__in=OPEN_STATUSES).order_by().values(*_COUNTED_COLUMNS).query.sql_with_params()
        )
        rows.append(part_sql)
        params.extend(part_params)
    query = Ticket.objects.order_by().query.chain()
    query.clear_select_clause()
    for slug in conditions:
        if slug != "recent":
            query.add_annotation(Count("pk", filter=conditions[slug]), slug)
    counts_sql, counts_params = query.sql_with_params()
    table = f" FROM {connection.ops.quote_name(Ticket._meta.db_table)}"
    if not counts_sql.endswith(table) or counts_sql.count(table) != 1:  # a condition reading the table itself
        raise ValueError(f"The view counts are not one aggregate over the ticket table: {counts_sql}")
    union = " UNION ALL ".join(rows)
    counts_sql = f"{counts_sql[: -len(table)]} FROM ({union}) AS {connection.ops.quote_name(Ticket._meta.db_table)}"
    recent_sql, recent_params = _capped_count(tickets_for_user(user).filter(conditions["recent"]), VIEW_COUNT_CAP)
    columns = [
        f"({recent_sql})" if slug == "recent" else f"counted.{connection.ops.quote_name(slug)}" for slug in conditions
    ]
    sql = f"SELECT {', '.join(columns)} FROM ({counts_sql}) AS counted"  # noqa: S608 (Django's SQL)
    return sql, [*recent_params, *counts_params, *params]


def _capped_count(tickets: QuerySet[Ticket], cap: int) -> tuple[str, list[Any]]:
    """SQL counting at most `cap` of `tickets`: a LIMIT, so a broad view stops at `cap` index entries."""
    sql, params = tickets.values("pk")[:cap].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) AS capped", list(params)  # noqa: S608 (Django's SQL, its params)


def list_tickets(user, filters: TicketFilters) -> QuerySet[Ticket]:
    """The ticket list: scoped, filtered, sorted by a whitelisted key, with everything a row shows joined in."""
    tickets = tickets_for_user(user)
    if filters.view:
        condition = workspace_conditions(user).get(filters.view)
        tickets = tickets.filter(condition) if condition is not None else tickets.none()
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
    elif (assignee := inputs.ascii_int(filters.assignee)) is not None:
        tickets = tickets.filter(assignee_id=assignee)
    if filters.q:
        # every word in the reference, subject, requester or any entry of the conversation (tickets.search)
        words = search.parse(filters.q)
        tickets = tickets.filter(pk__in=search.matching_ids(words)) if words else tickets.none()
    live_timers = Prefetch("sla_timers", queryset=SlaTimer.objects.exclude(state=SlaTimer.State.DONE).only(*_SLA_CELL))
    return (
        tickets.select_related("queue__calendar", "assignee", "reporting_unit", "category")
        .prefetch_related(live_timers)
        .order_by(*SORTS.get(filters.sort, SORTS["updated"])[1])
    )


# what the SLA cell of a list row reads of a live clock (tickets.sla.nearest and describe)
_SLA_CELL = ("ticket_id", "kind", "state", "due_at", "target_seconds", "consumed_seconds", "breached_at", "warned_at")
# what a row of the list page shows (templates/tickets/list.html): the queue's calendar whole (its schedule is
# compiled from it), of the agent what their name is made of
_LIST_ROW = (
    "reference", "subject", "status", "priority", "channel", "requester_name", "requester_email", "updated_at",
    "queue__name", *(f"queue__calendar__{field.name}" for field in BusinessCalendar._meta.concrete_fields),
    "assignee__username", "assignee__first_name", "assignee__last_name", "reporting_unit__name",
)  # fmt: skip


def list_page_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`list_tickets` narrowed to the columns the list page shows: a page of 50 rows built from every column of the
    ticket, its queue, agent and unit (the agent's password hash and working hours, the unit's identifiers and
    address, the ticket's identification) cost ~2 ms more CPU for nothing (the API serialises more of them)."""
    return tickets.select_related(None).select_related("queue__calendar", "assignee", "reporting_unit").only(*_LIST_ROW)


def searchable(q: str) -> bool:
    """Whether the search box holds at least one word to look for (not only punctuation or stop words)."""
    return bool(search.parse(q))


def ticket_by_reference(user, q: str) -> Ticket | None:
    """The ticket whose reference was typed alone in the search box, if `user` may see it (else None, as if
    it did not exist: the search then runs and finds nothing out of scope either)."""
    reference = search.reference_in(q)
    if not reference:
        return None
    return tickets_for_user(user).filter(reference=reference).only("pk", "reference").first()


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` rows: counting every match of a broad filter over a million
    tickets costs more than the page itself, and nobody pages past the first thousands (`capped` tells the
    template to say "more than")."""

    object_list: QuerySet

    def __init__(self, *args, cap: int = 0, count_order: tuple = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap or LIST_COUNT_CAP
        self.count_order = count_order  # the order the capped count reads rows in (none: the planner's choice)
        self.capped = False

    @cached_property
    def count(self) -> int:
        first = self.object_list.order_by(*self.count_order).values("pk")[: self.cap + 1]
        if self.count_order:  # read in order: no parallel workers (each would read ahead of the LIMIT, see below)
            with _serial_plans():
                counted = first.count()
        else:
            counted = first.count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


def list_paginator(user, filters: TicketFilters, tickets: QuerySet[Ticket], per_page: int) -> CappedPaginator:
    """The ticket list's paginator: a search counts at most SEARCH_COUNT_CAP matches, a list LIST_COUNT_CAP
    tickets. A search by someone who does not read every ticket (a regional administrator) counts its matches in
    recency order: with no order PostgreSQL merged the tickets and their search documents in id order, reading
    from the oldest ticket every document until 251 in scope matched (~6,000 documents for a voivodeship with
    14 % of a million tickets); in recency order it reads `ticket_recent` alone, testing the scope in the columns
    the index carries (migration 0017), and opens only the documents of tickets in scope (~800), the newest,
    which the page reads next (raw SQL at a million tickets on a busy machine, fastest of 5: 9-37 -> 3-19 ms
    by query). Someone who reads every ticket has no scope to skip: the merge stays cheaper for them (1.4
    against 6.4 ms). The ordered count runs without parallel workers (`_serial_plans`): PostgreSQL planned a
    Gather Merge whose two workers each built the scope's hashed units and read ahead of the LIMIT (1,850
    documents opened instead of ~800; 29 ms on a busy 2-core machine)."""
    searched_in_scope = bool(filters.q) and not ticket_access.reads_every_ticket(user)
    return CappedPaginator(
        tickets,
        per_page=per_page,
        cap=SEARCH_COUNT_CAP if filters.q else LIST_COUNT_CAP,
        count_order=SORTS["updated"][1] if searched_in_scope else (),
    )


def saved_views_for_user(user) -> QuerySet[SavedView]:
    """A user's own saved views; nobody sees another user's."""
    return SavedView.objects.filter(user=user)


def saved_view_for_user(user, pk: int) -> SavedView:
    view = saved_views_for_user(user).filter(pk=pk).first()
    if view is None:
        raise access.not_found()
    return view


def canned_responses() -> QuerySet[CannedResponse]:
    """The active reply templates (shared by the whole desk; the text is rendered per ticket in tickets.canned)."""
    return CannedResponse.objects.filter(is_active=True).only("pk", "title")


def canned_response(pk) -> CannedResponse:
    number = inputs.ascii_int(pk)
    response = CannedResponse.objects.filter(is_active=True, pk=number).first() if number is not None else None
    if response is None:
        raise access.not_found()
    return response


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
    for open_item in breached:
        key = (open_item["ticket__queue__name"], open_item["kind"])
        rows.setdefault(key, {"finished": 0, "met": 0, "breached_open": 0})["breached_open"] = open_item["total"]
    return [
        SlaReportRow(queue=queue, kind=str(SlaTimer.Kind(kind).label), **values)
        for (queue, kind), values in sorted(rows.items())
    ]
