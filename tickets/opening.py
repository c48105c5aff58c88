"""Opening tickets: the only way a ticket comes to be (`open_tickets`; one ticket is a list of one).

Deciding and writing are apart. The facts are looked up once per batch (identification of every requester at
once, the routing rules compiled once, queues, categories, SLA policies, deadlines and notice recipients once per
distinct value), each ticket is decided in memory (`_decide`), and one writer writes the lot: a block of
references, multi-row INSERTs for tickets, entries, attachments, events, SLA timers and outbox rows. The
queue's assignment is carried from one ticket to the next in memory (assignment.BatchAssigner), so a batch
assigns as the same tickets opened one by one would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.identify import Identification, identify, identify_many
from helpdesk import outbox
from helpdesk.speed import bulk
from tickets import assignment, checks, deadlines, events, files, notifying, rules, search, sla, ticket_access
from tickets.entries import new_entry
from tickets.models import Category, Entry, Priority, Queue, Ticket
from tickets.references import next_references
from tickets.requests import NewTicket, Sender
from tickets.text_facts import TextFacts, facts_for

if TYPE_CHECKING:
    import datetime

    from contacts.models import FormDeadline, Person, ReportingUnit
    from helpdesk import access
    from helpdesk.models import User
    from tickets.models import SlaPolicy


@dataclass
class _Decided:
    """One request decided: the unsaved ticket and first entry, and what the event log says about them."""

    request: NewTicket
    ticket: Ticket
    entry: Entry
    text: TextFacts
    found: Identification | None = None  # when the unit was identified (not given)
    decision: rules.Decision | None = None
    near: list = field(default_factory=list)
    assigned_reason: str = ""


class _Facts:
    """What deciding needs from the database, read once per batch and value."""

    def __init__(self) -> None:
        self.assigner = assignment.BatchAssigner()
        self._queues: dict[int, Queue] = {}
        self._decided: dict[tuple, Queue | None] = {}
        self._categories: dict[str, Category | None] = {}
        self._policies: dict[tuple[int, int, int | None], SlaPolicy | None] = {}
        self._near: dict[tuple[int | None, datetime.date], list[FormDeadline]] = {}
        self._admins: dict[str, list[User]] = {}
        self._users: dict[int, User | None] = {}
        self._rules: list | None = None
        self._default: Queue | None = None

    def queue(self, queue: Queue) -> Queue:
        """One instance per queue in the batch (its round-robin position is carried on it)."""
        return self._queues.setdefault(queue.pk, queue)

    def default_queue(self) -> Queue:
        if self._default is None:
            self._default = self.queue(checks.default_queue())
        return self._default

    def routing_rules(self) -> list:  # not `rules`: in the class body that name would hide the module
        if self._rules is None:
            self._rules = rules.active_rules()
        return self._rules

    def decided_queue(self, decision: rules.Decision) -> Queue | None:
        key = (decision.voivodeship_queue_of, decision.queue_id)
        if key not in self._decided:
            queue = checks.decided_queue(decision)
            self._decided[key] = self.queue(queue) if queue is not None else None
        return self._decided[key]

    def category(self, slug: str) -> Category | None:
        if slug not in self._categories:
            self._categories[slug] = Category.objects.filter(slug=slug).first()
        return self._categories[slug]

    def near_deadlines(self, codes: frozenset[str], queue: Queue, now: datetime.datetime) -> list[FormDeadline]:
        """deadlines.near_deadlines() of the forms `codes`: every form's deadlines in the window read once per
        calendar and day."""
        if not codes:
            return []
        key = (queue.calendar_id, timezone.localdate(now))
        if key not in self._near:
            self._near[key] = deadlines.near_deadlines(None, queue.calendar, now)
        return [deadline for deadline in self._near[key] if deadline.form.code in codes]

    def policy(self, ticket: Ticket) -> SlaPolicy | None:
        key = (ticket.queue_id, ticket.priority, ticket.category_id)
        if key not in self._policies:
            self._policies[key] = sla.policy_for(ticket)
        return self._policies[key]

    def admins_to_notify(self, code: str) -> list[User]:
        if code not in self._admins:
            self._admins[code] = notifying.admins_to_notify(code)
        return self._admins[code]

    def rule_assignee(self, user_id: int, queue: Queue) -> User | None:
        """The assignee a routing rule names, if they may work on the queue's tickets (else None)."""
        if user_id not in self._users:
            self._users[user_id] = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        assignee = self._users[user_id]
        return assignee if assignee is not None and ticket_access.may_be_assigned(assignee, queue) else None


def _identify_all(requests: Sequence[NewTicket], texts: Sequence[TextFacts]) -> list[Identification | None]:
    """The identification of each request without a known unit (None for the others), in one go: the sender
    and the numbers in the text; a phone number (rare in a batch) is asked one by one."""
    found: list[Identification | None] = [None] * len(requests)
    by_text = []
    for index, (request, text) in enumerate(zip(requests, texts, strict=True)):
        if request.requester.unit is not None:
            continue
        email = request.requester.email
        if request.requester.phone:
            found[index] = identify(sender_email=email, phone=request.requester.phone, numbers=text.numbers)
        else:
            by_text.append((index, (email, text.numbers)))
    for (index, _pair), result in zip(by_text, identify_many([pair for _i, pair in by_text]), strict=True):
        found[index] = result
    return found


def _route(
    request: NewTicket, unit: ReportingUnit | None, text: TextFacts, now: datetime.datetime, facts: _Facts
) -> tuple[Queue, Category | None, int, rules.Decision | None]:
    """(queue, category, priority, decision): the request's own queue, or what the routing rules decide (the
    fallback queue beats the generic "unidentified → triage"; a rule naming a queue beats both)."""
    routing = request.routing
    if routing.queue is not None:
        return facts.queue(routing.queue), routing.category, routing.priority, None
    category = routing.category
    rule_facts = rules.Facts(
        channel=request.channel,
        mailbox=request.email.mailbox,
        sender=request.requester.email,
        unit_voivodeship=unit.voivodeship_id if unit else None,
        category=category.slug if category else "",
        subject=text.text.subject,
        body=request.message.text,
        moment=now,
    )
    decision = rules.evaluate(rule_facts, facts.routing_rules(), text_stems=text.stems, codes=text.form_codes)
    queue = facts.decided_queue(decision)
    if routing.fallback_queue is not None and (queue is None or queue.kind == Queue.Kind.TRIAGE):
        queue = facts.queue(routing.fallback_queue)
        decision.steps.append(
            {"rule_name": _("kolejka skrzynki %(mailbox)s") % {"mailbox": request.email.mailbox or "—"}}
        )
    queue = queue or facts.default_queue()
    if decision.category and decision.category != rule_facts.category:
        category = facts.category(decision.category) or category
    return queue, category, decision.priority or routing.priority, decision


def _name(request: NewTicket, person: Person | None) -> str:
    """The requester's name on the ticket: as given, else the contact person's."""
    return request.requester.name or (person.name if person is not None else "")


def _decide(
    request: NewTicket,
    found: Identification | None,
    actor: access.Actor,
    facts: _Facts,
    now: datetime.datetime,
    text: TextFacts,
) -> _Decided:
    """The ticket and its first entry, unsaved and without a reference, with the assignee chosen. `text`: the
    facts of the request's text (computed again here if the identified person gives the requester a name)."""
    subject = text.text.subject
    requester = request.requester
    unit, person = requester.unit, requester.person
    if found is not None:
        unit, person = found.unit, person or found.person
    name = _name(request, person)
    if name[:200] != text.text.name:
        text = facts_for(request, name=name, actor=actor)
    queue, category, priority, decision = _route(request, unit, text, now, facts)
    checks.check_can_work(actor, queue)
    near = facts.near_deadlines(text.form_codes, queue, now)
    if near and priority < Priority.HIGH:
        priority = Priority.HIGH
    ticket = Ticket(
        subject=subject,
        channel=request.channel,
        queue=queue,
        priority=priority,
        category=category,
        requester=person,
        requester_name=name[:200],
        requester_email=(requester.email or "").strip().lower(),
        requester_phone=requester.phone,
        reporting_unit=unit,
        related_to=request.routing.related_to,
        created_at=now,
        updated_at=now,
        tags=decision.tags if decision else [],
        identification=found.state if found else "identified",
        unit_candidates=[candidate.pk for candidate in found.candidates] if found else [],
    )
    entry = new_entry(
        ticket,
        actor,
        kind=request.entry_kind,
        subject=subject,
        message=request.message,
        sender=Sender(name=text.text.sender_name, email=text.text.sender_email),
        email=request.email,
        call=request.call,
        created_at=now,
        safe_html=text.html,
    )
    decided = _Decided(request, ticket, entry, text, found, decision, near)
    _assign(decided, facts, now)
    return decided


def _assign(decided: _Decided, facts: _Facts, now: datetime.datetime) -> None:
    """A rule's assignee, or the queue's assignment mode; someone who cannot see the queue is skipped."""
    ticket, decision = decided.ticket, decided.decision
    assignee, reason = None, events.REASON_QUEUE_MODE
    if decision is not None and decision.assign_to_id:
        assignee = facts.rule_assignee(decision.assign_to_id, ticket.queue)
        reason = events.REASON_ROUTING
    if assignee is None:
        assignee = facts.assigner.pick(ticket.queue, now)
    if assignee is None and decision is not None and decision.auto_assign:
        assignee = facts.assigner.pick(ticket.queue, now, least_open=True)
    if assignee is not None:
        ticket.assignee = assignee
        decided.assigned_reason = reason
        facts.assigner.took(ticket.queue, assignee)


@transaction.atomic
def open_tickets(requests: Sequence[NewTicket], *, actor: access.Actor) -> list[Ticket]:
    """Open a ticket with its first entry for each request, in order; `actor` is the member of staff who opens
    them (e.g. a logged call), None for the system (e-mail, the contact form). Returns the new tickets.

    Without a known unit the requester is identified (contacts.identify); without a queue the routing rules
    choose queue, category, priority, tags and assignee, logged with the rules that decided; the queue's
    assignment mode and SLA clocks apply; a form deadline near raises the priority. After commit: canned
    replies of the rules, the regional administrators' notices and the live pushes.

    What is read in each request's text (tickets.text_facts: stems and form codes for routing and deadlines,
    identifiers, sanitised HTML, search tokens) is the request's `facts` when they were computed for the very
    text written here, else computed here."""
    if not requests:
        return []
    now = timezone.now()
    facts = _Facts()
    texts = []
    for request in requests:
        checks.check_choices(request.channel, request.routing.priority, request.entry_kind)
        texts.append(facts_for(request, name=_name(request, request.requester.person), actor=actor))
    found = _identify_all(requests, texts)
    decided = [
        _decide(request, guess, actor, facts, now, text)
        for request, guess, text in zip(requests, found, texts, strict=True)
    ]
    _write(decided, actor, facts, now)
    return [item.ticket for item in decided]


def _write(decided: list[_Decided], actor: access.Actor, facts: _Facts, now: datetime.datetime) -> None:
    tickets = [item.ticket for item in decided]
    timers = []  # computed before the tickets are written: they carry the nearest due time (sla_due_at)
    for ticket in tickets:
        timers += sla.timers_for_new(ticket, now, facts.policy(ticket))
    years: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        years.setdefault(timezone.localdate(ticket.created_at).year, []).append(ticket)
    for year, group in years.items():
        for ticket, reference in zip(group, next_references(year, len(group)), strict=True):
            ticket.reference = reference
    bulk.create(tickets)
    for item in decided:
        item.entry.ticket = item.ticket
    bulk.create([item.entry for item in decided])
    search.add_many(  # the tokens of search.ticket_texts() and search.entry_text(), the latter two from the facts
        (
            item.ticket.pk,
            search.document_tokens(item.ticket.reference) | item.text.requester_tokens | item.text.entry_tokens,
        )
        for item in decided
    )
    files.write_attachments((item.entry, item.request.message.attachments) for item in decided)
    with events.collected(), outbox.collected():
        for item in decided:
            _log_and_tell(item, actor, facts)
        bulk.create(timers, ids=False)
    facts.assigner.remember()


def _log_and_tell(item: _Decided, actor: access.Actor, facts: _Facts) -> None:
    ticket, decision = item.ticket, item.decision
    events.ticket_opened(ticket, actor)
    if item.found is not None:
        events.identified(ticket, actor, item.found.method, item.found.unit, item.found.candidates)
    if decision is not None:
        events.routed(ticket, actor, decision.steps)
    if item.near:
        events.deadline_near(ticket, item.near)
    events.entry_added(ticket, actor, item.entry)
    if ticket.assignee_id:
        events.assigned(ticket, None, None, ticket.assignee, item.assigned_reason)
    if decision is not None and ticket.requester_email:
        for reply_subject, reply_body in decision.replies:
            notifying.send_canned_reply(ticket, item.entry, reply_subject, reply_body)
    if ticket.queue.voivodeship_id:
        notifying.notify_regional_admins(ticket, facts.admins_to_notify(ticket.queue.voivodeship_id))
    notifying.announce(ticket, "opened", actor)
