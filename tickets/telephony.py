"""Call events from a telephone exchange (PBX): authenticate the exchange by token, record every event,
and pop the caller card up live for the agent at the extension."""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from helpdesk import outbox
from helpdesk.tokens import hash_token
from tickets import calls
from tickets.models import Pbx, PbxExtension, TelephonyEvent

log = logging.getLogger(__name__)


class TelephonyError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _record(pbx, payload: dict, *, accepted: bool, error: str = "", user=None) -> TelephonyEvent:
    return TelephonyEvent.objects.create(
        pbx=pbx,
        kind=str(payload.get("event", ""))[:10],
        call_id=str(payload.get("call_id", ""))[:100],
        caller_number=str(payload.get("caller", ""))[:40],
        extension=str(payload.get("extension", ""))[:20],
        user=user,
        accepted=accepted,
        error=error[:300],
        received_at=timezone.now(),
    )


def _refuse(pbx, payload: dict, status: int, message: str):
    _record(pbx, payload, accepted=False, error=message)
    log.warning("telephony event refused (%s): %s %s", status, message, payload)
    raise TelephonyError(status, message)


def receive_event(*, token: str, payload) -> TelephonyEvent:
    """Record one PBX event; ringing/answered calls to a known extension notify its agent after commit.
    A refused event is recorded too (outside any transaction that its refusal would roll back)."""
    if not isinstance(payload, dict):
        payload = {}
        _refuse(None, payload, 400, _("Treść zdarzenia musi być obiektem JSON."))
    pbx = Pbx.objects.filter(token_sha256=hash_token(token or ""), is_active=True).first() if token else None
    if pbx is None:
        _refuse(None, payload, 401, _("Nieprawidłowy lub nieaktywny token centrali."))
    if payload.get("event") not in TelephonyEvent.Kind.values:
        _refuse(pbx, payload, 400, _("Nieznane zdarzenie; dozwolone: ringing, answered, hung_up."))
    if not str(payload.get("call_id", "")).strip():
        _refuse(pbx, payload, 400, _("Brak identyfikatora rozmowy (call_id)."))
    extension = (
        PbxExtension.objects.select_related("user").filter(pbx=pbx, extension=str(payload.get("extension", ""))).first()
    )
    if extension is None:
        _refuse(pbx, payload, 404, _("Nieznany numer wewnętrzny: %(ext)s.") % {"ext": payload.get("extension")})
    with transaction.atomic():
        event = _record(pbx, payload, accepted=True, user=extension.user)
        if event.kind in (TelephonyEvent.Kind.RINGING, TelephonyEvent.Kind.ANSWERED):
            _pop_up(extension.user, event)
    return event


def _pop_up(user, event: TelephonyEvent) -> None:
    card = calls.caller_card(user, event.caller_number)
    number = card.number or event.caller_number
    form_url = reverse("tickets:call_new") + "?" + urlencode({"number": number, "call_id": event.call_id})
    outbox.enqueue_push(
        groups=[f"user.{user.pk}"],
        event={
            "change": "call",
            "event": event.kind,
            "number": number,
            "call_id": event.call_id,
            "people": [person.name for person in card.people],
            "units": [unit.name for unit in card.units],
            "open_tickets": [ticket.reference for ticket in card.open_tickets],
            "form_url": form_url,
        },
    )
