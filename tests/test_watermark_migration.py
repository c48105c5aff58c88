"""Migration inbox_ingest 0004 turns the per-message "server action done" times into one watermark per mailbox
(WatcherState.server_done_uid): every message of the watcher's UIDVALIDITY up to that UID has had its action.
Taken from the rows: just below the first message still waiting for its action, or the highest UID when none
waits. A wrong watermark would have the watcher flag or move messages twice, or never: run here on real tables
migrated back to 0003 and forward again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inbox_ingest.models import WatcherState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the seeded rows back after

BEFORE = [("inbox_ingest", "0003_raw_message_write_cost")]
AFTER = [("inbox_ingest", "0004_server_done_watermark")]
DONE_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def test_the_watermark_is_below_the_first_waiting_message_or_the_highest_uid():
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Mailbox, State = old.get_model("inbox_ingest", "Mailbox"), old.get_model("inbox_ingest", "WatcherState")
        Raw = old.get_model("inbox_ingest", "RawMessage")
        queue = old.get_model("tickets", "Queue").objects.order_by("pk").first()  # seeded by the migrations

        def mailbox(name: str, uidvalidity: int | None):
            box = Mailbox.objects.create(
                name=name, email_address=f"{name}@example.org", host="imap", username=name, queue=queue
            )
            State.objects.create(mailbox=box, uidvalidity=uidvalidity)
            return box

        def message(box, uid: int, *, done: bool, uidvalidity: int = 7):
            key = f"{box.name}-{uidvalidity}-{uid}"
            Raw.objects.create(
                mailbox=box, uidvalidity=uidvalidity, uid=uid, raw=b"x", sha256=key, dedupe_key=key,
                server_done_at=DONE_AT if done else None,
            )  # fmt: skip

        all_done, waiting, _, unknown = mailbox("a", 7), mailbox("b", 7), mailbox("c", 7), mailbox("d", None)
        for uid in (3, 4, 9):
            message(all_done, uid, done=True)
        for uid, done in ((5, True), (6, True), (8, False), (11, True), (12, False)):
            message(waiting, uid, done=done)
        message(waiting, 2, done=False, uidvalidity=6)  # a folder's earlier life: not the watcher's UIDVALIDITY
        message(unknown, 1, done=False)
    finally:
        _migrate(AFTER)

    marks = {s.mailbox.name: (s.server_done_uidvalidity, s.server_done_uid) for s in WatcherState.objects.all()}
    assert marks == {
        "a": (7, 9),  # every message had its action: the highest UID
        "b": (7, 7),  # UID 8 still waits: everything below it (11 waits for its turn after 8, as batches go)
        "c": (7, 0),  # nothing stored yet
        "d": (None, 0),  # no UIDVALIDITY known: nothing to say, the watcher starts from the server
    }
