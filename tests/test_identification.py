"""Who is writing: known people by address or phone, numbers in the text checked by checksum, the unit's
e-mail domain; several candidates are shown to the agent, none marks the ticket unidentified."""

from __future__ import annotations

import pytest
from stdnum.pl import regon as stdnum_regon

from contacts.identify import find_numbers, identify
from contacts.models import Person, PersonEmail, PersonPhone, ReportingUnit, UnitMembership
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Channel, Identification, Queue

# a mobile phone number that happens to pass the REGON checksum
PHONE_LIKE_REGON = "50136985" + stdnum_regon.calc_check_digit("50136985")


def test_numbers_are_found_as_people_write_them():
    found = find_numbers("Dzień dobry, REGON: 123-456-785, NIP 526-000-12-46, nr księgi rejestrowej 12345.")
    assert found.regons == ("123456785",)
    assert found.nips == ("5260001246",)
    assert found.rpwdls == ("000000012345",)


def test_a_number_that_fails_its_checksum_is_not_used():
    found = find_numbers("Nasz REGON 123456786, proszę o pomoc")
    assert found.regons == () and found.rejected == ("123456786",)


def test_a_phone_number_is_not_taken_for_a_regon_even_when_its_checksum_passes():
    assert stdnum_regon.is_valid(PHONE_LIKE_REGON)
    found = find_numbers(f"Proszę o telefon: {PHONE_LIKE_REGON[:3]} {PHONE_LIKE_REGON[3:6]} {PHONE_LIKE_REGON[6:]}")
    assert not found
    assert find_numbers(f"tel. {PHONE_LIKE_REGON}").regons == ()


def test_a_fourteen_digit_local_regon_and_a_dashed_nip_are_found_without_a_keyword():
    local = "1234567851234" + stdnum_regon.calc_check_digit("1234567851234")
    found = find_numbers(f"dotyczy jednostki {local}, nip firmy 526-000-12-46")
    assert found.regons == (local,) and found.nips == ("5260001246",)


@pytest.fixture
def units(db):
    first = ReportingUnit.objects.create(
        name="Przychodnia Zdrowie", regon="123456785", voivodeship_id="14", email_domain="zdrowie.example.pl"
    )
    second = ReportingUnit.objects.create(
        name="Przychodnia Zdrowie – filia",
        regon="1234567851234" + stdnum_regon.calc_check_digit("1234567851234"),
        voivodeship_id="14",
        email_domain="zdrowie.example.pl",
    )
    third = ReportingUnit.objects.create(name="Szpital Śląski", nip="5260001246", voivodeship_id="24")
    return first, second, third


@pytest.mark.django_db
def test_a_known_persons_address_identifies_their_only_unit(units):
    person = Person.objects.create(name="Anna Kowalska")
    PersonEmail.objects.create(person=person, email="anna@poczta.example.com")
    UnitMembership.objects.create(person=person, unit=units[2])
    found = identify(sender_email="Anna@Poczta.example.com", text="Pytanie")
    assert found.unit == units[2] and found.person == person and found.method == "sender"


@pytest.mark.django_db
def test_the_caller_phone_number_identifies_the_person(units):
    person = Person.objects.create(name="Jan Nowak")
    PersonPhone.objects.create(person=person, number="+48501369856")
    UnitMembership.objects.create(person=person, unit=units[0])
    found = identify(phone="501-369-856")
    assert found.unit == units[0] and found.method == "phone"


@pytest.mark.django_db
def test_a_number_in_the_text_beats_the_senders_domain(units):
    found = identify(sender_email="kadry@zdrowie.example.pl", text="Szpital, NIP 526-000-12-46")
    assert found.unit == units[2] and found.method == "number"


@pytest.mark.django_db
def test_a_shared_domain_gives_several_candidates(units):
    found = identify(sender_email="kadry@zdrowie.example.pl", text="Pytanie o MZ-88")
    assert found.unit is None and found.state == "ambiguous"
    assert set(found.candidates) == {units[0], units[1]}


@pytest.mark.django_db
def test_a_public_mail_domain_identifies_nobody(units):
    ReportingUnit.objects.create(name="Błędna", voivodeship_id="02", email_domain="gmail.com")
    assert identify(sender_email="ktos@gmail.com", text="Pytanie").state == "unidentified"


@pytest.mark.django_db
def test_a_regon_that_fails_its_checksum_does_not_route_the_ticket(units):
    ticket = actions.open_tickets(
        [
            new_ticket(
                channel=Channel.EMAIL,
                subject="Korekta sprawozdania",
                body_text="Proszę o korektę, REGON 123456786",  # last digit wrong
                requester_email="ktos@gmail.com",
            )
        ],
        actor=None,
    )[0]
    assert ticket.reporting_unit is None and ticket.identification == Identification.UNIDENTIFIED
    assert ticket.queue.slug == "do-rozdzielenia"


@pytest.mark.django_db
def test_a_ticket_with_several_candidates_lets_the_agent_choose(units, alice, client):
    ticket = actions.open_tickets(
        [
            new_ticket(
                channel=Channel.EMAIL,
                subject="Pytanie",
                body_text="Dzień dobry",
                requester_email="kadry@zdrowie.example.pl",
            )
        ],
        actor=None,
    )[0]
    assert ticket.identification == Identification.AMBIGUOUS
    assert set(ticket.unit_candidates) == {units[0].pk, units[1].pk}
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.reference}/")
    assert "Przychodnia Zdrowie – filia" in page.content.decode()
    client.post(f"/tickets/{ticket.reference}/unit", {"unit": units[1].pk})
    ticket.refresh_from_db()
    assert ticket.reporting_unit == units[1] and ticket.identification == Identification.IDENTIFIED
    assert ticket.events.filter(kind="identified", data__method="agent").exists()


@pytest.mark.django_db
def test_a_unit_outside_the_candidates_cannot_be_chosen(units, alice, client):
    ticket = actions.open_tickets(
        [new_ticket(channel=Channel.EMAIL, subject="Pytanie", body_text="x", requester_email="a@zdrowie.example.pl")],
        actor=None,
    )[0]
    client.force_login(alice)
    client.post(f"/tickets/{ticket.reference}/unit", {"unit": units[2].pk})
    ticket.refresh_from_db()
    assert ticket.reporting_unit is None


@pytest.mark.django_db
def test_a_regional_admin_of_another_voivodeship_cannot_choose_the_unit(units, bob, celina, client):
    ticket = actions.open_tickets(
        [
            new_ticket(
                channel=Channel.EMAIL,
                subject="Pytanie",
                body_text="x",
                requester_email="a@zdrowie.example.pl",
                queue=Queue.objects.get(slug="woj-14"),
            )
        ],
        actor=None,
    )[0]
    client.force_login(celina)
    assert client.post(f"/tickets/{ticket.reference}/unit", {"unit": units[0].pk}).status_code == 404
    client.force_login(bob)
    client.post(f"/tickets/{ticket.reference}/unit", {"unit": units[0].pk})
    ticket.refresh_from_db()
    assert ticket.reporting_unit == units[0]
