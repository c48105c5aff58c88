"""Parsing the next batch of messages in worker processes while the current one is written.

Parsing is a pure function of the raw bytes (no database), so it can run anywhere and in any order; everything
that writes — storing, deduplication, threading, tickets — stays in the calling process, in the same order as
without workers, so exactly-once and threading guarantees are those of the one-process path. A batch whose parse
in a worker fails for any reason (a worker killed, a result that does not unpickle) is simply parsed again in
the calling process.

The workers also compute the facts of the text of the ticket a message would open (tickets.text_facts: routing
stems and form codes, identifiers, sanitised HTML, search tokens; inbox_ingest.messages.text_facts), returned on
`Prepared.facts` and handed to the planner on the request (NewTicket.facts), so the calling process, the
bottleneck, does not compute them. For that they set Django up (settings and apps, never a database
connection); where they cannot, they only parse.

This module imports only `parsing` (no Django models) at the top: the workers import the rest once set up.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inbox_ingest import parsing

if TYPE_CHECKING:
    from tickets.text_facts import TextFacts

log = logging.getLogger(__name__)

CHUNK = 16  # messages per task sent to a worker: what the calling process may wait for (see _take_over)


@dataclass(frozen=True)
class Prepared:
    """What storing and processing need from the bytes of one message, computed ahead."""

    sha256: str
    headers: parsing.Headers
    parsed: parsing.ParsedMessage | None  # None: parse failed; the usual path parses again and quarantines
    facts: TextFacts | None = None  # of the ticket it would open (messages.text_facts), None: not computed


def prepare(raw: bytes) -> Prepared:
    try:
        parsed, headers = parsing.parse_with_headers(raw)
    except Exception:  # the usual path reports it (quarantine with the reason)
        parsed, headers = None, parsing.parse_headers_only(raw)
    facts = _facts(parsed) if parsed is not None and _django_ready else None
    return Prepared(hashlib.sha256(raw).hexdigest(), headers, parsed, facts)


def _facts(parsed: parsing.ParsedMessage) -> TextFacts | None:
    from inbox_ingest.messages import text_facts

    try:
        return text_facts(parsed)
    except Exception:  # only an optimisation: the planner computes what it is not given
        log.debug("no facts computed ahead", exc_info=True)
        return None


_django_ready = False  # set in the workers once Django is set up (_worker_start)


def prepare_many(raws: list[bytes]) -> list[Prepared]:
    """A worker's task (CHUNK messages), run as a batch of ingestion (helpdesk.speed.batch: fewer cyclic garbage
    collections, its garbage collected after it; no database)."""
    from helpdesk import speed

    with speed.batch(using=None):
        return [prepare(raw) for raw in raws]


def _worker_start(parent: int) -> None:
    """Die with the ingesting process even when it is killed (SIGKILL, os._exit in the fault tests), so a
    crashed watcher leaves no parsing processes behind: Linux's parent-death signal."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker ends when its task queue closes
        log.debug("no parent-death signal here", exc_info=True)
    if os.getppid() != parent:  # the parent died before the signal was set up
        os._exit(0)
    global _django_ready
    try:
        import django

        django.setup()  # settings from DJANGO_SETTINGS_MODULE, inherited from the calling process
        _django_ready = True
    except Exception:  # e.g. settings configured in code, not by module: parse only
        log.debug("parsing worker without Django", exc_info=True)


PR_SET_PDEATHSIG = 1


def _take_over(chunks: list[list[bytes]], futures: list[Future], started: Future | None) -> dict[int, list[Prepared]]:
    """Parse here, when the results are wanted, the chunks that no worker has started yet (index → their
    Prepared), one at a time from the last one back while the workers go on from the first: the calling process
    would otherwise wait for them. One worker (the default on two cores) parses and computes the facts more
    slowly than the calling process writes (a pass of 2,000 messages from Dovecot, ~4 s, waited ~1 s for it), so
    the two share the batch instead. A chunk handed to a worker cannot be cancelled any more (at most two a
    worker, CHUNK messages each): it is waited for, unless the workers are still starting (`started`, their
    first task, not done: about a second of CPU): then it is parsed here too and the worker's parse of it is
    not used. The parse is the same function either way, without the facts here (the planner computes what it
    is not given)."""

    def mine(future: Future) -> bool:
        return future.cancel() or (started is not None and not started.done() and not future.done())

    here: dict[int, list[Prepared]] = {}
    index = len(futures) - 1
    if index < 0 or not mine(futures[index]):
        return here
    from helpdesk import speed

    with speed.batch(using=None):
        while True:
            here[index] = [prepare(raw) for raw in chunks[index]]
            index -= 1
            if index < 0 or not mine(futures[index]):  # a worker has it, and the ones before it (in order)
                return here


class Preparer:
    """`submit(raws)` starts parsing a batch and returns a callable giving the list of `Prepared` (or None,
    when the workers failed: then the caller parses in-process). With `workers=0` nothing runs ahead: the
    callable parses the batch in the calling thread when called (`here`), as a worker would (without the facts),
    so that storing (the hash, the headers) and processing (the parse) read each message once. `submit` may be
    called from another thread than the one that reads the results (the watcher's fetching thread)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(0, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # the pool, made or dropped by either thread
        self._started: Future | None = None  # start()'s task: done once a worker runs

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            return self._pool or self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: the workers do not inherit this process's threads (the watcher runs one per mailbox), its
        # database connections or its locks; they are its direct children and die with it (_worker_start)
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(os.getpid(),),
        )
        return self._pool

    def start(self) -> None:
        """Start the workers now (they take about a second of CPU to start: Python, Django's setup), e.g. while
        this process fetches and writes a first batch; else the first `submit` does."""
        if not self.workers or self._started is not None:
            return
        try:
            self._started = self._executor().submit(int)  # a task makes the pool start its processes
        except Exception:
            log.warning("parsing workers unavailable; parsing in this process", exc_info=True)
            self._discard()

    @staticmethod
    def here(raws: list[bytes]) -> Callable[[], list[Prepared] | None]:
        """A batch parsed in the thread that takes the result, when it takes it (a first batch, no workers)."""
        return lambda: [prepare(raw) for raw in raws]

    def submit(self, raws: list[bytes]) -> Callable[[], list[Prepared] | None]:
        if not self.workers or not raws:
            return self.here(raws)
        chunks = [raws[start : start + CHUNK] for start in range(0, len(raws), CHUNK)]
        self.start()
        try:
            pool = self._executor()
            futures: list[Future] = [pool.submit(prepare_many, chunk) for chunk in chunks]
        except Exception:
            log.warning("parsing workers unavailable; parsing in this process", exc_info=True)
            self._discard()
            return lambda: None

        def result() -> list[Prepared] | None:
            try:
                here = _take_over(chunks, futures, self._started)
                parts = [here[index] if index in here else future.result() for index, future in enumerate(futures)]
                return [item for part in parts for item in part]
            except Exception:
                log.warning("parsing in a worker failed; parsing in this process", exc_info=True)
                self._discard()
                return None

        return result

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let the workers go without waiting for them to end: every result wanted has been taken (a worker
        exiting, Django loaded, took 0.4-0.5 s, which a watcher pass of 2,000 messages spent waiting at its
        end); the pool's own thread reaps them, and Python joins that thread when the process exits."""
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
