"""One-time submission keys: a reply or note submitted twice (a double click, a browser or API client that sends
again after a timeout) is written once.

The ticket page's reply form carries a key made when the page is rendered (a hidden field), the API takes an
`Idempotency-Key` header. tickets.entries.add_entries() claims each key for the acting member of staff as its
first write, in the same transaction as the entry (`claim`), and points the key at the entry it wrote
(`record`). The key is unique per staff member: a second submission under it — after the first committed, or
at the same moment, when the database makes the second insert wait for the first transaction — is answered
with the entry written first (`Entry.repeated` set), provided it asks for the same thing (`fingerprint`: the
ticket, the kind, the text, the recipients, the files). The same key with another request is refused
(`SubmissionKeyReused`), without saying what the key was used for. Another member of staff's key of the same
spelling is theirs alone.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import checks
from tickets.models import Entry, SubmissionKey
from tickets.requests import NewEntry

KEY_MAX_LENGTH = 100


class SubmissionKeyReused(ValidationError):
    """The key was used before by the same member of staff for a different request."""


def new_key() -> str:
    """A fresh key for a form being rendered (128 random bits)."""
    return secrets.token_urlsafe(16)


def clean_key(value: str) -> str:
    """The key as given (an API client's header may quote it, as a structured-field string); "" for none.
    1–100 printable ASCII characters, else a Polish refusal."""
    key = (value or "").strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key:
        return ""
    if len(key) > KEY_MAX_LENGTH or not all("!" <= character <= "~" for character in key):
        raise ValidationError(
            _("Klucz Idempotency-Key to od 1 do %(max)s znaków ASCII bez spacji.") % {"max": KEY_MAX_LENGTH}
        )
    return key


def fingerprint(request: NewEntry) -> str:
    """What the request asks for, as a digest: the same key with another request is refused."""
    message = request.message
    asked = {
        "ticket": request.ticket.pk,
        "kind": request.kind,
        "text": message.text,
        "html": message.html,
        "to": list(request.email.to),
        "cc": list(request.email.cc),
        "files": [[file.filename, hashlib.sha256(file.content).hexdigest()] for file in message.attachments],
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def claim(requests: Sequence[NewEntry], actor) -> dict[int, Entry]:
    """Claim the key of each keyed request for `actor`, inside the caller's transaction. Returns, by position,
    the entries written before for keys used already (the request repeated); the others are to be written
    now. A key of another request is refused (SubmissionKeyReused), and so is a key without a member of staff."""
    repeats: dict[int, Entry] = {}
    now = timezone.now()
    for index, request in enumerate(requests):
        key = request.submission_key
        if not key:
            continue
        if actor is None:
            raise ValidationError(_("Klucz wysłania podaje pracownik."))
        digest = fingerprint(request)
        try:
            with transaction.atomic():  # a savepoint: a key taken rolls back this insert only
                SubmissionKey.objects.create(actor=actor, key=key, fingerprint=digest, created_at=now)
            continue
        except IntegrityError:  # used before, or by a transaction that has just committed (its insert waited)
            pass
        earlier = SubmissionKey.objects.select_related("entry").get(actor=actor, key=key)
        if earlier.fingerprint != digest or earlier.entry is None:
            message = _("Ten klucz wysłania (Idempotency-Key) został już użyty do innego wpisu.")
            raise SubmissionKeyReused(message, code="submission_key_reused")
        checks.check_can_work(actor, request.ticket.queue)  # answered only to someone who may ask it now
        entry = earlier.entry
        entry.repeated = True
        repeats[index] = entry
    return repeats


def record(requests: Sequence[NewEntry], entries: Sequence[Entry], actor) -> None:
    """Point each newly claimed key at the entry written for it (the same transaction)."""
    for request, entry in zip(requests, entries, strict=True):
        if request.submission_key and not entry.repeated:
            SubmissionKey.objects.filter(actor=actor, key=request.submission_key).update(entry=entry)
