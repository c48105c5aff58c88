"""Call events from a telephone exchange (PBX): authenticate the exchange by token before anything else
(a caller without a valid token is refused without reading, storing or logging the body), cap the body,
record every event of an authenticated exchange, and pop the caller card up live for the agent at the extension."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from helpdesk import inputs, live_groups, outbox
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
    log.warning(  # a summary, never the body
        "telephony event refused (%s) from %s: %s [event=%r call_id=%r]",
        status,
        pbx,
        message,
        str(payload.get("event", ""))[:10],
        str(payload.get("call_id", ""))[:100],
    )
    raise TelephonyError(status, message)


def authenticate(token: str) -> Pbx:
    """The active exchange holding `token`; else TelephonyError 401, with nothing recorded (a stranger's
    requests must not fill the event table or the log)."""
    pbx = Pbx.objects.filter(token_sha256=hash_token(token), is_active=True).first() if token else None
    if pbx is None:
        log.warning("telephony event refused (401): %s token", "unknown" if token else "no")
        raise TelephonyError(401, _("Nieprawidłowy lub nieaktywny token centrali."))
    return pbx


def read_payload(pbx: Pbx, request) -> dict:
    """The JSON body of an authenticated exchange's request (a Django HttpRequest), read no further than
    TELEPHONY_MAX_BODY_BYTES: a larger body is refused with 413 without being read."""
    limit = settings.TELEPHONY_MAX_BODY_BYTES
    too_large = _("Treść zdarzenia jest za duża (najwyżej %(limit)s bajtów).") % {"limit": limit}
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        _refuse(pbx, {}, 413, too_large)
    body = request.read(limit + 1)
    if len(body) > limit:
        _refuse(pbx, {}, 413, too_large)
    try:
        payload = json.loads(body or b"null")
    except ValueError:  # UnicodeDecodeError included
        payload = None
    if not isinstance(payload, dict):
        _refuse(pbx, {}, 400, _("Treść zdarzenia musi być obiektem JSON."))
    if inputs.unstorable_in(payload):  # a NUL byte or half a surrogate: nothing of it can be stored
        _refuse(pbx, {}, 400, inputs.unstorable_message())
    return payload


def receive_event(*, pbx: Pbx, payload: dict) -> TelephonyEvent:
    """Record one event of an authenticated exchange (`authenticate`, `read_payload`); ringing/answered calls
    to a known extension notify its agent after commit. A refused event is recorded too (outside any
    transaction that its refusal would roll back)."""
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
        groups=[live_groups.user(user.pk)],
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
