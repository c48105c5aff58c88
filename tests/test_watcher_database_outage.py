"""The IMAP watcher outlives the database going away (its connection terminated, the server unreachable): it
logs, waits with a doubling delay and carries on, with no restart. Before, the DatabaseError escaped its loop
(only IMAP and network errors were caught there) and the watcher's thread died, and the process with it.

The database fails here as a terminated connection does (an OperationalError on the lease's UPDATE); the IMAP
side is the watcher's own reconnection, tried against Dovecot in tests/test_imap_watcher.py."""

import logging
import threading
import time

import pytest
from django.db import OperationalError, connection

from inbox_ingest import watcher
from inbox_ingest.models import Mailbox


class _LeaseUpdatesFail:
    def __init__(self, times: int) -> None:
        self.left, self.tried = times, 0

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith('UPDATE "inbox_ingest_watcherstate"') and "lease_owner" in sql:
            self.tried += 1
            if self.left:
                self.left -= 1
                raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_watcher_waits_out_a_database_outage_and_carries_on(queue_14, caplog):
    mailbox = Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    box = watcher.Watcher(mailbox)
    failing = _LeaseUpdatesFail(times=2)

    def watch() -> None:
        with connection.execute_wrapper(failing):
            box.watch()

    thread = threading.Thread(target=watch, name="imap-test")
    with caplog.at_level(logging.INFO, logger="inbox_ingest.watcher"):
        thread.start()
        deadline = time.monotonic() + 30
        while failing.tried < 3 and time.monotonic() < deadline:  # two refused, then the lease is taken
            time.sleep(0.1)
        box.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and failing.tried >= 3
    unreachable = [r.getMessage() for r in caplog.records if "the database is unreachable" in r.getMessage()]
    assert len(unreachable) == 2 and "trying again in 1s" in unreachable[0] and "in 2s" in unreachable[1]
