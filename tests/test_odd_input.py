"""The odd input of the security review (issue 13, finding 7), each address it broke: NUL bytes and other scripts'
digits get a 400 (or a form error, or a per-item error) in Polish, never a server error. Identifiers, years and
ids are ASCII digits only: "²⁰²⁵" (int() fails) and "٢٠٢٥" (int() gives 2025) are refused alike.
tests/test_hostile_input.py sends the same and more to every address; these name the cases one by one."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from contacts.models import Reminder, Submission
from helpdesk import inputs, tokens
from helpdesk.models import User
from tests.submission_data import office, report, unit
from tickets.models import TelephonyEvent

pytestmark = pytest.mark.django_db

REFUSED = "niedozwolony znak"
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(autouse=True)
def _march_2026():
    """In March 2026 people ask about 2025: the year a page falls back to."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, 0, tzinfo=WARSAW), tick=False):
        yield


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("2025", 2025),
        (" 7 ", 7),
        (7, 7),
        ("²", None),
        ("²⁰²⁵", None),
        ("٢٠٢٥", None),
        ("١", None),
        ("１２", None),
        ("-1", None),
        ("1_000", None),
        ("1e3", None),
        ("9" * 19, None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_only_ascii_digits_make_a_number(value, number):
    assert inputs.ascii_int(value) == number


def test_a_number_outside_its_range_is_none():
    assert inputs.ascii_int("1999", minimum=2000) is None
    assert inputs.ascii_int("2101", maximum=2100) is None
    assert inputs.ascii_int("2050", minimum=2000, maximum=2100) == 2050


@pytest.fixture
def clinic(db):
    office("14")
    clinic = unit(9101, "14", name="Przychodnia Pod Lipami", email="biuro@lipy.example.pl")
    report(clinic, "MZ-88", 2024, "draft")
    report(clinic, "MZ-88", 2025, "draft", changed_at=dt.datetime(2026, 3, 1, tzinfo=WARSAW))
    return clinic


# --- the public lookup (page and API) ---


@pytest.mark.parametrize("year", ["²⁰²⁵", "٢٠٢٥", "2025²", "9" * 40])
def test_the_lookup_refuses_a_year_of_other_digits_in_polish(client, clinic, year):
    page = client.get("/status/", {"regon": clinic.regon, "year": year})
    assert page.status_code == 400 and "Rok sprawozdawczy musi być liczbą" in page.content.decode()
    api = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": year})
    assert api.status_code == 400 and "Rok sprawozdawczy musi być liczbą" in api.json()["errors"]["year"][0]


def test_the_lookup_refuses_a_nul_byte_in_the_form_in_polish(client, clinic):
    page = client.get("/status/", {"regon": clinic.regon, "form": "MZ-88\x00"})
    assert page.status_code == 400 and REFUSED in page.content.decode()
    assert "Nieprawidłowe żądanie" in page.content.decode()
    api = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "form": "\x00"})
    assert api.status_code == 400 and REFUSED in api.json()["detail"]


def test_a_regon_of_other_digits_is_a_regon_error(client):
    response = client.get("/api/v1/submissions/lookup", {"regon": "١٢٣٤٥٦٧٨٥"})
    assert response.status_code == 400 and "9 lub 14 cyfr" in response.json()["errors"]["regon"][0]


# --- the knowledge base ---


def test_kb_search_and_articles_refuse_a_nul_byte_in_polish(client):
    for path, params in [
        ("/api/v1/kb/search", {"q": "MZ\x0088"}),
        ("/api/v1/kb/articles/", {"kind": "\x00"}),
        ("/szukaj/", {"q": "\x00"}),
    ]:
        response = client.get(path, params)
        assert response.status_code == 400, path
        assert REFUSED in response.content.decode(), path


def test_kb_search_limit_of_other_digits_falls_back_to_the_default(client):
    assert client.get("/api/v1/kb/search", {"q": "sprawozdanie", "limit": "٣"}).status_code == 200


def test_kb_article_api_refuses_a_lone_surrogate_in_json_in_polish(client, redaktor):
    client.force_login(redaktor)
    body = json.dumps({"title": "Tytuł \ud800", "body": "Treść"})  # ensure_ascii: the escape "\ud800"
    response = client.post("/api/v1/kb/articles/", body, content_type="application/json")
    assert response.status_code == 400 and REFUSED in response.json()["detail"]


# --- the ticket list (page and API) and a ticket's address ---


def test_the_ticket_list_page_ignores_an_assignee_of_other_digits(client, alice, central, open_email_ticket):
    open_email_ticket(central, subject="Sprawozdanie MZ-88 odrzucone")
    client.force_login(alice)
    for value in ("²", "٣", "9" * 40):
        page = client.get("/tickets/", {"assignee": value})
        assert page.status_code == 200 and "Sprawozdanie MZ-88 odrzucone" in page.content.decode()


@pytest.mark.parametrize(("name", "value"), [("queue", "centralna\x00"), ("requester_email", "a\x00@b.pl")])
def test_the_ticket_list_refuses_a_nul_byte_in_a_filter_in_polish(client, alice, name, value):
    client.force_login(alice)
    page = client.get("/tickets/", {name: value})
    assert page.status_code == 400 and REFUSED in page.content.decode()
    api = client.get("/api/v1/tickets/", {name: value})
    assert api.status_code == 400 and REFUSED in api.json()["detail"]


def test_the_ticket_api_refuses_an_assignee_of_other_digits_in_polish(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/tickets/", {"assignee": "²"})
    assert response.status_code == 400 and "numer użytkownika" in response.json()["assignee"]
    assert client.get("/api/v1/tickets/", {"assignee": str(alice.pk)}).status_code == 200


def test_a_nul_byte_in_a_ticket_address_is_a_polish_400(client, alice):
    client.force_login(alice)
    response = client.get("/tickets/SSOZ%00/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nieprawidłowe żądanie" in page and REFUSED in page and "css/app.css" in page


def test_the_live_catch_up_refuses_an_event_number_of_other_digits(client, alice):
    client.force_login(alice)
    response = client.get("/tickets/changes", {"after": "²"})
    assert response.status_code == 400 and "numerem zdarzenia" in response.json()["error"]


@pytest.mark.parametrize("month", ["²⁰²⁵-01", "99999999999999999999-01", "9999-12", "2025-13", "2025-01-01"])
def test_the_sla_report_says_how_to_write_a_month(client, alice, month):
    client.force_login(alice)
    page = client.get("/tickets/sla/", {"month": month}, follow=True)
    assert page.status_code == 200 and "Miesiąc podaje się jako RRRR-MM." in page.content.decode()


# --- the region's reports: page, export, reminders, status form ---


@pytest.mark.parametrize("year", ["²⁰²⁴", "٢٠٢٤", "9" * 30])
def test_the_reports_page_and_its_exports_take_only_ascii_years(client, bob, clinic, year):
    client.force_login(bob)
    page = client.get("/sprawozdania/", {"form": "MZ-88", "year": year})
    assert page.status_code == 200 and page.context["year"] == 2025  # not 2024: the year people ask about
    csv = client.get("/sprawozdania/", {"form": "MZ-88", "year": year, "export": "csv"})
    assert csv.status_code == 200 and b"REGON" in b"".join(csv.streaming_content)
    xlsx = client.get("/sprawozdania/", {"form": "MZ-88", "year": year, "export": "xlsx"})
    assert next(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))[0] == "REGON"


def test_the_reports_export_refuses_a_nul_byte_in_polish(client, bob, clinic):
    client.force_login(bob)
    response = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025", "voivodeship": "1\x004"})
    assert response.status_code == 400 and REFUSED in response.content.decode()


def test_reminders_refuse_a_year_or_units_of_other_digits(client, bob, clinic):
    client.force_login(bob)
    data = {"form": "MZ-88", "year": "٢٠٢٥", "unit": [str(clinic.pk)], "confirm": "1", "query": "form=MZ-88"}
    page = client.post("/sprawozdania/przypomnienia", data, follow=True)
    assert page.status_code == 200 and "Wybierz formularz i rok." in page.content.decode()
    page = client.post("/sprawozdania/przypomnienia", {**data, "year": "2025", "unit": ["²", "٣"]}, follow=True)
    assert "Zaznacz jednostki" in page.content.decode()
    assert not Reminder.objects.exists()


def test_the_status_form_returns_to_the_list_when_back_is_not_an_address(client, bob, clinic):
    client.force_login(bob)
    response = client.post("/sprawozdania/status", {"regon": clinic.regon, "year": "²", "back": "²"})
    assert response.status_code == 302 and response["Location"] == "/sprawozdania/"


# --- the feed API: one bad item is refused alone ---


def test_one_bad_item_of_a_feed_batch_is_refused_alone(client, clinic):
    call_command("create_feed_client", "ssoz-feed", stdout=io.StringIO())
    token = tokens.issue(User.objects.get(username="ssoz-feed"))
    good = {"regon": clinic.regon, "form": "MZ-88", "year": 2025, "status": "accepted", "changed_at": "2026-03-05"}
    items = [good, {**good, "year": "²⁰²⁵"}, {**good, "note": "uwaga\x00"}, {**good, "note": "\udc80"}]
    response = client.post(
        "/api/v1/submissions/batch",
        json.dumps({"items": items}),
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["result"] for r in results][1:] == ["rejected", "rejected", "rejected"]
    assert "errors" not in results[0]
    assert "Rok sprawozdawczy" in results[1]["errors"]["year"][0]
    assert REFUSED in str(results[2]["errors"]) and REFUSED in str(results[3]["errors"])
    assert Submission.objects.get(unit=clinic, year=2025).status.code == "accepted"


# --- telephony events ---


def test_a_telephony_event_with_a_nul_byte_is_refused_in_polish(client, alice):
    out = io.StringIO()
    call_command("create_pbx", "centrala", "--extension=201:alice", stdout=out)
    token = out.getvalue().split("Token (pokazywany tylko teraz): ")[1].strip()
    payload = {"event": "ringing", "call_id": "c-1", "caller": "501369856", "extension": "201\x00"}
    response = client.post(
        "/api/v1/telephony/events",
        json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and REFUSED in response.json()["detail"]
    assert not TelephonyEvent.objects.filter(accepted=True).exists()


# --- websockets (no HTTP middleware in front of them) ---


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("path", "cookie"),
    [("/ws/tickets/SSOZ\x00/", "sessionid={session}"), ("/ws/tickets/", 'sessionid="{session}\\000"')],
)
async def test_a_nul_byte_in_a_websocket_address_or_cookie_is_refused(alice, path, cookie):
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.test import Client

    from helpdesk.asgi import application

    session_client = Client()
    await database_sync_to_async(session_client.force_login)(alice)
    session = session_client.cookies["sessionid"].value
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", cookie.format(session=session).encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect()
    assert not connected
    fine = WebsocketCommunicator(
        application, "/ws/tickets/", headers=[headers[0], (b"cookie", f"sessionid={session}".encode())]
    )
    assert (await fine.connect())[0]
    await fine.disconnect()


@pytest.mark.parametrize(
    ("method", "path", "header"),
    [
        ("get", "/api/v1/tickets/", {"Authorization": "Token abc\x00def"}),
        ("post", "/api/v1/telephony/events", {"X-PBX-Token": "abc\x00def"}),
        ("get", "/", {"Referer": "http://127.0.0.1/\x00"}),
    ],
)
def test_a_nul_byte_in_a_header_is_refused_in_polish(client, method, path, header):
    response = getattr(client, method)(path, headers=header)
    assert response.status_code == 400 and REFUSED in response.content.decode()
