"""The staff menu: each item shows only to the people its page opens for.

An item names a page; whether the user may open it is asked of the page's own view, through the check
`helpdesk.access.page_for` keeps on it (`view.may_open`), or for the Django admin of the admin site itself.
So the menu cannot drift from the views: a supervisor no longer sees "Zarejestruj rozmowę" that answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpdesk import access, outbox


@dataclass(frozen=True)
class Item:
    url_name: str
    label: str | Promise
    query: str = ""


@dataclass(frozen=True)
class Link:
    href: str
    label: str


STAFF_MENU = (
    Item("tickets:list", _("Zgłoszenia"), "status=open"),
    Item("tickets:list", _("Moje"), "assignee=me&status=open"),
    Item("tickets:call_new", _("Zarejestruj rozmowę")),
    Item("contacts:missing", _("Sprawozdania")),
    Item("tickets:sla_report", _("Terminy SLA")),
    Item("inbox:quarantine", _("Kwarantanna poczty")),
    Item("kb_editor:list", _("Baza wiedzy")),
    Item("admin:index", _("Administracja")),
)


def may_open(request, url_name: str) -> bool:
    """Whether the page `url_name` opens for `request.user`, by the same check its view makes."""
    view = resolve(reverse(url_name)).func
    check = getattr(view, "may_open", None)
    if check is not None:
        return check(request.user)
    site = getattr(view, "admin_site", None)
    if site is not None:
        return site.has_permission(request)
    raise ImproperlyConfigured(f"{url_name}: a menu page needs its view wrapped in helpdesk.access.page_for")


def staff_menu(request) -> list[Link]:
    if not access.is_staff_member(request.user):
        return []
    allowed: dict[str, bool] = {}
    links = []
    for item in STAFF_MENU:
        if item.url_name not in allowed:
            allowed[item.url_name] = may_open(request, item.url_name)
        if allowed[item.url_name]:
            href = reverse(item.url_name) + (f"?{item.query}" if item.query else "")
            links.append(Link(href, str(item.label)))
    return links


def first_page(request) -> str:
    """Where a member of staff starts after logging in: the first menu page they may open (an editor: the
    knowledge base, not an empty ticket list), else their own settings."""
    links = staff_menu(request)
    return links[0].href if links else reverse("own_settings")


def menu(request) -> dict:
    """Context processor: `staff_menu`, built only when a template shows it (public pages never ask), and
    `notify_after`, the live notices' cursor at the time of the page (static/js/notify.js catches up from it)."""
    return {"staff_menu": partial(staff_menu, request), "notify_after": outbox.latest_id}
