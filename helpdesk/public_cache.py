"""Computed answers of the public pages a deadline brings a crowd to (the status lookup, the knowledge-base
search), kept in the shared cache: Redis in production, the process's memory in the embedded default.

An answer is stored under a key made of everything it depends on: the normalised question (and, for the
knowledge base, the visibility the caller's role gives) and the version tokens of the data it was computed from.
The write paths that change such data call `changed(name, …)`, which puts a new random token in place at once and
again when the transaction commits: a reader between the two may compute from the data as it was and store it
under the first new token, and the second makes that entry unreachable. So an answer computed before a change is
never served after the change committed. Only the answer is cached, never a page: pages carry CSRF tokens and the
staff's menu, and are rendered per request.

Entries also expire after PUBLIC_CACHE_SECONDS. That bounds what a lost bump can cost: Redis away at the moment of
a change (the process that failed sends its bumps again before it trusts the cache), or, in the embedded
default, a change made by another process (a command run from the shell), whose memory is not the web process's.
With Redis away every read misses and every write is dropped (helpdesk.shared_cache): the answer is computed as
if there were no cache, and no page answers 500 for it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from helpdesk import shared_cache

T = TypeVar("T")

PREFIX = "public"
VERSION_SECONDS = 7 * 24 * 3600  # a version key that expires only turns its entries into misses
_MISSING = object()


def _version_key(name: str) -> str:
    return f"{PREFIX}:v:{name}"


def tokens(names: list[str]) -> list[str] | None:
    """The current version token of each named piece of data (one round trip; a missing one is made, atomically,
    so concurrent first readers agree). None when the shared cache is away: do not cache then."""
    if _unsent and not _bump(()):
        return None  # a change this process recorded has still not reached the cache: do not trust it
    keys = [_version_key(name) for name in names]
    found = shared_cache.get_many(keys)
    out = []
    for key in keys:
        token = found.get(key)
        if token is None:
            shared_cache.add(key, secrets.token_hex(8), VERSION_SECONDS)
            token = shared_cache.get(key)  # ours, or another reader's who made it first
            if token is None:  # the cache is away
                return None
        out.append(token)
    return out


def answer(parts: Iterable[Any], versions: list[str], compute: Callable[[], tuple[T, float | None]]) -> T:
    """The cached answer for `parts` (the normalised question) under the data `versions`, else `compute()`'s.

    `compute` returns (answer, valid until) where the second is a Unix time after which the answer must be
    computed again (e.g. an article scheduled to appear), or None. Entries live at most PUBLIC_CACHE_SECONDS.
    """
    seconds = settings.PUBLIC_CACHE_SECONDS
    current = tokens(versions) if seconds > 0 else None
    if current is None:
        return compute()[0]
    digest = hashlib.sha256(json.dumps([list(parts), current], default=str).encode()).hexdigest()[:40]
    key = f"{PREFIX}:a:{digest}"
    hit = shared_cache.get(key, _MISSING)
    now = time.time()
    if hit is not _MISSING and (hit[0] is None or now < hit[0]):
        return hit[1]
    value, until = compute()
    timeout = seconds if until is None else min(seconds, int(until - now))
    if timeout > 0:
        shared_cache.set(key, (until, value), timeout)
    return value


def changed(*names: str) -> None:
    """The named data changed (or will when the current transaction commits): no answer computed from it before
    is served again. Call it inside the write's transaction."""
    if not names:
        return
    _bump(names)
    transaction.on_commit(lambda: _bump(names), robust=True)


_unsent: set[str] = set()  # bumps that failed (the cache was away): sent again before this process trusts it


def _bump(names: Iterable[str]) -> bool:
    wanted = _unsent | set(names)
    if not wanted:
        return True
    if shared_cache.set_many({_version_key(name): secrets.token_hex(8) for name in wanted}, VERSION_SECONDS):
        _unsent.difference_update(wanted)  # not clear(): another thread may have added one meanwhile
        return True
    _unsent.update(wanted)
    return False


# --- the names of what is cached ------------------------------------------------------------------------------

# Everything a status lookup shows besides a unit's own reports: forms, deadlines, statuses' names and next steps,
# regional offices, units' names, form instructions in the knowledge base.
STATUS_LOOKUP = "status-lookup"
MANY_UNITS = 1000  # past this many units in one change, everything is invalidated at once (one key, not many)


def unit_statuses(regon: str) -> str:
    """The version of one unit's reports (and its name, kind and voivodeship) in the status lookup."""
    return f"{STATUS_LOOKUP}:{regon}"


def statuses_changed(regons: Iterable[str]) -> None:
    """The reports (or the directory entry) of these units changed: their status look-ups are computed again."""
    regons = sorted(set(regons))
    if len(regons) > MANY_UNITS:
        changed(STATUS_LOOKUP)
    else:
        changed(*(unit_statuses(regon) for regon in regons))
