"""Which ticket a message belongs to.

1. In-Reply-To / References against every Message-ID the helpdesk received or sent.
2. The ticket reference in the subject, but only when the sender already takes part in that ticket;
   otherwise the message opens a new ticket linked to the old one (nobody posts into a stranger's ticket).
3. Otherwise a new ticket.
Reply and forward prefixes never matter: the reference is searched anywhere in the subject.
A ticket merged into another (tickets.actions.merge_tickets) hands its thread on: a message found by the merged
ticket's Message-IDs or reference lands in the ticket it was merged into, and the merged ticket's requester
takes part there.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings

from inbox_ingest.models import SentMessage
from inbox_ingest.parsing import ParsedMessage
from tickets.models import Entry, Ticket
from tickets.selectors import final_ticket


@dataclass(frozen=True)
class Thread:
    ticket: Ticket | None  # the ticket to append to
    related: Ticket | None = None  # the ticket named in the subject that the sender does not take part in
    how: str = ""


def reference_pattern() -> re.Pattern:
    return re.compile(rf"\b{re.escape(settings.TICKET_REFERENCE_PREFIX)}-(\d{{4}}-\d{{6}})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Known:
    """A Message-ID we received or sent: the ticket it is on, that ticket's status and whether it was merged."""

    ticket_id: int
    status: str
    merged: bool


def known_message_ids(message_ids: Collection[str]) -> dict[str, Known]:
    """Every one of `message_ids` that an entry or a sent message has, with its ticket (a sent one wins), in
    two queries for any number of them (a batch looks up all its messages' at once)."""
    known: dict[str, Known] = {}
    if not message_ids:
        return known
    for model in (Entry, SentMessage):
        found = model.objects.filter(message_id__in=list(message_ids)).values_list(
            "message_id", "ticket_id", "ticket__status", "ticket__merged_into_id"
        )
        for message_id, ticket_id, status, merged_into in found:
            known[message_id] = Known(ticket_id, status, merged_into is not None)
    return known


def first_known(message_ids: tuple[str, ...], known: dict[str, Known]) -> Known | None:
    """The ticket of the most specific of `message_ids` we know (In-Reply-To first, then the newest reference)."""
    for message_id in message_ids:
        if message_id in known:
            return known[message_id]
    return None


def by_message_ids(message_ids: tuple[str, ...]) -> Ticket | None:
    found = first_known(message_ids, known_message_ids(message_ids))
    if found is None:
        return None
    return final_ticket(Ticket.objects.select_related("queue").get(pk=found.ticket_id))


def takes_part(ticket: Ticket, address: str) -> bool:
    """The requester, anyone who wrote in the ticket, or anyone our messages went to or copied."""
    address = (address or "").lower()
    if not address:
        return False
    if ticket.requester_email.lower() == address:
        return True
    if Ticket.objects.filter(merged_into=ticket, requester_email__iexact=address).exists():
        return True
    if ticket.entries.filter(sender_email__iexact=address).exists():
        return True
    for to, cc in ticket.entries.values_list("to", "cc"):
        if address in {a.lower() for a in (to or []) + (cc or [])}:
            return True
    return False


def find_thread(parsed: ParsedMessage, *, extra_ids: tuple[str, ...] = ()) -> Thread:
    ticket = by_message_ids(tuple(dict.fromkeys((*extra_ids, *parsed.thread_ids))))
    if ticket is not None:
        return Thread(ticket, how="headers")
    match = reference_pattern().search(parsed.subject or "")
    if match:
        reference = f"{settings.TICKET_REFERENCE_PREFIX}-{match.group(1)}"  # as stored: the unique index finds it
        named = Ticket.objects.select_related("queue").filter(reference=reference).first()
        if named is not None:
            named = final_ticket(named)
            if takes_part(named, parsed.from_email):
                return Thread(named, how="subject")
            return Thread(None, related=named, how="subject-stranger")
    return Thread(None)
