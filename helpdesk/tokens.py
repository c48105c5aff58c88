"""The API's doors: token and session authentication for DRF.

Every door refuses a member of staff who still holds a one-time password (access.password_settled) with a
403 in Polish, as the pages send them to the change page (helpdesk.passwords) and websockets refuse them
(tickets.consumers)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from helpdesk import access


def one_time_password_refusal() -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(
        _("Najpierw zmień hasło jednorazowe na stronie „Zmień hasło”; do tego czasu API jest niedostępne.")
    )


def _settled(result):
    if result is not None and not access.password_settled(result[0]):
        raise one_time_password_refusal()
    return result


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`."""

    def authenticate(self, request):
        return _settled(super().authenticate(request))


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        return _settled(super().authenticate(request))
