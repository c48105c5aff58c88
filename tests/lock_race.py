"""Two requests at the same moment on PostgreSQL, the second really waiting on the first's lock.

`hold_first_call` pauses the first call of a function inside the first request's transaction (after it took its
lock); `race` then starts the second request, waits until pg_stat_activity shows it blocked on a lock in the
statement it names, lets the first go on and returns both answers with the number of waiting backends it saw
(1 when the race really happened, so a test asserts it: a race that did not wait proves nothing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection

WAIT = 30  # seconds: how long any step may take before the test fails


def hold_first_call(monkeypatch, module, name: str) -> tuple[threading.Event, threading.Event]:
    """Replace module.name by a function that stops the first call until released. Returns (inside, release):
    `inside` is set when the first call has started, `release` lets it go on."""
    inside, release = threading.Event(), threading.Event()
    real = getattr(module, name)

    def held(*args, **kwargs):
        if not inside.is_set():
            inside.set()
            assert release.wait(WAIT)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    return inside, release


def race(
    post: Callable[[], object], *, held: tuple[threading.Event, threading.Event], waiting_in: str
) -> tuple[dict[str, object], int]:
    """Run post() in two threads: the second starts once the first is inside the held call. `waiting_in` is a LIKE
    pattern of the statement the second must be seen waiting in (pg_stat_activity, wait_event_type 'Lock').
    Returns ({"first": answer, "second": answer}, number of such waiting backends seen)."""
    inside, release = held
    answers: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            answers[name] = post()
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert inside.wait(WAIT)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    deadline, waiting = time.monotonic() + WAIT, 0
    while not waiting and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                [waiting_in],
            )
            waiting = cursor.fetchone()[0]
        time.sleep(0.05)
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    return answers, waiting
