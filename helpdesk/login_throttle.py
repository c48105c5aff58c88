"""Password guessing is throttled: failed logins are counted in the shared cache (helpdesk.ratelimit, so all
web processes count together) in fixed windows of LOGIN_THROTTLE_WINDOW_SECONDS (15 minutes), three ways:

- per account and client address (LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, 5): someone guessing one agent's
  password from one address; the agent at their own address is not affected;
- per client address (LOGIN_FAILURES_PER_ADDRESS, 30): one address trying many accounts;
- per account (LOGIN_FAILURES_PER_ACCOUNT, 50): one account guessed from many addresses. One address alone
  cannot reach this (its own limit is lower), so a stranger cannot lock an agent out from everywhere.

Past a limit every attempt it covers is refused, the right password included, with a Polish message saying
when to try again: at the end of the window, so at most 15 minutes after the last failure. A successful login
clears the count of its account and address. Every door that checks a password goes through Django's
authenticate() with the request (the login page and the admin's), hence through ThrottledModelBackend; API
tokens are not passwords (random, 160 bits) and the API has no password login."""

from __future__ import annotations

import hashlib
import logging
import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from helpdesk import ratelimit

log = logging.getLogger(__name__)


def _account(username: str) -> str:
    """A short key for a typed user name (case and surrounding spaces ignored; any length or character)."""
    return hashlib.sha256(str(username or "").strip().casefold().encode()).hexdigest()[:32]


def _counters(request: HttpRequest, username: str) -> list[tuple[str, str, int]]:
    address = ratelimit.client_address(request)
    account = _account(username)
    return [
        ("login-account-address", f"{account}:{address}", settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS),
        ("login-address", address, settings.LOGIN_FAILURES_PER_ADDRESS),
        ("login-account", account, settings.LOGIN_FAILURES_PER_ACCOUNT),
    ]


def refusal(request: HttpRequest, username: str) -> str:
    """The message refusing this attempt when a limit is reached, else ""."""
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    for scope, key, limit in _counters(request, username):
        if ratelimit.hits(scope, key, window_seconds=window) >= limit:
            log.warning("login refused (%s): too many failed logins from %s", scope, ratelimit.client_address(request))
            minutes = math.ceil(ratelimit.seconds_left(window) / 60)
            return _("Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za %(minutes)s min.") % {
                "minutes": minutes
            }
    return ""


def failed(request: HttpRequest, username: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    for scope, key, limit in _counters(request, username):
        ratelimit.allow(scope, key, limit=limit, window_seconds=window)


def succeeded(request: HttpRequest, username: str) -> None:
    scope, key, _limit = _counters(request, username)[0]
    ratelimit.reset(scope, key, window_seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing (PermissionDenied: authenticate() stops) while a limit is reached and counting
    failures. Calls without a request (the shell, tests' client.login) are not throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if username is None:
            username = kwargs.get(self._username_field(), "")
        if message := refusal(request, username):
            request.login_throttled = message
            raise PermissionDenied(message)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            failed(request, username)
        else:
            succeeded(request, username)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class _ThrottleMessage:
    """Shows the throttle's message instead of "wrong user name or password" when it refused the attempt."""

    throttled = ""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            self.throttled = getattr(self.request, "login_throttled", "")
            if self.throttled:
                raise ValidationError(self.throttled, code="throttled") from None
            raise


class LoginForm(_ThrottleMessage, AuthenticationForm):
    pass


class AdminLoginForm(_ThrottleMessage, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
            response["Retry-After"] = str(ratelimit.seconds_left(settings.LOGIN_THROTTLE_WINDOW_SECONDS))
        return response
