"""The knowledge-base editor's pages (/redakcja/...) pass axe-core (WCAG 2.1 A/AA rules) with no serious or
critical violation, like the public portal, in Chromium and Firefox ESR: the list, a new and an existing article
(also with a preview and with errors), the diff between versions and the analytics. The runner
(tests/browser/runner.py) runs axe-core on each page a tab arrives at."""

import pytest
from django.core.cache import cache

from helpdesk.models import Role, User
from knowledge_base import actions
from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_no_editor_page_has_a_serious_or_critical_accessibility_violation(tab, live_server):
    cache.clear()
    load_starter_content()
    editor = User.objects.create_user(username="redaktor", password="test-pass-123", role=Role.KB_EDITOR)
    article = Article.objects.get(slug="jak-poprawic-wyslane-sprawozdanie")
    actions.update_article(actor=editor, article=article, summary="Korekta sprawozdania już wysłanego.")
    tab.log_in(live_server.url, "redaktor", "test-pass-123")
    for path in [
        "/redakcja/",
        "/redakcja/?status=published",
        "/redakcja/nowy/",
        f"/redakcja/{article.pk}/",
        f"/redakcja/{article.pk}/wersje/1/2/",
        "/redakcja/statystyki/",
    ]:
        tab.goto(live_server.url + path)  # answers 200 and passes axe-core, or the test fails naming the page
    # the preview, and a save with errors (shown next to the fields)
    tab.goto(f"{live_server.url}/redakcja/{article.pk}/")
    tab.click("button[name=preview]", navigates=True)
    assert tab.count("h2 + div.entry") == 1  # the preview, under its heading
    tab.goto(f"{live_server.url}/redakcja/nowy/")
    tab.fill("#id_title", "   ")  # passes the browser's `required`, refused by the server
    tab.click("button[name=save]", navigates=True, status=400)
    assert tab.count(".errorlist") >= 1
