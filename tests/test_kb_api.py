"""API v1 of the knowledge base: search and articles by visibility; editors create and update."""

import pytest
from django.core.cache import cache

from knowledge_base import actions
from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article, Status, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def test_anonymous_search_returns_ranked_public_articles_with_snippets_and_forms(client):
    load_starter_content()
    data = client.get("/api/v1/kb/search", {"q": "mz 11 bez nfz"}).json()
    first = data["results"][0]
    assert set(first) >= {"id", "title", "url", "snippet", "kind", "forms"}
    assert "MZ-11" in first["forms"] and first["url"].startswith("http")


def test_internal_articles_are_found_by_agents_only(client, alice, celina):
    article = actions.create_article(
        actor=None,
        draft=actions.ArticleDraft(
            title="Procedura eskalacji awarii", body="Dzwoń do dyżurnego.", visibility=Visibility.INTERNAL
        ),
    )
    actions.change_status(actor=None, article=article, status=Status.PUBLISHED)
    assert client.get("/api/v1/kb/search", {"q": "eskalacja awarii"}).json()["count"] == 0
    assert client.get(f"/api/v1/kb/articles/{article.pk}/").status_code == 404
    client.force_login(celina)
    assert client.get("/api/v1/kb/search", {"q": "eskalacja awarii"}).json()["count"] == 0
    client.force_login(alice)
    assert client.get("/api/v1/kb/search", {"q": "eskalacja awarii"}).json()["count"] == 1
    assert client.get(f"/api/v1/kb/articles/{article.pk}/").json()["title"] == "Procedura eskalacji awarii"


@pytest.mark.parametrize("query", ["", "&|!():*\"'", "x" * 10000])
def test_bad_queries_answer_an_empty_or_safe_result(client, query):
    response = client.get("/api/v1/kb/search", {"q": query})
    assert response.status_code == 200 and isinstance(response.json()["results"], list)


def test_editors_create_and_update_articles_and_others_may_not(client, redaktor, alice):
    client.force_login(alice)
    assert client.post("/api/v1/kb/articles/", {"title": "X"}, content_type="application/json").status_code == 403
    client.force_login(redaktor)
    created = client.post(
        "/api/v1/kb/articles/",
        {"title": "Nowy komunikat", "body": "Treść", "kind": "announcement", "forms": ["mz 88"], "status": "published"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["forms"] == ["MZ-88"]
    article_id = created.json()["id"]
    updated = client.patch(
        f"/api/v1/kb/articles/{article_id}/", {"title": "Zmieniony komunikat"}, content_type="application/json"
    )
    assert updated.status_code == 200 and Article.objects.get().versions.count() == 3
    bad = client.patch(f"/api/v1/kb/articles/{article_id}/", {"title": " "}, content_type="application/json")
    assert bad.status_code == 400


def test_the_article_list_shows_only_what_the_caller_may_read(client):
    load_starter_content()
    actions.create_article(actor=None, draft=actions.ArticleDraft(title="Szkic niewidoczny", body="x"))
    titles = [a["title"] for a in client.get("/api/v1/kb/articles/").json()["results"]]
    assert "Szkic niewidoczny" not in titles and len(titles) >= 30
