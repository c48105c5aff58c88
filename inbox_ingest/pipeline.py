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
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inbox_ingest import parsing

if TYPE_CHECKING:
    from tickets.text_facts import TextFacts

log = logging.getLogger(__name__)

CHUNK = 64  # messages per task sent to a worker


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


class Preparer:
    """`submit(raws)` starts parsing a batch and returns a callable giving the list of `Prepared` (or None,
    when the workers failed: then the caller parses in-process). With `workers=0` nothing runs ahead and
    the callable gives None at once (the one-process path)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(0, workers)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the workers do not inherit this process's threads (the watcher runs one per mailbox), its
            # database connections or its locks; they are its direct children and die with it (_worker_start)
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
                initargs=(os.getpid(),),
            )
        return self._pool

    def submit(self, raws: list[bytes]) -> Callable[[], list[Prepared] | None]:
        if not self.workers or not raws:
            return lambda: None
        try:
            pool = self._executor()
            futures: list[Future] = [
                pool.submit(prepare_many, raws[start : start + CHUNK]) for start in range(0, len(raws), CHUNK)
            ]
        except Exception:
            log.warning("parsing workers unavailable; parsing in this process", exc_info=True)
            self._discard()
            return lambda: None

        def result() -> list[Prepared] | None:
            try:
                return [item for future in futures for item in future.result()]
            except Exception:
                log.warning("parsing in a worker failed; parsing in this process", exc_info=True)
                self._discard()
                return None

        return result

    def _discard(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
