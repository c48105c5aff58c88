"""The portal's contact form opens a web ticket, acknowledges it with a private link where the person follows
and answers the ticket without an account; spam is held back by a honeypot and a per-address limit."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from helpdesk import outbox
from knowledge_base.loading import load_starter_content
from knowledge_base.models import ContactAttempt, RequesterLink
from tests.lock_race import hold_first_call, race
from tests.ticket_requests import new_entry, new_ticket
from tickets import actions as ticket_actions
from tickets.models import Channel, Entry, Status, Ticket

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Anna Kowalska",
    "email": "Rejestracja@Przychodnia.example.pl",
    "regon": "",
    "subject": "Nie mogę wysłać MZ-88",
    "body": "Przycisk Wyślij jest szary.",
    "website": "",
    "attempt": "",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def send(client, **changes):
    return client.post(reverse("kb:contact"), {**FORM, **changes})


def private_link() -> str:
    outbox.drain()
    body = mail.outbox[-1].body
    return re.search(r"http://\S+/zgloszenie/\S+/", body).group(0)


def test_sending_the_form_opens_a_web_ticket_with_the_attachment_and_mails_a_private_link(client):
    screenshot = SimpleUploadedFile("blad.png", b"\x89PNG fake", content_type="image/png")
    response = client.post(reverse("kb:contact"), {**FORM, "attachments": [screenshot]})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB and ticket.requester_email == "rejestracja@przychodnia.example.pl"
    assert ticket.entries.get().attachments.get().filename == "blad.png"
    link = private_link()
    assert ticket.reference in mail.outbox[-1].subject
    assert ticket.reference in client.get(reverse("kb:contact_sent")).content.decode()
    assert RequesterLink.objects.get().token_sha256 not in link  # only the digest is stored


def test_a_valid_regon_links_the_unit_and_a_wrong_one_is_refused_with_a_message(client):
    from contacts.models import ReportingUnit

    unit = ReportingUnit.objects.create(name="Przychodnia", regon="123456785", voivodeship_id="14")
    response = send(client, regon="123-456-786")
    assert response.status_code == 400 and "cyfrę kontrolną" in response.content.decode()
    assert not Ticket.objects.exists()
    send(client, regon="123-456-785")
    assert Ticket.objects.get().reporting_unit == unit


def test_missing_fields_are_explained_and_nothing_is_opened(client):
    response = send(client, email="", body="")
    assert response.status_code == 400 and not Ticket.objects.exists()
    assert "field-error" in response.content.decode()


def test_a_filled_honeypot_looks_like_success_but_opens_nothing(client):
    assert send(client, website="http://spam.example").status_code == 302
    assert not Ticket.objects.exists()


@override_settings(KB_CONTACT_PER_HOUR=2)
def test_one_address_may_send_only_a_few_forms_an_hour(client):
    assert send(client).status_code == 302
    assert send(client).status_code == 302
    response = send(client)
    assert response.status_code == 429 and "Spróbuj za godzinę" in response.content.decode()
    assert Ticket.objects.count() == 2


def test_suggestions_while_typing_are_recorded_and_so_is_sending_anyway(client):
    load_starter_content()
    fragment = client.post(reverse("kb:suggestions"), {"subject": "zmiana hasla", "attempt": "abc123"}).content.decode()
    assert "Jak zmienić lub odzyskać hasło?" in fragment and "?z=abc123" in fragment
    attempt = ContactAttempt.objects.get(token="abc123")
    assert attempt.suggested and not attempt.ticket_sent
    send(client, attempt="abc123")
    attempt.refresh_from_db()
    assert attempt.ticket_sent


def test_the_private_link_shows_the_conversation_without_internal_notes_and_takes_a_reply(client, alice):
    send(client)
    link = private_link()
    ticket = Ticket.objects.get()
    ticket_actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Notatka: sprawdzić logi")], actor=alice
    )[0]
    ticket_actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę odświeżyć stronę.")], actor=alice
    )[0]
    page = client.get(link).content.decode()
    assert "Proszę odświeżyć stronę." in page and "sprawdzić logi" not in page
    response = client.post(link, {"body": "Pomogło, dziękuję."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.entries.filter(kind=Entry.Kind.INBOUND).count() == 2 and ticket.status == Status.OPEN


def test_a_wrong_token_is_not_found(client):
    assert client.get(reverse("kb:requester_ticket", args=["nie-ma-takiego"])).status_code == 404


@override_settings(KB_REQUESTER_LINK_DAYS=7)
def test_the_link_expires_a_configurable_time_after_the_ticket_is_closed(client, alice):
    send(client)
    link = private_link()
    ticket = Ticket.objects.get()
    ticket_actions.change_status(actor=alice, ticket=ticket, status=Status.CLOSED)
    assert client.get(link).status_code == 200
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timezone.timedelta(days=8))
    assert client.get(link).status_code == 404


def test_after_a_merge_the_private_link_follows_the_target_showing_only_the_requesters_own_messages(client, alice):
    send(client)
    link = private_link()
    duplicate = Ticket.objects.get()
    other = ticket_actions.open_tickets(
        [
            new_ticket(
                channel=Channel.EMAIL,
                subject="To samo od kogoś innego",
                body_text="Wiadomość innej osoby",
                requester_email="inna.osoba@example.pl",
                queue=duplicate.queue,
            )
        ],
        actor=None,
    )[0]
    ticket_actions.merge_tickets(actor=alice, source=duplicate, target=other)
    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and other.reference in html
    assert "Wiadomość innej osoby" not in html
    client.post(link, {"body": "Czy są już wyniki?"})
    entry = other.entries.get(body_text="Czy są już wyniki?")
    assert entry.sender_email == RequesterLink.objects.get().email
    assert "Czy są już wyniki?" in client.get(link).content.decode()


def test_a_wrong_regon_is_reported_together_with_the_other_missing_fields(client):
    response = send(client, regon="123-456-786", email="", subject="")
    page = response.content.decode()
    assert response.status_code == 400 and not Ticket.objects.exists()
    assert "REGON 123456786 ma błędną cyfrę kontrolną" in page
    assert page.count("field-error") >= 3  # e-mail, subject and REGON at once


def test_the_same_form_sent_again_after_an_error_page_opens_one_ticket(client):
    """The page's token (the hidden field "attempt") makes a second sending of the same form with the same content
    the first one's repeat: the person pressing the button again after an error page (the database gone right
    after the commit; bench/faults.py saw one doubled so) gets the first ticket, and one acknowledgement."""
    page = client.get(reverse("kb:contact")).content.decode()
    token = re.search(r'name="attempt" value="([^"]+)"', page).group(1)
    first = send(client, attempt=token)
    again = send(client, attempt=token)

    assert first.status_code == again.status_code == 302
    (ticket,) = Ticket.objects.all()
    assert client.session["kb_last_ticket"] == ticket.reference and client.session["kb_last_acknowledged"]
    assert RequesterLink.objects.filter(ticket=ticket).count() == 1
    assert ContactAttempt.objects.get(token=token).ticket == ticket


def test_other_content_under_the_same_token_or_no_token_is_another_ticket(client):
    send(client, attempt="strona-1")
    send(client, attempt="strona-1", body="Jednak inne pytanie.")
    send(client)
    send(client, name="Jan Nowak", email="jan@przychodnia.example.pl")
    assert Ticket.objects.count() == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_form_sent_twice_at_the_same_moment_opens_one_ticket_on_postgresql(monkeypatch):
    """Two connections: the first has locked the form's attempt row and is opening the ticket when the second
    sending arrives. The second waits on the row (seen in pg_stat_activity), then finds the first's ticket and
    answers with it: one ticket, one acknowledgement."""
    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the second sending waits for the first transaction's row lock")
    held = hold_first_call(monkeypatch, ticket_actions, "open_tickets")
    ContactAttempt.objects.create(token="strona-rownoczesna", suggested=True)  # the page showed suggestions
    answers, waiting = race(
        lambda: send(Client(), attempt="strona-rownoczesna"),
        held=held,
        waiting_in='SELECT "knowledge_base_contactattempt".%',  # the locking read (its text is cut before FOR UPDATE)
    )
    assert waiting == 1  # the second sending really waited on the attempt's row while the first held it
    assert answers["first"].status_code == answers["second"].status_code == 302
    (ticket,) = Ticket.objects.all()
    assert RequesterLink.objects.filter(ticket=ticket).count() == 1
    assert ContactAttempt.objects.get(token="strona-rownoczesna").ticket == ticket
