"""The public portal without login: front page, search, articles by visibility, forms catalogue, statement."""

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from knowledge_base import actions
from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article, Feedback, Kind, SearchLog, Status, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def publish(title, body, **extra):
    article = actions.create_article(actor=None, draft=actions.ArticleDraft(title=title, body=body, **extra))
    return actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


def test_the_front_page_is_public_and_shows_search_categories_and_current_announcements(client):
    load_starter_content()
    page = client.get("/").content.decode()
    assert 'role="search"' in page and "Logowanie i dostęp" in page
    assert "Przypomnienie: zbliża się termin MZ-88" in page
    assert 'href="/status/"' in page and 'href="/administratorzy/"' in page and 'href="/login/"' in page


def test_an_expired_announcement_leaves_the_front_page(client):
    from django.utils import timezone

    publish(
        "Przerwa techniczna w sobotę",
        "System nie działa.",
        kind=Kind.ANNOUNCEMENT,
        expire_at=timezone.now() + timezone.timedelta(hours=1),
    )
    assert "Przerwa techniczna" in client.get("/").content.decode()  # the front page is cached from here on
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1, seconds=1)):
        assert "Przerwa techniczna" not in client.get("/").content.decode()


def test_staff_still_reach_the_login_page_and_the_ticket_list(client, alice):
    assert client.get("/login/").status_code == 200
    client.force_login(alice)
    assert client.get("/tickets/").status_code == 200


def test_search_finds_inflected_words_without_diacritics_and_highlights_them(client):
    load_starter_content()
    page = client.get(reverse("kb:search"), {"q": "zapomnialem hasla"}).content.decode()
    assert "Jak zmienić lub odzyskać hasło?" in page and "<mark>" in page
    assert SearchLog.objects.get().results >= 1


@pytest.mark.parametrize("query", ["", "   ", "&|!():*\"'", "x" * 10000, "<script>alert(1)</script>", "' OR 1=1 --"])
def test_bad_search_input_gives_a_safe_page_never_an_error(client, query):
    load_starter_content()
    response = client.get(reverse("kb:search"), {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_an_article_page_has_a_table_of_contents_with_anchors_for_a_manual(client):
    load_starter_content()
    page = client.get(reverse("kb:article", args=["instrukcja-logowanie-i-profil-jednostki"])).content.decode()
    assert 'href="#logowanie-przez-profil-zaufany"' in page and 'id="logowanie-przez-profil-zaufany"' in page


def test_script_in_an_article_body_is_never_served(client):
    publish(
        "Artykuł z pułapką", "Tekst <script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3))"
    )
    article = Article.objects.get()
    assert "<script" not in article.body_html and "onerror" not in article.body_html
    assert "javascript:" not in article.body_html
    page = client.get(article.get_absolute_url()).content.decode()
    assert "alert(1)</script>" not in page and "onerror" not in page


@pytest.mark.parametrize(
    ("visibility", "anonymous", "regional_admin", "agent"),
    [
        (Visibility.PUBLIC, 200, 200, 200),
        (Visibility.STAFF, 404, 200, 200),
        (Visibility.INTERNAL, 404, 404, 200),
    ],
)
def test_article_visibility_follows_the_readers_role(
    client, celina, alice, visibility, anonymous, regional_admin, agent
):
    article = publish("Procedura wewnętrzna", "Treść.", visibility=visibility)
    url = article.get_absolute_url()
    assert client.get(url).status_code == anonymous
    client.force_login(celina)
    assert client.get(url).status_code == regional_admin
    client.force_login(alice)
    assert client.get(url).status_code == agent


def test_drafts_and_scheduled_articles_are_not_public_yet(client):
    from django.utils import timezone

    draft = actions.create_article(actor=None, draft=actions.ArticleDraft(title="Szkic", body="Treść szkicu."))
    later = publish("Zaplanowany", "Treść.", publish_at=timezone.now() + timezone.timedelta(days=1))
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(later.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=later.pk).update(publish_at=timezone.now() - timezone.timedelta(seconds=1))
    assert client.get(later.get_absolute_url()).status_code == 200


def test_was_this_helpful_records_the_answer_and_the_comment(client):
    article = publish("Pomocny artykuł", "Treść.")
    response = client.post(reverse("kb:feedback", args=[article.slug]), {"helpful": "0", "comment": "Brak zrzutu"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.helpful_no == 1 and Feedback.objects.get().comment == "Brak zrzutu"
    assert client.post(reverse("kb:feedback", args=[article.slug]), {"helpful": "tak"}).status_code == 302
    assert Feedback.objects.count() == 1


def test_the_forms_catalogue_lists_every_active_form(client):
    page = client.get(reverse("kb:forms")).content.decode()
    assert "MZ-88" in page and "MZ-24" in page and "<caption" in page


def test_the_accessibility_statement_is_published(client):
    page = client.get(reverse("kb:accessibility")).content.decode()
    assert "Deklaracja dostępności" in page and "WCAG 2.1" in page
