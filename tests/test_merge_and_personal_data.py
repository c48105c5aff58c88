"""An administrator merges duplicate units and people (their tickets follow), exports everything about a person
and anonymises a person on request: tickets are kept, personal fields erased, and each step is logged."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts import privacy
from contacts.models import DirectoryLog, Person, PersonEmail, ReportingUnit, Submission, SubmissionChange
from helpdesk.models import Role, User
from tests.submission_data import report, unit
from tickets.models import Entry, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)


def test_merging_units_moves_tickets_reports_and_people_and_keeps_the_newer_status(root, queue_14, open_email_ticket):
    keep = unit(8001, "14", name="Przychodnia", email="a@przychodnia.example.pl")
    duplicate = unit(8002, "14", name="Przychodnia (duplikat)", email="b@przychodnia.example.pl")
    import datetime as dt

    older = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    newer = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    report(keep, "MZ-88", 2025, "submitted", older)
    report(duplicate, "MZ-88", 2025, "accepted", newer)
    report(duplicate, "MZ-11", 2025, "draft", older)
    ticket = open_email_ticket(queue_14, reporting_unit=duplicate)
    log = privacy.merge_units(actor=root, keep=keep, duplicate=duplicate, reason="ten sam REGON po zmianie nazwy")
    assert not ReportingUnit.objects.filter(pk=duplicate.pk).exists()
    ticket.refresh_from_db()
    assert ticket.reporting_unit == keep
    assert Submission.objects.get(unit=keep, form__code="MZ-88").status.code == "accepted"
    assert Submission.objects.filter(unit=keep).count() == 2
    assert keep.people.count() == 2
    assert log.kind == "merge_units" and log.data["moved"] == {"tickets.Ticket": 1}
    assert log.data["removed"]["regon"] == duplicate.regon


def test_merging_people_moves_their_tickets_and_addresses(root, queue_14, open_email_ticket):
    keep = Person.objects.create(name="Jan Nowak")
    duplicate = Person.objects.create(name="J. Nowak", notes="dzwoni rano")
    PersonEmail.objects.create(person=duplicate, email="jan@example.pl")
    ticket = open_email_ticket(queue_14, requester=duplicate)
    privacy.merge_people(actor=root, keep=keep, duplicate=duplicate)
    ticket.refresh_from_db()
    assert ticket.requester == keep and list(keep.emails.values_list("email", flat=True)) == ["jan@example.pl"]
    assert "dzwoni rano" in Person.objects.get(pk=keep.pk).notes


def test_the_export_holds_everything_about_the_person_and_is_logged(root, queue_14, open_email_ticket):
    person = Person.objects.create(name="Anna Kowalska")
    PersonEmail.objects.create(person=person, email="anna@example.pl")
    open_email_ticket(queue_14, requester=person, requester_email="anna@example.pl", requester_name="Anna Kowalska")
    data = privacy.export_person(actor=root, person=person)
    text = json.dumps(data, default=str, ensure_ascii=False)
    assert "Anna Kowalska" in text and "anna@example.pl" in text
    assert len(data["elsewhere"]["tickets.Ticket"]) == 1 and len(data["elsewhere"]["tickets.Entry"]) == 1
    assert DirectoryLog.objects.get(kind="export_person").actor == root


def test_anonymising_erases_personal_fields_keeps_tickets_and_is_logged(root, queue_14, open_email_ticket):
    person = Person.objects.create(name="Anna Kowalska", notes="prywatny numer")
    PersonEmail.objects.create(person=person, email="anna@example.pl")
    ticket = open_email_ticket(
        queue_14, requester=person, requester_email="anna@example.pl", requester_name="Anna Kowalska"
    )
    with pytest.raises(ValidationError):
        privacy.anonymise_person(actor=root, person=person, reason=" ")
    privacy.anonymise_person(actor=root, person=person, reason="wniosek RODO 12/2026")
    person.refresh_from_db()
    ticket.refresh_from_db()
    assert person.name.startswith("Osoba zanonimizowana") and person.notes == "" and not person.emails.exists()
    assert (
        ticket.requester_email == "" and ticket.requester_name == "—" and Ticket.objects.filter(pk=ticket.pk).exists()
    )
    entry = Entry.objects.get(ticket=ticket)
    assert entry.sender_email == "" and entry.sender_name == "—"
    log = DirectoryLog.objects.get(kind="anonymise_person")
    assert log.reason == "wniosek RODO 12/2026" and log.data["erased"] == {"tickets.Ticket": 1, "tickets.Entry": 1}


def test_only_an_administrator_merges_exports_or_anonymises(alice, bob):
    person = Person.objects.create(name="X")
    for actor in (alice, bob):
        with pytest.raises(PermissionDenied):
            privacy.export_person(actor=actor, person=person)
        with pytest.raises(PermissionDenied):
            privacy.anonymise_person(actor=actor, person=person, reason="x")
    assert not DirectoryLog.objects.exists()


def test_admin_actions_merge_units_and_export_a_person(client, root):
    a, b = unit(8101, "14"), unit(8102, "14")
    client.force_login(root)
    client.post("/admin/contacts/reportingunit/", {"action": "merge", "_selected_action": [a.pk, b.pk]})
    assert list(ReportingUnit.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", flat=True)) == [a.pk]
    person = Person.objects.create(name="Ewa")
    response = client.post("/admin/contacts/person/", {"action": "export_data", "_selected_action": [person.pk]})
    assert response["Content-Disposition"] == f'attachment; filename="osoba-{person.pk}.json"'
    assert json.loads(response.content)["person"]["name"] == "Ewa"
    page = client.post("/admin/contacts/person/", {"action": "anonymise", "_selected_action": [person.pk]})
    assert "Podstawa" in page.content.decode()
    client.post(
        "/admin/contacts/person/",
        {"action": "anonymise", "_selected_action": [person.pk], "apply": "1", "reason": "wniosek 1"},
    )
    assert Person.objects.get(pk=person.pk).name.startswith("Osoba zanonimizowana")
    assert SubmissionChange.objects.count() == 0
