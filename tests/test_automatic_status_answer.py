"""With AUTO_STATUS_REPLY on, a clear "did our report arrive?" from an identified unit is answered at once with
its report statuses; anything else, or with the setting off (the default), gets the plain acknowledgement."""

import pytest
from django.core import mail

from contacts.models import Person, PersonEmail, ReportingUnit, UnitMembership
from contacts.replies import is_status_question
from inbox_ingest import actions as ingest_actions
from tests.mailtools import message
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "Czy nasze sprawozdanie MZ-88 dotarło?",
        "czy sprawozdanie zostalo przyjete",
        "Prosze o sprawdzenie, czy MZ-11 wpłynęło do urzędu",
        "Jaki jest status sprawozdania MZ-11?",
        "Proszę potwierdzić otrzymanie sprawozdania.",
    ],
)
def test_status_questions_are_recognised_with_or_without_polish_letters(text):
    assert is_status_question(text)


@pytest.mark.parametrize("text", ["Nie mogę się zalogować przez Profil Zaufany", "Jak poprawić dział II MZ-88?"])
def test_other_questions_are_not_status_questions(text):
    assert not is_status_question(text)


@pytest.fixture
def ingest(run_on_commit):
    ingest_actions._OWN_CACHE.clear()

    def run(raw: bytes):
        row, _new = ingest_actions.store(raw=raw, mailbox=None, uid=None, uidvalidity=None)
        return run_on_commit(ingest_actions.process, row.pk)

    return run


@pytest.fixture
def known_sender(db):
    unit = ReportingUnit.objects.create(name="Przychodnia Pod Lipami", regon="123456785", voivodeship_id="14")
    person = Person.objects.create(name="Jan Nowak")
    PersonEmail.objects.create(person=person, email="jan.nowak@przychodnia.example.pl")
    UnitMembership.objects.create(person=person, unit=unit)
    return unit


def test_a_status_question_is_answered_with_the_statuses_when_switched_on(settings, ingest, known_sender):
    from contacts.lookup import default_year
    from tests.submission_data import report

    settings.AUTO_STATUS_REPLY = True
    report(known_sender, "MZ-88", default_year(), "accepted")
    result = ingest(message(subject="Czy MZ-88 dotarło?", body="Dzień dobry, czy nasze sprawozdanie dotarło?\n"))
    ticket = Ticket.objects.get(reference=result.ticket)
    (ack,) = mail.outbox
    assert "REGON 123456785" in ack.body and "/status/?regon=123456785" in ack.body and "MZ-88" in ack.body
    assert ticket.events.filter(kind="automatic_answer").exists()
    assert ticket.reporting_unit == known_sender


def test_by_default_only_the_plain_acknowledgement_goes_out(ingest, known_sender):
    result = ingest(message(subject="Czy MZ-88 dotarło?", body="Czy nasze sprawozdanie dotarło?\n"))
    (ack,) = mail.outbox
    assert "/status/" not in ack.body
    assert not Ticket.objects.get(reference=result.ticket).events.filter(kind="automatic_answer").exists()


def test_an_unidentified_sender_gets_no_statuses(settings, ingest):
    settings.AUTO_STATUS_REPLY = True
    ingest(message(sender="ktos@gmail.com", subject="Czy MZ-88 dotarło?", body="Czy sprawozdanie dotarło?\n"))
    (ack,) = mail.outbox
    assert "/status/" not in ack.body
