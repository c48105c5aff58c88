"""API tokens and the API's doors (DRF authentication).

A token is a random key whose SHA-256 alone is stored (`ApiToken`, like the PBX tokens of tickets.telephony):
it is shown once when issued (`manage.py issue_api_token`, the admin, `manage.py create_feed_client`) and can
never be read back. It works while its owner's password is the one it was issued under: a password change by
any path (the change page, a one-time password, the admin, `manage.py changepassword`) ends it, and the change
page and one-time passwords also delete the owner's tokens at once (`revoke`).

Every door refuses a member of staff who still holds a one-time password (access.password_settled) with a
403 in Polish, as the pages send them to the change page (helpdesk.passwords) and websockets refuse them
(tickets.consumers)."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from helpdesk import access
from helpdesk.models import ApiToken

PREFIX_LENGTH = 8


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def password_stamp(user) -> str:
    """Changes whenever the user's password does (the stored hash is salted anew on every change)."""
    return hash_token(f"api-token:{user.password}")


def prepare(token: ApiToken) -> str:
    """Fill an unsaved token for `token.user` with a new key's hash and return the key (to show once)."""
    key = new_token()
    token.key_sha256, token.prefix = hash_token(key), key[:PREFIX_LENGTH]
    token.password_stamp, token.created_at = password_stamp(token.user), timezone.now()
    return key


def issue(user, *, replace: bool = False) -> str:
    """A new token for `user` (with `replace`, their other tokens stop working); returns the key, shown once."""
    if replace:
        revoke(user)
    token = ApiToken(user=user)
    key = prepare(token)
    token.save(force_insert=True)
    return key


def revoke(user) -> int:
    return ApiToken.objects.filter(user=user).delete()[0]


def one_time_password_refusal() -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(
        _("Najpierw zmień hasło jednorazowe na stronie „Zmień hasło”; do tego czasu API jest niedostępne.")
    )


def _settled(result):
    if result is not None and not access.password_settled(result[0]):
        raise one_time_password_refusal()
    return result


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, looked up by its hash."""

    def authenticate(self, request):
        return _settled(super().authenticate(request))

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_sha256=hash_token(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Nieprawidłowy token."))
        if token.password_stamp != password_stamp(token.user):
            token.delete()  # issued before the owner's password changed: gone for good
            raise exceptions.AuthenticationFailed(_("Token wygasł po zmianie hasła jego właściciela."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Konto jest nieaktywne."))
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        return _settled(super().authenticate(request))
