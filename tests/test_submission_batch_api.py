"""`POST /api/v1/submissions/batch`: the statistics system's account pushes statuses with a token; each item gets
its own result, invalid items are reported and the valid ones recorded; nobody else may push."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from contacts.models import Submission, SubmissionChange
from helpdesk import tokens
from helpdesk.models import User
from tests.submission_data import regon9, unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/batch"


@pytest.fixture
def feed(db) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {_feed_token()}")
    return client


def _feed_token(*options) -> str:
    out = StringIO()
    call_command("create_feed_client", "ssoz-feed", *options, stdout=out)
    return out.getvalue().split("token (pokazywany tylko teraz): ")[1].split()[0]


def _item(regon, status="submitted", changed_at="2026-03-05T10:00:00+01:00", form="MZ-88", year=2025):
    return {"regon": regon, "form": form, "year": year, "status": status, "changed_at": changed_at}


def test_a_batch_with_invalid_items_records_the_valid_ones_and_reports_each_item(feed):
    a, b = unit(3001, "14"), unit(3002, "24")
    items = [
        _item(a.regon),
        _item(b.regon, status="accepted"),
        _item("12345"),
        _item(regon9(3999)),
        _item(a.regon, status="wymyślony", form="MZ-00"),
        "nie obiekt",
    ]
    response = feed.post(URL, {"items": items}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [r["result"] for r in body["results"]] == [
        "created",
        "created",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert "9 lub 14 cyfr" in body["results"][2]["errors"]["regon"][0]
    assert "nie występuje w katalogu" in body["results"][3]["errors"]["regon"][0]
    assert set(body["results"][4]["errors"]) == {"form", "status"}
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 4}
    assert Submission.objects.count() == 2
    assert SubmissionChange.objects.filter(actor__username="ssoz-feed", source="api").count() == 2


def test_pushing_the_same_batch_again_is_unchanged_and_a_newer_status_updates(feed):
    a = unit(3003, "14")
    feed.post(URL, [_item(a.regon)], format="json")
    again = feed.post(URL, [_item(a.regon)], format="json").json()
    assert again["results"][0]["result"] == "unchanged"
    newer = feed.post(URL, [_item(a.regon, "accepted", "2026-03-20T09:00:00+01:00")], format="json").json()
    assert newer["results"][0]["result"] == "updated"
    assert Submission.objects.get(unit=a).status.code == "accepted"


def test_a_malformed_body_or_too_many_items_is_refused_whole(feed, settings):
    assert feed.post(URL, {"cos": 1}, format="json").status_code == 400
    settings.SUBMISSIONS_BATCH_MAX_ITEMS = 2
    response = feed.post(URL, [_item(regon9(1))] * 3, format="json")
    assert response.status_code == 400 and "limit 2" in response.json()["detail"]
    assert Submission.objects.count() == 0


def test_without_a_token_or_with_a_staff_token_or_a_session_nobody_can_push(alice, bob):
    a = unit(3004, "14")
    anonymous = APIClient().post(URL, [_item(a.regon)], format="json")
    assert anonymous.status_code == 401
    for person in (alice, bob):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(person)}")
        assert client.post(URL, [_item(a.regon)], format="json").status_code == 403
        session = APIClient()
        session.force_login(person)
        assert session.post(URL, [_item(a.regon)], format="json").status_code in (401, 403)
    assert Submission.objects.count() == 0


def test_the_feed_account_has_no_staff_role_and_cannot_read_tickets(feed):
    account = User.objects.get(username="ssoz-feed")
    assert account.role == "" and not account.has_usable_password()
    assert feed.get("/api/v1/tickets/").status_code == 403


def test_rotating_the_token_invalidates_the_old_one(feed):
    new = _feed_token("--rotate")
    assert feed.post(URL, [], format="json").status_code == 401
    assert APIClient(HTTP_AUTHORIZATION=f"Token {new}").post(URL, [], format="json").status_code == 200


def test_running_the_command_again_keeps_the_token_and_cannot_show_it(feed):
    out = StringIO()
    call_command("create_feed_client", "ssoz-feed", stdout=out)
    assert "token już wydany" in out.getvalue() and "pokazywany tylko teraz" not in out.getvalue()
    assert feed.post(URL, [], format="json").status_code == 200
