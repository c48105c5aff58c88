"""The knowledge-base editor's pages (/redakcja/...) pass axe-core (WCAG 2.1 A/AA rules) with no serious or
critical violation, like the public portal: the list, a new and an existing article (also with a preview and with
errors), the diff between versions and the analytics."""

import pytest
from django.core.cache import cache

from helpdesk.models import Role, User
from knowledge_base import actions
from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article
from tests.browser.test_public_pages_accessibility import AXE, violations
from tests.conftest import need_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_no_editor_page_has_a_serious_or_critical_accessibility_violation(page, live_server):
    need_server("axe-core", AXE.exists(), "cd tests/browser && npm ci")
    cache.clear()
    load_starter_content()
    editor = User.objects.create_user(username="redaktor", password="test-pass-123", role=Role.KB_EDITOR)
    article = Article.objects.get(slug="jak-poprawic-wyslane-sprawozdanie")
    actions.update_article(actor=editor, article=article, summary="Korekta sprawozdania już wysłanego.")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill("redaktor")
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_load_state()
    pages = [
        "/redakcja/",
        "/redakcja/?status=published",
        "/redakcja/nowy/",
        f"/redakcja/{article.pk}/",
        f"/redakcja/{article.pk}/wersje/1/2/",
        "/redakcja/statystyki/",
    ]
    problems = {}
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        found = violations(page)
        if found:
            problems[path] = found
    # the preview, and a save with errors (shown next to the fields)
    page.goto(f"{live_server.url}/redakcja/{article.pk}/")
    page.get_by_role("button", name="Podgląd").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Podgląd").count() == 1
    if found := violations(page):
        problems["podgląd"] = found
    page.goto(f"{live_server.url}/redakcja/nowy/")
    page.get_by_label("Tytuł").fill("   ")  # passes the browser's `required`, refused by the server
    page.get_by_role("button", name="Zapisz").click()
    page.wait_for_load_state()
    assert page.locator(".errorlist").count() >= 1
    if found := violations(page):
        problems["błędy formularza"] = found
    assert not problems, problems
