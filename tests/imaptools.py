"""Mailboxes on the test Dovecot: a fresh IMAP user per test, and a client to put messages in."""

from __future__ import annotations

from imapclient import IMAPClient

from inbox_ingest.models import Mailbox

PASSWORD_ENV = "IMAP_PASSWORD_SSOZ_TEST"


def client_for(dovecot, user: str, password: str) -> IMAPClient:
    return dovecot.client(user, password)


def make_mailbox(dovecot, queue, monkeypatch, **fields) -> tuple[Mailbox, IMAPClient]:
    user, password = dovecot.new_user()
    monkeypatch.setenv(f"{PASSWORD_ENV}_{user}", password)
    values = {
        "name": user,
        "email_address": f"{user}@localhost",
        "host": "127.0.0.1",
        "port": dovecot.ssl_port,
        "security": Mailbox.Security.SSL,
        "verify_certificate": False,
        "username": user,
        "secret_env": f"{PASSWORD_ENV}_{user}",
        "queue": queue,
    }
    values.update(fields)
    mailbox = Mailbox.objects.create(**values)
    client = client_for(dovecot, user, password)
    client.select_folder("INBOX")
    return mailbox, client


def flags(client: IMAPClient, folder: str = "INBOX") -> list[tuple]:
    client.select_folder(folder)
    return [data[b"FLAGS"] for _uid, data in sorted(client.fetch(client.search(), ["FLAGS"]).items())]
