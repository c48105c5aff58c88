"""The public pages' cheap paths (issue 16, bench/public_cpu.py): the article page kept whole like the others, its
feedback form without a per-visitor CSRF token (docs/security.md), and few round trips to the shared cache: the
rate limit in one, the version tokens read once per request, missing ones made in one."""

import re

import pytest
import redis.connection
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from helpdesk import public_cache, shared_cache
from helpdesk.cache_backend import ProcessRedisCache
from helpdesk.speed import cache as speed_cache
from knowledge_base import actions as kb_actions
from knowledge_base.models import Article, Feedback, Status, Visibility
from tests.submission_data import office, report, unit
from tests.test_shared_pages import _rendered


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _publish(title: str, body: str, **fields) -> Article:
    article = kb_actions.create_article(actor=None, draft=kb_actions.ArticleDraft(title=title, body=body, **fields))
    return kb_actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


def _visit(path, params=None, **extra):
    return Client(enforce_csrf_checks=True).get(path, params or {}, **extra)


# --- the article page, kept whole -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_article_page_is_kept_whole_and_never_carries_a_session_a_csrf_token_or_a_nonce():
    article = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    first = _visit(article.get_absolute_url())
    assert first.status_code == 200 and "Czy ten artykuł był pomocny?" in first.content.decode()
    assert _rendered(lambda: _visit(article.get_absolute_url())) == 0
    kept = _visit(article.get_absolute_url())
    page = kept.content.decode()
    assert kept.content == first.content and not kept.cookies and not first.cookies
    assert "csrfmiddlewaretoken" not in page and "nonce=" not in page and "sessionid" not in page
    assert settings.CSRF_COOKIE_NAME not in kept.cookies and settings.SESSION_COOKIE_NAME not in kept.cookies
    with CaptureQueriesContext(connection) as queries:  # a kept article asks the database for the index version only
        _visit(article.get_absolute_url())
    assert len(queries.captured_queries) == 1 and "indexstate" in queries.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_an_article_edit_is_shown_on_the_next_request():
    article = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    for _ in range(2):
        assert "Kliknij" in _visit(article.get_absolute_url()).content.decode()
    kb_actions.update_article(actor=None, article=article, body="Wejdź na stronę logowania.")
    page = _visit(article.get_absolute_url()).content.decode()
    assert "Wejdź na stronę logowania." in page and "Kliknij" not in page


@pytest.mark.django_db
def test_a_visit_from_a_contact_attempt_or_with_a_message_is_rendered_for_itself():
    article = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    _visit(article.get_absolute_url())
    assert _rendered(lambda: _visit(article.get_absolute_url(), {"z": "attempt-token"})) > 0
    assert "X-Accel-Expires" not in _visit(article.get_absolute_url(), {"z": "attempt-token"})  # nor at the edge
    assert _visit(article.get_absolute_url())["X-Accel-Expires"] == str(settings.PUBLIC_EDGE_SECONDS)
    thanks = {"opinia": "dziekujemy"}
    assert "Dziękujemy za opinię." in _visit(article.get_absolute_url(), thanks).content.decode()
    assert _rendered(lambda: _visit(article.get_absolute_url(), thanks)) == 0  # kept too: the same for everyone


@pytest.mark.django_db
def test_persona_visitor_agent_and_other_region_on_articles(client, alice, celina):
    """A visitor reads the public article from the kept page; an agent gets her own page (drafts and internal
    articles included) and her reading keeps nothing a visitor could get; an internal article stays 404 to a
    visitor and to a regional administrator, however often the agent read it."""
    public = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    internal = _publish("Procedura eskalacji awarii", "Dzwoń do dyżurnego.", visibility=Visibility.INTERNAL)
    _visit(public.get_absolute_url())
    client.force_login(alice)
    for _ in range(2):
        assert client.get(internal.get_absolute_url()).status_code == 200
        assert _rendered(lambda: client.get(public.get_absolute_url())) > 0  # the staff's pages are their own
    assert _visit(internal.get_absolute_url()).status_code == 404
    client.force_login(celina)
    assert client.get(internal.get_absolute_url()).status_code == 404
    assert _visit(public.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_feedback_needs_no_csrf_token_and_the_per_address_limit_bounds_it():
    article = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    visitor = Client(enforce_csrf_checks=True)  # as a form posted from another site would be: no token, no cookie
    url = f"/artykul/{article.slug}/opinia"
    answers = [visitor.post(url, {"helpful": "1"}, REMOTE_ADDR="10.7.0.1") for _ in range(31)]
    assert all(answer.status_code == 302 for answer in answers)
    assert answers[0]["Location"].endswith("?opinia=dziekujemy#opinia")
    assert not answers[30]["Location"].endswith("?opinia=dziekujemy#opinia")  # the 31st in an hour: refused
    assert Feedback.objects.filter(article=article).count() == 30
    article.refresh_from_db()
    assert article.helpful_yes == 30


# --- round trips ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_status_page_reads_its_version_tokens_once(monkeypatch):
    office("14")
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.")
    report(clinic, "MZ-88", 2025, "returned")
    reads = []
    real = shared_cache.get_many
    monkeypatch.setattr(shared_cache, "get_many", lambda keys: reads.append(keys) or real(keys))
    for _ in range(2):
        reads.clear()
        page = _visit("/status/", {"regon": clinic.regon, "year": "2025"})
        assert page.status_code == 200 and "zwrócone do korekty" in page.content.decode()
        assert len([keys for keys in reads if any(":v:" in key for key in keys)]) == 1


@pytest.mark.django_db
def test_a_search_page_reads_the_index_version_once():
    _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    _visit("/szukaj/", {"q": "hasło"})
    with CaptureQueriesContext(connection) as queries:
        _visit("/szukaj/", {"q": "hasło"})
    assert len([q for q in queries.captured_queries if "indexstate" in q["sql"]]) == 1


@pytest.mark.django_db
def test_a_change_inside_the_request_is_not_hidden_by_what_it_read_before(settings):
    settings.PUBLIC_CACHE_SECONDS = 60
    page = public_cache._Page()
    reset = public_cache._page.set(page)
    try:
        before = public_cache.tokens(["round-trip-test"])
        assert public_cache.tokens(["round-trip-test"]) == before
        public_cache.changed("round-trip-test")
        assert public_cache.tokens(["round-trip-test"]) != before
    finally:
        public_cache._page.reset(reset)


class _Trips:
    def __init__(self, monkeypatch):
        self.count = 0
        real = redis.connection.AbstractConnection.send_packed_command

        def send(conn, command, check_health=True):
            self.count += 1
            return real(conn, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", send)


@pytest.fixture
def redis_cache(redis_url):
    cache = ProcessRedisCache(redis_url, {"KEY_PREFIX": "round-trip-test"})
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match="round-trip-test:*"))
    if keys:
        client.delete(*keys)


def test_one_redis_object_per_pool(redis_cache):
    assert redis_cache._cache.get_client(write=True) is redis_cache._cache.get_client("x")


def test_a_rate_limit_hit_is_one_round_trip_and_keeps_its_window(redis_cache, monkeypatch):
    redis_cache.get("warm-up")  # the connection's handshake
    trips = _Trips(monkeypatch)
    assert [speed_cache.count(redis_cache, "hits", 1, 65) for _ in range(3)] == [1, 2, 3]
    assert trips.count == 3
    assert speed_cache.count(redis_cache, "hits", 5, 65) == 8
    assert redis_cache.get("hits") == 8  # an integer as Django's cache reads it (ratelimit.hits)
    ttl = redis_cache._cache.get_client(write=True).ttl(redis_cache.make_key("hits"))
    assert 60 < ttl <= 65


def test_missing_tokens_are_made_and_read_in_one_round_trip(redis_cache, monkeypatch):
    redis_cache.set("old", "theirs", 60)
    trips = _Trips(monkeypatch)
    found = speed_cache.add_then_get(redis_cache, {"old": "ours", "new": "ours"}, 60)
    assert found == {"old": "theirs", "new": "ours"} and trips.count == 1
    assert redis_cache.get("new") == "ours"
    assert re.fullmatch(r"\d+", str(redis_cache._cache.get_client(write=True).ttl(redis_cache.make_key("new"))))


@override_settings(KB_SEARCH_PER_MINUTE=2)
@pytest.mark.django_db
def test_the_rate_limit_still_refuses_past_the_limit_per_address():
    _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    codes = [_visit("/api/v1/kb/search", {"q": "hasło"}, REMOTE_ADDR="10.8.0.1").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert _visit("/api/v1/kb/search", {"q": "hasło"}, REMOTE_ADDR="10.8.0.2").status_code == 200


@pytest.mark.django_db
def test_a_second_unit_of_the_voivodeship_gets_the_shared_facts_from_the_cache(django_assert_num_queries):
    office("14")
    first, second = unit(1001, "14", name="Przychodnia A"), unit(1002, "14", name="Przychodnia B")
    for clinic in (first, second):
        report(clinic, "MZ-88", 2025, "returned")
    from contacts import lookup

    assert lookup.answer(first.regon, 2025).offices
    with django_assert_num_queries(1):  # the unit's reports only: instructions and offices as for the first
        result = lookup.answer(second.regon, 2025)
    assert result.offices and result.unit_name == "Przychodnia B"
    kept = _visit("/status/", {"regon": second.regon, "year": "2025"})
    assert _rendered(lambda: _visit("/status/", {"regon": second.regon, "year": "2025"})) == 0
    assert "Przychodnia B" in kept.content.decode()
