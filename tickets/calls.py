"""Reading for the phone desk: who is calling (known people and units by number), units by identifier or
name, and the caller's open tickets. All scoped through the same selectors as every page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from contacts.identifiers import normalize_phone, normalize_regon
from contacts.models import Person, ReportingUnit
from contacts.selectors import people_for_user, units_for_user
from helpdesk import inputs
from tickets.models import OPEN_STATUSES, Ticket
from tickets.selectors import tickets_for_user


@dataclass
class CallerCard:
    number: str = ""
    error: str = ""
    people: list[Person] = field(default_factory=list)
    units: list[ReportingUnit] = field(default_factory=list)
    open_tickets: list[Ticket] = field(default_factory=list)


def caller_card(user, raw_number: str) -> CallerCard:
    """Everything the agent should see when `raw_number` calls; an unknown number gives an empty card."""
    if not raw_number.strip():
        return CallerCard()
    try:
        number = normalize_phone(raw_number)
    except ValidationError as exc:
        return CallerCard(error=" ".join(exc.messages))
    people = list(people_for_user(user).filter(phones__number=number).distinct().prefetch_related("emails")[:10])
    units = list(units_for_user(user).filter(people__in=people).select_related("voivodeship").distinct()[:10])
    # tickets are scoped on their own: a ticket the user may see is found even when its requester is not shown
    callers = Person.objects.filter(phones__number=number).values("pk")
    tickets = (
        tickets_for_user(user)
        .filter(Q(requester_phone=number) | Q(requester__in=callers) | Q(reporting_unit__in=units))
        .filter(status__in=OPEN_STATUSES)
        .select_related("queue")
        .order_by("-updated_at")[:10]
    )
    return CallerCard(number=number, people=people, units=units, open_tickets=list(tickets))


def search_units(user, query: str, limit: int = 10) -> list[ReportingUnit]:
    """Units by REGON, NIP or RPWDL number (digits typed with or without separators) or by name."""
    query = query.strip()
    if len(query) < 2:
        return []
    digits = inputs.ascii_digits_in(query)
    units = units_for_user(user).select_related("voivodeship")
    if digits and len(digits) >= 5 and len(digits) >= len(query.replace(" ", "").replace("-", "")) - 2:
        match = Q(regon__startswith=digits) | Q(nip__startswith=digits) | Q(rpwdl__endswith=digits)
    else:
        match = Q(name__icontains=query)
    return list(units.filter(match).order_by("name")[:limit])


def regon_problem(query: str) -> str:
    """What is wrong with a query that looks like a REGON (9 or 14 digits, separators allowed) but has a wrong
    check digit, in the words of the public status lookup; empty for anything else (names, NIP, RPWDL)."""
    compact = re.sub(r"[\s\-./]", "", query)
    if not inputs.is_ascii_digits(compact) or len(compact) not in (9, 14):
        return ""
    try:
        normalize_regon(compact)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


@dataclass
class UnitSuggestions:
    units: list[ReportingUnit]
    warning: str = ""


def unit_suggestions(user, query: str) -> UnitSuggestions:
    """Units the agent may pick while typing; when none match a REGON-like query, say if its check digit is
    wrong (a typo, rather than a unit the desk does not know)."""
    units = search_units(user, query)
    return UnitSuggestions(units=units, warning="" if units else regon_problem(query))
