"""A regional administrator sets the status of a report of a unit of their voivodeship (logged in the history);
a REGON of another voivodeship is refused with a clear message; agents do not set statuses. Nothing is written
without an explicit choice of form, year and status: the form on the unit page starts with none chosen."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from contacts import actions
from contacts.models import Submission, SubmissionChange
from tests.html_forms import form_posting_to
from tests.submission_data import report, unit

WARSAW = dt.timezone(dt.timedelta(hours=1))

pytestmark = pytest.mark.django_db


def test_bob_sets_a_status_of_a_unit_of_his_voivodeship_and_it_is_logged(bob):
    clinic = unit(4001, "14")
    report(clinic, "MZ-88", 2025, "submitted")
    result = actions.set_submission_status(
        actor=bob, regon=clinic.regon, form="MZ-88", year=2025, status="returned", note="brak działu II"
    )
    assert result == "updated"
    change = SubmissionChange.objects.get(submission__unit=clinic)
    assert change.actor == bob and change.source == "staff" and change.status.code == "returned"
    assert change.note == "brak działu II"
    assert Submission.objects.get(unit=clinic).status.code == "returned"


def test_a_regon_of_another_voivodeship_is_refused_with_a_clear_message_and_nothing_changes(celina):
    clinic = unit(4002, "14")
    report(clinic, "MZ-88", 2025, "submitted")
    with pytest.raises(ValidationError) as refused:
        actions.set_submission_status(actor=celina, regon=clinic.regon, form="MZ-88", year=2025, status="accepted")
    assert "należy do województwa mazowieckie" in refused.value.messages[0]
    assert Submission.objects.get(unit=clinic).status.code == "submitted"
    assert SubmissionChange.objects.count() == 0


def test_bad_values_are_refused_per_field(bob):
    clinic = unit(4003, "14")
    with pytest.raises(ValidationError) as refused:
        actions.set_submission_status(actor=bob, regon="12-34", form="MZ-88", year=2025, status="accepted")
    assert "9 lub 14 cyfr" in refused.value.message_dict["regon"][0]
    with pytest.raises(ValidationError) as refused:
        actions.set_submission_status(actor=bob, regon=clinic.regon, form="MZ-1", year=1990, status="nowy")
    assert set(refused.value.message_dict) == {"form", "year", "status"}


def test_agents_and_supervisors_do_not_set_statuses(alice, szef):
    clinic = unit(4004, "14")
    for person in (alice, szef):
        with pytest.raises(PermissionDenied):
            actions.set_submission_status(actor=person, regon=clinic.regon, form="MZ-88", year=2025, status="accepted")


def test_the_status_form_on_the_unit_page(client, bob, celina):
    clinic = unit(4005, "14")
    client.force_login(bob)
    page = client.get(f"/sprawozdania/jednostka/{clinic.regon}/")
    assert page.status_code == 200 and "Zmień status" in page.content.decode()
    response = client.post(
        "/sprawozdania/status",
        {
            "regon": clinic.regon,
            "form": "MZ-88",
            "year": "2025",
            "status": "accepted",
            "back": page.request["PATH_INFO"],
        },
        follow=True,
    )
    assert "Zapisano status sprawozdania." in response.content.decode()
    assert Submission.objects.get(unit=clinic).status.code == "accepted"
    client.force_login(celina)
    assert client.get(f"/sprawozdania/jednostka/{clinic.regon}/").status_code == 403
    refused = client.post(
        "/sprawozdania/status", {"regon": clinic.regon, "form": "MZ-88", "year": "2025", "status": "draft"}, follow=True
    )
    assert "należy do województwa mazowieckie" in refused.content.decode()
    assert Submission.objects.get(unit=clinic).status.code == "accepted"


def test_the_ticket_page_shows_the_units_report_statuses(client, alice, queue_14, open_email_ticket):
    clinic = unit(4006, "14")
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=WARSAW), tick=False):
        report(clinic, "MZ-88", 2025, "returned")
        ticket = open_email_ticket(queue_14, reporting_unit=clinic)
        client.force_login(alice)
        page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "Sprawozdania jednostki" in page and "MZ-88" in page and "zwrócone do korekty" in page


def test_the_ticket_page_shows_the_reports_of_the_latest_years_whatever_the_date(
    client, alice, queue_14, open_email_ticket
):
    clinic = unit(4009, "14")
    with time_machine.travel(dt.datetime(2028, 2, 29, 7, 59, tzinfo=WARSAW), tick=False):
        report(clinic, "MZ-88", 2025, "returned")
        report(clinic, "MZ-11", 2027, "draft")
        ticket = open_email_ticket(queue_14, reporting_unit=clinic)
        client.force_login(alice)
        page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "<strong>MZ-11</strong> 2027" in page and "<strong>MZ-88</strong> 2025" not in page


def test_the_canned_reply_inserts_the_units_statuses_into_the_reply(client, alice, queue_14, open_email_ticket):
    from contacts.lookup import default_year

    clinic = unit(4007, "14")
    with time_machine.travel(dt.datetime(2027, 12, 24, 15, 30, tzinfo=WARSAW), tick=False):
        report(clinic, "MZ-88", default_year(), "returned")
        ticket = open_email_ticket(queue_14, reporting_unit=clinic)
        client.force_login(alice)
        page = client.get(f"/tickets/{ticket.reference}/").content.decode()
        assert "?wstaw=statusy" in page
        page = client.get(f"/tickets/{ticket.reference}/", {"wstaw": "statusy"}).content.decode()
    assert "- MZ-88: zwrócone do korekty" in page and f"/status/?regon={clinic.regon}" in page


def test_the_status_form_does_not_redirect_to_another_site(client, bob):
    clinic = unit(4008, "14")
    client.force_login(bob)
    response = client.post(
        "/sprawozdania/status",
        {"regon": clinic.regon, "form": "MZ-88", "year": "2025", "status": "draft", "back": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/sprawozdania/"


# --- nothing is written without an explicit choice -----------------------------------------------------------


def test_the_status_form_starts_with_no_form_year_or_status_chosen(client, bob):
    clinic = unit(4010, "14")
    with time_machine.travel(dt.datetime(2027, 2, 15, 15, 55, tzinfo=WARSAW), tick=False):
        client.force_login(bob)
        page = client.get(f"/sprawozdania/jednostka/{clinic.regon}/").content.decode()
    form = form_posting_to(page, "/sprawozdania/status")
    for name in ("form", "year", "status"):
        assert form.selects[name][0] == ("", False), name  # a first, empty choice
        assert not any(selected for _value, selected in form.selects[name]), name
    assert ("2026", False) in form.selects["year"] and ("2027", False) in form.selects["year"]


def test_saving_the_status_form_as_it_comes_writes_nothing_and_says_what_to_choose(client, bob):
    clinic = unit(4011, "14")
    client.force_login(bob)
    page = client.get(f"/sprawozdania/jednostka/{clinic.regon}/").content.decode()
    form = form_posting_to(page, "/sprawozdania/status")
    response = client.post("/sprawozdania/status", form.data(), follow=True)
    assert not Submission.objects.exists() and not SubmissionChange.objects.exists()
    text = response.content.decode()
    assert "Wybierz formularz." in text and "Wybierz rok sprawozdawczy." in text and "Wybierz status." in text
    assert "Zapisano" not in text


def test_a_status_change_without_a_form_a_year_or_a_status_is_refused_per_field(bob):
    clinic = unit(4012, "14")
    with pytest.raises(ValidationError) as refused:
        actions.set_submission_status(actor=bob, regon=clinic.regon, form="", year="", status=" ")
    assert refused.value.message_dict == {
        "form": ["Wybierz formularz."],
        "year": ["Wybierz rok sprawozdawczy."],
        "status": ["Wybierz status."],
    }
    with pytest.raises(ValidationError) as refused:
        actions.set_submission_status(actor=bob, regon=clinic.regon, form="MZ-88", year=2025, status="")
    assert refused.value.message_dict == {"status": ["Wybierz status."]}
    assert not Submission.objects.exists() and not SubmissionChange.objects.exists()


def test_the_chosen_values_are_saved_as_chosen(client, bob):
    clinic = unit(4013, "14")
    client.force_login(bob)
    page = client.get(f"/sprawozdania/jednostka/{clinic.regon}/").content.decode()
    data = form_posting_to(page, "/sprawozdania/status").data()
    data.update(form=["MZ-11"], year=["2024"], status=["returned"], note=["brak działu III"])
    response = client.post("/sprawozdania/status", data, follow=True)
    assert "Zapisano status sprawozdania." in response.content.decode()
    saved = Submission.objects.select_related("form", "status").get(unit=clinic)
    assert (saved.form.code, saved.year, saved.status.code) == ("MZ-11", 2024, "returned")


# --- a unit of another voivodeship ---------------------------------------------------------------------------


def test_celina_opening_a_unit_of_mazowieckie_is_told_whose_it_is_and_nothing_more(client, bob, celina):
    from tests.submission_data import office

    office("14")
    clinic = unit(4014, "14", name="Przychodnia Tajemnicza", email="kierownik@tajemnicza.example.pl")
    report(clinic, "MZ-88", 2025, "returned")
    client.force_login(celina)
    response = client.get(f"/sprawozdania/jednostka/{clinic.regon}/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Ta jednostka należy do województwa mazowieckiego; zajmuje się nią jego administrator wojewódzki." in page
    assert 'href="/administratorzy/#woj-14"' in page
    for secret in ("Przychodnia Tajemnicza", "tajemnicza.example.pl", "Kierownik 4014", "MZ-88", "zwrócone"):
        assert secret not in page, secret
    assert "Zmień status" not in page


def test_a_regon_that_is_not_in_the_directory_is_not_found(client, celina):
    client.force_login(celina)
    response = client.get("/sprawozdania/jednostka/123456785/")
    assert response.status_code == 404 and "należy do województwa" not in response.content.decode()


def test_the_status_form_and_the_unit_page_say_the_same_about_another_voivodeship(client, celina):
    clinic = unit(4015, "14")
    client.force_login(celina)
    page = client.get(f"/sprawozdania/jednostka/{clinic.regon}/").content.decode()
    refused = client.post(
        "/sprawozdania/status", {"regon": clinic.regon, "form": "MZ-88", "year": "2025", "status": "draft"}, follow=True
    )
    said = "Ta jednostka należy do województwa mazowieckiego; zajmuje się nią jego administrator wojewódzki."
    assert said in page and said in refused.content.decode()


def test_in_english_the_voivodeship_keeps_its_name(client, celina, settings):
    from django.utils import translation

    clinic = unit(4016, "14")
    client.force_login(celina)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override(settings.LANGUAGE_CODE):
        page = client.get(f"/sprawozdania/jednostka/{clinic.regon}/").content.decode()
    assert "This unit belongs to the mazowieckie voivodeship; its regional administrator looks after it." in page
