"""Whole public pages kept for visitors without a session (helpdesk.public_cache.shared_page): the same page for
every such visitor, never a cookie, never for the staff, moved by every change of what it shows; the rate limits
and the search log still count every request; the language switch needs no CSRF token and sends nobody away."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from contacts import actions as contacts_actions
from knowledge_base import actions as kb_actions
from knowledge_base.models import Article, SearchLog, Status, Visibility
from tests.submission_data import office, report, unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def clinic(db):
    office("14")
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.")
    report(clinic, "MZ-88", 2025, "returned")
    return clinic


def _publish(title: str, body: str, **fields) -> Article:
    article = kb_actions.create_article(actor=None, draft=kb_actions.ArticleDraft(title=title, body=body, **fields))
    return kb_actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


def _visit(path, params=None, **extra):
    """A new visitor: a client without cookies, from an address of its own unless told."""
    return Client(enforce_csrf_checks=True).get(path, params or {}, **extra)


def _rendered(run) -> int:
    """How many templates `run` rendered (none for a kept page)."""
    from django.test.signals import template_rendered

    seen = []
    template_rendered.connect(receiver := lambda **kw: seen.append(kw["template"].name))
    try:
        run()
    finally:
        template_rendered.disconnect(receiver)
    return len(seen)


def test_two_visitors_get_the_same_page_without_a_cookie_and_the_second_is_not_rendered(clinic):
    _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    for path, params in [
        ("/", {}),
        ("/szukaj/", {"q": "hasło"}),
        ("/status/", {"regon": clinic.regon, "year": "2025"}),
    ]:
        first = _visit(path, params)
        assert first.status_code == 200 and not first.cookies and "csrfmiddlewaretoken" not in first.content.decode()
        assert _rendered(lambda: _visit(path, params)) == 0  # noqa: B023
        second = _visit(path, params)
        assert second.content == first.content and not second.cookies
        assert "Cookie" in second["Vary"] and second["Content-Security-Policy"] == first["Content-Security-Policy"]
        assert second["Content-Language"] == "pl"


def test_the_language_cookie_gets_its_own_page():
    _visit("/")
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = english.get("/").content.decode()
    assert 'lang="en"' in page
    assert 'lang="pl"' in _visit("/").content.decode().split("\n", 3)[2]


def test_a_staff_member_never_gets_the_visitors_page_and_the_regional_administrator_of_another_voivodeship_sees_nothing_new(  # noqa: E501
    client, alice, celina
):
    _publish("Procedura eskalacji awarii", "Dzwoń do dyżurnego.", visibility=Visibility.INTERNAL)
    _visit("/szukaj/", {"q": "eskalacja"})
    _visit("/szukaj/", {"q": "eskalacja"})  # kept
    client.force_login(alice)
    assert "Procedura eskalacji awarii" in client.get("/szukaj/", {"q": "eskalacja"}).content.decode()
    assert _rendered(lambda: client.get("/szukaj/", {"q": "eskalacja"})) > 0  # the staff's pages are their own
    client.force_login(celina)
    assert "Procedura eskalacji awarii" not in client.get("/szukaj/", {"q": "eskalacja"}).content.decode()
    assert "Procedura eskalacji awarii" not in _visit("/szukaj/", {"q": "eskalacja"}).content.decode()


def test_a_status_change_and_an_article_edit_are_shown_on_the_next_request(clinic, bob):
    lookup = ("/status/", {"regon": clinic.regon, "year": "2025"})
    assert "zwrócone do korekty" in _visit(*lookup).content.decode()
    assert "zwrócone do korekty" in _visit(*lookup).content.decode()
    contacts_actions.set_submission_status(actor=bob, regon=clinic.regon, form="MZ-88", year=2025, status="accepted")
    assert "zwrócone do korekty" not in _visit(*lookup).content.decode()
    article = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    for _ in range(2):
        assert "Jak zresetować hasło" in _visit("/szukaj/", {"q": "hasło"}).content.decode()
        assert "Jak zresetować hasło" in _visit("/").content.decode()
    kb_actions.update_article(actor=None, article=article, title="Nowe hasło krok po kroku")
    assert "Nowe hasło krok po kroku" in _visit("/szukaj/", {"q": "hasło"}).content.decode()
    assert "Nowe hasło krok po kroku" in _visit("/").content.decode()


def test_the_search_log_and_the_rate_limits_count_kept_pages(clinic):
    _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    for _ in range(3):
        assert _visit("/szukaj/", {"q": "hasło"}, REMOTE_ADDR="10.9.0.1").status_code == 200
    assert SearchLog.objects.count() == 3
    with override_settings(KB_SEARCH_PER_MINUTE=3):
        limited = _visit("/szukaj/", {"q": "hasło"}, REMOTE_ADDR="10.9.0.1")
    assert limited.status_code == 429 and SearchLog.objects.count() == 3
    with override_settings(LOOKUP_RATE_LIMIT=2):
        answers = [
            _visit("/status/", {"regon": clinic.regon, "year": "2025"}, REMOTE_ADDR="10.9.0.2") for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [200, 200, 429]


def test_a_repeated_kept_page_asks_the_database_at_most_for_the_index_version():
    _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    _visit("/szukaj/", {"q": "hasło"})
    with CaptureQueriesContext(connection) as queries:
        _visit("/szukaj/", {"q": "hasło"})
    assert not any("knowledge_base_article" in q["sql"] and "INSERT" not in q["sql"] for q in queries.captured_queries)


def test_other_parameters_a_session_or_the_contact_form_are_never_kept(client, clinic):
    assert _rendered(lambda: _visit("/", {"x": "1"})) and _rendered(lambda: _visit("/", {"x": "1"}))
    _visit("/kontakt/")
    assert _rendered(lambda: _visit("/kontakt/")) > 0
    with_session = Client()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "abc"
    _visit("/")
    assert _rendered(lambda: with_session.get("/")) > 0


@pytest.mark.parametrize("language, word", [("en", 'lang="en"'), ("pl", 'lang="pl"')])
def test_the_language_switch_works_without_a_csrf_token_both_ways(language, word):
    visitor = Client(enforce_csrf_checks=True)
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl" if language == "en" else "en"
    answer = visitor.post("/i18n/setlang/", {"language": language, "next": "/szukaj/?q=has%C5%82o"})
    assert answer.status_code == 302 and answer["Location"] == "/szukaj/?q=has%C5%82o"
    assert visitor.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    assert word in visitor.get("/").content.decode().split("\n", 3)[2]


def test_the_language_switch_sends_nobody_to_another_site():
    answer = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en", "next": "https://zly.example/"})
    assert answer.status_code == 302 and answer["Location"] == "/"
    answer = Client().post(
        "/i18n/setlang/", {"language": "en", "next": "//zly.example/x"}, HTTP_REFERER="https://zly.example/"
    )
    assert answer["Location"] == "/"
