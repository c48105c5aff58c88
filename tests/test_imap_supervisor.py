"""`ingest_mail --imap` follows the mailbox table: mailboxes added, changed and deactivated in the admin are
watched with their current settings without restarting the process, and with none it waits (a real Dovecot)."""

from __future__ import annotations

import threading
import time

import pytest

from inbox_ingest import watcher
from inbox_ingest.models import Mailbox
from tests.imaptools import make_mailbox
from tests.mailtools import message
from tickets.models import Queue, Ticket


def _until(check, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mailboxes_added_changed_and_deactivated_are_followed_without_a_restart(dovecot, monkeypatch, settings):
    settings.INBOX_MAILBOX_RESCAN_SECONDS = 1
    supervisor = watcher.Supervisor()
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    try:
        time.sleep(1.5)
        assert thread.is_alive() and supervisor.running == {}  # no mailbox: it waits, it does not end

        mailbox, client = make_mailbox(dovecot, Queue.objects.get(slug="centralna"), monkeypatch, poll_seconds=1)
        client.append("INBOX", message(message_id="<sup-1@x>", subject="Po dodaniu skrzynki"))
        assert _until(lambda: Ticket.objects.filter(subject="Po dodaniu skrzynki").exists())
        first = supervisor.running[mailbox.pk][1]

        client.create_folder("Zgloszenia")
        Mailbox.objects.filter(pk=mailbox.pk).update(folder="Zgloszenia")
        client.append("Zgloszenia", message(message_id="<sup-2@x>", subject="Po zmianie folderu"))
        assert _until(lambda: Ticket.objects.filter(subject="Po zmianie folderu").exists())
        assert supervisor.running[mailbox.pk][1] is not first  # restarted with the new settings
        assert first.stop.is_set()

        Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
        assert _until(lambda: mailbox.pk not in supervisor.running)
        client.append("Zgloszenia", message(message_id="<sup-3@x>", subject="Po wyłączeniu"))
        time.sleep(3)
        assert not Ticket.objects.filter(subject="Po wyłączeniu").exists()
    finally:
        supervisor.stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert Ticket.objects.filter(subject__startswith="Po ").count() == 2


class _Started:
    def __init__(self, mailbox):
        self.mailbox = mailbox
        self.stop = threading.Event()

    def watch(self):
        self.stop.wait()


def test_a_dead_watcher_thread_is_started_again_and_a_deleted_mailbox_let_go(db, settings):
    settings.INBOX_IMAP_TIMEOUT = 1
    queue = Queue.objects.get(slug="centralna")
    box = Mailbox.objects.create(
        name="a", email_address="a@x.pl", host="127.0.0.1", username="a", secret_env="IMAP_PASSWORD_A", queue=queue
    )
    supervisor = watcher.Supervisor(start=_Started)
    supervisor.reconcile([box])
    first = supervisor.running[box.pk][1]
    first.stop.set()  # its thread ends as if it had crashed
    supervisor.running[box.pk][2].join(timeout=5)
    supervisor.reconcile([box])
    second = supervisor.running[box.pk][1]
    assert second is not first and supervisor.running[box.pk][2].is_alive()
    supervisor.reconcile([])
    assert supervisor.running == {} and second.stop.is_set()
