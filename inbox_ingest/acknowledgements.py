"""Acknowledgements of new tickets and the one guard against mail loops that every acknowledgement passes,
whatever opened the ticket (an e-mail, the portal's contact form): none to an address our mail bounced from,
none to our own addresses, at most INBOX_ACK_LIMIT to one address per INBOX_ACK_WINDOW_SECONDS."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import replies
from helpdesk import outbox
from inbox_ingest import parsing
from inbox_ingest.models import FailingAddress, Mailbox, SentMessage
from inbox_ingest.parsing import valid_email as valid_email  # where older callers import it from
from tickets.models import Ticket

log = logging.getLogger(__name__)


_OWN_CACHE: dict[str, tuple[float, frozenset[str]]] = {}
OWN_CACHE_SECONDS = 60


def own_addresses() -> frozenset[str]:
    """Our own addresses (never acknowledged); re-read at most once a minute: mailboxes rarely change."""
    cached = _OWN_CACHE.get("own")
    if cached and time.monotonic() - cached[0] < OWN_CACHE_SECONDS:
        return cached[1]
    own = {email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    own |= {address.lower() for address in Mailbox.objects.values_list("email_address", flat=True)}
    _OWN_CACHE["own"] = (time.monotonic(), frozenset(own))
    return _OWN_CACHE["own"][1]


def automatic_status_answer(ticket: Ticket, parsed) -> str:
    """With AUTO_STATUS_REPLY on, a clear "did our report arrive?" from an identified unit is answered with its
    report statuses in the acknowledgement (contacts.replies); the agents still get the ticket."""
    unit = ticket.reporting_unit
    if not (settings.AUTO_STATUS_REPLY and unit and unit.regon and ticket.identification == "identified"):
        return ""
    if not replies.is_status_question(f"{parsed.subject}\n{parsed.visible_text or parsed.text}"):
        return ""
    return replies.status_summary(unit)


def acknowledgement_address(parsed: parsing.ParsedMessage) -> str:
    """Where an acknowledgement would go ("" for nowhere: no valid address, or one of ours)."""
    to = parsed.valid_reply_to or parsed.valid_from  # valid_email() of each, in the parse
    to = to.lower()  # addresses are stored lower-case: exact lookups use the indexes
    return "" if not to or to in own_addresses() else to


def _ack_window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.INBOX_ACK_WINDOW_SECONDS)


class LoopGuard:
    """The loop guard's facts for a set of addresses, read at once (the failing ones, the acknowledgements sent
    to each in the window, from the SentMessage rows every acknowledgement leaves: `acknowledgement_row`); a
    batch reads it for all its senders and counts its own acknowledgements in memory."""

    def __init__(self, addresses: Iterable[str]) -> None:
        self.addresses = {address for address in addresses if address}
        self.failing = set(FailingAddress.objects.filter(email__in=self.addresses).values_list("email", flat=True))
        counts = (
            SentMessage.objects.filter(
                to_email__in=self.addresses, kind="acknowledgement", created_at__gte=_ack_window_start()
            )
            .values("to_email")
            .annotate(count=Count("pk"))
        )
        self.sent = {row["to_email"]: row["count"] for row in counts}

    def recount(self, to: str) -> None:
        """Read the count of one address again (something outside the batch's count acknowledged it)."""
        window = SentMessage.objects.filter(to_email=to, kind="acknowledgement", created_at__gte=_ack_window_start())
        self.sent[to] = window.count()

    def allows(self, to: str) -> bool:
        if not to or to in self.failing:
            return False
        if self.sent.get(to, 0) >= settings.INBOX_ACK_LIMIT:
            log.info("acknowledgement to %s skipped: limit reached (loop guard)", to)
            return False
        return True

    def took(self, to: str) -> None:
        self.sent[to] = self.sent.get(to, 0) + 1


def acknowledgement_allowed(to: str) -> bool:
    """Whether an acknowledgement may go to `to` now (LoopGuard for one address)."""
    to = (to or "").strip().lower()
    return bool(to) and LoopGuard([to]).allows(to)


def acknowledgement_row(ticket: Ticket, to: str) -> tuple[SentMessage, dict]:
    """A new acknowledgement's SentMessage row (unsaved: the loop guard's log and its Message-ID for threading)
    and the headers every acknowledgement carries (an automatic answer: no auto-replies to it)."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "helpdesk.local"
    message_id = f"<ack-{uuid.uuid4().hex}@{domain}>"
    sent = SentMessage(ticket=ticket, message_id=message_id, to_email=to.strip().lower(), kind="acknowledgement")
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Precedence": "auto_reply",
        "X-Helpdesk-Ticket": ticket.reference,
    }
    return sent, headers


def acknowledge(ticket: Ticket, parsed: parsing.ParsedMessage, guard: LoopGuard, extra: str = "") -> SentMessage | None:
    """Enqueue the Polish acknowledgement for a new ticket unless the loop guard forbids it; returns its
    SentMessage row (the guard's log) for the caller to save, or None."""
    to = acknowledgement_address(parsed)
    if not guard.allows(to):
        return None
    guard.took(to)
    return _send_acknowledgement(ticket, parsed, to, extra)


def _send_acknowledgement(ticket: Ticket, parsed: parsing.ParsedMessage, to: str, extra: str) -> SentMessage:
    """Enqueue the acknowledgement; returns its SentMessage row (the loop guard's log), for the caller to save."""
    sent, headers = acknowledgement_row(ticket, to)
    if parsed.message_id:
        headers["In-Reply-To"] = parsed.message_id
        headers["References"] = " ".join((*parsed.references[-10:], parsed.message_id))
    body = _(
        "Dzień dobry,\n\n"
        "potwierdzamy przyjęcie zgłoszenia. Nadaliśmy mu sygnaturę %(reference)s.\n"
        "Odpowiadając, prosimy zachować sygnaturę w temacie wiadomości.\n"
        "Na zgłoszenia odpowiadamy w dni robocze w godzinach 8:00–16:00.\n\n"
        "Temat: %(subject)s\n\n"
        "Ta wiadomość została wysłana automatycznie.\n"
        "Pomoc SSOZ"
    ) % {"reference": ticket.reference, "subject": ticket.subject}
    if extra:
        body = f"{body}\n\n{extra}"
    outbox.enqueue_email(
        to=[to],
        subject=_("[%(reference)s] Potwierdzenie przyjęcia zgłoszenia: %(subject)s")
        % {"reference": ticket.reference, "subject": ticket.subject},
        body=body,
        headers=headers,
    )
    return sent
