"""Delivery of agents' replies by e-mail, as shown on the ticket.

A reply (Entry.Kind.OUTBOUND) is sent after commit through the outbox (helpdesk.outbox): its row says whether
the e-mail went out, is being retried with backoff, or failed for good after settings.OUTBOX_MAX_ATTEMPTS. The
outbox signals each failed attempt; `on_delivery_failed` / `on_delivered_after_failure` record that on the ticket
through tickets.actions (an event, a live push). The ticket's status and SLA clocks do not change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk import outbox
from tickets import actions

PENDING, SENT, RETRYING, FAILED = "pending", "sent", "retrying", "failed"


@dataclass(frozen=True)
class Delivery:
    state: str
    attempts: int
    max_attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None

    @property
    def can_retry(self) -> bool:
        return self.state in (RETRYING, FAILED)

    @property
    def text(self) -> str:
        """One line for the entry on the ticket page (and the live push), in the active language."""
        if self.state == SENT:
            return _("Wysłano e-mailem.")
        if self.state == PENDING:
            return _("Czeka na wysłanie.")
        if self.state == RETRYING:
            return _("Jeszcze nie doręczono — próba %(attempts)s z %(max)s, ostatni błąd: %(error)s") % {
                "attempts": self.attempts,
                "max": self.max_attempts,
                "error": self.last_error,
            }
        return ngettext(
            "Nie udało się wysłać (%(attempts)s próba), ostatni błąd: %(error)s",
            "Nie udało się wysłać (%(attempts)s prób), ostatni błąd: %(error)s",
            self.attempts,
        ) % {
            "attempts": self.attempts,
            "error": self.last_error,
        }


def delivery_of(entry) -> Delivery | None:
    message = entry.outbox_message if entry.outbox_message_id else None
    if message is None:
        return None
    if message.sent_at:
        state = SENT
    elif message.failed_at:
        state = FAILED
    elif message.attempts:
        state = RETRYING
    else:
        state = PENDING
    return Delivery(
        state=state,
        attempts=message.attempts,
        max_attempts=max(settings.OUTBOX_MAX_ATTEMPTS, message.attempts),
        last_error=message.last_error,
        next_attempt_at=message.next_attempt_at if state == RETRYING else None,
        sent_at=message.sent_at,
    )


def on_delivery_failed(sender, message, final: bool, **kwargs) -> None:
    actions.record_delivery_failure(message=message, final=final)


def on_delivered_after_failure(sender, message, **kwargs) -> None:
    actions.record_late_delivery(message=message)


def connect_signals() -> None:
    outbox.delivery_failed.connect(on_delivery_failed, dispatch_uid="tickets.delivery.failed")
    outbox.delivered_after_failure.connect(on_delivered_after_failure, dispatch_uid="tickets.delivery.delivered")
