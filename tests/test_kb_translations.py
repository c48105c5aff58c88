"""English translations of articles are searched too: an English query finds the translation (shown apart, in a
section marked lang="en"), while the Polish results stay exactly those of a Polish-only search."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from knowledge_base import actions
from knowledge_base.models import SearchLog, Status
from knowledge_base.search import search

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def publish(title, body, **extra):
    article = actions.create_article(actor=None, draft=actions.ArticleDraft(title=title, body=body, **extra))
    return actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


@pytest.fixture
def pair():
    polish = publish("Jak zmienić hasło?", "Hasło zmienisz w profilu użytkownika, w zakładce Bezpieczeństwo.")
    english = publish(
        "How to change your password?",
        "You change the password in the user profile, on the Security tab.",
        language="en",
        translation_of=polish,
    )
    return polish, english


def test_an_english_query_finds_the_english_translation(client, pair):
    _polish, english = pair
    assert [hit.article for hit in search("change password", language="en").hits] == [english]
    page = client.get(reverse("kb:search"), {"q": "change password"}).content.decode()
    assert "How to change your password?" in page and '<li lang="en">' in page
    assert "Nic nie znaleźliśmy" not in page
    assert SearchLog.objects.get().results == 1


def test_polish_search_is_unchanged_by_translations(client, pair):
    polish, english = pair
    assert [hit.article for hit in search("zmiana hasła").hits] == [polish]
    page = client.get(reverse("kb:search"), {"q": "zmiana hasła"}).content.decode()
    assert "Jak zmienić hasło?" in page and "How to change your password?" not in page
    english.delete()
    assert [hit.article for hit in search("zmiana hasła").hits] == [polish]


def test_the_api_searches_the_language_asked_for(client, pair):
    polish, english = pair
    url = "/api/v1/kb/search"
    assert [r["id"] for r in client.get(url, {"q": "password", "lang": "en"}).json()["results"]] == [english.pk]
    assert [r["id"] for r in client.get(url, {"q": "hasło"}).json()["results"]] == [polish.pk]
    refused = client.get(url, {"q": "hasło", "lang": "de"})
    assert refused.status_code == 400 and "Nieobsługiwany język" in refused.json()["lang"][0]
