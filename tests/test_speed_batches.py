"""helpdesk.speed.batch: around each batch of ingestion, and only there, the garbage collector runs less often
(its garbage collected when the batch ends) and PostgreSQL's cached plans are dropped before it."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import weakref

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from helpdesk import speed
from helpdesk.speed.batches import GC_THRESHOLD
from inbox_ingest import actions
from inbox_ingest.management.commands import ingest_mail
from tests.conftest import need_server
from tests.mailtools import message


def _postgresql_alias() -> str | None:
    """The alias of a PostgreSQL database of this run (the second one, KB_COMPARE_DATABASE_URL, on SQLite)."""
    for alias in ("default", "kb_compare"):
        if "postgresql" in settings.DATABASES.get(alias, {}).get("ENGINE", ""):
            return alias
    return None


PG = _postgresql_alias()


def test_a_batch_collects_cycles_less_often_and_gives_the_setting_back_when_the_last_batch_ends():
    before = gc.get_threshold()
    inside = threading.Event()
    release = threading.Event()

    def other_mailbox():
        with speed.batch(using=None):
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_mailbox)
    with speed.batch(using=None):
        assert gc.get_threshold() == GC_THRESHOLD and gc.get_freeze_count() > 0
        thread.start()
        inside.wait(5)
    assert gc.get_threshold() == GC_THRESHOLD  # the other thread's batch still runs
    release.set()
    thread.join()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_garbage_of_a_batch_in_cycles_is_collected_when_it_ends():
    class Node:
        pass

    with speed.batch(using=None):
        node = Node()
        node.itself = node  # a cycle: reference counting alone never frees it
        alive = weakref.ref(node)
        del node
    assert alive() is None


def test_importing_the_ingestion_leaves_the_collector_of_the_process_as_it_was():
    script = (
        "import gc, django; before = gc.get_threshold(); django.setup()\n"
        "import helpdesk.speed, inbox_ingest.pipeline, inbox_ingest.watcher\n"
        "import inbox_ingest.management.commands.ingest_mail\n"
        "print(gc.get_threshold() == before and gc.get_freeze_count() == 0)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "True", done.stderr


def test_ingest_mail_processes_each_batch_inside_one(db, central, monkeypatch):
    thresholds = []
    real = actions.process_batch

    def process_batch(raw_ids, prepared=None):
        thresholds.append(gc.get_threshold())
        return real(raw_ids, prepared)

    monkeypatch.setattr(actions, "process_batch", process_batch)
    monkeypatch.setattr(ingest_mail, "BATCH", 2)
    before = gc.get_threshold()
    raws = [(f"plik{n}", message(message_id=f"<b{n}@x>", subject=f"Sprawa {n}")) for n in range(5)]
    results = list(ingest_mail.ingest_stream(iter(raws), mailbox=None, workers=0))
    assert [result.outcome for result in results] == ["created"] * 5
    assert thresholds == [GC_THRESHOLD] * 3
    assert gc.get_threshold() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=sorted({"default", PG or "default"}))
def test_postgresql_plans_are_dropped_before_a_batch_outside_a_transaction_only():
    need_server("PostgreSQL", PG is not None, "run on PostgreSQL, or set KB_COMPARE_DATABASE_URL=postgres://…")
    connection = connections[PG]
    with CaptureQueriesContext(connection) as outside, speed.batch(using=PG):
        pass
    assert [query["sql"] for query in outside.captured_queries] == ["DISCARD PLANS"]
    with transaction.atomic(using=PG), CaptureQueriesContext(connection) as inside, speed.batch(using=PG):
        pass  # inside a transaction the step is left out (it runs before the batch's own transaction)
    assert inside.captured_queries == []
