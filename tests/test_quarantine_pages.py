"""The quarantine: agents see unreadable mail with its reason and raw copy, and retry, create or discard it.
A regional administrator sees only the quarantine of mailboxes feeding their voivodeship's queue."""

from __future__ import annotations

import pytest

from inbox_ingest.models import Mailbox, RawMessage
from tests.mailtools import message
from tickets.models import Ticket


def _quarantined(mailbox, subject="Nieczytelna") -> RawMessage:
    return RawMessage.objects.create(
        mailbox=mailbox,
        raw=message(subject=subject),
        size=100,
        sha256="0" * 64,
        subject=subject,
        sender="jan.nowak@przychodnia.example.pl",
        status=RawMessage.Status.QUARANTINED,
        outcome=RawMessage.Outcome.QUARANTINED,
        reason="ValueError: zepsuta",
    )


@pytest.fixture
def box_14(db, queue_14):
    return Mailbox.objects.create(name="m14", email_address="m14@localhost", host="h", username="u", queue=queue_14)


@pytest.fixture
def box_central(db, central):
    return Mailbox.objects.create(name="c", email_address="c@localhost", host="h", username="u", queue=central)


def test_an_agent_sees_every_quarantined_message_with_its_reason(client, alice, box_14, box_central):
    _quarantined(box_14, "Z Mazowsza")
    _quarantined(box_central, "Z centrali")
    client.force_login(alice)
    page = client.get("/inbox/quarantine/").content.decode()
    assert "Z Mazowsza" in page and "Z centrali" in page and "ValueError: zepsuta" in page


def test_a_regional_administrator_sees_only_their_voivodeships_mailbox(client, bob, box_14, box_central):
    _quarantined(box_14, "Z Mazowsza")
    hidden = _quarantined(box_central, "Z centrali")
    client.force_login(bob)
    page = client.get("/inbox/quarantine/").content.decode()
    assert "Z Mazowsza" in page and "Z centrali" not in page
    assert client.get(f"/inbox/quarantine/{hidden.pk}/").status_code == 404


def test_another_voivodeships_administrator_can_neither_see_download_nor_act(client, celina, box_14):
    row = _quarantined(box_14)
    client.force_login(celina)
    assert "Nieczytelna" not in client.get("/inbox/quarantine/").content.decode()
    assert client.get(f"/inbox/quarantine/{row.pk}/").status_code == 404
    assert client.get(f"/inbox/quarantine/{row.pk}/raw").status_code == 404
    assert client.post(f"/inbox/quarantine/{row.pk}/create").status_code == 404
    assert RawMessage.objects.get(pk=row.pk).status == "quarantined" and not Ticket.objects.exists()


def test_a_kb_editor_sees_no_quarantine(client, redaktor, box_central):
    row = _quarantined(box_central)
    client.force_login(redaktor)
    response = client.get(f"/inbox/quarantine/{row.pk}/")
    assert response.status_code == 403 and row.subject not in response.content.decode()


def test_the_raw_message_downloads_as_eml(client, bob, box_14):
    row = _quarantined(box_14)
    client.force_login(bob)
    response = client.get(f"/inbox/quarantine/{row.pk}/raw")
    assert response.status_code == 200 and response["Content-Type"] == "message/rfc822"
    assert response.content == bytes(row.raw)


def test_create_anyway_opens_a_ticket_with_the_original_attached(client, bob, box_14):
    row = _quarantined(box_14)
    client.force_login(bob)
    response = client.post(f"/inbox/quarantine/{row.pk}/create")
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.reference in response["Location"]
    assert ticket.queue == box_14.queue and ticket.entries.get().attachments.get().filename == "oryginal.eml"
    assert RawMessage.objects.get(pk=row.pk).ticket == ticket


def test_retry_processes_the_message_again(client, alice, box_14):
    row = _quarantined(box_14, "Teraz czytelna")
    client.force_login(alice)
    client.post(f"/inbox/quarantine/{row.pk}/retry")
    row.refresh_from_db()
    assert row.status == "done" and row.outcome == "created" and row.ticket.subject == "Teraz czytelna"


def test_discard_sets_the_message_aside_and_keeps_the_raw_copy(client, alice, box_14):
    row = _quarantined(box_14)
    client.force_login(alice)
    client.post(f"/inbox/quarantine/{row.pk}/discard")
    row.refresh_from_db()
    assert row.status == "discarded" and bytes(row.raw)
    assert "Nieczytelna" in client.get("/inbox/quarantine/?show=set_aside").content.decode()
    # a second action on a message no longer in quarantine is refused with a message
    response = client.post(f"/inbox/quarantine/{row.pk}/create", follow=True)
    assert "nie jest już w kwarantannie" in response.content.decode() and not Ticket.objects.exists()


def test_a_supervisor_sees_but_cannot_act(client, szef, box_14):
    row = _quarantined(box_14)
    client.force_login(szef)
    assert "Przetwórz ponownie" not in client.get(f"/inbox/quarantine/{row.pk}/").content.decode()
    response = client.post(f"/inbox/quarantine/{row.pk}/discard", follow=True)
    assert RawMessage.objects.get(pk=row.pk).status == "quarantined"
    assert "uprawnień" in response.content.decode()
