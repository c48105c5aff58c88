"""The status lookup and the knowledge-base search are answered from the public cache (helpdesk.public_cache):
a repeated question costs no query for the reports or the articles, every change they show is seen at once
through each write path, nobody gets an answer computed for someone who may read more, and with the cache
away the pages answer as before."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contacts import actions as contacts_actions
from contacts import imports, privacy
from contacts.models import FormDeadline, StatisticalForm, SubmissionStatus
from helpdesk import public_cache, ratelimit, shared_cache
from helpdesk.models import Role, User
from knowledge_base import actions as kb_actions
from knowledge_base.models import Article, Category, Kind, Status, Visibility
from tests.submission_data import office, regon9, report, unit

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/submissions/lookup"
SEARCH = "/api/v1/kb/search"
DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def clinic(db):
    office("14")
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.")
    report(clinic, "MZ-88", 2025, "returned")
    return clinic


def _status(client, regon, form="MZ-88"):
    data = client.get(LOOKUP, {"regon": regon, "year": 2025}).json()
    return {item["form"]: item["status"] for item in data["forms"]}.get(form)


def _queries_on(table: str, run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return sum(table in query["sql"] for query in queries.captured_queries)


def _publish(title: str, body: str, **fields) -> Article:
    article = kb_actions.create_article(actor=None, draft=kb_actions.ArticleDraft(title=title, body=body, **fields))
    return kb_actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


def _titles(client, query: str) -> list[str]:
    return [hit["title"] for hit in client.get(SEARCH, {"q": query}).json()["results"]]


# --- hits ------------------------------------------------------------------------------------------------------


def test_a_repeated_lookup_page_runs_no_query_at_all(client, clinic):
    client.get("/status/", {"regon": clinic.regon, "year": "2025"})
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/status/", {"regon": clinic.regon, "year": "2025"}).content.decode()
    assert queries.captured_queries == [] and 'value="MZ-88"' in page and "zwrócone do korekty" in page
    form = StatisticalForm.objects.get(code="MZ-88")
    form.is_active = False
    form.save()  # the catalogue changed in the admin: the page's choice of forms follows at once
    assert 'value="MZ-88"' not in client.get("/status/").content.decode()


def test_a_repeated_lookup_reads_no_report_from_the_database(client, clinic):
    assert _queries_on("contacts_submission", lambda: client.get(LOOKUP, {"regon": clinic.regon, "year": 2025})) == 1
    again = lambda: client.get("/status/", {"regon": f" {clinic.regon[:3]}-{clinic.regon[3:]}", "year": "2025"})  # noqa: E731
    assert _queries_on("contacts_submission", again) == 0  # the page and the API share the answer
    assert "zwrócone do korekty" in again().content.decode()


def test_a_repeated_search_reads_no_article_and_spacing_does_not_matter(client):
    _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.")
    assert _queries_on("knowledge_base_article", lambda: client.get(SEARCH, {"q": "hasło reset"})) == 1
    assert _queries_on("knowledge_base_article", lambda: client.get(SEARCH, {"q": "  hasło   reset"})) == 0
    assert _titles(client, "hasło\treset") == ["Jak zresetować hasło"]


# --- every write path is seen at once --------------------------------------------------------------------------


def test_a_status_set_by_the_regional_administrator_is_shown_at_once(client, clinic, bob):
    assert _status(client, clinic.regon) == "returned"
    contacts_actions.set_submission_status(actor=bob, regon=clinic.regon, form="MZ-88", year=2025, status="accepted")
    assert _status(client, clinic.regon) == "accepted"


def test_a_status_pushed_by_the_statistics_feed_is_shown_at_once(client, clinic):
    assert _status(client, clinic.regon) == "returned"
    out = StringIO()
    call_command("create_feed_client", "ssoz-feed", stdout=out)
    feed = APIClient()
    feed.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split('teraz): ')[1].split()[0]}")
    item = {"regon": clinic.regon, "form": "MZ-88", "year": 2025, "status": "corrected",
            "changed_at": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip
    response = feed.post("/api/v1/submissions/batch", {"items": [item]}, format="json")
    assert response.json()["results"][0]["result"] == "updated"
    assert _status(client, clinic.regon) == "corrected"


def test_a_status_from_an_imported_file_is_shown_at_once(client, clinic, tmp_path):
    assert _status(client, clinic.regon) == "returned"
    path = tmp_path / "statusy.csv"
    now = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    path.write_text(f"regon,form,year,status,changed_at\n{clinic.regon},MZ-88,2025,accepted,{now}\n")
    imports.import_submissions(path)
    assert _status(client, clinic.regon) == "accepted"


def test_a_unit_renamed_by_the_register_import_and_a_new_deadline_are_shown_at_once(client, clinic, tmp_path):
    first = client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()
    assert first["unit"]["name"] == "Przychodnia Zdrowie Sp. z o.o." and first["forms"][0]["deadline"] is None
    path = tmp_path / "jednostki.csv"
    path.write_text(f"regon,name,voivodeship\n{clinic.regon},Przychodnia Nowa Nazwa,14\n")
    imports.import_units(path)
    FormDeadline.objects.create(form=StatisticalForm.objects.get(code="MZ-88"), year=2025,
                                deadline=dt.date(2026, 4, 10), source="PBSSP 2025")  # fmt: skip
    data = client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()
    assert data["unit"]["name"] == "Przychodnia Nowa Nazwa" and data["forms"][0]["deadline"] == "2026-04-10"


def test_a_status_renamed_in_the_admin_and_a_merge_of_units_are_shown_at_once(client, clinic):
    assert client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()["forms"][0]["next_step"]
    returned = SubmissionStatus.objects.get(code="returned")
    returned.next_step = "Popraw dane i wyślij ponownie do piątku."
    returned.save()
    assert _next_step(client, clinic.regon) == "Popraw dane i wyślij ponownie do piątku."
    duplicate = unit(1002, "14", name="Przychodnia Zdrowie (duplikat)")
    report(duplicate, "MZ-11", 2025, "accepted")
    assert _status(client, clinic.regon, "MZ-11") is None
    admin = User.objects.create_user(username="admin1", password="test-pass-123", role=Role.ADMIN)
    privacy.merge_units(actor=admin, keep=clinic, duplicate=duplicate)
    assert _status(client, clinic.regon, "MZ-11") == "accepted"


def _next_step(client, regon):
    return client.get(LOOKUP, {"regon": regon, "year": 2025}).json()["forms"][0]["next_step"]


def test_a_form_instruction_published_in_the_knowledge_base_is_linked_at_once(client, clinic):
    assert client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()["forms"][0]["instruction_url"] is None
    article = _publish("Instrukcja MZ-88", "Jak wypełnić.", kind=Kind.FORM, forms=["MZ-88"])
    url = client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()["forms"][0]["instruction_url"]
    assert url and url.endswith(article.get_absolute_url())
    kb_actions.change_status(actor=None, article=article, status=Status.ARCHIVED)
    assert client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()["forms"][0]["instruction_url"] is None


def test_an_article_published_edited_archived_and_deleted_is_searched_as_it_is_now(client):
    article = kb_actions.create_article(
        actor=None, draft=kb_actions.ArticleDraft(title="Korekta sprawozdania", body="Wyślij korektę.")
    )
    assert _titles(client, "korekta") == []
    kb_actions.change_status(actor=None, article=article, status=Status.PUBLISHED)
    assert _titles(client, "korekta") == ["Korekta sprawozdania"]
    kb_actions.update_article(actor=None, article=article, title="Korekta sprawozdania po terminie")
    assert _titles(client, "korekta") == ["Korekta sprawozdania po terminie"]
    kb_actions.change_status(actor=None, article=article, status=Status.ARCHIVED)
    assert _titles(client, "korekta") == []
    other = _publish("Korekta danych jednostki", "Zmień dane.")
    assert _titles(client, "korekta") == ["Korekta danych jednostki"]
    Article.objects.get(pk=other.pk).delete()  # as the admin does
    assert _titles(client, "korekta") == []


def test_an_article_scheduled_to_appear_is_found_from_that_moment(client):
    start = dt.datetime(2030, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _publish("Nowy formularz MZ-30", "Od przyszłego tygodnia.", publish_at=start + dt.timedelta(hours=1))
        assert _titles(client, "formularz") == []
    with time_machine.travel(start + dt.timedelta(hours=1, seconds=1), tick=False):
        assert _titles(client, "formularz") == ["Nowy formularz MZ-30"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_token_set_inside_a_transaction_is_replaced_when_it_commits():
    with transaction.atomic():
        public_cache.changed("test-data")
        inside = public_cache.tokens(["test-data"])
    assert public_cache.tokens(["test-data"]) != inside  # what a reader stored before the commit is not served


# --- personas --------------------------------------------------------------------------------------------------


def test_an_agents_search_is_never_served_to_the_regional_administrator_of_another_voivodeship(client, alice, celina):
    _publish("Procedura eskalacji awarii", "Dzwoń do dyżurnego.", visibility=Visibility.INTERNAL)
    _publish("Eskalacja w województwie", "Dla administratorów.", visibility=Visibility.STAFF)
    client.force_login(alice)
    assert sorted(_titles(client, "eskalacja")) == ["Eskalacja w województwie", "Procedura eskalacji awarii"]
    client.force_login(celina)
    assert _titles(client, "eskalacja") == ["Eskalacja w województwie"]
    client.logout()
    assert _titles(client, "eskalacja") == []
    page = client.get("/szukaj/", {"q": "eskalacja"}).content.decode()
    assert "Procedura eskalacji" not in page and "Eskalacja w województwie" not in page


def test_a_cached_lookup_shows_one_unit_nothing_of_another(client, clinic, celina):
    practice = unit(1003, "24", kind="individual_practice", name="Gabinet Lekarski Anna Nowak")
    report(practice, "MZ-11", 2025, "submitted")
    office("24")
    client.force_login(celina)
    for _ in range(2):  # computed, then from the cache
        mine = client.get(LOOKUP, {"regon": clinic.regon, "year": 2025}).json()
        theirs = client.get(LOOKUP, {"regon": practice.regon, "year": 2025}).json()
        assert [f["form"] for f in mine["forms"]] == ["MZ-88"] and mine["unit"]["voivodeship"] == "mazowieckie"
        assert [f["form"] for f in theirs["forms"]] == ["MZ-11"] and theirs["unit"]["name"] == ""
        assert "Anna Nowak" not in client.get("/status/", {"regon": practice.regon, "year": "2025"}).content.decode()
    unknown = client.get(LOOKUP, {"regon": regon9(9999), "year": 2025}).json()
    assert unknown["found"] is False and unknown["regional_administrator"] == []


# --- the cache away --------------------------------------------------------------------------------------------


def test_with_the_cache_away_the_lookup_answers_and_a_change_made_meanwhile_is_seen_when_it_returns(
    client, clinic, bob
):
    assert _status(client, clinic.regon) == "returned"  # cached
    ratelimit._fallback.clear()
    shared_cache._warned_at = None
    with override_settings(CACHES=DEAD_REDIS):
        contacts_actions.set_submission_status(
            actor=bob, regon=clinic.regon, form="MZ-88", year=2025, status="accepted"
        )  # the bump cannot reach the cache
        assert _status(client, clinic.regon) == "accepted"  # computed: no cache, no error
        assert client.get("/status/", {"regon": clinic.regon, "year": "2025"}).status_code == 200
    ratelimit._fallback.clear()
    # the cache is back with the answer it held: this process sends its lost bump before trusting it
    assert _status(client, clinic.regon) == "accepted"


# --- the front page and articles -------------------------------------------------------------------------------


def test_a_repeated_article_page_reads_no_article_and_shows_an_edit_and_a_renamed_category_at_once(client):
    category = Category.objects.create(name="Logowanie", slug="logowanie")
    article = _publish("Jak zresetować hasło", "Kliknij „Nie pamiętam hasła”.", category=category)
    url = article.get_absolute_url()
    assert "Jak zresetować hasło" in client.get(url).content.decode()
    assert _queries_on("knowledge_base_article", lambda: client.get(url)) == 0
    kb_actions.update_article(actor=None, article=article, body="Użyj linku „Nie pamiętam hasła” na stronie.")
    assert "Użyj linku" in client.get(url).content.decode()
    category.name = "Logowanie i hasła"
    category.save()  # in the admin
    assert "Logowanie i hasła" in client.get(url).content.decode()
    assert "Logowanie i hasła" in client.get("/").content.decode()


def test_an_internal_article_page_seen_by_an_agent_is_not_found_by_others(client, alice, celina):
    article = _publish("Procedura eskalacji awarii", "Dzwoń do dyżurnego.", visibility=Visibility.INTERNAL)
    client.force_login(alice)
    assert client.get(article.get_absolute_url()).status_code == 200
    client.force_login(celina)
    assert client.get(article.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Procedura eskalacji" not in client.get("/").content.decode()


def test_an_editor_sees_a_draft_that_the_cache_never_shows_to_visitors(client, redaktor):
    article = kb_actions.create_article(
        actor=None, draft=kb_actions.ArticleDraft(title="Szkic komunikatu", body="W przygotowaniu.")
    )
    client.force_login(redaktor)
    assert client.get(article.get_absolute_url()).status_code == 200
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
