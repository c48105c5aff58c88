"""The ticket event log: one function per event type, called only from tickets.actions.

Rows are appended, never changed: the log answers "who did what, when, and why".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from helpdesk.speed import bulk
from tickets.models import Channel, Entry, Priority, Queue, SlaTimer, Status, Ticket, TicketEvent

# Reasons the system gives itself. They are stored in Polish like the rest of the log and translated only when
# shown (`display_reason`), so the log does not depend on the language of whoever caused the change.
REASON_REPLY_SENT = gettext_noop("odpowiedź wysłana")
REASON_REQUESTER_WROTE = gettext_noop("nowa wiadomość od zgłaszającego")
REASON_ASSIGNEE_LOST_SIGHT = gettext_noop("przydzielony nie widzi nowej kolejki")
REASON_SLA_BREACH = gettext_noop("przekroczony termin SLA")
REASON_ABSENCE = gettext_noop("nieobecność przydzielonej osoby")
REASON_ROUTING = gettext_noop("reguła kierowania")
REASON_QUEUE_MODE = gettext_noop("przydział automatyczny kolejki")
REASON_DEADLINE_NEAR = gettext_noop("zbliża się termin formularza")
REASON_MERGED = gettext_noop("scalone z innym zgłoszeniem")
REASON_RESOLVED_LONG_AGO = gettext_noop("rozwiązane dawno temu: zamknięte automatycznie")
SYSTEM_REASONS = frozenset(
    {
        REASON_DEADLINE_NEAR,
        REASON_REPLY_SENT,
        REASON_REQUESTER_WROTE,
        REASON_ASSIGNEE_LOST_SIGHT,
        REASON_SLA_BREACH,
        REASON_ABSENCE,
        REASON_ROUTING,
        REASON_QUEUE_MODE,
        REASON_MERGED,
    }
)

# Events that say nothing about the ticket's content: they do not make a reply being written stale
# (tickets.forms.ReplyForm) and are not pushed to the pages open on the ticket.
QUIET_KINDS = frozenset({"followed", "unfollowed", "linked", "unlinked"})


_collecting: ContextVar[list[TicketEvent] | None] = ContextVar("tickets_events_collecting", default=None)


@contextmanager
def collected() -> Iterator[list[TicketEvent]]:
    """Events logged inside the block are kept in order and written with one multi-row INSERT when it ends
    without an error (tickets.opening, tickets.entries). Must run inside the caller's transaction."""
    outer = _collecting.get()
    if outer is not None:  # inside another collecting block: its rows, written when it ends
        yield outer
        return
    rows: list[TicketEvent] = []
    token = _collecting.set(rows)
    try:
        yield rows
    finally:
        _collecting.reset(token)
    bulk.create(rows, ids=False)  # nobody refers to a batch's events afterwards


def _log(ticket: Ticket, actor, kind: str, data: dict | None = None, reason: str = "") -> TicketEvent:
    event = TicketEvent(
        ticket=ticket, actor=actor, kind=kind, data=data or {}, reason=reason[:500], created_at=timezone.now()
    )
    rows = _collecting.get()
    if rows is not None:
        rows.append(event)
    else:
        event.save(force_insert=True)
    return event


def ticket_opened(ticket: Ticket, actor) -> TicketEvent:
    data = {"channel": ticket.channel, "queue": ticket.queue.slug, "queue_name": ticket.queue.name}
    if ticket.related_to_id:
        data["related_to"] = ticket.related_to.reference
    return _log(ticket, actor, "opened", data)


def entry_added(ticket: Ticket, actor, entry: Entry, *, via: str = "", automatic: bool = False) -> TicketEvent:
    """`via="email"`: staff wrote it from their mailbox (an answer to a notice); `automatic`: an out-of-office
    answer or another automatic message (it reopens nothing and is news to nobody)."""
    data = {"entry": entry.pk, "entry_kind": entry.kind}
    if via:
        data["via"] = via
    if automatic:
        data["automatic"] = True
    return _log(ticket, actor, "entry_added", data)


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


def callback_requested(ticket: Ticket, actor, due_at) -> TicketEvent:
    return _log(ticket, actor, "callback_requested", {"due_at": due_at.isoformat()})


def routed(ticket: Ticket, actor, steps: list[dict], *, rerouted: bool = False) -> TicketEvent:
    """Which rules decided the queue, category, priority, tags, assignee and canned reply (and what each set)."""
    data = {"rules": steps, "queue": ticket.queue.slug, "queue_name": ticket.queue.name, "rerouted": rerouted}
    return _log(ticket, actor, "routed", data)


def identified(ticket: Ticket, actor, method: str, unit, candidates: list) -> TicketEvent:
    data = {
        "method": method,
        "unit": unit.pk if unit else None,
        "unit_name": unit.name if unit else "",
        "candidates": [candidate.pk for candidate in candidates],
    }
    return _log(ticket, actor, "identified", data)


def tags_changed(ticket: Ticket, actor, old: list[str], new: list[str], reason: str = "") -> TicketEvent:
    return _log(ticket, actor, "tags_changed", {"from": old, "to": new}, reason)


def category_changed(ticket: Ticket, actor, old, new, reason: str = "") -> TicketEvent:
    data = {"from": old.slug if old else None, "to": new.slug if new else None, "to_name": new.name if new else ""}
    return _log(ticket, actor, "category_changed", data, reason)


def sla_warning(ticket: Ticket, kind: str, due_at) -> TicketEvent:
    return _log(ticket, None, "sla_warning", {"timer": kind, "due_at": due_at.isoformat() if due_at else None})


def sla_breached(ticket: Ticket, kind: str, due_at) -> TicketEvent:
    return _log(ticket, None, "sla_breached", {"timer": kind, "due_at": due_at.isoformat() if due_at else None})


def deadline_near(ticket: Ticket, deadlines: list) -> TicketEvent:
    """The ticket is about a form due soon: its priority was raised (tickets.deadlines)."""
    data = {"forms": [{"code": d.form.code, "deadline": d.deadline.isoformat()} for d in deadlines]}
    return _log(ticket, None, "deadline_near", data, REASON_DEADLINE_NEAR)


def automatic_answer(ticket: Ticket, text: str) -> TicketEvent:
    return _log(ticket, None, "automatic_answer", {"text": text[:4000]})


def delivery_failed(ticket: Ticket, entry: Entry, attempts: int, error: str, final: bool) -> TicketEvent:
    """A reply's e-mail could not be delivered: logged at the first failure and when retries are given up."""
    data = {"entry": entry.pk, "attempts": attempts, "error": error[:500], "final": final}
    return _log(ticket, None, "delivery_failed", data)


def delivered_late(ticket: Ticket, entry: Entry, attempts: int) -> TicketEvent:
    return _log(ticket, None, "delivered_late", {"entry": entry.pk, "attempts": attempts})


def delivery_retried(ticket: Ticket, actor, entry: Entry) -> TicketEvent:
    return _log(ticket, actor, "delivery_retried", {"entry": entry.pk})


def mentioned(ticket: Ticket, actor, entry: Entry, users: list) -> TicketEvent:
    data = {"entry": entry.pk, "users": [user.username for user in users], "names": [str(user) for user in users]}
    return _log(ticket, actor, "mentioned", data)


def merged_into(ticket: Ticket, actor, target: Ticket, moved: int, reason: str = "") -> TicketEvent:
    return _log(ticket, actor, "merged_into", {"target": target.reference, "entries": moved}, reason)


def merged_from(ticket: Ticket, actor, source: Ticket, moved: int, reason: str = "") -> TicketEvent:
    data = {"source": source.reference, "entries": moved, "requester": source.requester_email}
    return _log(ticket, actor, "merged_from", data, reason)


def linked(ticket: Ticket, actor, other: Ticket) -> TicketEvent:
    return _log(ticket, actor, "linked", {"other": other.reference})


def unlinked(ticket: Ticket, actor, other: Ticket) -> TicketEvent:
    return _log(ticket, actor, "unlinked", {"other": other.reference})


def followed(ticket: Ticket, actor, by_email: bool) -> TicketEvent:
    return _log(ticket, actor, "followed", {"by_email": by_email})


def unfollowed(ticket: Ticket, actor) -> TicketEvent:
    return _log(ticket, actor, "unfollowed")


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
        case "callback_requested":
            from django.utils.dateparse import parse_datetime
            from django.utils.formats import date_format
            from django.utils.timezone import localtime

            due = localtime(parse_datetime(data["due_at"]))
            return _("Prośba o oddzwonienie do %(due)s") % {"due": date_format(due, "DATETIME_FORMAT")}
        case "queue_changed":
            return _("Przeniesiono z kolejki %(old)s do %(new)s") % {
                "old": data.get("from_name") or data.get("from"),
                "new": data.get("to_name") or data.get("to"),
            }
        case "deadline_near":
            forms = ", ".join(f"{f['code']} ({f['deadline']})" for f in data.get("forms", []))
            return _("Zbliża się termin: %(forms)s — priorytet co najmniej wysoki") % {"forms": forms}
        case "automatic_answer":
            return _("Wysłano automatyczną odpowiedź ze statusem sprawozdań")
        case "routed":
            rules = ", ".join(step.get("rule_name", "") for step in data.get("rules", [])) or _("żadna reguła")
            template = (
                _("Ponowne kierowanie: kolejka %(queue)s (reguły: %(rules)s)")
                if data.get("rerouted")
                else _("Skierowano do kolejki %(queue)s (reguły: %(rules)s)")
            )
            return template % {"queue": data.get("queue_name") or data.get("queue"), "rules": rules}
        case "identified":
            if data.get("unit"):
                return _("Rozpoznano jednostkę: %(unit)s (%(method)s)") % {
                    "unit": data.get("unit_name"),
                    "method": data.get("method") or "—",
                }
            if data.get("candidates"):
                return _("Kilka możliwych jednostek: %(count)s") % {"count": len(data["candidates"])}
            return _("Nie rozpoznano jednostki")
        case "tags_changed":
            return _("Etykiety: %(tags)s") % {"tags": ", ".join(data.get("to") or []) or "—"}
        case "category_changed":
            return _("Kategoria: %(name)s") % {"name": data.get("to_name") or "—"}
        case "sla_warning":
            return _("Ostrzeżenie SLA: zbliża się termin (%(kind)s)") % {"kind": _timer_label(data.get("timer"))}
        case "sla_breached":
            return _("Przekroczono termin SLA (%(kind)s)") % {"kind": _timer_label(data.get("timer"))}
        case "delivery_failed" if data.get("final"):
            return ngettext(
                "Nie udało się wysłać odpowiedzi e-mailem (%(attempts)s próba): %(error)s",
                "Nie udało się wysłać odpowiedzi e-mailem (%(attempts)s prób): %(error)s",
                data.get("attempts") or 0,
            ) % {
                "attempts": data.get("attempts"),
                "error": data.get("error"),
            }
        case "delivery_failed":
            return _("Odpowiedź jeszcze nie doręczona, kolejne próby w toku: %(error)s") % {"error": data.get("error")}
        case "delivered_late":
            return _("Odpowiedź wysłana e-mailem za %(attempts)s. próbą") % {"attempts": data.get("attempts")}
        case "delivery_retried":
            return _("Ponowiono wysyłkę odpowiedzi")
        case "mentioned":
            return _("Wspomniano w notatce: %(names)s") % {"names": ", ".join(data.get("names") or [])}
        case "merged_into":
            return _("Scalono ze zgłoszeniem %(reference)s (przeniesione wpisy: %(count)s)") % {
                "reference": data.get("target"),
                "count": data.get("entries", 0),
            }
        case "merged_from":
            return _("Dołączono zgłoszenie %(reference)s (przeniesione wpisy: %(count)s)") % {
                "reference": data.get("source"),
                "count": data.get("entries", 0),
            }
        case "linked":
            return _("Powiązano ze zgłoszeniem %(reference)s") % {"reference": data.get("other")}
        case "unlinked":
            return _("Usunięto powiązanie ze zgłoszeniem %(reference)s") % {"reference": data.get("other")}
        case "followed" if data.get("by_email"):
            return _("Obserwuje zgłoszenie (także e-mailem)")
        case "followed":
            return _("Obserwuje zgłoszenie")
        case "unfollowed":
            return _("Przestał(a) obserwować zgłoszenie")
    return event.kind


def describe_hidden(event: TicketEvent) -> str:
    """The sentence for a link or merge event whose other ticket the reader may not see: without its reference."""
    match event.kind:
        case "linked":
            return _("Powiązano z innym zgłoszeniem")
        case "unlinked":
            return _("Usunięto powiązanie z innym zgłoszeniem")
        case "merged_into":
            return _("Scalono z innym zgłoszeniem")
        case "merged_from":
            return _("Dołączono inne zgłoszenie")
    return describe(event)


def _timer_label(kind: str | None) -> str:
    return SlaTimer.Kind(kind).label if kind in SlaTimer.Kind.values else str(kind)


def display_reason(event: TicketEvent) -> str:
    """The event's reason as shown: a system reason in the reader's language, a person's reason as typed."""
    return _(event.reason) if event.reason in SYSTEM_REASONS else event.reason
