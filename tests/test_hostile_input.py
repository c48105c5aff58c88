"""Hostile input to every parameter the code reads, public and staff, GET and POST, query, form and JSON, and to
the headers it reads (token, referer, forwarded address, language): NUL bytes, other scripts' digits, huge
numbers, lone surrogates, encoded words (tests/hostile.py). Never a server error: a 400 (or a form error) in
Polish, a 404, a refusal. Runs on SQLite and on PostgreSQL (DATABASE_URL).

`ENDPOINTS` lists each address with the parameters its view reads (`:path` is a path segment taken from the
address itself); `test_every_address_of_the_site_is_in_the_table` keeps it complete when an address is added.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import given
from hypothesis import strategies as st

from helpdesk import tokens
from helpdesk.models import User
from knowledge_base import actions as kb_actions
from knowledge_base.models import Status as ArticleStatus
from tests import hostile
from tests.submission_data import report, unit

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    name: str  # URL name (namespace:name)
    method: str  # GET, POST (form), JSON (POST with a JSON body), PATCH (JSON), DELETE (JSON)
    path: str  # with {ref}, {slug}, {article}, {regon}, {token} from the world below; {path} for `:path`
    params: tuple[str, ...]
    who: str = "anonymous"  # anonymous, alice (agent), bob (regional 14), redaktor, feed, pbx


E = Endpoint
ENDPOINTS = [
    # --- public portal ---
    E("kb:home", "GET", "/", ("q", "page")),
    E("kb:search", "GET", "/szukaj/", ("q", "page")),
    E("kb:category", "GET", "/kategoria/{path}/", (":path",)),
    E("kb:article", "GET", "/artykul/{slug}/", ("z", "opinia")),
    E("kb:article", "GET", "/artykul/{path}/", (":path", "z")),
    E("kb:feedback", "POST", "/artykul/{slug}/opinia", ("helpful", "comment")),
    E("kb:attachment", "GET", "/pliki/1/{path}", (":path",)),
    E("kb:forms", "GET", "/formularze/", ("q", "form")),
    E("kb:contact", "POST", "/kontakt/", ("name", "email", "regon", "subject", "body", "website", "attempt")),
    E("kb:contact", "GET", "/kontakt/", ("attempt",)),
    E("kb:suggestions", "GET", "/kontakt/podpowiedzi", ("subject", "body", "attempt")),
    E("kb:contact_sent", "GET", "/kontakt/wyslano/", ("x",)),
    E("kb:requester_ticket", "GET", "/zgloszenie/{path}/", (":path",)),
    E("kb:requester_ticket", "POST", "/zgloszenie/{token}/", ("body",)),
    E("kb:requester_attachment", "GET", "/zgloszenie/{path}/pliki/1", (":path",)),
    E("kb:accessibility", "GET", "/deklaracja-dostepnosci/", ("x",)),
    E("status_lookup", "GET", "/status/", ("regon", "year", "form")),
    E("administrators", "GET", "/administratorzy/", ("voivodeship",)),
    E("api_submission_lookup", "GET", "/api/v1/submissions/lookup", ("regon", "year", "form")),
    E("kb-api-search", "GET", "/api/v1/kb/search", ("q", "limit", "kind", "lang", "source")),
    E("kb-api-articles", "GET", "/api/v1/kb/articles/", ("kind", "limit", "offset")),
    E("kb-api-article", "GET", "/api/v1/kb/articles/{article}/", ("x",)),
    E("healthz", "GET", "/healthz", ("x",)),
    E("login", "POST", "/login/", ("username", "password", "next")),
    E("login", "GET", "/login/", ("next",)),
    E("set_language", "POST", "/i18n/setlang/", ("language", "next")),
    E("telephony_events", "JSON", "/api/v1/telephony/events", ("event", "call_id", "caller", "extension"), "pbx"),
    E("api_submission_batch", "JSON", "/api/v1/submissions/batch", ("items",), "feed"),
    # --- staff: tickets ---
    E("tickets:list", "GET", "/tickets/", ("view", "queue", "status", "assignee", "q", "sort", "page"), "alice"),
    E("tickets:list", "GET", "/tickets/", ("assignee", "queue", "q"), "bob"),
    E("tickets:call_new", "GET", "/tickets/calls/new", ("number", "call_id"), "alice"),
    E(
        "tickets:call_new",
        "POST",
        "/tickets/calls/new",
        (
            "caller_number",
            "direction",
            "unit",
            "unit_query",
            "requester_name",
            "subject",
            "category",
            "form_code",
            "notes",
            "duration_seconds",
            "outcome",
            "ticket",
            "callback_due_at",
            "call_id",
            "timer_started",
        ),
        "alice",
    ),
    E("tickets:call_caller_card", "GET", "/tickets/calls/caller-card", ("number",), "alice"),
    E("tickets:call_units", "GET", "/tickets/calls/units", ("q",), "alice"),
    E("tickets:sla_report", "GET", "/tickets/sla/", ("month",), "alice"),
    E("tickets:saved_view_create", "POST", "/tickets/saved-views/new", ("name", "query"), "alice"),
    E("tickets:saved_view_delete", "POST", "/tickets/saved-views/1/delete", ("x",), "alice"),
    E("tickets:changes", "GET", "/tickets/changes", ("after",), "alice"),
    E("tickets:notices", "GET", "/tickets/notices", ("after",), "alice"),
    E("tickets:detail", "GET", "/tickets/{ref}/", ("wszystkie", "wstaw", "szablon"), "alice"),
    E("tickets:detail", "GET", "/tickets/{path}/", (":path",), "alice"),
    E("tickets:changes_of_ticket", "GET", "/tickets/{ref}/changes", ("after",), "alice"),
    E(
        "tickets:reply",
        "POST",
        "/tickets/{ref}/reply",
        ("kind", "to", "cc", "body_text", "seen_event", "submission_key"),
        "alice",
    ),
    E("tickets:canned_response", "GET", "/tickets/{ref}/canned/1", ("x",), "alice"),
    E("tickets:status", "POST", "/tickets/{ref}/status", ("status", "reason"), "alice"),
    E("tickets:priority", "POST", "/tickets/{ref}/priority", ("priority",), "alice"),
    E("tickets:assign", "POST", "/tickets/{ref}/assign", ("assignee",), "alice"),
    E("tickets:move", "POST", "/tickets/{ref}/move", ("queue", "reason"), "alice"),
    E("tickets:reroute", "POST", "/tickets/{ref}/reroute", ("x",), "alice"),
    E("tickets:choose_unit", "POST", "/tickets/{ref}/unit", ("unit",), "alice"),
    E("tickets:retry_delivery", "POST", "/tickets/{ref}/entries/1/retry-delivery", ("x",), "alice"),
    E("tickets:merge", "POST", "/tickets/{ref}/merge", ("reference", "reason"), "alice"),
    E("tickets:link", "POST", "/tickets/{ref}/link", ("reference",), "alice"),
    E("tickets:unlink", "POST", "/tickets/{ref}/unlink", ("reference",), "alice"),
    E("tickets:follow", "POST", "/tickets/{ref}/follow", ("follow", "by_email"), "alice"),
    E("tickets:mentions", "GET", "/tickets/{ref}/mentions", ("q",), "alice"),
    E("attachment", "GET", "/attachments/1/{path}", (":path",), "alice"),
    # --- staff: API ---
    E(
        "ticket-list",
        "GET",
        "/api/v1/tickets/",
        (
            "status",
            "queue",
            "channel",
            "voivodeship",
            "regon",
            "requester_email",
            "assignee",
            "view",
            "q",
            "sort",
            "limit",
            "offset",
        ),
        "alice",
    ),
    E("ticket-detail", "GET", "/api/v1/tickets/{path}/", (":path",), "alice"),
    E("ticket-notes", "JSON", "/api/v1/tickets/{ref}/notes/", ("text",), "alice"),
    E("ticket-replies", "JSON", "/api/v1/tickets/{ref}/replies/", ("text", "to", "cc"), "alice"),
    E("ticket-merge", "JSON", "/api/v1/tickets/{ref}/merge/", ("into", "reason"), "alice"),
    E("ticket-links", "JSON", "/api/v1/tickets/{ref}/links/", ("reference",), "alice"),
    E("ticket-links", "DELETE", "/api/v1/tickets/{ref}/links/", ("reference",), "alice"),
    E("ticket-follow", "JSON", "/api/v1/tickets/{ref}/follow/", ("by_email",), "alice"),
    E("api-root", "GET", "/api/v1/", ("format",), "alice"),
    E(
        "kb-api-articles",
        "JSON",
        "/api/v1/kb/articles/",
        ("title", "body", "summary", "kind", "visibility", "language", "category", "forms", "reporting_year"),
        "redaktor",
    ),
    E("kb-api-article", "PATCH", "/api/v1/kb/articles/{article}/", ("title", "body", "status", "note"), "redaktor"),
    # --- staff: reports, quarantine, editor, own settings ---
    E("contacts:missing", "GET", "/sprawozdania/", ("form", "year", "voivodeship", "export"), "bob"),
    E("contacts:missing", "GET", "/sprawozdania/?export=csv", ("form", "year", "voivodeship"), "bob"),
    E("contacts:missing", "GET", "/sprawozdania/?export=xlsx", ("form", "year"), "bob"),
    E("contacts:remind", "POST", "/sprawozdania/przypomnienia", ("form", "year", "query", "unit", "confirm"), "bob"),
    E(
        "contacts:set_status",
        "POST",
        "/sprawozdania/status",
        ("regon", "form", "year", "status", "note", "back"),
        "bob",
    ),
    E("contacts:unit", "GET", "/sprawozdania/jednostka/{path}/", (":path",), "bob"),
    E("inbox:quarantine", "GET", "/inbox/quarantine/", ("show",), "alice"),
    E("inbox:quarantine_detail", "GET", "/inbox/quarantine/1/", ("x",), "alice"),
    E("inbox:raw", "GET", "/inbox/quarantine/1/raw", ("x",), "alice"),
    E("inbox:quarantine_action", "POST", "/inbox/quarantine/1/{path}", (":path",), "alice"),
    E("kb_editor:list", "GET", "/redakcja/", ("status",), "redaktor"),
    E(
        "kb_editor:new",
        "POST",
        "/redakcja/nowy/",
        ("title", "kind", "category", "summary", "body", "forms", "reporting_year", "visibility", "language", "tags"),
        "redaktor",
    ),
    E("kb_editor:edit", "POST", "/redakcja/{article}/", ("title", "body", "translation_of", "preview"), "redaktor"),
    E("kb_editor:status", "POST", "/redakcja/{article}/stan", ("status",), "redaktor"),
    E("kb_editor:attach", "POST", "/redakcja/{article}/zalacznik", ("file",), "redaktor"),
    E("kb_editor:diff", "GET", "/redakcja/{article}/wersje/1/2/", ("x",), "redaktor"),
    E("kb_editor:restore", "POST", "/redakcja/{article}/wersje/1/przywroc", ("note",), "redaktor"),
    E("kb_editor:analytics", "GET", "/redakcja/statystyki/", ("days", "period"), "redaktor"),
    E("kb_editor:flag_missing", "POST", "/redakcja/brak-artykulu/{path}", (":path", "note"), "alice"),
    E("own_settings", "POST", "/ustawienia/", ("notice_mode", "signature"), "alice"),
    E("start", "GET", "/start/", ("x",), "alice"),
    E("password_change", "POST", "/haslo/", ("old_password", "new_password1", "new_password2"), "alice"),
    E("logout", "POST", "/logout/", ("next",), "alice"),
]


def _names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            if pattern.namespace == "admin":
                continue  # Django's admin: its parameters are Django's (the middleware covers its NUL bytes)
            yield from _names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_every_address_of_the_site_is_in_the_table():
    ours = set(_names(get_resolver().url_patterns))
    missing = ours - {endpoint.name for endpoint in ENDPOINTS}
    assert not missing, f"add these addresses and their parameters to ENDPOINTS: {sorted(missing)}"


@pytest.fixture
def world(db, alice, bob, redaktor, central, open_email_ticket, settings):
    """A ticket, a published article, a unit with a report, a requester's private link, a feed client, a PBX."""
    settings.LOOKUP_RATE_LIMIT = settings.KB_SEARCH_PER_MINUTE = settings.KB_CONTACT_PER_HOUR = 10**6
    ticket = open_email_ticket(central)
    article = kb_actions.create_article(
        actor=None, draft=kb_actions.ArticleDraft(title="Jak złożyć MZ-88", body="Instrukcja MZ-88.")
    )
    article = kb_actions.change_status(actor=None, article=article, status=ArticleStatus.PUBLISHED)
    reporting = unit(8101, "14", name="Przychodnia Testowa", email="biuro@testowa.example.pl")
    report(reporting, "MZ-88", 2025, "draft")
    _contact_ticket, token = kb_actions.submit_contact_form(
        name="Anna Nowak", email="anna@przychodnia.example.pl", subject="Pytanie", body="Jak złożyć MZ-88?"
    )
    call_command("create_feed_client", "ssoz-feed", stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_pbx", "centrala", "--extension=201:alice", stdout=out)
    return {
        "values": {
            "ref": ticket.reference,
            "slug": article.slug,
            "article": article.pk,
            "regon": reporting.regon,
            "token": token,
        },
        "users": {"alice": alice, "bob": bob, "redaktor": redaktor},
        "feed_token": tokens.issue(User.objects.get(username="ssoz-feed")),
        "pbx_token": out.getvalue().split("Token (pokazywany tylko teraz): ")[1].strip(),
    }


def _client(world, who: str) -> Client:
    client = Client()
    if who in world["users"]:
        client.force_login(world["users"][who])
    elif who == "feed":
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world['feed_token']}"
    elif who == "pbx":
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world['pbx_token']}"
    return client


def _send(client: Client, endpoint: Endpoint, values: dict, params: dict):
    segment = hostile.query_string({"": params.pop(":path", "x")})[1:] if ":path" in params else "x"
    path = endpoint.path.format(**values, path=segment)
    if endpoint.method == "GET":
        joiner = "&" if "?" in path else "?"
        return client.get(path + joiner + hostile.query_string(params) if params else path)
    if endpoint.method == "POST":
        return client.post(path, hostile.query_string(params), content_type="application/x-www-form-urlencoded")
    body = params
    if endpoint.name == "api_submission_batch":
        body = {
            "items": [params.get("items"), {"regon": values["regon"], "form": "MZ-88", "year": params.get("items")}]
        }
    if endpoint.name == "telephony_events":
        body = {"event": "ringing", "call_id": "1", "caller": "501369856", "extension": "201", **params}
    method = {"JSON": client.post, "PATCH": client.patch, "DELETE": client.delete}[endpoint.method]
    return method(path, hostile.json_body(body), content_type="application/json")


ENGLISH = ("Bad Request", "Server Error", "Not Found", "Forbidden", "Traceback")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method}-{e.name}-{e.who}-{'+'.join(e.params)}")
def test_hostile_input_never_gives_a_server_error(world, endpoint):
    client = _client(world, endpoint.who)
    strategy = hostile.json_parameters if endpoint.method in ("JSON", "PATCH", "DELETE") else hostile.parameters

    @given(params=strategy(list(endpoint.params)))
    def attempt(params):
        response = _send(client, endpoint, world["values"], dict(params))
        assert response.status_code < 500, params
        if response.status_code == 400 and not getattr(response, "streaming", False):
            body = response.content.decode("utf-8", "replace")
            assert [word for word in ENGLISH if word in body] == [], body[:500]

    attempt()


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "django_language"])
def test_a_nul_byte_in_a_cookie_is_refused_before_the_session_is_read(client, alice, cookie):
    client.force_login(alice)
    client.cookies[cookie] = "abcdefgh\x00ijklmnop"
    response = client.get("/tickets/")
    assert response.status_code == 400
    assert "niedozwolony znak" in response.content.decode()


@given(st.sampled_from(["/tickets/SSOZ%00/", "/zgloszenie/a%00b/", "/artykul/x%00/", "/sprawozdania/jednostka/1%00/"]))
def test_a_nul_byte_in_an_address_is_a_polish_400(path):
    response = Client().get(path)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nieprawidłowe żądanie" in page and "niedozwolony znak" in page


HEADERS = ["Authorization", "X-PBX-Token", "Referer", "User-Agent", "X-Forwarded-For", "Accept-Language", "Origin"]
HEADER_ADDRESSES = [
    ("get", "/", "anonymous"),
    ("get", "/status/?regon=000091014", "anonymous"),
    ("get", "/api/v1/kb/search?q=mz-88", "anonymous"),
    ("get", "/api/v1/tickets/", "alice"),
    ("get", "/tickets/", "alice"),
    ("post", "/api/v1/telephony/events", "anonymous"),
    ("post", "/api/v1/submissions/batch", "anonymous"),
]


def _as_received(text: str) -> str:
    """A header value as the server hands it over: the raw bytes read as Latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


@pytest.mark.parametrize(("method", "path", "who"), HEADER_ADDRESSES)
def test_hostile_headers_never_give_a_server_error(world, method, path, who):
    client = _client(world, who)
    headers = st.dictionaries(st.sampled_from(HEADERS), hostile.hostile_text.map(_as_received), min_size=1)

    @given(headers=headers)
    def attempt(headers):
        if method == "get":
            response = client.get(path, headers=headers)
        else:
            response = client.post(path, "{}", content_type="application/json", headers=headers)
        assert response.status_code < 500, headers

    attempt()
