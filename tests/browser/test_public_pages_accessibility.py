"""Every public page passes axe-core (WCAG 2.1 A/AA rules) with no serious or critical violation, on a desktop
and on a phone-sized screen. axe-core comes from the npm registry (tests/browser/package.json, `npm ci`)."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache

from knowledge_base import actions
from knowledge_base.loading import load_starter_content
from tests.conftest import need_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", WCAG_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def private_link() -> str:
    from django.core import mail

    from helpdesk import outbox

    outbox.drain()
    return re.search(r"http://\S+(/zgloszenie/\S+/)", mail.outbox[-1].body).group(1)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 740}])
def test_no_public_page_has_a_serious_or_critical_accessibility_violation(browser, live_server, viewport, mailoutbox):
    need_server("axe-core", AXE.exists(), "cd tests/browser && npm ci")
    cache.clear()
    load_starter_content()
    manual = "instrukcja-logowanie-i-profil-jednostki"
    actions.submit_contact_form(name="Anna Kowalska", email="anna@example.pl", subject="Test", body="Pytanie")
    pages = [
        "/",
        "/szukaj/?q=zapomnialem+hasla",
        "/szukaj/?q=zzzzqqq",
        "/kategoria/logowanie-i-dostep/",
        f"/artykul/{manual}/",
        "/artykul/jak-poprawic-wyslane-sprawozdanie/",
        "/formularze/",
        "/kontakt/",
        "/kontakt/wyslano/",
        "/deklaracja-dostepnosci/",
        private_link(),
    ]
    context = browser.new_context(locale="pl-PL", viewport=viewport)
    page = context.new_page()
    problems = {}
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        found = violations(page)
        if found:
            problems[path] = found
    # the contact form after a failed submission (errors shown next to the fields)
    page.goto(live_server.url + "/kontakt/")
    page.get_by_role("button", name="Wyślij zgłoszenie").click()
    page.wait_for_load_state()
    assert page.locator(".field-error").count() >= 1
    found = violations(page)
    if found:
        problems["/kontakt/ (błędy)"] = found
    context.close()
    assert not problems, problems
