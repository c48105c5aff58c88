"""The knowledge base in the Django admin: categories and tags are edited there (a renamed tag is searchable at
once), articles and the portal's records are read-only (articles change in the editor, which keeps versions),
and people outside the admin (a regional administrator) are sent to the login page."""

import pytest

from helpdesk.models import Role, User
from knowledge_base import actions
from knowledge_base.models import Article, Category, Status, Tag
from knowledge_base.search import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)


@pytest.fixture
def article(redaktor):
    tag = Tag.objects.create(slug="konto", name="konto")
    created = actions.create_article(
        actor=redaktor, draft=actions.ArticleDraft(title="Nowy użytkownik", body="Dodaj osobę w systemie.")
    )
    actions.update_article(actor=redaktor, article=created, tags=[tag])
    return actions.change_status(actor=redaktor, article=created, status=Status.PUBLISHED)


def test_every_kb_model_people_manage_is_in_the_admin(client, root, article):
    client.force_login(root)
    index = client.get("/admin/knowledge_base/").content.decode()
    for model in ("article", "category", "tag", "feedback", "searchlog", "contactattempt", "missingarticleflag"):
        assert f"/admin/knowledge_base/{model}/" in index, model
    assert "Nowy użytkownik" in client.get("/admin/knowledge_base/article/").content.decode()


def test_articles_are_read_only_in_the_admin(client, root, article):
    client.force_login(root)
    assert client.get(f"/admin/knowledge_base/article/{article.pk}/change/").status_code == 200  # view only
    assert f'href="/redakcja/{article.pk}/"' in client.get("/admin/knowledge_base/article/").content.decode()
    assert client.post(f"/admin/knowledge_base/article/{article.pk}/change/", {"title": "X"}).status_code == 403
    assert client.get("/admin/knowledge_base/article/add/").status_code == 403
    assert client.post(f"/admin/knowledge_base/article/{article.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Article.objects.get(pk=article.pk).title == "Nowy użytkownik"


def test_a_category_is_added_and_a_renamed_tag_is_searchable_at_once(client, root, article):
    client.force_login(root)
    response = client.post("/admin/knowledge_base/category/add/", {"name": "Konta", "slug": "konta", "position": 3})
    assert response.status_code == 302 and Category.objects.filter(slug="konta").exists()
    assert search("uprawnienia").hits == []
    tag = Tag.objects.get(slug="konto")
    response = client.post(f"/admin/knowledge_base/tag/{tag.pk}/change/", {"name": "uprawnienia", "slug": "konto"})
    assert response.status_code == 302
    assert [hit.article.pk for hit in search("uprawnienia").hits] == [article.pk]


def test_a_regional_administrator_is_sent_to_the_admin_login(client, celina, article):
    client.force_login(celina)
    for path in ("/admin/knowledge_base/article/", "/admin/knowledge_base/tag/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
