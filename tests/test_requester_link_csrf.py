"""Every form on the requester's private ticket page works when posted as a browser posts it.

A browser decides the Origin (and Referer) of a form's POST from the page's referrer policy: under `no-referrer`
it sends `Origin: null`, which Django's CSRF check refuses ("Origin checking failed - null does not match any
trusted origins"). Django's test client sends no Origin at all, so the tests passed while no requester could
reply in Firefox or Chromium (found by tests/browser/test_public_walks.py). These tests read the policy the
page gives (header and <meta name="referrer">), derive the headers a browser sends from it (Fetch standard,
"append a request `Origin` header" and "determine request's referrer"), and post with CSRF checks on. The policy
must also keep the private token (in the address) from other sites."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from knowledge_base import actions
from tickets.models import Entry

pytestmark = pytest.mark.django_db

PAGE_ORIGIN = "http://testserver"
POLICIES = {
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
}
# Policies under which a request to another site never carries the page's path (and so its token).
KEEP_PATH_AT_HOME = {"no-referrer", "same-origin", "origin", "strict-origin", "origin-when-cross-origin"} | {
    "strict-origin-when-cross-origin"
}


class Forms(HTMLParser):
    """The <meta name="referrer"> and the POST forms of a page, each with the fields a submit sends."""

    def __init__(self):
        super().__init__()
        self.meta_policy = ""
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("name") or "").lower() == "referrer":
            self.meta_policy = (attrs.get("content") or "").strip().lower()
        elif tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "buttons": []}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and attrs.get("name") and attrs.get("type") != "file":
            self._form["fields"][attrs["name"]] = attrs.get("value") or ""
        elif self._form is not None and tag == "button" and attrs.get("name"):
            self._form["buttons"].append((attrs["name"], attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def referrer_policy(response) -> str:
    """The document's policy: the header's last known token, then a <meta name="referrer"> overriding it."""
    policy = "strict-origin-when-cross-origin"  # the browsers' default
    for token in response.get("Referrer-Policy", "").split(","):
        if token.strip().lower() in POLICIES:
            policy = token.strip().lower()
    page = Forms()
    page.feed(response.content.decode())
    return page.meta_policy if page.meta_policy in POLICIES else policy


def browser_headers(policy: str, page_url: str, target_url: str) -> dict:
    """The Origin and Referer a browser sends with a form's POST from `page_url` to `target_url`."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page_url))
    same_origin = target_url.startswith(origin + "/")
    downgrade = page_url.startswith("https:") and not target_url.startswith("https:")
    null_origin = (
        policy == "no-referrer"
        or (policy == "same-origin" and not same_origin)
        or (policy in {"no-referrer-when-downgrade", "strict-origin", "strict-origin-when-cross-origin"} and downgrade)
    )
    referer = {
        "no-referrer": None,
        "no-referrer-when-downgrade": None if downgrade else page_url,
        "same-origin": page_url if same_origin else None,
        "origin": origin + "/",
        "strict-origin": None if downgrade else origin + "/",
        "origin-when-cross-origin": page_url if same_origin else origin + "/",
        "strict-origin-when-cross-origin": page_url if same_origin else (None if downgrade else origin + "/"),
        "unsafe-url": page_url,
    }[policy]
    headers = {"HTTP_ORIGIN": "null" if null_origin else origin}
    if referer:
        headers["HTTP_REFERER"] = referer
    return headers


@pytest.fixture
def private_page():
    cache.clear()
    ticket, token = actions.submit_contact_form(
        name="Anna Kowalska", email="anna@przychodnia.example.pl", subject="MZ-11", body="Błąd przy wysyłce."
    )
    return ticket, f"/zgloszenie/{token}/"


def test_the_private_page_keeps_its_token_from_other_sites_and_lets_browsers_send_their_origin(private_page):
    _ticket, path = private_page
    policy = referrer_policy(Client().get(path))
    assert policy in KEEP_PATH_AT_HOME, policy
    assert browser_headers(policy, PAGE_ORIGIN + path, PAGE_ORIGIN + path)["HTTP_ORIGIN"] == PAGE_ORIGIN


def test_the_requester_replies_through_the_private_link_as_a_browser_posts(private_page):
    ticket, path = private_page
    browser = Client(enforce_csrf_checks=True)
    response = browser.get(path)
    page = Forms()
    page.feed(response.content.decode())
    [reply_form] = [form for form in page.forms if form["action"] == ""]  # the reply posts to the page itself
    headers = browser_headers(referrer_policy(response), PAGE_ORIGIN + path, PAGE_ORIGIN + path)
    data = {**reply_form["fields"], "body": "Dołączam zrzut ekranu."}
    response = browser.post(path, data, **headers)
    assert response.status_code == 302, response.content.decode()[:300]
    assert response["Location"] == path
    assert ticket.entries.filter(kind=Entry.Kind.INBOUND, body_text="Dołączam zrzut ekranu.").exists()


def test_every_form_on_the_private_page_passes_the_csrf_check_as_a_browser_posts_it(private_page):
    _ticket, path = private_page
    browser = Client(enforce_csrf_checks=True)
    response = browser.get(path)
    policy = referrer_policy(response)
    page = Forms()
    page.feed(response.content.decode())
    assert len(page.forms) >= 2  # the reply, and the language switch of the layout
    for form in page.forms:
        target = urljoin(PAGE_ORIGIN + path, form["action"])
        data = dict(form["fields"])
        if form["buttons"]:
            data.update([form["buttons"][0]])
        if form["action"] == "":
            data["body"] = "Jeszcze jedno pytanie."
        answer = browser.post(urlsplit(target).path, data, **browser_headers(policy, PAGE_ORIGIN + path, target))
        assert answer.status_code != 403, (form["action"], answer.content.decode()[:300])
        assert answer.status_code == 302, (form["action"], answer.status_code)
