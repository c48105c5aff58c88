"""The agent's pages in Polish: login, the ticket list with filters, the ticket page and its actions."""

import pytest
from django.core import mail
from django.urls import reverse

from contacts.models import ReportingUnit
from tests.ticket_requests import new_ticket
from tickets.models import Entry, Status

pytestmark = pytest.mark.django_db


def test_the_login_page_is_polish_and_a_wrong_password_gets_a_clear_message(client, alice):
    page = client.get(reverse("login")).content.decode()
    assert 'lang="pl"' in page and "Zaloguj" in page
    response = client.post(reverse("login"), {"username": "alice", "password": "złe"})
    assert "Nieprawidłowa nazwa użytkownika lub hasło" in response.content.decode()
    response = client.post(reverse("login"), {"username": "alice", "password": "test-pass-123"})
    assert response.status_code == 302


def test_the_list_filters_by_queue_status_and_assignee(client, alice, central, queue_14, open_email_ticket):
    first = open_email_ticket(central, subject="Logowanie przez Profil Zaufany")
    second = open_email_ticket(queue_14, subject="Korekta MZ-11")
    client.force_login(alice)
    refs = lambda **q: [t.reference for t in client.get(reverse("tickets:list"), q).context["page"]]  # noqa: E731
    assert refs() == [second.reference, first.reference]
    assert refs(queue="woj-14") == [second.reference]
    assert refs(status="open") == [second.reference, first.reference]
    assert refs(status="resolved") == []
    assert refs(assignee="none") == [second.reference, first.reference]
    assert refs(assignee="me") == []
    assert refs(q="profil") == [first.reference]


def test_an_agent_replies_from_the_ticket_page_and_the_requester_gets_the_email(
    client, alice, central, open_email_ticket, django_capture_on_commit_callbacks
):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:reply", args=[ticket.reference]),
            {"kind": "outbound", "body_text": "Dzień dobry, proszę spróbować ponownie."},
            follow=True,
        )
    assert "Wysłano odpowiedź." in response.content.decode()
    assert mail.outbox[0].body == "Dzień dobry, proszę spróbować ponownie."
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 1


def test_an_empty_reply_is_refused_in_polish_and_nothing_is_added(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    response = client.post(reverse("tickets:reply", args=[ticket.reference]), {"kind": "outbound", "body_text": ""})
    assert response.status_code == 400
    assert "To pole jest wymagane." in response.content.decode()
    assert ticket.entries.count() == 1


def test_the_ticket_page_shows_conversation_unit_and_event_log(client, alice, central, open_email_ticket):
    unit = ReportingUnit.objects.create(name="Przychodnia Zdrowie", regon="123456785", voivodeship_id="14")
    ticket = open_email_ticket(central, reporting_unit=unit)
    client.force_login(alice)
    client.post(reverse("tickets:status", args=[ticket.reference]), {"status": Status.OPEN, "reason": "biorę"})
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "Dzień dobry, system odrzuca sprawozdanie." in page
    assert "Przychodnia Zdrowie" in page and "123456785" in page
    assert "Status: nowe → otwarte" in page and "biorę" in page


def test_an_assignment_to_someone_outside_the_queue_is_refused_in_polish(
    client, alice, celina, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    response = client.post(reverse("tickets:assign", args=[ticket.reference]), {"assignee": celina.pk}, follow=True)
    assert "Przydziel:" in response.content.decode()  # the form refuses a person not in the candidate list
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_regional_admin_hands_a_ticket_back_to_the_central_desk_with_a_note(
    client, bob, queue_14, central, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(bob)
    response = client.post(
        reverse("tickets:move", args=[ticket.reference]), {"queue": central.pk, "reason": "to sprawa logowania"}
    )
    assert response["Location"] == reverse("tickets:list")  # the ticket left his sight
    ticket.refresh_from_db()
    assert ticket.queue == central
    event = ticket.events.get(kind="queue_changed")
    assert event.reason == "to sprawa logowania" and event.data["to_name"] == central.name


def test_a_regional_admin_cannot_hand_a_ticket_to_another_voivodeship(
    client, bob, queue_14, queue_24, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(bob)
    response = client.post(reverse("tickets:move", args=[ticket.reference]), {"queue": queue_24.pk}, follow=True)
    assert "Przekaż do kolejki:" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.queue == queue_14


def test_a_reply_can_carry_several_attachments(client, alice, central, open_email_ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = open_email_ticket(central)
    client.force_login(alice)
    files = [
        SimpleUploadedFile("instrukcja.pdf", b"%PDF-1.4 instrukcja", content_type="application/pdf"),
        SimpleUploadedFile("zrzut.png", b"\x89PNG zrzut", content_type="image/png"),
    ]
    client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"kind": "note", "body_text": "Instrukcja i zrzut ekranu w załącznikach.", "attachments": files},
    )
    note = ticket.entries.get(kind=Entry.Kind.NOTE)
    assert sorted(note.attachments.values_list("filename", flat=True)) == ["instrukcja.pdf", "zrzut.png"]


def test_a_reply_goes_to_the_chosen_addresses_and_a_bad_address_keeps_the_text(
    client, alice, central, open_email_ticket, django_capture_on_commit_callbacks
):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    url = reverse("tickets:reply", args=[ticket.reference])
    response = client.post(url, {"kind": "outbound", "to": "kadry@, ala@example.pl", "body_text": "Treść odpowiedzi"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nieprawidłowy adres e-mail: kadry@" in page and "Treść odpowiedzi" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "kind": "outbound",
                "to": "kadry@przychodnia.example.pl",
                "cc": "szef@przychodnia.example.pl",
                "body_text": "Treść",
            },
        )
    assert mail.outbox[0].to == ["kadry@przychodnia.example.pl"] and mail.outbox[0].cc == [
        "szef@przychodnia.example.pl"
    ]


def test_a_reply_to_a_requester_without_an_address_is_refused_with_the_text_kept(client, alice, central):
    from tickets import actions as ticket_actions

    ticket = ticket_actions.open_tickets(
        [new_ticket(channel="phone", subject="Telefon", body_text="Notatka z rozmowy", queue=central)], actor=alice
    )[0]
    client.force_login(alice)
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]), {"kind": "outbound", "body_text": "Moja odpowiedź"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Zgłaszający nie ma adresu e-mail" in page and "Moja odpowiedź" in page
