"""Results of pure functions of text, computed ahead in another process and used here instead of computing them.

E-mail ingestion parses the next batch of messages in a worker process while this one writes the current batch
(inbox_ingest.pipeline). Besides parsing, the worker can compute what the batch will ask of a few pure functions
of the message's text — the routing rules' stems and form codes, the identifiers written in the text, the search
index's tokens, the validity of the sender's address — so the writing process, which is the bottleneck, looks
them up instead. A function marked `@ahead.pure` behaves exactly as before: it returns the value computed ahead
for the same argument when there is one (the same function of the same string gives the same value anywhere),
and computes it otherwise. A guess the worker got wrong (it foresaw a slightly different text) costs nothing but
the computation it would have cost anyway.

Values are kept per thread (the watcher ingests several mailboxes, one thread each) and only for the batch in
`using()`; they must be treated as read-only, like any cached value.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

log = logging.getLogger(__name__)

_local = threading.local()
_MISSING = object()

Key = tuple[str, str]  # (function name, argument)
Result = TypeVar("Result")


def pure(function: Callable[[str], Result]) -> Callable[[str], Result]:
    """Mark a pure function of one string: it may be computed ahead (`compute`) and looked up (`using`)."""
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(argument: str) -> Result:
        values = getattr(_local, "values", None)
        if values:
            found = values.get((name, argument), _MISSING)
            if found is not _MISSING:
                return found
        return function(argument)

    wrapper.ahead_name = name
    return wrapper


def compute(calls: Iterable[tuple[Callable, str]]) -> dict[Key, object]:
    """Compute the given (function marked pure, argument) calls; a call that fails is left out (the caller will
    compute it, and fail, the usual way)."""
    values: dict[Key, object] = {}
    for function, argument in calls:
        key = (function.ahead_name, argument)
        if key in values:
            continue
        try:
            values[key] = function.__wrapped__(argument)
        except Exception:  # the usual path meets the same error and handles it
            log.debug("%s not computed ahead", key[0], exc_info=True)
    return values


@contextmanager
def using(values: dict[Key, object]) -> Iterator[None]:
    """Within the block, this thread's calls of pure functions take these values where they apply."""
    previous = getattr(_local, "values", None)
    _local.values = values
    try:
        yield
    finally:
        _local.values = previous
