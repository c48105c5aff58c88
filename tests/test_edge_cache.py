"""The edge cache of the shipped deploy/nginx.conf: nginx keeps for PUBLIC_EDGE_SECONDS exactly the pages and
the public APIs' JSON answers the application keeps whole for visitors without a session (X-Accel-Expires, set
only by helpdesk.public_cache), and nothing of the staff's, of a visitor with a session or an API token, of a
page that sets a cookie, of the browsable API, or of a private link."""

import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

from helpdesk import tokens
from knowledge_base import actions
from knowledge_base.models import Status, Visibility
from tests.conftest import run_daphne, shipped_daphne_options
from tests.submission_data import office, report, unit
from tests.test_overlong_address import ask, run_nginx

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def clinic(transactional_db):
    office("14")
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.")
    report(clinic, "MZ-88", 2025, "returned")
    return clinic


@pytest.fixture
def edge(transactional_db, tmp_path):
    """The shipped nginx (certificate and ports of the test's own) in front of daphne as the unit starts it."""
    for daphne_url in run_daphne(shipped_daphne_options(), {"PUBLIC_EDGE_SECONDS": "60"}):
        yield from run_nginx(daphne_url, tmp_path)


def _apis(clinic):
    return (f"/api/v1/submissions/lookup?regon={clinic.regon}&year=2025", "/api/v1/kb/search?q=has%C5%82o")


def _twice(edge, path, headers=""):
    first = ask(edge, path, headers=headers)
    return first, ask(edge, path, headers=headers)


# --- the header, in the application ----------------------------------------------------------------------------


def test_a_kept_page_carries_the_edge_time_and_nothing_else_does(clinic):
    visitor = Client()
    for path in ("/", f"/status/?regon={clinic.regon}&year=2025", "/szukaj/?q=has%C5%82o", *_apis(clinic)):
        visitor.get(path)
        assert visitor.get(path)["X-Accel-Expires"] == str(settings.PUBLIC_EDGE_SECONDS)
    assert "X-Accel-Expires" not in Client().get("/kontakt/")  # a CSRF token on the page
    assert "X-Accel-Expires" not in Client().get("/", {"x": "1"})  # a parameter the page does not read
    with_session = Client()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "abc"
    assert "X-Accel-Expires" not in with_session.get("/")
    with override_settings(PUBLIC_EDGE_SECONDS=0):
        assert "X-Accel-Expires" not in Client().get("/")


def test_the_staff_and_the_regional_administrator_of_another_voivodeship_never_get_it(client, alice, celina, clinic):
    for user in (alice, celina):
        client.force_login(user)
        for path in (
            "/",
            f"/status/?regon={clinic.regon}&year=2025",
            "/szukaj/?q=has%C5%82o",
            "/tickets/",
            *_apis(clinic),
        ):
            client.get(path)
            assert "X-Accel-Expires" not in client.get(path), (user, path)


def test_an_api_answer_is_kept_as_json_only(clinic):
    """The browsable API (a browser's Accept) is rendered for each request, and never from a kept JSON answer."""
    visitor = Client()
    for path in _apis(clinic):
        visitor.get(path)
        kept = visitor.get(path, headers={"Accept": "application/json"})
        assert kept["Content-Type"] == "application/json" and "X-Accel-Expires" in kept
        browsable = visitor.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert browsable["Content-Type"].startswith("text/html") and "X-Accel-Expires" not in browsable
        assert "Accept" in kept["Vary"]  # nginx keeps the JSON for this Accept header only


def test_an_api_token_is_never_answered_from_or_into_the_kept_answers(clinic, alice):
    """A token authenticates inside the API view, after the page cache decided: an agent's search (which finds
    internal articles) is neither kept for the public nor answered with the public's kept JSON."""
    article = actions.create_article(
        actor=None,
        draft=actions.ArticleDraft(
            title="Procedura eskalacji awarii", body="Dzwoń do dyżurnego.", visibility=Visibility.INTERNAL
        ),
    )
    actions.change_status(actor=None, article=article, status=Status.PUBLISHED)
    path = "/api/v1/kb/search?q=eskalacja+awarii"
    public = Client()
    for _ in range(2):
        assert public.get(path).json()["count"] == 0
    agent = Client(headers={"Authorization": f"Token {tokens.issue(alice)}"})
    for _ in range(2):
        answer = agent.get(path)
        assert answer.json()["count"] == 1 and "X-Accel-Expires" not in answer
    assert public.get(path).json()["count"] == 0


def test_static_files_named_by_their_hash_are_marked_for_the_edge_and_no_others(tmp_path):
    """WhiteNoise with the project's header function (production's manifest storage names files by their hash
    and WhiteNoise calls them immutable): those are kept at the edge for a day; a file without a hash in its
    name (the error page nginx itself shows) is not; PUBLIC_EDGE_SECONDS=0 keeps none."""
    from whitenoise import WhiteNoise

    (tmp_path / "public.0123456789ab.css").write_text("body{}")
    (tmp_path / "request-too-long.html").write_text("<html></html>")

    def marks(edge_seconds: int) -> dict[str, str | None]:
        with override_settings(PUBLIC_EDGE_SECONDS=edge_seconds):
            files = WhiteNoise(
                None,
                root=tmp_path,
                prefix="/static/",
                immutable_file_test=r"\.[0-9a-f]{12}\.",
                add_headers_function=settings.WHITENOISE_ADD_HEADERS_FUNCTION,
            )
        return {
            name: dict(files.files[f"/static/{name}"].alternatives[0][2]).get("X-Accel-Expires")
            for name in ("public.0123456789ab.css", "request-too-long.html")
        }

    assert marks(5) == {"public.0123456789ab.css": str(24 * 3600), "request-too-long.html": None}
    assert marks(0) == {"public.0123456789ab.css": None, "request-too-long.html": None}


# --- nginx as shipped --------------------------------------------------------------------------------------------


def test_nginx_serves_a_kept_page_again_without_asking_and_hides_the_header(edge, clinic):
    for path in ("/", f"/status/?regon={clinic.regon}&year=2025", "/szukaj/?q=has%C5%82o"):
        (status, _, page), (again, headers, cached) = _twice(edge, path)
        if headers.get("x-cache") != "HIT":  # the first answer rendered the page, the second one kept it
            again, headers, cached = ask(edge, path)
        assert (status, again, headers.get("x-cache")) == (200, 200, "HIT"), path
        assert cached == page and "x-accel-expires" not in headers and "set-cookie" not in headers


def test_nginx_keeps_the_public_apis_json_and_not_the_browsable_api(edge, clinic):
    for path in _apis(clinic):
        (_, _, answer), (status, headers, cached) = _twice(edge, path, headers="Accept: application/json\r\n")
        if headers.get("x-cache") != "HIT":
            status, headers, cached = ask(edge, path, headers="Accept: application/json\r\n")
        assert (status, headers.get("x-cache"), cached) == (200, "HIT", answer), path
        browser = [ask(edge, path, headers="Accept: text/html\r\n") for _ in range(3)]
        assert all(h.get("x-cache") != "HIT" and "<html" in page.lower() for _, h, page in browser), path


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/", "Cookie: sessionid=abc\r\n"),  # a session: the staff's own pages
        ("/", "Authorization: Token abc\r\n"),
        ("/kontakt/", ""),  # sets the CSRF cookie
        ("/zgloszenie/nie-ma-takiego-linku/", ""),  # a private link
        ("/tickets/", ""),  # the staff's login redirect
    ],
    ids=["session", "authorization", "csrf-cookie", "private-link", "staff-pages"],
)
def test_nothing_else_is_kept_at_the_edge(edge, path, headers):
    answers = [ask(edge, path, headers=headers) for _ in range(3)]
    assert all(h.get("x-cache") != "HIT" for _, h, _ in answers), [h.get("x-cache") for _, h, _ in answers]


def test_the_language_cookie_gets_its_own_page_at_the_edge(edge):
    for _ in range(3):
        ask(edge, "/")  # Polish, kept
    english = [ask(edge, "/", headers=f"Cookie: {settings.LANGUAGE_COOKIE_NAME}=en\r\n")[2] for _ in range(3)]
    assert all('lang="en"' in page for page in english)
    assert 'lang="pl"' in ask(edge, "/")[2]


def test_an_edge_time_of_zero_keeps_nothing(transactional_db, tmp_path):
    for daphne_url in run_daphne(shipped_daphne_options(), {"PUBLIC_EDGE_SECONDS": "0"}):
        for edge in run_nginx(daphne_url, tmp_path):
            answers = [ask(edge, "/")[1].get("x-cache") for _ in range(4)]
            assert "HIT" not in answers, answers


def test_a_kept_page_expires_at_the_edge(transactional_db, tmp_path):
    """nginx's own clock (not the test's) ends it: one second here, which nginx counts in whole seconds."""
    for daphne_url in run_daphne(shipped_daphne_options(), {"PUBLIC_EDGE_SECONDS": "1"}):
        for edge in run_nginx(daphne_url, tmp_path):
            statuses = [ask(edge, "/")[1].get("x-cache") for _ in range(3)]
            assert "HIT" in statuses, statuses
            time.sleep(2.2)
            # the expired copy once more while one request in the background fetches the new one
            assert ask(edge, "/")[1].get("x-cache") == "STALE"
            statuses = [ask(edge, "/")[1].get("x-cache") for _ in range(3)]
            assert "HIT" in statuses, statuses  # the new copy
