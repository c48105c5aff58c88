"""Who may see and do what, by voivodeship: the ground floor where roles turn into scopes.

A member of staff's `voivodeship_scope()` is everything (agents, supervisors, admins) or the voivodeships of a
regional administrator. Reporting units, reports and mailboxes are narrowed by it directly (contacts.selectors,
inbox_ingest.selectors). Tickets are not: what a user may do with a ticket (read, work, assign), the ticket
querysets and the live-push groups all come from tickets.ticket_access, which applies this scope to the
voivodeships a ticket belongs to. Views never filter by role themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from helpdesk import live_groups
from helpdesk.models import Role

if TYPE_CHECKING:
    from helpdesk.models import User

# Who acts in a write (the `actor` of tickets.actions and the modules it is split into): a member of staff, or
# None for the system (e-mail ingestion, Celery beat, the public forms). A view passes `request.user` (typed
# `User | AnonymousUser`) only behind login and a staff check, so an anonymous user never gets this far.
Actor: TypeAlias = "User | None"

ALL = None  # scope value meaning "every voivodeship and the central desk"

# The roles whose scope is everything, and those who work on tickets (reply, note, change, be assigned);
# a superuser with a role is both. voivodeship_scope, can_work_tickets and their turned-around querysets
# (staff_seeing, workers_for) read these and nothing else.
SEES_EVERYTHING = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
WORKS_ON_TICKETS = (Role.AGENT, Role.REGIONAL_ADMIN, Role.ADMIN)
# Role.values builds its list (and every label) at each use: asked at every event a websocket decides, it was 5 %
# of a web process's CPU under the load test (bench/RESULTS.md)
STAFF_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Scope:
    """What a member of staff can see: everything (`codes is ALL`) or the voivodeships in `codes`."""

    codes: frozenset[str] | None

    @property
    def is_everything(self) -> bool:
        return self.codes is ALL

    def allows(self, voivodeship_code: str | None) -> bool:
        """A voivodeship's things; None (the central desk, triage, no unit) only for those who see everything."""
        return self.codes is None or (voivodeship_code is not None and voivodeship_code in self.codes)

    def allows_any(self, voivodeship_codes: Iterable[str | None]) -> bool:
        """Something that belongs to several voivodeships at once (a ticket: its queue's and its unit's)."""
        return self.codes is None or any(self.allows(code) for code in voivodeship_codes)


NOTHING = Scope(frozenset())


def is_staff_member(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


def voivodeship_scope(user: Any) -> Scope:
    """The tickets and units `user` may see, by voivodeship; cached on the user object per request."""
    if not is_staff_member(user):
        return NOTHING
    cached: Scope | None = getattr(user, "_voivodeship_scope", None)
    if cached is not None:
        return cached
    if user.role in SEES_EVERYTHING or user.is_superuser:
        scope = Scope(ALL)
    elif user.role == Role.REGIONAL_ADMIN:
        scope = Scope(frozenset(user.voivodeships.values_list("code", flat=True)))
    else:  # knowledge-base editors work on articles, not tickets
        scope = NOTHING
    user._voivodeship_scope = scope
    return scope


def staff_seeing(voivodeship_codes: Iterable[str | None]) -> QuerySet[User]:
    """Active staff whose `voivodeship_scope` allows at least one of `voivodeship_codes`: everyone who sees
    everything, plus the regional administrators of those voivodeships. `voivodeship_scope` turned around."""
    from django.contrib.auth import get_user_model

    who = Q(role__in=SEES_EVERYTHING) | Q(is_superuser=True, role__in=STAFF_ROLES)
    codes = sorted({code for code in voivodeship_codes if code})
    if codes:
        who |= Q(role=Role.REGIONAL_ADMIN, voivodeships__in=codes)
    return get_user_model().objects.filter(who, is_active=True).distinct()


def password_settled(user: Any) -> bool:
    """False while `user` holds a one-time password (manage.py create_staff): until they choose their own, no
    door opens (pages: helpdesk.passwords; API: helpdesk.tokens; websockets: `socket_access`)."""
    return not getattr(user, "must_change_password", False)


@dataclass(frozen=True)
class SocketAccess:
    user: Any  # the member of staff (helpdesk.models.User), scope already computed
    expires_at: dt.datetime  # when the session ends by itself


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
    user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]  # get_user reads .session only
    if not is_staff_member(user) or not password_settled(user) or (user_id is not None and user.pk != user_id):
        return None
    voivodeship_scope(user)  # computed now, in the database thread, and kept on the user
    stored = getattr(type(session), "get_model_class", None)  # database sessions keep their own expiry
    expires_at = (
        stored().objects.filter(session_key=session_key).values_list("expire_date", flat=True).first()
        if stored is not None
        else None
    )
    return SocketAccess(user=user, expires_at=expires_at or session.get_expiry_date())


def announce_access_change(user_id: int) -> None:
    """Tell the user's open websockets, after commit, to check their access again. Sent straight to the channel
    layer: with the layer away there are no open websockets to tell."""
    import logging

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import transaction

    def send() -> None:
        try:
            layer: Any = get_channel_layer()
            async_to_sync(layer.group_send)(live_groups.access(user_id), {"type": "access.changed"})
        except Exception as exc:  # the change itself is done; only the live sockets are not told
            logging.getLogger(__name__).warning("access change of user %s not announced: %s", user_id, exc)

    transaction.on_commit(send)


def can_see_units(user: Any) -> bool:
    """Reporting units and their reports: staff whose scope holds at least one voivodeship (not editors)."""
    scope = voivodeship_scope(user)
    return is_staff_member(user) and (scope.is_everything or bool(scope.codes))


def can_see_tickets(user: Any) -> bool:
    """The ticket list: staff whose scope holds at least one voivodeship (knowledge-base editors see none).
    Which tickets: tickets.ticket_access."""
    return can_see_units(user)


def can_work_tickets(user: Any) -> bool:
    """The role that replies, adds notes, changes status: agents, admins and regional administrators. On which
    tickets (their queue's voivodeship in the user's scope): tickets.ticket_access.may_work."""
    return is_staff_member(user) and (user.role in WORKS_ON_TICKETS or user.is_superuser)


def can_assign_tickets(user: Any) -> bool:
    """The role that assigns: those who work on tickets, and supervisors. Which: tickets.ticket_access.may_assign."""
    return can_work_tickets(user) or (is_staff_member(user) and user.role == Role.SUPERVISOR)


def can_hand_to(user: Any, voivodeship_code: str | None) -> bool:
    """Where `user` may hand a ticket: any queue they see, and always back to the central desk or triage.
    Ask tickets.ticket_access.may_hand_to with the queue."""
    return voivodeship_code is None or voivodeship_scope(user).allows(voivodeship_code)


def workers_for(voivodeship_code: str | None) -> QuerySet[User]:
    """Active staff who may work on tickets of a queue of `voivodeship_code` (None: a central queue): those of
    `staff_seeing` it whose role works on tickets. Ask tickets.ticket_access.workers with the queue."""
    return staff_seeing([voivodeship_code]).filter(Q(role__in=WORKS_ON_TICKETS) | Q(is_superuser=True))


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def page_for(may_open: Callable[[Any], bool], message: Any = None) -> Callable[[Callable[..., Any]], Any]:
    """A staff page open to the users `may_open(user)` accepts: anyone else gets 403 with `message`, anonymous
    users the login page. The check stays on the view as `view.may_open`, so the menu (helpdesk.menu) offers
    the page to exactly the people it opens for, with no second copy of the rule."""

    def decorate(view: Callable[..., Any]) -> Any:
        @wraps(view)
        def checked(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not may_open(request.user):
                raise PermissionDenied(str(message or _("Brak dostępu.")))
            return view(request, *args, **kwargs)

        wrapper: Any = login_required(checked)
        wrapper.may_open = may_open
        return wrapper

    return decorate


def not_found() -> Http404:
    """What an out-of-scope fetch raises: the same answer as for something that does not exist."""
    return Http404(_("Nie znaleziono."))


class IsStaffMember(BasePermission):
    """DRF default: only active staff with a role; object scoping happens in the selectors."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff_member(request.user)
