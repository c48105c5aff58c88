"""The admin's mailbox form cannot send any environment variable to any host, nor serve as a port scanner:
only IMAP_PASSWORD_* variables, TLS with a verified certificate (plain or unverified only to 127.0.0.1 when
the configuration allows it), checked on saving and again before connecting; connection errors say the same
whatever the port's state."""

import re
import socket
import threading

import pytest

from helpdesk.models import Role, User
from inbox_ingest import watcher
from inbox_ingest.models import Mailbox, WatcherState
from tests.test_mailbox_password import _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.gov.pl", "x", role=Role.ADMIN))
    return client


class Listener:
    """A TCP server on 127.0.0.1 recording what it receives; `greeting` is sent first, `accept=False` never
    accepts (the kernel completes the handshake, then silence, as from a filtered or mute port)."""

    def __init__(self, greeting: bytes = b"", accept: bool = True):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.greeting = greeting
        if accept:
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            while True:
                conn, _ = self.sock.accept()
                with conn:
                    conn.settimeout(2)
                    if self.greeting:
                        conn.sendall(self.greeting)
                    try:
                        while chunk := conn.recv(4096):
                            self.received += chunk
                    except OSError:
                        pass
        except OSError:  # closed
            pass

    def close(self):
        self.sock.close()


def _mailbox(queue, **fields) -> Mailbox:
    values = {
        "name": "skrzynka", "email_address": "s@localhost", "host": "127.0.0.1", "port": 993, "username": "u",
        "security": Mailbox.Security.SSL, "verify_certificate": True, "queue": queue,
    }  # fmt: skip
    values.update(fields)
    return Mailbox.objects.create(**values)  # as a script or an old row would: no clean()


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "MAILBOX_SECRET_KEY", "S3_SECRET_ACCESS_KEY",
                                  "IMAP_PASSWORD_", "IMAP_PASSWORD_X; rm", "imap_password_x"])  # fmt: skip
def test_the_form_refuses_variables_not_meant_for_mailboxes(admin_client, queue_14, name):
    response = admin_client.post("/admin/inbox_ingest/mailbox/add/", _form("nowa", queue_14, 993, secret_env=name))
    assert response.status_code == 200 and not Mailbox.objects.exists()
    assert "Nazwa zmiennej musi zaczynać się od IMAP_PASSWORD_" in response.content.decode()


def test_the_form_takes_a_mailbox_variable(admin_client, queue_14):
    form = _form("nowa", queue_14, 993, secret_env="IMAP_PASSWORD_POMOC", host="imap.example.gov.pl")
    form["verify_certificate"] = "on"
    assert admin_client.post("/admin/inbox_ingest/mailbox/add/", form).status_code == 302
    assert Mailbox.objects.get().secret_env == "IMAP_PASSWORD_POMOC"


@pytest.mark.parametrize(
    ("host", "security", "verify", "allowed_locally", "refused_field"),
    [
        ("127.0.0.1", "plain", True, False, "Połączenie bez szyfrowania jest dozwolone tylko"),
        ("10.0.0.5", "plain", True, True, "Połączenie bez szyfrowania jest dozwolone tylko"),
        ("localhost", "plain", True, True, "Połączenie bez szyfrowania jest dozwolone tylko"),  # a name, not 127.0.0.1
        ("imap.example.gov.pl", "ssl", False, True, "Certyfikat serwera musi być sprawdzany"),
        ("127.0.0.1", "starttls", False, False, "Certyfikat serwera musi być sprawdzany"),
        ("127.0.0.1", "plain", True, True, None),
        ("::1", "ssl", False, True, None),
        ("imap.example.gov.pl", "starttls", True, False, None),
    ],
)
def test_the_form_requires_verified_tls_except_to_this_machine_when_configured(
    admin_client, queue_14, settings, host, security, verify, allowed_locally, refused_field
):
    settings.INBOX_ALLOW_INSECURE_LOCALHOST = allowed_locally
    form = _form("nowa", queue_14, 993, host=host, security=security, secret_env="IMAP_PASSWORD_POMOC")
    if verify:
        form["verify_certificate"] = "on"
    response = admin_client.post("/admin/inbox_ingest/mailbox/add/", form)
    if refused_field:
        assert response.status_code == 200 and refused_field in response.content.decode()
        assert not Mailbox.objects.exists()
    else:
        assert response.status_code == 302 and Mailbox.objects.get().host == host


def test_a_row_breaking_the_rules_is_refused_again_before_connecting(queue_14, settings, monkeypatch):
    """The reproduction: host 127.0.0.1, no TLS, secret_env=SECRET_KEY, then one pass of the watcher."""
    listener = Listener(greeting=b"* OK IMAP4rev1 ready\r\n")
    try:
        for allowed_locally in (False, True):
            settings.INBOX_ALLOW_INSECURE_LOCALHOST = allowed_locally
            Mailbox.objects.all().delete()
            mailbox = _mailbox(queue_14, port=listener.port, security=Mailbox.Security.PLAIN, secret_env="SECRET_KEY")
            with pytest.raises(watcher.MailboxConfigError):
                watcher.Watcher(mailbox).run_once()
            assert "IMAP_PASSWORD_" in WatcherState.objects.get(mailbox=mailbox).last_error
        monkeypatch.setenv("DATABASE_URL", "postgres://helpdesk:tajne-haslo-bazy@db/helpdesk")
        mailbox.secret_env = "DATABASE_URL"
        mailbox.save()
        with pytest.raises(watcher.MailboxConfigError):
            watcher.Watcher(mailbox).run_once()
    finally:
        listener.close()
    assert settings.SECRET_KEY.encode() not in listener.received and b"tajne-haslo-bazy" not in listener.received
    assert b"LOGIN" not in listener.received


def _error_after_one_pass(queue, port: int, security=Mailbox.Security.SSL) -> str:
    Mailbox.objects.all().delete()
    mailbox = _mailbox(queue, port=port, security=security, verify_certificate=False, secret_env="IMAP_PASSWORD_T")
    with pytest.raises(OSError):
        watcher.Watcher(mailbox).run_once()
    return WatcherState.objects.get(mailbox=mailbox).last_error


@pytest.mark.parametrize("security", [Mailbox.Security.SSL, Mailbox.Security.STARTTLS, Mailbox.Security.PLAIN])
def test_open_closed_and_mute_ports_and_other_services_look_the_same(queue_14, settings, monkeypatch, security):
    settings.INBOX_ALLOW_INSECURE_LOCALHOST = True
    settings.INBOX_IMAP_TIMEOUT = 1
    monkeypatch.setenv("IMAP_PASSWORD_T", "haslo")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    listeners = {
        "ssh": Listener(greeting=b"SSH-2.0-OpenSSH_9.6p1 Debian-3\r\n"),
        "http": Listener(greeting=b"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.26.0\r\n\r\n"),
        "mute": Listener(accept=False),
        "hangs-up": Listener(),
    }
    try:
        errors = {"closed": _error_after_one_pass(queue_14, closed_port, security)}
        for name, listener in listeners.items():
            errors[name] = _error_after_one_pass(queue_14, listener.port, security)
    finally:
        for listener in listeners.values():
            listener.close()
    assert len(set(errors.values())) == 1, errors
    (error,) = set(errors.values())
    assert "could not open an IMAP connection" in error
    assert not re.search(r"OpenSSH|nginx|refused|timed out|WRONG_VERSION|EOF|\d{4,5}", error, re.IGNORECASE)
