"""An agent sends a reply the mail server refuses: the ticket page shows it as not delivered yet (and passes
axe-core), and "Ponów wysyłkę teraz" sends it once the server accepts again. SMTP is a real local server
(tests/smtp_server.py) reached through Django's smtp backend. In both browsers."""

import pytest

from helpdesk.models import Role, User
from tests.smtp_server import SmtpServer
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Entry, Queue

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.OUTBOX_MAX_ATTEMPTS = 2
    yield server
    server.stop()


def test_a_refused_reply_is_shown_and_can_be_retried_from_the_ticket_page(tab, live_server, smtp):
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    ticket = actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject="Brak MZ-06",
                body_text="Nie widzę MZ-06.",
                requester_email="pielegniarka@szkola.example.pl",
                queue=Queue.objects.get(slug="centralna"),
            )
        ],
        actor=None,
    )[0]
    smtp.mode = "reject"
    tab.log_in(live_server.url, "alice", "test-pass-123")
    tab.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    tab.fill("#reply-form select[name=kind]", "outbound")
    tab.fill("#reply-form textarea[name=body_text]", "Dzień dobry, MZ-06 jest już dostępny.")
    tab.click("#reply-form button[type=submit]", navigates=True)  # the page it leads to passes axe-core
    line = tab.text(".delivery-retrying")
    assert "Jeszcze nie doręczono — próba 1 z 2" in line and "Relaying denied" in line

    smtp.mode = "accept"
    tab.click(".delivery-retrying form button[type=submit]", navigates=True)
    assert "Ponowiono wysyłkę odpowiedzi." in tab.text()
    assert tab.text(".delivery-sent").strip() == "Wysłano e-mailem."
    entry = ticket.entries.get(kind=Entry.Kind.OUTBOUND)
    assert [message["Message-ID"] for message in smtp.messages] == [entry.message_id]
