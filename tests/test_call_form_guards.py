"""The call form must not act on its own: an empty form opens nothing, the timer's start survives a failed
submit, and a REGON typed with a wrong check digit is named as such (in the form and in the suggestions)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import ReportingUnit
from tickets import actions, calls
from tickets.models import Entry, Ticket

pytestmark = pytest.mark.django_db

EMPTY_FORM = {
    "caller_number": "",
    "direction": "incoming",
    "unit": "",
    "unit_query": "",
    "requester_name": "",
    "subject": "",
    "notes": "",
    "duration_seconds": "7",
    "outcome": "answered",
    "call_id": "",
    "timer_started": "1765000000000",
}


@pytest.fixture
def przychodnia(db):
    return ReportingUnit.objects.create(name="Przychodnia Pod Lipami", regon="123456785", voivodeship_id="14")


def test_submitting_the_empty_call_form_opens_no_ticket_and_says_what_is_missing(client, alice):
    client.force_login(alice)
    response = client.post(reverse("tickets:call_new"), EMPTY_FORM)
    assert response.status_code == 400
    assert "Rozmowa jest pusta" in response.content.decode()
    assert not Ticket.objects.exists() and not Entry.objects.exists()


def test_the_failed_submit_carries_the_timer_start_so_the_clock_keeps_running(client, alice):
    client.force_login(alice)
    page = client.post(reverse("tickets:call_new"), EMPTY_FORM).content.decode()
    assert 'name="timer_started" value="1765000000000"' in page
    assert 'name="duration_seconds" value="7"' in page


@pytest.mark.parametrize("outcome", ["answered", "new", "callback"])
def test_an_empty_call_is_refused_by_the_action_for_every_outcome_that_opens_a_ticket(alice, outcome):
    from django.utils import timezone

    with pytest.raises(ValidationError) as error:
        actions.log_call(
            actor=alice,
            call=actions.CallDetails(direction="incoming", caller_number=" "),
            outcome=outcome,
            callback_due_at=timezone.now(),
        )
    assert "Rozmowa jest pusta" in " ".join(error.value.messages)
    assert not Ticket.objects.exists()


def test_an_empty_call_is_not_added_to_an_existing_ticket(alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    with pytest.raises(ValidationError):
        actions.log_call(
            actor=alice,
            call=actions.CallDetails(direction="outgoing", caller_number=""),
            outcome="existing",
            ticket=ticket,
        )
    assert not ticket.entries.filter(kind=Entry.Kind.CALL).exists()


@pytest.mark.parametrize(
    "given",
    [{"caller_number": "501369856"}, {"requester_name": "Ewa Lis"}, {"notes": "Pytała o MZ-11"}, {"unit": True}],
)
def test_a_caller_a_unit_or_a_note_is_enough(alice, przychodnia, given):
    call = actions.CallDetails(direction="incoming", caller_number=given.get("caller_number", ""))
    caller = actions.Requester(name=given.get("requester_name", ""), unit=przychodnia if given.get("unit") else None)
    ticket = actions.log_call(actor=alice, call=call, caller=caller, outcome="answered", notes=given.get("notes", ""))
    assert ticket.entries.get().kind == Entry.Kind.CALL


def test_a_regon_with_a_wrong_check_digit_is_named_in_the_unit_suggestions(client, alice, przychodnia):
    client.force_login(alice)
    page = client.get(reverse("tickets:call_units"), {"q": "123-456-786"}).content.decode()
    assert "REGON 123456786 ma błędną cyfrę kontrolną" in page
    assert "Brak pasujących jednostek" not in page
    assert "Pod Lipami" in client.get(reverse("tickets:call_units"), {"q": "123456785"}).content.decode()


def test_only_regon_shaped_queries_get_the_check_digit_warning(alice, przychodnia):
    assert calls.regon_problem("12345678512346") == "REGON 12345678512346 ma błędną cyfrę kontrolną."
    assert calls.regon_problem("123456785") == ""  # valid
    assert calls.regon_problem("5260250995") == ""  # a NIP: ten digits
    assert calls.regon_problem("Przychodnia 123456786") == ""  # a name
    assert calls.unit_suggestions(alice, "123 456 785").warning == ""


def test_a_regon_with_a_wrong_check_digit_typed_by_hand_is_named_in_the_form(client, alice, przychodnia):
    client.force_login(alice)
    response = client.post(
        reverse("tickets:call_new"), {**EMPTY_FORM, "unit_query": "123456786", "notes": "Pyta o dział II"}
    )
    assert response.status_code == 400
    assert "REGON 123456786 ma błędną cyfrę kontrolną" in response.content.decode()
    assert not Ticket.objects.exists()
