"""A mailbox password typed in the admin: stored encrypted, never shown back, used by the watcher against the real
Dovecot; the environment variable still wins; a changed key is a clear error, and keys can be rotated."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from helpdesk.models import Role, User
from inbox_ingest import credentials, watcher
from inbox_ingest.models import Mailbox, WatcherState
from tests.imaptools import client_for
from tests.mailtools import message
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.gov.pl", "x", role=Role.ADMIN))
    return client


def _form(mailbox_name: str, queue, port: int, **extra) -> dict:
    data = {
        "name": mailbox_name,
        "email_address": f"{mailbox_name}@localhost",
        "host": "127.0.0.1",
        "port": port,
        "security": Mailbox.Security.SSL,
        "username": mailbox_name,
        "auth": Mailbox.Auth.PASSWORD,
        "password": "",
        "secret_env": "",
        "token_provider": "",
        "folder": "INBOX",
        "after_ingest": Mailbox.AfterIngest.MARK_SEEN,
        "move_to": "Przyjete",
        "queue": queue.pk,
        "poll_seconds": 60,
        "is_active": "on",
        # the watcher-state inline (empty)
        "state-TOTAL_FORMS": "0",
        "state-INITIAL_FORMS": "0",
        "state-MIN_NUM_FORMS": "0",
        "state-MAX_NUM_FORMS": "1",
    }
    data.update(extra)
    return data


def test_a_password_typed_in_the_admin_logs_in_to_the_real_server(admin_client, dovecot, queue_14, settings):
    settings.MAILBOX_SECRET_KEY = Fernet.generate_key().decode()
    user, password = dovecot.new_user()
    response = admin_client.post(
        "/admin/inbox_ingest/mailbox/add/", _form(user, queue_14, dovecot.ssl_port, password=password)
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    mailbox = Mailbox.objects.get(name=user)
    assert mailbox.password_encrypted and password not in mailbox.password_encrypted
    imap = client_for(dovecot, user, password)
    imap.append("INBOX", message(message_id="<adm@x>", subject="Hasło z panelu"))
    assert not mailbox.verify_certificate  # the test server's certificate is self-signed
    assert watcher.Watcher(mailbox).run_once() == 1
    assert Ticket.objects.filter(subject="Hasło z panelu").exists()

    page = admin_client.get(f"/admin/inbox_ingest/mailbox/{mailbox.pk}/change/").content.decode()
    assert password not in page and mailbox.password_encrypted not in page
    assert "Hasło zapisane (zaszyfrowane)." in page


def test_an_empty_password_field_keeps_the_stored_one_and_the_checkbox_clears_it(admin_client, queue_14):
    mailbox = Mailbox.objects.create(
        name="skrzynka", email_address="s@localhost", host="h", username="s", queue=queue_14
    )
    mailbox.set_password("stare-haslo")
    mailbox.save()
    url = f"/admin/inbox_ingest/mailbox/{mailbox.pk}/change/"
    assert (
        admin_client.post(
            url, _form("skrzynka", queue_14, 993, host="h", username="s", verify_certificate="on")
        ).status_code
        == 302
    )
    mailbox.refresh_from_db()
    assert mailbox.stored_password() == "stare-haslo"
    assert admin_client.post(url, _form("skrzynka", queue_14, 993, password="nowe")).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.stored_password() == "nowe"
    both = admin_client.post(url, _form("skrzynka", queue_14, 993, password="x", clear_password="on"))
    assert both.status_code == 200 and "nie oba naraz" in both.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.stored_password() == "nowe"
    cleared = admin_client.post(url, _form("skrzynka", queue_14, 993, clear_password="on"))
    assert cleared.status_code == 200 and "Podaj hasło albo nazwę zmiennej" in cleared.content.decode()
    assert (
        admin_client.post(
            url, _form("skrzynka", queue_14, 993, clear_password="on", secret_env="IMAP_PASSWORD_X")
        ).status_code
        == 302
    )
    mailbox.refresh_from_db()
    assert not mailbox.has_password and mailbox.secret_env == "IMAP_PASSWORD_X"


def test_the_environment_variable_takes_precedence(queue_14, monkeypatch):
    mailbox = Mailbox(name="m", email_address="m@localhost", host="h", username="u", queue=queue_14)
    mailbox.set_password("z-panelu")
    assert watcher.mailbox_password(mailbox) == "z-panelu"
    mailbox.secret_env = "IMAP_PASSWORD_SSOZ_TEST"
    monkeypatch.setenv("IMAP_PASSWORD_SSOZ_TEST", "ze-srodowiska")
    assert watcher.mailbox_password(mailbox) == "ze-srodowiska"
    monkeypatch.delenv("IMAP_PASSWORD_SSOZ_TEST")
    assert watcher.mailbox_password(mailbox) == "z-panelu"  # the variable named but absent: the stored one


def test_a_changed_key_is_a_clear_error_in_the_watcher_state(dovecot, queue_14, settings, client):
    settings.MAILBOX_SECRET_KEY = ""  # derived from SECRET_KEY
    user, password = dovecot.new_user()
    mailbox = Mailbox(
        name=user, email_address=f"{user}@localhost", host="127.0.0.1", port=dovecot.ssl_port, username=user,
        verify_certificate=False, queue=queue_14,
    )  # fmt: skip
    mailbox.set_password(password)
    mailbox.save()
    assert watcher.Watcher(mailbox).run_once() == 0 and not WatcherState.objects.get(mailbox=mailbox).last_error
    settings.SECRET_KEY = "a-different-secret-key-after-a-reinstall-" * 2
    with pytest.raises(watcher.MailboxConfigError, match="cannot be decrypted with the current SECRET_KEY"):
        watcher.Watcher(mailbox).run_once()
    state = WatcherState.objects.get(mailbox=mailbox)
    assert "type the password again in the admin" in state.last_error and not state.connected
    client.force_login(User.objects.create_user("monitor", "monitor@example.gov.pl"))  # details are for staff
    (box,) = [b for b in client.get("/healthz").json()["mailboxes"]["mailboxes"] if b["name"] == user]
    assert not box["ok"] and "cannot be decrypted" in box["last_error"]


def test_keys_can_be_rotated(settings):
    old, new = Fernet.generate_key().decode(), "a long random passphrase used as the new key"
    settings.MAILBOX_SECRET_KEY = old
    token = credentials.encrypt("tajne")
    settings.MAILBOX_SECRET_KEY = f"{new},{old}"
    assert credentials.decrypt(token) == "tajne"
    fresh = credentials.encrypt("tajne")
    settings.MAILBOX_SECRET_KEY = new
    assert credentials.decrypt(fresh) == "tajne"
    with pytest.raises(credentials.PasswordUnreadable, match="MAILBOX_SECRET_KEY"):
        credentials.decrypt(token)
