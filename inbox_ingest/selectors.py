"""Reading the e-mail channel's rows, scoped like tickets.

Who sees the quarantine: every member of staff who works on tickets (agents, regional administrators,
admins) and supervisors, each for the mailboxes whose default queue is theirs (tickets.ticket_access.queues_of).
A mailbox feeding a voivodeship's queue is that voivodeship's; a mailbox feeding the central desk or triage
(and messages ingested from files, which go to the default queue) belongs to the central desk, so only staff
who see every voivodeship see it. A regional administrator never sees another voivodeship's quarantined mail.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from helpdesk import access
from inbox_ingest.models import FailingAddress, Mailbox, RawMessage
from tickets import ticket_access
from tickets.models import Entry, Ticket


def raw_messages_for_user(user) -> QuerySet[RawMessage]:
    if ticket_access.reads_every_ticket(user):
        return RawMessage.objects.all()  # messages of no mailbox (ingested from files) too
    return RawMessage.objects.filter(mailbox__queue__in=ticket_access.queues_of(user))


def quarantine_for_user(user, *, show: str = "quarantined") -> QuerySet[RawMessage]:
    """Quarantined messages (or those set aside: automatic answers and bounces nobody's ticket took)."""
    rows = raw_messages_for_user(user).select_related("mailbox", "ticket").defer("raw")
    if show == "set_aside":
        rows = rows.filter(
            Q(outcome__in=[RawMessage.Outcome.AUTOREPLY, RawMessage.Outcome.BOUNCE], ticket__isnull=True)
            | Q(status=RawMessage.Status.DISCARDED)
        )
    else:
        rows = rows.filter(status=RawMessage.Status.QUARANTINED)
    return rows.order_by("-received_at", "-id")


def raw_message_for_user(user, raw_id: int) -> RawMessage:
    row = raw_messages_for_user(user).select_related("mailbox__queue", "ticket").filter(pk=raw_id).first()
    if row is None:
        raise access.not_found()
    return row


def mailboxes_for_user(user) -> QuerySet[Mailbox]:
    boxes = Mailbox.objects.select_related("queue", "state")
    if ticket_access.reads_every_ticket(user):
        return boxes
    return boxes.filter(queue__in=ticket_access.queues_of(user))


def mail_warnings(ticket: Ticket) -> dict:
    """What the e-mail channel knows that an agent answering should see: addresses of this ticket our mail bounced
    from (FailingAddress), and received messages flagged as over the size limit. Shown on the ticket page by
    `{% mail_warnings_panel ticket %}` (inbox_tags), so the tickets app needs nothing from this one."""
    addresses = {ticket.requester_email.lower()} if ticket.requester_email else set()
    for to, cc in ticket.entries.filter(kind=Entry.Kind.OUTBOUND).values_list("to", "cc"):
        addresses.update(address.lower() for address in [*(to or []), *(cc or [])] if isinstance(address, str))
    failing = list(FailingAddress.objects.filter(email__in=addresses).order_by("email")) if addresses else []
    oversized = list(
        RawMessage.objects.filter(ticket=ticket, oversized=True)
        .order_by("received_at")
        .only("pk", "size", "reason", "subject", "received_at")
    )
    return {"failing_addresses": failing, "oversized_messages": oversized}
