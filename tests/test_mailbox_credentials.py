"""Mailbox credentials: a password from a named environment variable, or an OAuth2 token from a provider."""

import pytest

from inbox_ingest import watcher
from inbox_ingest.models import Mailbox


def token_for(mailbox):
    return f"token-for-{mailbox.username}"


@pytest.fixture
def box(db, central):
    return Mailbox(name="m", email_address="m@localhost", host="h", username="pomoc@cez.example", queue=central)


def test_the_password_comes_from_the_named_environment_variable(box, monkeypatch):
    box.secret_env = "IMAP_PASSWORD_TEST"
    monkeypatch.setenv("IMAP_PASSWORD_TEST", "tajne")
    assert watcher._secret(box) == "tajne"


def test_a_missing_environment_variable_is_a_clear_configuration_error(box, monkeypatch):
    box.secret_env = "IMAP_PASSWORD_MISSING"
    monkeypatch.delenv("IMAP_PASSWORD_MISSING", raising=False)
    with pytest.raises(watcher.MailboxConfigError, match="IMAP_PASSWORD_MISSING"):
        watcher._secret(box)


def test_xoauth2_asks_the_configured_token_provider(box):
    box.auth = Mailbox.Auth.XOAUTH2
    box.token_provider = "tests.test_mailbox_credentials.token_for"
    assert watcher._secret(box) == "token-for-pomoc@cez.example"


def test_xoauth2_without_a_provider_is_refused(box):
    box.auth = Mailbox.Auth.XOAUTH2
    with pytest.raises(watcher.MailboxConfigError, match="token provider"):
        watcher._secret(box)
