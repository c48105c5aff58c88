"""The ticket event log: one function per event type, called only from tickets.actions.

Rows are appended, never changed: the log answers "who did what, when, and why".
"""

from __future__ import annotations

from django.utils import timezone

from tickets.models import Entry, Ticket, TicketEvent


def _log(ticket: Ticket, actor, kind: str, data: dict | None = None, reason: str = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, data=data or {}, reason=reason[:500], created_at=timezone.now()
    )


def ticket_opened(ticket: Ticket, actor) -> TicketEvent:
    return _log(ticket, actor, "opened", {"channel": ticket.channel, "queue": ticket.queue.slug})


def entry_added(ticket: Ticket, actor, entry: Entry) -> TicketEvent:
    return _log(ticket, actor, "entry_added", {"entry": entry.pk, "entry_kind": entry.kind})


def status_changed(ticket: Ticket, actor, old: str, new: str, reason: str = "") -> TicketEvent:
    return _log(ticket, actor, "status_changed", {"from": old, "to": new}, reason)


def priority_changed(ticket: Ticket, actor, old: int, new: int, reason: str = "") -> TicketEvent:
    return _log(ticket, actor, "priority_changed", {"from": old, "to": new}, reason)


def assigned(ticket: Ticket, actor, old, new, reason: str = "") -> TicketEvent:
    data = {
        "from": old.pk if old else None,
        "to": new.pk if new else None,
        "from_name": str(old) if old else "",
        "to_name": str(new) if new else "",
    }
    return _log(ticket, actor, "assigned", data, reason)


def queue_changed(ticket: Ticket, actor, old_slug: str, new_slug: str, reason: str = "") -> TicketEvent:
    return _log(ticket, actor, "queue_changed", {"from": old_slug, "to": new_slug}, reason)


def describe(event: TicketEvent) -> str:
    """A Polish sentence for the event log on the ticket page."""
    data = event.data
    match event.kind:
        case "opened":
            return f"Utworzono zgłoszenie (kanał: {data.get('channel')}, kolejka: {data.get('queue')})"
        case "entry_added":
            return f"Dodano wpis: {Entry.Kind(data['entry_kind']).label}"
        case "status_changed":
            from tickets.models import Status

            return f"Status: {Status(data['from']).label} → {Status(data['to']).label}"
        case "priority_changed":
            from tickets.models import Priority

            return f"Priorytet: {Priority(data['from']).label} → {Priority(data['to']).label}"
        case "assigned":
            if data.get("to"):
                return f"Przydzielono: {data.get('to_name')}"
            return f"Cofnięto przydział ({data.get('from_name')})"
        case "queue_changed":
            return f"Przeniesiono z kolejki {data.get('from')} do {data.get('to')}"
    return event.kind
