"""Polish whatever the browser asks for; English only after the person picks it with the switch, remembered.

Firefox out of the box sends `Accept-Language: en-US,en;q=0.5`: it used to get an English interface around
Polish articles, units and forms. Each page here is asked for with that header and must not show the English
of the interface's own words (taken from the catalogue, so the test follows the translations).
"""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

FIREFOX = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.5"}
PUBLIC_CHROME = ("Przejdź do treści", "Formularze i terminy", "Czy sprawozdanie dotarło?", "Kontakt")
STAFF_CHROME = ("Przejdź do treści", "Zgłoszenia", "Moje ustawienia", "Zmień hasło", "Wyloguj")


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def english(msgids):
    with translation.override("en"):
        return [translation.gettext(msgid) for msgid in msgids]


def assert_polish(response, chrome):
    page = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert '<html lang="pl">' in page and response["Content-Language"] == "pl"
    assert all(word in page for word in chrome), [word for word in chrome if word not in page]
    leaked = [word for word in english(chrome) if word not in chrome and word in page]
    assert leaked == []


PUBLIC_PAGES = ["/", "/szukaj/?q=MZ-03", "/formularze/", "/status/", "/administratorzy/", "/kontakt/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_is_polish_for_firefox_as_it_comes(client, path):
    assert_polish(client.get(path, **FIREFOX), PUBLIC_CHROME)


@pytest.mark.parametrize(
    "name", ["tickets:list", "tickets:call_new", "tickets:sla_report", "inbox:quarantine", "contacts:missing"]
)
def test_a_staff_page_is_polish_for_firefox_as_it_comes(client, alice, name):
    client.force_login(alice)
    assert_polish(client.get(reverse(name), **FIREFOX), STAFF_CHROME)


def test_the_login_page_is_polish_for_firefox_as_it_comes(client):
    response = client.get(reverse("login"), **FIREFOX)
    assert_polish(response, ("Logowanie", "Zaloguj"))


def test_the_answer_varies_with_the_cookie_not_with_the_browser_language(client):
    vary = client.get("/", **FIREFOX)["Vary"]
    assert "Cookie" in vary and "Accept-Language" not in vary


def test_english_chosen_with_the_switch_is_kept_and_remembered_after_the_browser_restarts(client, alice):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, **FIREFOX)
    assert response.status_code == 302
    cookie = client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and int(cookie["max-age"]) >= 300 * 24 * 3600  # not a session cookie
    page = client.get("/", **FIREFOX).content.decode()
    assert '<html lang="en">' in page and all(word in page for word in english(PUBLIC_CHROME))
    client.force_login(alice)
    page = client.get(reverse("tickets:list"), **FIREFOX).content.decode()
    assert '<html lang="en">' in page and all(word in page for word in english(STAFF_CHROME))
    assert "Wyloguj" not in page and "Moje ustawienia" not in page


def test_switching_back_to_polish_wins_over_an_english_browser(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"}, **FIREFOX)
    client.post(reverse("set_language"), {"language": "pl", "next": "/"}, **FIREFOX)
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pl"
    assert_polish(client.get("/", **FIREFOX), PUBLIC_CHROME)


def test_a_language_cookie_the_site_does_not_offer_falls_back_to_polish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert_polish(client.get("/", **FIREFOX), PUBLIC_CHROME)
