"""Every public page passes axe-core (WCAG 2.1 A/AA rules) with no serious or critical violation, in Chromium and
Firefox ESR, on a desktop and on a phone-sized screen: the runner (tests/browser/runner.py) runs axe-core on each
page a tab arrives at. axe-core and puppeteer-core come from the npm registry (tests/browser/package.json)."""

import re

import pytest
from django.core.cache import cache

from knowledge_base import actions
from knowledge_base.loading import load_starter_content
from tests.browser.runner import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def private_link() -> str:
    from django.core import mail

    from helpdesk import outbox

    outbox.drain()
    return re.search(r"http://\S+(/zgloszenie/\S+/)", mail.outbox[-1].body).group(1)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_public_page_has_a_serious_or_critical_accessibility_violation(open_tab, live_server, viewport, mailoutbox):
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
        "/status/",
        "/administratorzy/",
        "/kontakt/",
        "/kontakt/wyslano/",
        "/deklaracja-dostepnosci/",
        private_link(),
    ]
    tab = open_tab(viewport)
    for path in pages:
        tab.goto(live_server.url + path)  # answers 200 and passes axe-core, or the test fails naming the page
    # the contact form after a failed submission (errors shown next to the fields)
    tab.goto(live_server.url + "/kontakt/")
    tab.click("#contact-form button[type=submit]", navigates=True, status=400)
    assert tab.count(".field-error") >= 1
    assert len(tab.visited) == len(pages) + 2
