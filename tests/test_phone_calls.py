"""Logging phone calls: each outcome, the caller card, unit search, bad input, and scoping."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.models import Person, PersonPhone, ReportingUnit, UnitMembership
from tickets import actions, calls
from tickets.models import Entry, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def przychodnia(db):
    unit = ReportingUnit.objects.create(
        name="Przychodnia Pod Lipami", regon="123456785", nip="5260250995", voivodeship_id="14"
    )
    person = Person.objects.create(name="Ewa Lis")
    PersonPhone.objects.create(person=person, number="+48501369856")
    UnitMembership.objects.create(person=person, unit=unit, role="rejestratorka")
    return unit


def test_a_call_answered_on_the_phone_becomes_a_resolved_ticket(alice):
    ticket = actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="incoming", caller_number="501-369-856", duration_seconds=95),
        outcome="answered",
        notes="Pytanie o termin MZ-11, wyjaśnione.",
        subject="Termin MZ-11",
    )
    assert ticket.status == Status.RESOLVED and ticket.channel == "phone"
    call = ticket.entries.get()
    assert (call.kind, call.caller_number, call.call_duration_seconds) == (Entry.Kind.CALL, "+48501369856", 95)
    assert ticket.requester_phone == "+48501369856"


def test_a_call_handed_to_the_voivodeship_lands_in_its_queue(alice, przychodnia):
    ticket = actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="incoming", caller_number="+48 501 369 856"),
        caller=actions.Requester(unit=przychodnia),
        outcome="region",
        notes="Pyta o korektę działu II",
    )
    assert ticket.queue.slug == "woj-14" and ticket.reporting_unit == przychodnia


def test_a_call_is_added_to_an_existing_ticket(alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="outgoing", caller_number=""),
        outcome="existing",
        notes="Oddzwoniłam",
        ticket=ticket,
    )
    assert ticket.entries.filter(kind=Entry.Kind.CALL, call_direction="outgoing").count() == 1


def test_a_callback_request_keeps_its_due_time(alice):
    due = timezone.now() + dt.timedelta(hours=3)
    ticket = actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="incoming", caller_number="501369856"),
        outcome="callback",
        callback_due_at=due,
    )
    ticket.refresh_from_db()
    assert ticket.callback_due_at == due
    assert ticket.events.filter(kind="callback_requested").exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"caller_number": "12", "outcome": "new"}, "numer telefonu"),
        ({"caller_number": "", "outcome": "existing"}, "Wybierz zgłoszenie"),
        ({"caller_number": "", "outcome": "region"}, "wskaż jednostkę"),
        ({"caller_number": "", "outcome": "callback"}, "oddzwonić"),
        ({"caller_number": "", "outcome": "new", "duration_seconds": -5}, "Czas rozmowy"),
    ],
)
def test_bad_call_input_is_refused_and_nothing_is_written(alice, fields, message):
    from tickets.models import Ticket

    number, duration = fields["caller_number"], fields.get("duration_seconds")
    call = actions.CallDetails(direction="incoming", caller_number=number, duration_seconds=duration)
    with pytest.raises(ValidationError) as error:
        actions.log_call(actor=alice, call=call, outcome=fields["outcome"])
    assert message in " ".join(error.value.messages)
    assert not Ticket.objects.exists()


def test_the_caller_card_finds_the_person_their_unit_and_open_tickets(alice, przychodnia, queue_14):
    open_ticket = actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="incoming", caller_number="501369856"),
        caller=actions.Requester(unit=przychodnia),
        outcome="region",
    )
    card = calls.caller_card(alice, "+48 501-369-856")
    assert [p.name for p in card.people] == ["Ewa Lis"]
    assert card.units == [przychodnia]
    assert card.open_tickets == [open_ticket]


def test_an_unknown_and_a_malformed_number(alice):
    assert calls.caller_card(alice, "600 100 200").people == []
    assert "numer telefonu" in calls.caller_card(alice, "abc").error


def test_units_are_found_by_regon_nip_or_name_within_the_users_scope(alice, celina, przychodnia):
    assert calls.search_units(alice, "123-456-785") == [przychodnia]
    assert calls.search_units(alice, "526 025 09") == [przychodnia]
    assert calls.search_units(alice, "pod lipami") == [przychodnia]
    assert calls.search_units(celina, "123456785") == []  # a unit of another voivodeship


def test_the_call_page_logs_a_call_by_regon_typed_by_hand(client, alice, przychodnia):
    client.force_login(alice)
    assert client.get(reverse("tickets:call_new"), {"number": "501369856"}).status_code == 200
    response = client.post(
        reverse("tickets:call_new"),
        {
            "caller_number": "501369856",
            "direction": "incoming",
            "unit_query": "123456785",
            "subject": "Dział II",
            "notes": "Wyjaśniono",
            "duration_seconds": "120",
            "outcome": "answered",
            "form_code": "MZ-88",
        },
    )
    assert response.status_code == 302
    from tickets.models import Ticket

    ticket = Ticket.objects.get()
    assert ticket.reporting_unit == przychodnia and ticket.subject == "MZ-88: Dział II"


def test_the_call_page_refuses_bad_input_in_polish_and_keeps_what_was_typed(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("tickets:call_new"),
        {
            "caller_number": "12",
            "direction": "incoming",
            "unit_query": "123456785",  # a valid REGON of no unit the desk knows
            "notes": "Ważna notatka",
            "outcome": "new",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nieprawidłowy numer telefonu" in page and "Nie znaleziono jednostki" in page and "Ważna notatka" in page


def call_into(client, reference: str):
    return client.post(
        reverse("tickets:call_new"),
        {"direction": "incoming", "notes": "Dzwoni ponownie", "outcome": "existing", "ticket": reference},
    )


def test_the_call_page_adds_a_call_to_a_ticket_given_by_its_reference(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    open_email_ticket(central, subject="Inne")
    client.force_login(alice)
    page = client.get(reverse("tickets:call_new")).content.decode()
    # the reference is typed or picked from the caller card, never chosen from a list of every open ticket
    assert 'name="ticket"' in page and "<option" not in page.split('name="ticket"')[1].split("</div>")[0]
    response = call_into(client, f"  {ticket.reference.lower()} ")  # as pasted: spaces, small letters
    assert response.status_code == 302
    assert ticket.entries.filter(kind=Entry.Kind.CALL, body_text__contains="Dzwoni ponownie").count() == 1


def test_a_reference_of_no_open_ticket_in_scope_is_refused_in_polish(
    client, alice, celina, queue_24, open_email_ticket
):
    theirs = open_email_ticket(queue_24)  # celina's voivodeship
    mine = open_email_ticket(queue_24)
    actions.change_status(actor=None, ticket=mine, status=Status.CLOSED)
    client.force_login(celina)
    for reference in ["SSOZ-2026-999999", mine.reference, "SSOZ-٢٠٢٦-000001"]:  # unknown, closed, Arabic digits
        response = call_into(client, reference)
        assert response.status_code == 400, reference
        assert "Nie ma otwartego zgłoszenia o tym numerze" in response.content.decode()
    assert call_into(client, "SSOZ\x00-2026").status_code == 400  # a NUL byte: refused before any form
    assert not Entry.objects.filter(kind=Entry.Kind.CALL).exists()
    client.force_login(alice)  # an agent of the central desk reads every queue
    assert call_into(client, theirs.reference).status_code == 302


def test_another_voivodeships_admin_cannot_add_a_call_to_a_ticket_they_cannot_read(
    client, bob, queue_24, open_email_ticket
):
    ticket = open_email_ticket(queue_24)
    client.force_login(bob)  # regional administrator of 14
    response = call_into(client, ticket.reference)
    assert response.status_code == 400 and "Nie ma otwartego zgłoszenia o tym numerze" in response.content.decode()
    assert not ticket.entries.filter(kind=Entry.Kind.CALL).exists()


def test_the_caller_card_offers_to_add_the_call_to_an_open_ticket(client, alice, przychodnia):
    ticket = actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="incoming", caller_number="501369856"),
        caller=actions.Requester(unit=przychodnia),
        outcome="new",
    )
    client.force_login(alice)
    page = client.get(reverse("tickets:call_caller_card"), {"number": "501369856"}).content.decode()
    assert f'data-pick-ticket="{ticket.reference}"' in page


def test_the_caller_card_fragment_never_shows_another_voivodeships_units_or_tickets(client, alice, celina, przychodnia):
    actions.log_call(
        actor=alice,
        call=actions.CallDetails(direction="incoming", caller_number="501369856"),
        caller=actions.Requester(unit=przychodnia),
        outcome="region",
    )
    client.force_login(celina)
    page = client.get(reverse("tickets:call_caller_card"), {"number": "501369856"}).content.decode()
    assert "Przychodnia Pod Lipami" not in page and "SSOZ-" not in page
    assert "Pod Lipami" not in client.get(reverse("tickets:call_units"), {"q": "lipami"}).content.decode()


def test_the_caller_card_never_shows_people_of_another_voivodeship(client, celina, bob, przychodnia):
    """Ewa Lis's only unit is in 14: the regional administrator of 24 sees neither her name nor her e-mail nor
    her phone (only the number they typed themselves); the administrator of 14 sees her."""
    from contacts.models import PersonEmail

    PersonEmail.objects.create(person=Person.objects.get(name="Ewa Lis"), email="ewa.lis@lipy.example")
    PersonPhone.objects.create(person=Person.objects.get(name="Ewa Lis"), number="+48600700800")
    client.force_login(celina)
    page = client.get(reverse("tickets:call_caller_card"), {"number": "501369856"}).content.decode()
    assert "Ewa Lis" not in page and "ewa.lis@lipy.example" not in page and "600700800" not in page
    assert "Nieznany numer" in page
    assert calls.caller_card(celina, "501369856").people == []
    client.force_login(bob)
    page = client.get(reverse("tickets:call_caller_card"), {"number": "501369856"}).content.decode()
    assert "Ewa Lis" in page and "ewa.lis@lipy.example" in page


def test_a_person_with_units_in_two_voivodeships_shows_only_the_units_in_scope(celina, przychodnia):
    ewa = Person.objects.get(name="Ewa Lis")
    szpital = ReportingUnit.objects.create(name="Szpital Nad Wisłą", regon="000000000", voivodeship_id="24")
    UnitMembership.objects.create(person=ewa, unit=szpital)
    card = calls.caller_card(celina, "501369856")
    assert [p.name for p in card.people] == ["Ewa Lis"] and card.units == [szpital]


def test_a_regional_admin_logs_calls_into_their_own_voivodeship(bob):
    ticket = actions.log_call(
        actor=bob, call=actions.CallDetails(direction="incoming", caller_number=""), outcome="new", notes="Pytanie"
    )
    assert ticket.queue.slug == "woj-14"


def test_the_supervisor_cannot_log_calls(client, szef):
    client.force_login(szef)
    assert client.get(reverse("tickets:call_new")).status_code == 403


@pytest.mark.parametrize("outcome", ["answered", "new", "region", "callback"])
def test_a_call_with_a_ticket_picked_but_another_outcome_is_refused_not_made_a_new_ticket(
    alice, central, open_email_ticket, outcome
):
    # Found walking the call log in a browser: an agent picked "Istniejące zgłoszenie" and saved with the outcome
    # left at its default; the call became a new resolved ticket and the chosen one was silently ignored.
    ticket = open_email_ticket(central)
    with pytest.raises(ValidationError) as refused:
        actions.log_call(
            actor=alice,
            call=actions.CallDetails(direction="incoming", caller_number=""),
            outcome=outcome,
            notes="Dzwoni ponownie",
            ticket=ticket,
            callback_due_at=timezone.now() + dt.timedelta(hours=2),
        )
    assert "dopisz do istniejącego zgłoszenia" in " ".join(refused.value.messages)
    assert ticket.__class__.objects.count() == 1 and not Entry.objects.filter(kind=Entry.Kind.CALL).exists()
