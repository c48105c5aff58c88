"""What the process does around one batch of e-mail ingestion (`batch()`): re-planned foreign-key checks before
it, fewer cyclic garbage collections during it, its garbage collected after it.

Cyclic garbage collection. A batch allocates hundreds of thousands of short-lived objects (model instances,
their states and dicts, parsed parts), and with the default first-generation threshold (700) the collector ran
every few hundred of them, each older-generation pass walking everything Django and the libraries keep alive.
During a batch those are moved out of its sight (gc.freeze) and it runs every GC_THRESHOLD allocations: the
ingesting process used 17 % less CPU (bench/RESULTS.md). Reference counting still frees almost everything at
once; what is left in cycles (model instances and their caches refer to each other) is collected when the
batch ends (~10 ms, over objects made during the batch only), which keeps memory flat: without it the process
grew by ~18 MiB per 1,000 messages. Thresholds and freezing are the process's, not a thread's: the watcher runs
one thread per mailbox, so the settings of before come back when the last batch running in the process ends.

Foreign-key checks. Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: at COMMIT PostgreSQL runs
`SELECT 1 FROM tickets_ticket WHERE id = $1 FOR KEY SHARE` for every row that refers to a ticket (~9 per
message), with a plan it caches for the life of the connection. Planned while the table was empty (a new
installation, or right after a TRUNCATE), that plan is a sequential scan and stays one until an ANALYZE of the
table happens to invalidate it: the watcher's long-lived connection then read the whole ticket table ~9 times
per message (17.5 million rows for 2,000 messages). `DISCARD PLANS` once per batch costs a few re-plans and
keeps the checks on the primary key.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

from django.db import connections

GC_THRESHOLD = (50_000, 20, 100)

_lock = threading.Lock()
_running = 0  # batches running in this process (threads), under _lock
_before: tuple[int, int, int] | None = None  # the thresholds to restore when the last one ends


@contextlib.contextmanager
def batch(*, using: str | None = "default") -> Iterator[None]:
    """Run one batch of ingestion: with `using` (a database alias; None in a process that has no database, the
    parsing workers) its cached plans are discarded first; fewer cyclic collections during, one after."""
    if using is not None:
        replan_foreign_key_checks(using)
    _collect_less()
    try:
        yield
    finally:
        _collect_as_before()


def replan_foreign_key_checks(using: str = "default") -> None:
    """Let PostgreSQL plan its foreign-key checks afresh (see the top); only outside a transaction, where the
    connection's plans are its own to drop."""
    connection = connections[using]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("DISCARD PLANS")


def _collect_less() -> None:
    global _running, _before
    with _lock:
        if not _running:
            _before = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLD)
        _running += 1


def _collect_as_before() -> None:
    global _running
    gc.collect()  # the batch's garbage in cycles; what was frozen before it is not walked
    with _lock:
        _running -= 1
        if not _running and _before is not None:
            gc.set_threshold(*_before)
            gc.unfreeze()
