"""XOAUTH2 against the real test Dovecot: its oauth2 passdb checks each access token at an RFC 7662 introspection
endpoint on 127.0.0.1 (tests/oauth2_server.py), as Microsoft 365 / Google check theirs. The watcher gets tokens
from the mailbox's token provider, reports a refused token clearly, and asks for a fresh one on reconnect."""

from __future__ import annotations

import threading
import time

import pytest

from inbox_ingest import watcher
from inbox_ingest.models import Mailbox, WatcherState
from tests.imaptools import client_for
from tests.mailtools import message
from tickets.models import Ticket

PROVIDER = "tests.test_imap_xoauth2.token_provider"


class CachingProvider:
    """Like MSAL or google-auth: hands back its cached token until asked to refresh it."""

    def __init__(self) -> None:
        self.server = None
        self.calls: list[bool] = []
        self.cached: dict[str, str] = {}
        self.first_lifetime = 3600.0  # seconds; <= 0 issues tokens that are already expired

    def __call__(self, mailbox: Mailbox, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        if force_refresh or mailbox.username not in self.cached:
            lifetime = self.first_lifetime if mailbox.username not in self.cached else 3600.0
            self.cached[mailbox.username] = self.server.oauth.issue(mailbox.username, lifetime=lifetime)
        return self.cached[mailbox.username]


token_provider = CachingProvider()


@pytest.fixture
def provider(dovecot):
    token_provider.__init__()
    token_provider.server = dovecot
    yield token_provider
    token_provider.__init__()


def _oauth_mailbox(dovecot, queue, **fields) -> tuple[Mailbox, object]:
    user, password = dovecot.new_user()
    values = {
        "name": f"oauth-{user}",
        "email_address": f"{user}@localhost",
        "host": "127.0.0.1",
        "port": dovecot.ssl_port,
        "security": Mailbox.Security.SSL,
        "verify_certificate": False,
        "username": user,
        "auth": Mailbox.Auth.XOAUTH2,
        "token_provider": PROVIDER,
        "queue": queue,
        **fields,
    }
    mailbox = Mailbox.objects.create(**values)
    client = client_for(dovecot, user, password)  # the test puts mail in with the user's password
    client.select_folder("INBOX")
    return mailbox, client


def test_a_valid_token_from_the_provider_logs_in_and_ingests(db, dovecot, provider, queue_14):
    mailbox, client = _oauth_mailbox(dovecot, queue_14)
    client.multiappend("INBOX", [message(message_id=f"<oa{n}@x>", subject=f"Przez OAuth2 {n}") for n in range(3)])
    assert watcher.Watcher(mailbox).run_once() == 3
    assert Ticket.objects.filter(queue=queue_14, subject__startswith="Przez OAuth2").count() == 3
    token = provider.cached[mailbox.username]
    assert provider.calls == [False] and token in dovecot.oauth.requests  # Dovecot really checked this token
    state = WatcherState.objects.get(mailbox=mailbox)
    assert state.last_fetch_at and not state.last_error


def test_password_mailboxes_keep_working_on_the_same_server(db, dovecot, provider, queue_14, monkeypatch):
    from tests.imaptools import make_mailbox

    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    client.append("INBOX", message(message_id="<pw@x>", subject="Hasłem"))
    assert watcher.Watcher(mailbox).run_once() == 1
    assert provider.calls == []


def test_a_refused_token_is_a_clear_error_on_healthz_and_in_the_admin(
    db, dovecot, provider, queue_14, client, settings
):
    from helpdesk.models import Role, User

    mailbox, _imap = _oauth_mailbox(dovecot, queue_14, token_provider="tests.test_imap_xoauth2.stale_provider")
    stale_provider.calls = []
    with pytest.raises(Exception, match="XOAUTH2: the server refused the access token"):
        watcher.Watcher(mailbox).run_once()
    assert stale_provider.calls == [False, True]  # a one-shot run retries once with a freshly requested token
    state = WatcherState.objects.get(mailbox=mailbox)
    assert not state.connected and "refused the access token" in state.last_error
    assert "AUTHENTICATIONFAILED" in state.last_error
    settings.HEALTHZ_TOKEN = "monitoring-token"  # details for monitoring (anonymous callers get {"ok": …} only)
    health = client.get("/healthz", headers={"Authorization": "Bearer monitoring-token"}).json()["mailboxes"]
    (box,) = [box for box in health["mailboxes"] if box["name"] == mailbox.name]
    assert not box["ok"] and "refused the access token" in box["last_error"] and not health["ok"]
    client.force_login(User.objects.create_superuser("root", "root@example.gov.pl", "x", role=Role.ADMIN))
    page = client.get(f"/admin/inbox_ingest/mailbox/{mailbox.pk}/change/").content.decode()
    assert "refused the access token" in page


def stale_provider(mailbox, *, force_refresh=False):
    """A misconfigured provider that keeps handing out tokens that have already expired."""
    stale_provider.calls.append(force_refresh)
    return token_provider.server.oauth.issue(mailbox.username, lifetime=-1)


def test_a_provider_that_fails_is_reported_not_fatal(db, dovecot, queue_14):
    mailbox, _imap = _oauth_mailbox(dovecot, queue_14, token_provider="tests.test_imap_xoauth2.broken_provider")
    with pytest.raises(watcher.TokenError, match=r"login\.microsoftonline\.com"):
        watcher.Watcher(mailbox).run_once()
    assert "token provider" in WatcherState.objects.get(mailbox=mailbox).last_error


def broken_provider(mailbox):
    raise ConnectionError("login.microsoftonline.com unreachable")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_running_watcher_asks_for_a_fresh_token_after_a_refusal(dovecot, provider):
    from tickets.models import Queue

    provider.first_lifetime = -1  # the first (cached) token has already expired
    mailbox, client = _oauth_mailbox(dovecot, Queue.objects.get(slug="centralna"), poll_seconds=30)
    client.append("INBOX", message(message_id="<refresh@x>", subject="Po odświeżeniu tokenu"))
    running = watcher.Watcher(mailbox)
    thread = threading.Thread(target=running.watch, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        seen_error = ""
        while not Ticket.objects.filter(subject="Po odświeżeniu tokenu").exists() and time.monotonic() < deadline:
            seen_error = seen_error or WatcherState.objects.get(mailbox=mailbox).last_error
            time.sleep(0.05)
        assert Ticket.objects.filter(subject="Po odświeżeniu tokenu").exists()
    finally:
        running.stop.set()
        thread.join(timeout=40)
    assert not thread.is_alive()
    assert provider.calls[:2] == [False, True]  # refused, then a fresh token on the reconnect
    assert "refused the access token" in seen_error
    state = WatcherState.objects.get(mailbox=mailbox)
    assert state.last_fetch_at and state.last_error == ""
