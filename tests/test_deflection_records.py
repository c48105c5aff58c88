"""Deflection statistics come only from real use of the contact form: its script's POST with the CSRF token
records a visit (rate-limited per client address); anonymous GETs of `/artykul/<slug>/?z=N` (or of the
suggestions) create nothing and only mark an article opened on a visit the form recorded and that suggested it."""

import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article, ContactAttempt
from knowledge_base.selectors import analytics

pytestmark = pytest.mark.django_db

TYPED = {"subject": "zmiana hasla", "body": ""}


@pytest.fixture(autouse=True)
def _content():
    cache.clear()
    load_starter_content()


def form_page(client) -> tuple[str, str]:
    """The contact form as a browser gets it: (its CSRF token, its visit token)."""
    page = client.get(reverse("kb:contact")).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    attempt = re.search(r'name="attempt" value="([^"]+)"', page).group(1)
    return csrf, attempt


def test_150_anonymous_article_visits_with_made_up_tokens_record_nothing():
    anonymous = Client(enforce_csrf_checks=True)
    article = Article.objects.filter(status="published").first()
    for n in range(150):
        assert anonymous.get(f"{article.get_absolute_url()}?z={n}").status_code == 200
    assert anonymous.get(reverse("kb:suggestions"), {**TYPED, "attempt": "x1"}).status_code == 405
    assert not ContactAttempt.objects.exists()
    assert analytics()["contact_with_suggestions"] == 0


def test_the_forms_own_post_records_the_visit_and_an_opened_suggested_article():
    browser = Client(enforce_csrf_checks=True)
    csrf, attempt = form_page(browser)
    refused = browser.post(reverse("kb:suggestions"), {**TYPED, "attempt": attempt})  # no CSRF token
    assert refused.status_code == 403 and not ContactAttempt.objects.exists()
    fragment = browser.post(reverse("kb:suggestions"), {**TYPED, "attempt": attempt}, HTTP_X_CSRFTOKEN=csrf)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "Jak zmienić lub odzyskać hasło?" in html
    visit = ContactAttempt.objects.get(token=attempt)
    suggested = Article.objects.get(pk=visit.suggested[0])
    other = Article.objects.filter(status="published").exclude(pk__in=visit.suggested).first()
    browser.get(f"{other.get_absolute_url()}?z={attempt}")  # not one it suggested
    visit.refresh_from_db()
    assert visit.opened_article is None
    assert f"{suggested.get_absolute_url()}?z={attempt}" in html
    browser.get(f"{suggested.get_absolute_url()}?z={attempt}")
    visit.refresh_from_db()
    assert visit.opened_article == suggested and ContactAttempt.objects.count() == 1


@override_settings(KB_CONTACT_ATTEMPTS_PER_HOUR=3)
def test_new_visits_are_rate_limited_per_client_address_and_suggestions_still_shown():
    browser = Client(enforce_csrf_checks=True)
    csrf, _attempt = form_page(browser)
    for n in range(5):
        answer = browser.post(reverse("kb:suggestions"), {**TYPED, "attempt": f"bot{n}"}, HTTP_X_CSRFTOKEN=csrf)
        assert "Jak zmienić lub odzyskać hasło?" in answer.content.decode()
    assert ContactAttempt.objects.count() == 3
    # a recorded visit is still updated while the person types on
    browser.post(reverse("kb:suggestions"), {"subject": "hasło", "attempt": "bot0"}, HTTP_X_CSRFTOKEN=csrf)
    assert ContactAttempt.objects.count() == 3
