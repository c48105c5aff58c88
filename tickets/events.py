"""The ticket event log: one function per event type, called only from tickets.actions.

Rows are appended, never changed: the log answers "who did what, when, and why".
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tickets.models import Channel, Entry, Priority, Queue, Status, Ticket, TicketEvent

# Reasons the system gives itself. They are stored in Polish like the rest of the log and translated only when
# shown (`display_reason`), so the log does not depend on the language of whoever caused the change.
REASON_REPLY_SENT = gettext_noop("odpowiedź wysłana")
REASON_REQUESTER_WROTE = gettext_noop("nowa wiadomość od zgłaszającego")
REASON_ASSIGNEE_LOST_SIGHT = gettext_noop("przydzielony nie widzi nowej kolejki")
SYSTEM_REASONS = frozenset({REASON_REPLY_SENT, REASON_REQUESTER_WROTE, REASON_ASSIGNEE_LOST_SIGHT})


def _log(ticket: Ticket, actor, kind: str, data: dict | None = None, reason: str = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, data=data or {}, reason=reason[:500], created_at=timezone.now()
    )


def ticket_opened(ticket: Ticket, actor) -> TicketEvent:
    data = {"channel": ticket.channel, "queue": ticket.queue.slug, "queue_name": ticket.queue.name}
    if ticket.related_to_id:
        data["related_to"] = ticket.related_to.reference
    return _log(ticket, actor, "opened", data)


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


def queue_changed(ticket: Ticket, actor, old: Queue, new: Queue, reason: str = "") -> TicketEvent:
    data = {"from": old.slug, "to": new.slug, "from_name": old.name, "to_name": new.name}
    return _log(ticket, actor, "queue_changed", data, reason)


def describe(event: TicketEvent) -> str:
    """A sentence for the event log on the ticket page, in the active language."""
    data = event.data
    match event.kind:
        case "opened" if data.get("related_to"):
            return _("Utworzono zgłoszenie powiązane z %(reference)s (kanał: %(channel)s)") % {
                "reference": data["related_to"],
                "channel": data.get("channel"),
            }
        case "opened":
            return _("Utworzono zgłoszenie (kanał: %(channel)s, kolejka: %(queue)s)") % {
                "channel": Channel(data["channel"]).label
                if data.get("channel") in Channel.values
                else data.get("channel"),
                "queue": data.get("queue_name") or data.get("queue"),
            }
        case "entry_added":
            return _("Dodano wpis: %(kind)s") % {"kind": Entry.Kind(data["entry_kind"]).label}
        case "status_changed":
            return _("Status: %(old)s → %(new)s") % {"old": Status(data["from"]).label, "new": Status(data["to"]).label}
        case "priority_changed":
            return _("Priorytet: %(old)s → %(new)s") % {
                "old": Priority(data["from"]).label,
                "new": Priority(data["to"]).label,
            }
        case "assigned":
            if data.get("to"):
                return _("Przydzielono: %(name)s") % {"name": data.get("to_name")}
            return _("Cofnięto przydział (%(name)s)") % {"name": data.get("from_name")}
        case "queue_changed":
            return _("Przeniesiono z kolejki %(old)s do %(new)s") % {
                "old": data.get("from_name") or data.get("from"),
                "new": data.get("to_name") or data.get("to"),
            }
    return event.kind


def display_reason(event: TicketEvent) -> str:
    """The event's reason as shown: a system reason in the reader's language, a person's reason as typed."""
    return _(event.reason) if event.reason in SYSTEM_REASONS else event.reason
