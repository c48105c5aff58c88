"""The ticket page tells the agent what the e-mail channel knows: the requester's address bounces our mail, or
a received message was over the size limit (flagged, never dropped)."""

from __future__ import annotations

import pytest

from tests.mailtools import POLISH, message
from tests.test_email_ingestion import ingest, mailbox  # noqa: F401  (fixtures)
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _bounce_of(message_id: str, recipient: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.pl\r\nTo: pomoc-14@localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-w@mx>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nNie dostarczono.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\nSubject: x\r\n\r\n--B--\r\n"
    ).encode()


def test_a_bouncing_requester_address_is_shown_on_the_ticket(ingest, mailbox, client, alice):  # noqa: F811
    from inbox_ingest.models import SentMessage

    ticket = Ticket.objects.get(reference=ingest(message(), mailbox=mailbox, uid=1).ticket)
    client.force_login(alice)
    assert "wraca jako niedoręczona" not in client.get(f"/tickets/{ticket.reference}/").content.decode()
    ack_id = SentMessage.objects.get(ticket=ticket).message_id
    assert ingest(_bounce_of(ack_id, ticket.requester_email), mailbox=mailbox, uid=2).outcome == "bounce"
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert f"Poczta do {ticket.requester_email} wraca jako niedoręczona (zwroty: 1, ostatni" in page
    assert "Undelivered Mail Returned to Sender" in page


def test_an_oversized_message_is_flagged_on_its_ticket(ingest, mailbox, client, alice, settings):  # noqa: F811
    settings.INBOX_MAX_MESSAGE_BYTES = 1000
    raw = (POLISH / "outlook_pl_wiadomosc_oryginalna.eml").read_bytes()
    assert len(raw) > 1000
    result = ingest(raw, mailbox=mailbox, uid=1)
    assert result.outcome == "created"
    client.force_login(alice)
    page = client.get(f"/tickets/{result.ticket}/").content.decode()
    assert "przekracza limit rozmiaru" in page and "oryginał jest zachowany w całości" in page


def test_a_regional_admin_of_another_voivodeship_sees_neither(ingest, mailbox, client, celina):  # noqa: F811
    result = ingest(message(), mailbox=mailbox, uid=1)
    client.force_login(celina)
    assert client.get(f"/tickets/{result.ticket}/").status_code == 404
