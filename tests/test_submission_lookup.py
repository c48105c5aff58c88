"""A unit enters its REGON and sees, per form due that year, the status, what to do next, the deadline and its
regional administrator; no personal data; an unknown REGON looks like a REGON with nothing due; rate-limited."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import override_settings

from contacts.models import FormDeadline, StatisticalForm
from tests.submission_data import office, regon9, report, unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clinic(db):
    office("14")
    FormDeadline.objects.create(
        form=StatisticalForm.objects.get(code="MZ-88"),
        year=2025,
        deadline=dt.date(2026, 4, 10),
        source="Program badań statystycznych statystyki publicznej na rok 2025",
    )
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.", email="jan.kowalski@przychodnia.example.pl")
    report(clinic, "MZ-88", 2025, "returned")
    report(clinic, "MZ-11", 2025, "accepted")
    report(clinic, "MZ-11", 2024, "accepted")
    return clinic


def test_the_page_shows_each_form_with_status_next_step_deadline_and_the_regional_administrator(client, clinic):
    response = client.get("/status/", {"regon": clinic.regon, "year": "2025"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "MZ-88" in page and "zwrócone do korekty" in page and "popraw dane" in page
    assert "MZ-11" in page and "zaakceptowane" in page
    assert "10.04.2026" in page  # the MZ-88 deadline for reporting year 2025
    assert "statystyka14@uw.example.gov.pl" in page
    assert "Przychodnia Zdrowie Sp. z o.o." in page


def test_no_personal_data_is_shown_and_a_practice_name_is_withheld(client, clinic):
    practice = unit(1002, "14", kind="individual_practice", name="Gabinet Lekarski Anna Nowak")
    report(practice, "MZ-11", 2025, "submitted")
    page = client.get("/status/", {"regon": clinic.regon, "year": "2025"}).content.decode()
    assert "jan.kowalski" not in page and "Kierownik" not in page
    page = client.get("/status/", {"regon": practice.regon, "year": "2025"}).content.decode()
    assert "złożone" in page and "Anna Nowak" not in page


def test_the_form_filter_narrows_the_answer_and_accepts_a_loosely_typed_code(client, clinic):
    data = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": 2025, "form": "mz88"}).json()
    assert [item["form"] for item in data["forms"]] == ["MZ-88"]
    assert data["forms"][0]["status"] == "returned" and data["forms"][0]["deadline"] == "2026-04-10"
    assert data["regional_administrator"][0]["email"] == "statystyka14@uw.example.gov.pl"


def test_a_regon_typed_with_dashes_and_spaces_is_found(client, clinic):
    typed = f"{clinic.regon[:3]}-{clinic.regon[3:6]} {clinic.regon[6:]}"
    data = client.get("/api/v1/submissions/lookup", {"regon": typed, "year": 2025}).json()
    assert data["found"] is True and len(data["forms"]) == 2


def test_an_unknown_regon_gets_the_same_answer_as_a_unit_with_nothing_due(client, clinic):
    unknown = client.get("/api/v1/submissions/lookup", {"regon": regon9(9999), "year": 2025}).json()
    nothing_due = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": 2023}).json()
    assert unknown["found"] is False and nothing_due["found"] is False
    assert set(unknown) == set(nothing_due)
    assert unknown["unit"] is None and nothing_due["unit"] is None
    assert unknown["regional_administrator"] == nothing_due["regional_administrator"] == []
    page = client.get("/status/", {"regon": regon9(9999), "year": "2025"}).content.decode()
    assert "brak sprawozdań za 2025" in page


@pytest.mark.parametrize(
    ("regon", "message"), [("12345", "9 lub 14 cyfr"), ("123456786", "błędną cyfrę kontrolną"), ("", "9 lub 14 cyfr")]
)
def test_a_malformed_regon_gets_a_clear_message(client, regon, message):
    response = client.get("/status/", {"regon": regon})
    assert response.status_code == 400
    assert message in response.content.decode()
    api = client.get("/api/v1/submissions/lookup", {"regon": regon})
    assert api.status_code == 400 and message in api.json()["errors"]["regon"][0]


def test_a_bad_year_or_unknown_form_is_refused_with_the_reason(client, clinic):
    data = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": "dwa"}).json()
    assert "Rok sprawozdawczy" in data["errors"]["year"][0]
    data = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": "2025", "form": "MZ-99"}).json()
    assert "MZ-99" in data["errors"]["form"][0]


def test_the_page_works_without_javascript(client):
    page = client.get("/status/").content.decode()
    assert '<form method="get" action="/status/"' in page and "<script" not in page


@override_settings(LOOKUP_RATE_LIMIT=3, LOOKUP_RATE_WINDOW_SECONDS=60)
def test_too_many_lookups_from_one_address_get_a_clear_message(client, clinic):
    for _ in range(3):
        assert client.get("/status/", {"regon": clinic.regon}, REMOTE_ADDR="10.0.0.7").status_code == 200
    limited = client.get("/status/", {"regon": clinic.regon}, REMOTE_ADDR="10.0.0.7")
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    assert "Za dużo zapytań" in limited.content.decode()
    api = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon}, REMOTE_ADDR="10.0.0.7")
    assert api.status_code == 429 and "Za dużo zapytań" in api.json()["detail"]
    assert client.get("/status/", {"regon": clinic.regon}, REMOTE_ADDR="10.0.0.8").status_code == 200


def test_the_public_list_of_regional_administrators_shows_the_offices_acting_today(client):
    office("14")
    office("24")
    page = client.get("/administratorzy/").content.decode()
    assert "statystyka14@uw.example.gov.pl" in page and "statystyka24@uw.example.gov.pl" in page
    assert "mazowieckie" in page and "śląskie" in page
