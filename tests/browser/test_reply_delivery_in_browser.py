"""An agent sends a reply the mail server refuses: the ticket page shows it as not delivered yet (and passes
axe-core), and "Ponów wysyłkę teraz" sends it once the server accepts again. SMTP is a real local server
(tests/smtp_server.py) reached through Django's smtp backend."""

import pytest

from helpdesk.models import Role, User
from tests.browser.test_public_pages_accessibility import AXE, violations
from tests.conftest import need_server
from tests.smtp_server import SmtpServer
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


def test_a_refused_reply_is_shown_and_can_be_retried_from_the_ticket_page(page, live_server, smtp):
    need_server("axe-core", AXE.exists(), "cd tests/browser && npm ci")
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    ticket = actions.open_ticket(
        actor=None,
        channel="email",
        subject="Brak MZ-06",
        body_text="Nie widzę MZ-06.",
        requester_email="pielegniarka@szkola.example.pl",
        queue=Queue.objects.get(slug="centralna"),
    )
    smtp.mode = "reject"
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill("alice")
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    page.get_by_label("Treść").fill("Dzień dobry, MZ-06 jest już dostępny.")
    page.get_by_role("button", name="Wyślij").click()
    page.get_by_text("Wysłano odpowiedź.").wait_for()
    line = page.locator(".delivery-retrying")
    line.wait_for()
    assert "Jeszcze nie doręczono — próba 1 z 2" in line.inner_text() and "Relaying denied" in line.inner_text()
    assert violations(page) == []

    smtp.mode = "accept"
    page.get_by_role("button", name="Ponów wysyłkę teraz").click()
    page.get_by_text("Ponowiono wysyłkę odpowiedzi.").first.wait_for()
    assert page.locator(".delivery-sent").inner_text().strip() == "Wysłano e-mailem."
    entry = ticket.entries.get(kind=Entry.Kind.OUTBOUND)
    assert [message["Message-ID"] for message in smtp.messages] == [entry.message_id]
