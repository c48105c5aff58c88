"""One loop guard for every acknowledgement: contact-form acknowledgements count against the same per-address
limit as the e-mail channel's (INBOX_ACK_LIMIT per INBOX_ACK_WINDOW_SECONDS), never go to a bouncing address, and
the form still opens the ticket and says no confirmation was sent."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from helpdesk import outbox
from inbox_ingest import actions as inbox_actions
from inbox_ingest.models import FailingAddress, Mailbox, SentMessage
from knowledge_base.models import RequesterLink
from tests.mailtools import message
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

VICTIM = "ofiara@example.pl"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    inbox_actions._OWN_CACHE.clear()


def send_form(client, n: int, email: str = VICTIM):
    """The form as a bot sends it: each time from another client address (the per-client limit does not help)."""
    data = {
        "name": "Ktoś",
        "email": email,
        "regon": "",
        "subject": f"Wygrałeś! http://oszustwo.example/{n}",
        "body": "Kliknij.",
        "website": "",
        "attempt": "",
    }
    return client.post(reverse("kb:contact"), data, REMOTE_ADDR=f"198.51.100.{n}")


def acks_to(address: str) -> list:
    outbox.drain()
    return [m for m in mail.outbox if m.to == [address]]


def test_four_forms_with_one_address_get_three_acknowledgements_and_four_tickets(client, settings):
    assert settings.INBOX_ACK_LIMIT == 3
    for n in range(1, 4):
        assert send_form(client, n).status_code == 302
    assert "wysłaliśmy potwierdzenie z prywatnym linkiem" in client.get(reverse("kb:contact_sent")).content.decode()
    assert send_form(client, 4).status_code == 302
    sent_page = client.get(reverse("kb:contact_sent")).content.decode()
    assert "tym razem potwierdzenia nie wysyłamy" in sent_page
    acks = acks_to(VICTIM)
    assert Ticket.objects.count() == 4 and len(acks) == 3
    assert not any("oszustwo.example/4" in m.subject + m.body for m in acks)
    assert all(m.extra_headers["Auto-Submitted"] == "auto-replied" for m in acks)
    assert SentMessage.objects.filter(to_email=VICTIM, kind="acknowledgement").count() == 3
    assert RequesterLink.objects.count() == 3  # no link nobody received


def test_email_and_form_acknowledgements_share_one_limit(client, run_on_commit, queue_14, settings):
    settings.INBOX_ACK_LIMIT = 2
    mailbox = Mailbox.objects.create(
        name="m", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    row, _new = inbox_actions.store(
        raw=message(sender=f"Ofiara <{VICTIM}>", message_id="<e1@x>"), mailbox=mailbox, uid=1, uidvalidity=1
    )
    run_on_commit(inbox_actions.process, row.pk)
    send_form(client, 1)
    send_form(client, 2)  # over the shared limit
    assert len(acks_to(VICTIM)) == 2
    row, _new = inbox_actions.store(
        raw=message(sender=f"Ofiara <{VICTIM}>", message_id="<e2@x>", subject="Inne"),
        mailbox=mailbox,
        uid=2,
        uidvalidity=1,
    )
    run_on_commit(inbox_actions.process, row.pk)  # the e-mail channel sees the form's acknowledgement too
    assert len(acks_to(VICTIM)) == 2 and Ticket.objects.count() == 4


def test_no_form_acknowledgement_to_an_address_our_mail_bounced_from(client):
    FailingAddress.objects.create(email=VICTIM, bounces=3, last_bounce_at=timezone.now())
    assert send_form(client, 1).status_code == 302
    assert Ticket.objects.count() == 1 and acks_to(VICTIM) == []
