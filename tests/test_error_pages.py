"""400, 403, 404, 500, 503 and a failed CSRF check: the site's own Polish pages, in the layout of where they happen.

Never Django's bare English pages ("Not Found", "Forbidden (403) CSRF verification failed", "Bad Request
(400)", "Server Error (500)"), also with DEBUG off; nothing about what was refused or why it broke; with the
database down (or the attachment storage full) a 503 page saying so, rendered without asking the database.
"""

import errno

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from helpdesk import errors
from helpdesk.storage import StorageFull

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_debug_off")]

FIREFOX = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.5"}
DJANGO_ENGLISH = ("Not Found", "Forbidden", "CSRF verification failed", "Bad Request", "Server Error", "requested")


@pytest.fixture
def _debug_off():
    with override_settings(DEBUG=False), translation.override(settings.LANGUAGE_CODE):
        yield


def page_of(response, status: int, layout: str) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="pl">' in page
    assert [word for word in DJANGO_ENGLISH if word in page] == []
    if layout == "public":
        assert "css/public.css" in page and "Formularze i terminy" in page and "css/app.css" not in page
    else:
        assert "css/app.css" in page and "css/public.css" not in page
    return page


class _DatabaseDown:
    """Every query fails as it does when PostgreSQL is gone; counts what was still attempted."""

    def __init__(self):
        self.attempts = []

    def __call__(self, execute, sql, params, many, context):
        self.attempts.append(sql)
        raise OperationalError("connection to server at 127.0.0.1:5432 failed: tajne-szczegoly")


# --- 404 ---------------------------------------------------------------------------------------------------


def test_an_unknown_public_address_gets_the_polish_404_in_the_portal_layout(client):
    page = page_of(client.get("/nie-ma-takiej-strony/", **FIREFOX), 404, "public")
    assert "Nie znaleziono strony" in page and 'href="/"' in page


def test_an_unknown_article_gets_the_polish_404_in_the_portal_layout(client):
    page = page_of(client.get(reverse("kb:article", args=["nie-ma-takiego"]), **FIREFOX), 404, "public")
    assert "Nie znaleziono strony" in page


def test_a_ticket_of_another_voivodeship_gets_the_staff_404_and_nothing_of_the_ticket(
    client, bob, queue_24, open_email_ticket
):
    ticket = open_email_ticket(queue_24, subject="Tajny temat z Pomorza")
    client.force_login(bob)
    page = page_of(client.get(reverse("tickets:detail", args=[ticket.reference]), **FIREFOX), 404, "staff")
    assert "Nie znaleziono strony" in page and "Wyloguj" in page  # the staff layout with bob's menu
    assert "Tajny temat" not in page and "Jan Nowak" not in page and "przychodnia.example.pl" not in page


def test_an_unknown_staff_address_gets_the_staff_404(client, alice):
    client.force_login(alice)
    page = page_of(client.get("/tickets/calls/nie-ma/zupelnie/", **FIREFOX), 404, "staff")
    assert "Nie znaleziono strony" in page and reverse("tickets:list") in page


def test_the_404_follows_english_chosen_with_the_switch(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/nie-ma-takiej-strony/", **FIREFOX)
    page = response.content.decode()
    assert response.status_code == 404 and '<html lang="en">' in page
    with translation.override("en"):
        assert translation.gettext("Nie znaleziono strony") in page
    assert "Nie znaleziono strony" not in page


def test_an_unknown_api_address_answers_json(client):
    response = client.get("/api/v1/nie-ma/")
    assert response.status_code == 404 and response.json() == {"detail": "Nie znaleziono strony"}


# --- 403 ---------------------------------------------------------------------------------------------------


def test_a_refused_staff_page_gets_the_staff_403_with_the_reason(client, szef):
    client.force_login(szef)
    page = page_of(client.get(reverse("tickets:call_new"), **FIREFOX), 403, "staff")
    assert "Brak dostępu" in page and "Nie masz uprawnień do obsługi zgłoszeń." in page


def test_the_editor_refused_the_reports_gets_the_staff_403(client, redaktor):
    client.force_login(redaktor)
    page = page_of(client.get(reverse("contacts:missing"), **FIREFOX), 403, "staff")
    assert "Brak dostępu" in page


def test_a_refusal_at_a_public_address_gets_the_portal_403(rf):
    request = rf.get("/kontakt/")
    request.session, request.user = {}, None
    response = errors.permission_denied(request, PermissionDenied())
    page = page_of(response, 403, "public")
    assert "Brak dostępu" in page


# --- 400 ---------------------------------------------------------------------------------------------------


def test_a_request_for_a_foreign_host_gets_the_polish_400_in_the_portal_layout(client):
    page = page_of(client.get("/", HTTP_HOST="obca.example.com", **FIREFOX), 400, "public")
    assert "Nieprawidłowe żądanie" in page and "obca.example.com" not in page


def test_a_bad_request_at_a_staff_address_gets_the_staff_400(client):
    page = page_of(client.get("/tickets/", HTTP_HOST="obca.example.com", **FIREFOX), 400, "staff")
    assert "Nieprawidłowe żądanie" in page


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_fields_get_the_polish_400(client):
    response = client.post(reverse("kb:contact"), {f"pole{i}": "x" for i in range(10)}, **FIREFOX)
    assert "Nieprawidłowe żądanie" in page_of(response, 400, "public")


# --- CSRF --------------------------------------------------------------------------------------------------


def test_a_contact_form_sent_without_its_token_gets_the_polish_csrf_page_in_the_portal_layout():
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        reverse("kb:contact"),
        {"name": "Jan", "email": "jan@example.pl", "subject": "Temat", "body": "Treść"},
        **FIREFOX,
    )
    page = page_of(response, 403, "public")
    assert "Formularz wygasł" in page and "odśwież stronę" in page
    assert "Referer" not in page and "token" not in page.lower().replace("csrfmiddlewaretoken", "")
    assert 'action="/i18n/setlang/"' in page  # the language switch on this page works: it needs no token


def test_a_staff_form_sent_without_its_token_gets_the_csrf_page_in_the_staff_layout(alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post(reverse("tickets:status", args=[ticket.reference]), {"status": "open"}, **FIREFOX)
    page = page_of(response, 403, "staff")
    assert "Formularz wygasł" in page and "Wyloguj" in page
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_the_csrf_failure_view_is_the_sites_own():
    assert settings.CSRF_FAILURE_VIEW == "helpdesk.errors.csrf_failure"


# --- 500 ---------------------------------------------------------------------------------------------------


def test_with_the_database_down_the_portal_shows_the_polish_503_and_asks_nothing_more():
    browser = Client(raise_request_exception=False)
    down = _DatabaseDown()
    with connection.execute_wrapper(down):
        response = browser.get("/", **FIREFOX)
    page = page_of(response, 503, "public")
    assert "Usługa chwilowo niedostępna" in page and "Baza danych jest chwilowo niedostępna." in page
    assert "tajne-szczegoly" not in page and "5432" not in page
    assert response["Retry-After"] == "30"
    assert len(down.attempts) == 1  # the query that failed; the error page itself asked nothing


def test_with_the_database_down_a_staff_page_shows_the_503_in_the_staff_layout(alice):
    browser = Client(raise_request_exception=False)
    browser.force_login(alice)
    down = _DatabaseDown()
    with connection.execute_wrapper(down):
        response = browser.get(reverse("tickets:list"), **FIREFOX)
    page = page_of(response, 503, "staff")
    assert "Baza danych jest chwilowo niedostępna." in page and "tajne-szczegoly" not in page
    assert len(down.attempts) == 1  # loading the session failed; the error page asked nothing
    assert 'action="/i18n/setlang/"' in page  # the language switch still works (it needs no token)


def test_with_the_database_down_the_api_answers_503_in_json():
    browser = Client(raise_request_exception=False)
    with connection.execute_wrapper(_DatabaseDown()):
        response = browser.get("/api/v1/submissions/lookup", {"regon": "000000000", "year": 2025})
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Baza danych jest chwilowo niedostępna."}
    assert response["Retry-After"] == "30"


def test_a_full_attachment_storage_gets_the_503_page_saying_so(rf):
    try:
        raise StorageFull(OSError(errno.ENOSPC, "No space left on device"))
    except StorageFull:
        response = errors.server_error(rf.get("/kontakt/"))
    page = response.content.decode()
    assert response.status_code == 503 and "Brak miejsca na dysku na załączniki" in page


def test_any_other_failure_is_still_the_500(rf):
    try:
        raise ValueError("a bug of ours")
    except ValueError:
        response = errors.server_error(rf.get("/"))
    assert response.status_code == 500 and "Błąd serwera" in response.content.decode()


def test_the_500_page_renders_without_any_query(rf, django_assert_num_queries):
    for path in ("/", "/tickets/", "/redakcja/"):
        with django_assert_num_queries(0):
            response = errors.server_error(rf.get(path))
        assert response.status_code == 500 and "Błąd serwera" in response.content.decode()


def test_a_500_at_an_api_address_answers_json(rf):
    response = errors.server_error(rf.get("/api/v1/tickets/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"


# --- where each layout applies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,layout",
    [
        ("/", "public"),
        ("/szukaj/", "public"),
        ("/status/", "public"),
        ("/administratorzy/", "public"),
        ("/zgloszenie/abc/", "public"),
        ("/tickets/", "staff"),
        ("/tickets/ABC-1/", "staff"),
        ("/sprawozdania/jednostka/1/", "staff"),
        ("/redakcja/", "staff"),
        ("/inbox/quarantine/", "staff"),
        ("/admin/", "staff"),
        ("/login/", "staff"),
        ("/ustawienia/", "staff"),
        ("/attachments/1/x.pdf", "staff"),
    ],
)
def test_the_layout_is_chosen_by_the_address(rf, path, layout):
    assert errors.layout_for(rf.get(path)) == layout
