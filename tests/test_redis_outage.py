"""With the shared cache (Redis) away, the pages, the APIs and ingestion still answer: caches miss, rate limits
count per process, and a warning is logged now and then rather than an error page."""

import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from contacts import imports
from contacts.models import ImportRun
from helpdesk import ratelimit, shared_cache
from inbox_ingest import actions as ingest_actions
from inbox_ingest.models import Mailbox
from knowledge_base.loading import load_starter_content
from tests.mailtools import message
from tests.submission_data import office, report, unit
from tickets import presence
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture(autouse=True)
def redis_is_down():
    ratelimit._fallback.clear()
    shared_cache._warned_at = None
    with override_settings(CACHES=DEAD_REDIS):
        yield
    ratelimit._fallback.clear()


@pytest.fixture
def clinic(db):
    office("14")
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.")
    report(clinic, "MZ-88", 2025, "returned")
    return clinic


def test_the_status_page_and_the_lookup_api_answer(client, clinic):
    page = client.get("/status/", {"regon": clinic.regon, "year": "2025"})
    assert page.status_code == 200 and "MZ-88" in page.content.decode()
    data = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": 2025})
    assert data.status_code == 200 and data.json()["found"] is True


def test_the_knowledge_base_search_page_and_api_answer(client):
    load_starter_content()
    page = client.get(reverse("kb:search"), {"q": "zapomniałem hasła"})
    assert page.status_code == 200 and "<mark>" in page.content.decode()
    assert client.get("/api/v1/kb/search", {"q": "hasło"}).status_code == 200


def test_the_contact_form_still_opens_a_ticket(client):
    load_starter_content()
    form = {"name": "Anna Kowalska", "email": "anna@przychodnia.example.pl", "regon": "", "subject": "MZ-88"}
    form |= {"body": "Przycisk Wyślij jest szary.", "website": "", "attempt": ""}
    assert client.post(reverse("kb:contact"), form).status_code == 302
    assert Ticket.objects.filter(subject="MZ-88").exists()


def test_login_and_the_ticket_list_answer(client, alice):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "alice", "password": "test-pass-123"})
    assert response.status_code == 302
    assert client.get("/tickets/").status_code == 200


def test_an_email_is_ingested_into_a_ticket(queue_14, run_on_commit):
    mailbox = Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    ingest_actions._OWN_CACHE.clear()
    row, _new = ingest_actions.store(raw=message(), mailbox=mailbox, uid=1, uidvalidity=1)
    result = run_on_commit(ingest_actions.process, row.pk)
    assert result.outcome == "created" and Ticket.objects.filter(reference=result.ticket).exists()


def test_rate_limits_count_per_process_and_warn_once(caplog):
    with caplog.at_level(logging.WARNING, logger="helpdesk.shared_cache"):
        hits = [ratelimit.allow("kb-contact", "10.0.0.1", limit=2, window_seconds=3600) for _ in range(3)]
    assert hits == [True, True, False]
    assert [r.getMessage()[:30] for r in caplog.records] == ["Shared cache unavailable, goin"]


def test_presence_and_import_progress_just_miss(alice):
    assert presence.join(5, alice.pk, "Alice") == [{"id": alice.pk, "name": "Alice"}]
    assert presence.viewers_of(5) == []
    imports._publish(ImportRun(pk=7), 0.5, 10)
    assert imports.progress(7) is None
