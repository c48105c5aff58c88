"""A regional administrator sets the status of a report of a unit of their voivodeship (logged in the history);
a REGON of another voivodeship is refused with a clear message; agents do not set statuses."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts import actions
from contacts.models import Submission, SubmissionChange
from tests.submission_data import report, unit

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
    assert client.get(f"/sprawozdania/jednostka/{clinic.regon}/").status_code == 404
    refused = client.post(
        "/sprawozdania/status", {"regon": clinic.regon, "form": "MZ-88", "year": "2025", "status": "draft"}, follow=True
    )
    assert "należy do województwa mazowieckie" in refused.content.decode()
    assert Submission.objects.get(unit=clinic).status.code == "accepted"


def test_the_ticket_page_shows_the_units_report_statuses(client, alice, queue_14, open_email_ticket):
    from contacts.lookup import default_year

    clinic = unit(4006, "14")
    report(clinic, "MZ-88", default_year(), "returned")  # the panel shows the latest reporting years
    ticket = open_email_ticket(queue_14, reporting_unit=clinic)
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "Sprawozdania jednostki" in page and "MZ-88" in page and "zwrócone do korekty" in page


def test_the_canned_reply_inserts_the_units_statuses_into_the_reply(client, alice, queue_14, open_email_ticket):
    from contacts.lookup import default_year

    clinic = unit(4007, "14")
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
