"""The site's own pages for 400, 403, 404, 500 and a failed CSRF check, in place of Django's bare English ones.

A page under a staff address (the ticket list, the editor, the admin…) gets the staff layout, anything else
the public portal's; the choice is made from the address alone, so it costs no query. None of them shows
what the exception carried except a refusal's own message (ours, written for the reader). The 500 page is
rendered without the request's context processors: no session, no user, no query, so it still shows when
the database is what failed. API addresses get the same answers as JSON.

A passing outage is no server error: the database unreachable (its connections terminated, the pool unable to
give one within DB_POOL_TIMEOUT) or the attachment storage full answers 503 with Retry-After and a Polish page
saying so (`unavailable`), from the same handler, so that whatever raised it (a view, a middleware reading the
session) gets it. A web process with more requests than it can run answers the ones that waited too long with the
same 503 (`busy`, helpdesk.asgi_handler).
"""

from __future__ import annotations

import logging
import sys
from functools import cache

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# One page of each staff area; what lies under the first segment of its address is staff.
STAFF_PAGES = (
    ("tickets:list", ()),
    ("inbox:quarantine", ()),
    ("kb_editor:list", ()),
    ("contacts:missing", ()),
    ("own_settings", ()),
    ("password_change", ()),
    ("login", ()),
    ("logout", ()),
    ("admin:index", ()),
    ("attachment", (1, "plik")),
)


@cache
def _staff_prefixes() -> tuple[str, ...]:
    prefixes = []
    for name, args in STAFF_PAGES:
        path = reverse(name, args=args)
        prefixes.append(path[: path.index("/", 1) + 1] if "/" in path[1:] else path)
    return tuple(prefixes)


def layout_for(request) -> str:
    """ "staff" or "public": which layout an error page at this address is shown in (no query)."""
    return "staff" if request.path.startswith(_staff_prefixes()) else "public"


def _is_api(request) -> bool:
    return request.path.startswith(reverse("api-root"))


def _texts(status: int) -> tuple[str, str]:
    if status == 400:
        return _("Nieprawidłowe żądanie"), _(
            "Nie możemy obsłużyć tego żądania: adres albo przesłane dane są niepoprawne. "
            "Sprawdź adres lub wróć na poprzednią stronę i spróbuj ponownie."
        )
    if status == 403:
        return _("Brak dostępu"), _(
            "Nie masz uprawnień do tej strony. Jeśli to pomyłka, skontaktuj się z administratorem systemu."
        )
    if status == 404:
        return _("Nie znaleziono strony"), _(
            "Pod tym adresem nie ma strony: mogła zostać usunięta albo adres jest niepełny. "
            "Sprawdź adres lub zacznij od strony głównej."
        )
    if status == 503:
        return _("Usługa chwilowo niedostępna"), _(
            "Nie możemy teraz obsłużyć tego żądania i nic nie zostało zapisane. Spróbuj ponownie za minutę; "
            "jeśli wysyłałeś formularz, wróć i wyślij go jeszcze raz."
        )
    return _("Błąd serwera"), _(
        "Coś poszło nie tak po naszej stronie i strony nie udało się wyświetlić. "
        "Spróbuj ponownie za kilka minut; jeśli błąd się powtarza, zgłoś go, podając godzinę."
    )


def _context(request, status: int, detail: str = "") -> dict:
    title, explanation = _texts(status)
    layout = layout_for(request)
    return {
        "status": status,
        "title": title,
        "explanation": explanation,
        "detail": detail,
        "home": reverse("tickets:list") if layout == "staff" else reverse("kb:home"),
        "home_label": _("Lista zgłoszeń") if layout == "staff" else _("Strona główna pomocy"),
        "layout": layout,
    }


def _page(request, status: int, detail: str = "") -> HttpResponse:
    context = _context(request, status, detail)
    if _is_api(request):
        return JsonResponse({"detail": detail or context["title"]}, status=status)
    return render(request, f"errors/{context['layout']}.html", context, status=status)


def bad_request(request, exception=None):
    return _page(request, 400)


def refusal(request, status: int, detail: str) -> HttpResponse:
    """The site's own error page (JSON under /api/) with our message saying what was wrong (helpdesk.inputs)."""
    return _page(request, status, detail)


def permission_denied(request, exception=None):
    # A refusal's message is ours (access.page_for, access.require) and says why; Django's own are empty.
    message = exception.args[0] if exception is not None and exception.args else ""
    return _page(request, 403, message if isinstance(message, str) else "")


def page_not_found(request, exception=None):
    # Http404's message is never shown: Django's own ("No Ticket matches the given query.") are English.
    return _page(request, 404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form was sent without a valid token (expired page, cookies blocked)."""
    detail = _(
        "Formularz nie został wysłany: strona była otwarta zbyt długo albo przeglądarka nie przesłała pliku "
        "cookie zabezpieczającego formularz. Wróć, odśwież stronę i wyślij formularz jeszcze raz. Jeśli to się "
        "powtarza, sprawdź, czy przeglądarka przyjmuje pliki cookie z tej witryny."
    )
    context = _context(request, 403, detail)
    context.update(title=_("Formularz wygasł"), explanation="")
    if _is_api(request):
        return JsonResponse({"detail": detail}, status=403)
    return render(request, f"errors/{context['layout']}.html", context, status=403)


RETRY_AFTER_SECONDS = 30


def unavailable(exc: BaseException | None) -> str | None:
    """What to tell the reader when `exc` is a passing outage rather than a fault of ours (else None)."""
    from django.db import InterfaceError, OperationalError

    from helpdesk.storage import StorageFull

    if isinstance(exc, StorageFull):
        return str(exc)
    if isinstance(exc, OperationalError | InterfaceError):
        return _("Baza danych jest chwilowo niedostępna.")
    return None


def server_error(request):
    """The 500 page, without context processors (no session, no user, no query): the database may be down.
    Django calls it while the exception is being handled: a passing outage (`unavailable`) answers 503."""
    detail = unavailable(sys.exc_info()[1])
    status = 500 if detail is None else 503
    context = _context(request, status, detail or "")
    if _is_api(request):
        response = JsonResponse({"detail": detail or context["title"]}, status=status)
    else:
        context.update(request=request, csrf_token=get_token(request))
        try:
            html = render_to_string(f"errors/{context['layout']}.html", context)
        except Exception:  # the last resort must not fail in its turn
            logger.exception("the %s page could not be rendered", status)
            html = f"<!doctype html><title>{escape(context['title'])}</title><h1>{escape(context['title'])}</h1>"
        response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@cache
def _busy_page(path_kind: str) -> tuple[bytes, str]:
    """The Polish 503 page of `busy` for an address of this kind ("api", "staff", "public"), rendered once."""
    from django.utils import translation

    request = HttpRequest()
    request.path = request.path_info = reverse("api-root") if path_kind == "api" else "/"
    if path_kind == "staff":
        request.path = request.path_info = _staff_prefixes()[0]
    with translation.override("pl"):
        context = _context(request, 503, _("Serwer obsługuje teraz zbyt wiele żądań naraz."))
        if path_kind == "api":
            return JsonResponse({"detail": context["detail"]}).content, "application/json"
        try:
            html = render_to_string(f"errors/{context['layout']}.html", context)
        except Exception:  # the last resort must not fail in its turn
            logger.exception("the busy page could not be rendered")
            html = f"<!doctype html><title>{escape(context['title'])}</title><h1>{escape(context['title'])}</h1>"
    return html.encode(), "text/html; charset=utf-8"


def busy(path: str) -> HttpResponse:
    """503 with Retry-After for a request that waited WEB_QUEUE_SECONDS for one of its web process's request
    threads (helpdesk.asgi_handler): the Polish page (JSON under /api/), made without the request (no session, no
    query, no thread: it is answered from the event loop) and the same for everyone, so it carries no token."""
    request = HttpRequest()
    request.path = path
    kind = "api" if _is_api(request) else layout_for(request)
    body, content_type = _busy_page(kind)
    response = HttpResponse(body, status=503, content_type=content_type)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Content-Language"] = "pl"
    response["Cache-Control"] = "no-store"
    return response
