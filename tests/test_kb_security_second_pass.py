"""Issue 14, the knowledge base: typo corrections only from what the caller may read (14.2), the article API
serves the sanitised text (14.13). Persona tests: an anonymous visitor, a regional administrator of another
voivodeship (celina, a staff reader: public and staff articles) and an agent (alice, internal too)."""

import pytest
from django.core.cache import cache

from knowledge_base import actions, postings
from knowledge_base.models import Article, Status, TermForm, Visibility

pytestmark = pytest.mark.django_db

SECRET = "Kwiatuszek2026tajne"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _published(title, body, **fields) -> Article:
    article = actions.create_article(actor=None, title=title, body=body, **fields)
    return actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


def _corrections(client, word="kwiatuszek", **params) -> dict:
    response = client.get("/api/v1/kb/search", {"q": word, **params})
    assert response.status_code == 200
    return response.json()["corrections"]


def _page(client, word="kwiatuszek") -> str:
    """The portal's search page: its status line, where the corrections are shown."""
    page = client.get("/szukaj/", {"q": word}).content.decode()
    start = page.index('<p role="status">')
    return page[start : page.index("</p>", start)]


def test_an_internal_articles_words_are_never_offered_to_an_anonymous_visitor(client, celina, alice):
    _published("Procedura awaryjna", f"Hasło awaryjne: {SECRET}.", visibility=Visibility.INTERNAL)
    assert _corrections(client) == {}
    assert "kwiatuszek2026tajne" not in _page(client).lower()
    client.force_login(celina)  # a staff reader: public and staff articles, not internal ones
    assert _corrections(client) == {}
    assert "kwiatuszek2026tajne" not in _page(client).lower()
    client.force_login(alice)  # an agent reads internal articles: the correction is theirs to see
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}


def test_a_staff_articles_words_are_offered_to_staff_readers_only(client, celina):
    _published("Dla administratorów", f"Szyfr {SECRET} do panelu.", visibility=Visibility.STAFF)
    assert _corrections(client) == {}
    client.force_login(celina)
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}
    assert "kwiatuszek → kwiatuszek2026tajne" in _page(client)


def test_draft_review_and_english_articles_give_no_corrections(client, alice):
    actions.create_article(actor=None, title="Szkic", body=f"Roboczo {SECRET}.")
    _published("In English", f"The word {SECRET} here.", language="en")
    for who in (None, alice):
        if who:
            client.force_login(who)
        assert _corrections(client) == {}
        assert "kwiatuszek2026tajne" not in _page(client).lower()  # the English article is listed, not offered
    # the English search of the API corrects from English articles
    assert _corrections(client, lang="en") == {"kwiatuszek": ["kwiatuszek2026tajne"]}


def test_a_public_articles_word_is_offered_and_stops_when_it_is_archived_or_removed(client):
    article = _published("Słownik", f"Słowo {SECRET} w treści.")
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}
    assert "kwiatuszek → kwiatuszek2026tajne" in _page(client)
    actions.change_status(actor=None, article=article, status=Status.ARCHIVED)
    assert _corrections(client) == {}
    assert "kwiatuszek2026tajne" not in _page(client).lower()
    actions.change_status(actor=None, article=article, status=Status.DRAFT)
    actions.update_article(actor=None, article=article, body="Słowo usunięte.")
    assert not TermForm.objects.filter(form="kwiatuszek2026tajne").exists()  # the vocabulary is pruned


def test_the_vocabulary_keeps_a_word_while_another_article_still_has_it(client):
    first = _published("Pierwszy", f"Raz {SECRET}.")
    _published("Drugi", f"Dwa {SECRET}.")
    actions.update_article(actor=None, article=first, body="Bez tajemnic.")
    assert TermForm.objects.filter(form="kwiatuszek2026tajne").exists()
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}


def test_a_word_known_only_from_hidden_articles_is_corrected_like_an_unknown_one(client):
    """No oracle: the exact hidden word gets the same answer as any unknown word (corrections from public
    articles), not the silence of a word the vocabulary knows."""
    _published("Tajne", f"Tylko {SECRET}.", visibility=Visibility.INTERNAL)
    _published("Jawne", "Kwiatuszek2026jawne jest publiczny.")
    assert _corrections(client, word="kwiatuszek2026tajne") == {"kwiatuszek2026tajne": ["kwiatuszek2026jawne"]}


def test_deleting_an_article_and_rebuilding_prune_the_vocabulary(client):
    article = _published("Do usunięcia", f"Słowo {SECRET}.")
    kept = _published("Zostaje", "Zwykłe sprawozdanie.")
    article.delete()
    assert not TermForm.objects.filter(lemma="kwiatuszek2026tajne").exists()
    TermForm.objects.create(form="pozostalosc", lemma="pozostalosc")  # left by an older version
    postings.rebuild()
    assert not TermForm.objects.filter(lemma="pozostalosc").exists()
    assert TermForm.objects.filter(lemma="sprawozdanie").exists() and kept.pk


# --- 14.13: the article API serves what the article page shows ----------------------------------------------

NOTE_BODY = (
    "## Jak wysłać\n\nWejdź na **pz.gov.pl**.\n\n"
    "<!-- NOTATKA REDAKCJI: dyżurny Jan Kowalski, tel. 600 100 200, do usunięcia przed publikacją -->\n\n"
    '<script>alert(1)</script><a href="javascript:alert(2)">klik</a>\n'
)


def test_the_article_api_gives_readers_the_sanitised_text_without_editors_notes(client, celina, alice, redaktor):
    article = _published("Wysyłka sprawozdania", NOTE_BODY)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "NOTATKA REDAKCJI" not in page and "Kowalski" not in page
    for who in (None, celina, alice):  # anonymous, a staff reader of another voivodeship, an agent
        if who:
            client.force_login(who)
        data = client.get(f"/api/v1/kb/articles/{article.pk}/").json()
        served = str(data)
        assert "NOTATKA REDAKCJI" not in served and "Kowalski" not in served and "600 100 200" not in served
        assert "<script" not in served and "javascript:" not in served
        assert data["body_html"] in page  # the very HTML the article page shows
        assert "Wejdź na pz.gov.pl." in data["body_text"] and "<strong>pz.gov.pl</strong>" in data["body_html"]
        assert "body" not in data  # the Markdown source is the editors'
    client.force_login(redaktor)  # an editor edits the source through the API, notes included
    data = client.get(f"/api/v1/kb/articles/{article.pk}/").json()
    assert "NOTATKA REDAKCJI" in data["body"] and "<script" not in data["body_html"]
    changed = client.patch(
        f"/api/v1/kb/articles/{article.pk}/", {"title": "Wysyłka"}, content_type="application/json"
    ).json()
    assert "NOTATKA REDAKCJI" in changed["body"]
