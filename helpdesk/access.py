"""Who may see and do what: the one place where roles turn into scopes.

Every selector that lists or fetches something a regional administrator might not be allowed to see
(tickets, reporting units, attachments, search results, exports, websocket groups) narrows its queryset
through `voivodeship_scope()`. Views never filter by role themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from helpdesk.models import Role

ALL = None  # scope value meaning "every voivodeship and the central desk"


@dataclass(frozen=True)
class Scope:
    """What a member of staff can see: everything (`codes is ALL`) or the voivodeships in `codes`."""

    codes: frozenset[str] | None

    @property
    def is_everything(self) -> bool:
        return self.codes is ALL

    def allows(self, voivodeship_code: str | None) -> bool:
        return self.codes is ALL or (voivodeship_code is not None and voivodeship_code in self.codes)


NOTHING = Scope(frozenset())


def is_staff_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in Role.values)


def voivodeship_scope(user) -> Scope:
    """The tickets and units `user` may see, by voivodeship; cached on the user object per request."""
    if not is_staff_member(user):
        return NOTHING
    cached = getattr(user, "_voivodeship_scope", None)
    if cached is not None:
        return cached
    if user.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN) or user.is_superuser:
        scope = Scope(ALL)
    elif user.role == Role.REGIONAL_ADMIN:
        scope = Scope(frozenset(user.voivodeships.values_list("code", flat=True)))
    else:  # knowledge-base editors work on articles, not tickets
        scope = NOTHING
    user._voivodeship_scope = scope
    return scope


def sees_ticket(user, queue_code: str | None, unit_code: str | None) -> bool:
    """May `user` read a ticket in a queue of voivodeship `queue_code` about a unit of `unit_code`? A regional
    administrator reads the tickets of their queues and those about their units wherever they are. The same
    rule as tickets.selectors.tickets_for_user (its queryset form) and `staff_who_can_see` (turned around)."""
    scope = voivodeship_scope(user)
    return scope.allows(queue_code) or (unit_code is not None and scope.allows(unit_code))


def password_settled(user) -> bool:
    """False while `user` holds a one-time password (manage.py create_staff): until they choose their own, no
    door opens (pages: helpdesk.passwords; API: helpdesk.tokens; websockets: `socket_access`)."""
    return not getattr(user, "must_change_password", False)


@dataclass(frozen=True)
class SocketAccess:
    user: object
    expires_at: object  # when the session ends by itself (datetime)


def socket_access(session_key: str | None, user_id: int | None = None) -> SocketAccess | None:
    """The member of staff whose session `session_key` is, read afresh, and when that session expires; None once
    the session has ended (logout flushes it, a password change voids its hash), the account is deactivated or
    no longer staff, or while its password is one-time. Websockets ask at connection and again whenever
    `announce_access_change` tells them the user's access may have changed (tickets.consumers)."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.conf import settings
    from django.contrib.auth import get_user

    if not session_key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]  # it reads only request.session
    if not is_staff_member(user) or not password_settled(user) or (user_id is not None and user.pk != user_id):
        return None
    voivodeship_scope(user)  # computed now, in the database thread, and kept on the user
    stored = getattr(type(session), "get_model_class", None)  # database sessions keep their own expiry
    expires_at = None
    if stored is not None:
        expires_at = stored().objects.filter(session_key=session_key).values_list("expire_date", flat=True).first()
    return SocketAccess(user=user, expires_at=expires_at or session.get_expiry_date())


def access_group(user_id: int) -> str:
    """The channel group of every websocket of one user, told when their access may have changed."""
    return f"access.{user_id}"


def announce_access_change(user_id: int) -> None:
    """Tell the user's open websockets, after commit, to check their access again. Sent straight to the channel
    layer: with the layer away there are no open websockets to tell."""
    import logging

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import transaction

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:  # no channel layer configured: no websockets either
            return
        try:
            async_to_sync(layer.group_send)(access_group(user_id), {"type": "access.changed"})
        except Exception as exc:  # the change itself is done; only the live sockets are not told
            logging.getLogger(__name__).warning("access change of user %s not announced: %s", user_id, exc)

    transaction.on_commit(send)


def can_see_units(user) -> bool:
    """Reporting units and their reports: staff whose scope holds at least one voivodeship (not editors)."""
    scope = voivodeship_scope(user)
    return is_staff_member(user) and (scope.is_everything or bool(scope.codes))


def can_see_tickets(user) -> bool:
    """The ticket list: staff whose scope holds at least one voivodeship (knowledge-base editors see none)."""
    return can_see_units(user)


def can_work_tickets(user) -> bool:
    """Reply, add notes, change status: agents, admins and regional administrators (within scope)."""
    return is_staff_member(user) and (user.role in (Role.AGENT, Role.REGIONAL_ADMIN, Role.ADMIN) or user.is_superuser)


def can_assign_tickets(user) -> bool:
    return can_work_tickets(user) or (is_staff_member(user) and user.role == Role.SUPERVISOR)


def can_hand_to(user, voivodeship_code: str | None) -> bool:
    """Where `user` may hand a ticket: any queue they see, and always back to the central desk or triage."""
    return voivodeship_code is None or voivodeship_scope(user).allows(voivodeship_code)


def workers_for(voivodeship_code: str | None):
    """Active staff who may work on tickets of a queue of `voivodeship_code` (None: a central queue)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    who = Q(role__in=[Role.AGENT, Role.ADMIN]) | Q(is_superuser=True)
    if voivodeship_code:
        who |= Q(role=Role.REGIONAL_ADMIN, voivodeships=voivodeship_code)
    return get_user_model().objects.filter(who, is_active=True).distinct()


def staff_who_can_see(queue_code: str | None, unit_code: str | None = None):
    """Active staff who can see a ticket in a queue of `queue_code` about a unit of `unit_code`: the people
    whose `voivodeship_scope` covers it (everyone who sees all, plus the regional administrators of either
    voivodeship, who read tickets about their units in other queues). The same rule as
    tickets.selectors.tickets_for_user, turned around: from the ticket to the people."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    who = Q(role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN]) | Q(is_superuser=True, role__in=Role.values)
    codes = [code for code in (queue_code, unit_code) if code]
    if codes:
        who |= Q(role=Role.REGIONAL_ADMIN, voivodeships__in=codes)
    return get_user_model().objects.filter(who, is_active=True).distinct()


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def page_for(may_open, message=None):
    """A staff page open to the users `may_open(user)` accepts: anyone else gets 403 with `message`, anonymous
    users the login page. The check stays on the view as `view.may_open`, so the menu (helpdesk.menu) offers
    the page to exactly the people it opens for, with no second copy of the rule."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not may_open(request.user):
                raise PermissionDenied(str(message or _("Brak dostępu.")))
            return view(request, *args, **kwargs)

        wrapper = login_required(checked)
        wrapper.may_open = may_open  # type: ignore[attr-defined]  # read by helpdesk.menu
        return wrapper

    return decorate


def not_found() -> Http404:
    """What an out-of-scope fetch raises: the same answer as for something that does not exist."""
    return Http404(_("Nie znaleziono."))


class IsStaffMember(BasePermission):
    """DRF default: only active staff with a role; object scoping happens in the selectors."""

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)
