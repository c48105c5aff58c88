"""The ingesting process killed at any point (after fetch, after store, before the flag, or at a random
moment) and restarted: every message on the real Dovecot ends up in exactly one ticket, exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from inbox_ingest.models import RawMessage, WatcherState
from tests.imaptools import flags, make_mailbox
from tests.mailtools import POLISH, message
from tickets.models import Entry, Queue, Ticket

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


# one fetch batch parsed in the process, or batches of 7 with the next one parsed in a worker meanwhile
PIPELINES = {
    "one-batch": {"INBOX_FETCH_BATCH": "250", "INBOX_PARSE_WORKERS": "0"},
    "batches-with-a-parsing-worker": {"INBOX_FETCH_BATCH": "7", "INBOX_PARSE_WORKERS": "1"},
}


def _command(mailbox, pipeline: str = "one-batch") -> tuple[list[str], dict]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        **PIPELINES[pipeline],
    }
    env.pop("INBOX_FAULT_AT", None)
    return [sys.executable, "manage.py", "ingest_mail", "--imap", "--once", "--mailbox", mailbox.name], env


def _messages(count: int) -> list[bytes]:
    polish = sorted(POLISH.glob("*.eml"))
    result = []
    for n in range(count):
        if n < len(polish):
            result.append(polish[n].read_bytes())
        else:
            result.append(message(message_id=f"<fault{n}@x>", subject=f"Awaria {n}", sender=f"u{n}@example.pl"))
    return result


def _expected_tickets(raws: list[bytes]) -> int:
    """What one clean run makes of the same messages (threading may append some to others)."""
    from inbox_ingest.parsing import parse

    return sum(1 for raw in raws if not parse(raw).auto_reply)


def _check(mailbox, client, raws: list[bytes], tickets_expected: int) -> None:
    from inbox_ingest.parsing import parse

    message_ids = [parse(raw).message_id for raw in raws]
    entries = list(Entry.objects.filter(message_id__in=message_ids).values_list("message_id", flat=True))
    automatic = [parse(raw).message_id for raw in raws if parse(raw).auto_reply]
    assert sorted(entries) == sorted(set(message_ids) - set(automatic))  # every person's message once
    assert Ticket.objects.count() == tickets_expected
    rows = RawMessage.objects.filter(mailbox=mailbox)
    assert rows.count() == len(raws) and not rows.exclude(status="done").exists()
    state = WatcherState.objects.get(mailbox=mailbox)  # every message's server action done: the watermark past all
    assert rows.filter(uidvalidity=state.server_done_uidvalidity, uid__gt=state.server_done_uid).count() == 0
    assert rows.exclude(uidvalidity=state.server_done_uidvalidity).count() == 0
    assert all(b"\\Seen" in message_flags for message_flags in flags(client))


@pytest.mark.parametrize(
    ("pipeline", "faults"),
    [
        ("one-batch", ("after_fetch:4", "before_flag:1", "after_store:3")),
        # dies fetching the 2nd batch (the 1st fetched, and stored or not: the fetching thread runs ahead of the
        # writer, so how far the writer got is a matter of timing), before flagging the 2nd, after storing the 3rd
        ("batches-with-a-parsing-worker", ("after_fetch:10", "before_flag:2", "after_store:3")),
    ],
)
def test_killed_after_fetch_after_store_and_before_the_flag_every_message_lands_once(
    dovecot, monkeypatch, pipeline, faults
):
    mailbox, client = make_mailbox(dovecot, Queue.objects.get(slug="centralna"), monkeypatch)
    raws = _messages(20)
    client.multiappend("INBOX", raws[:12])
    command, env = _command(mailbox, pipeline)
    # (fault, messages arriving before the next run): each run dies at its point, more mail keeps coming; enough
    # arrives after the first death that the second run has two batches to flag however much the first stored
    for fault, arriving in zip(faults, (raws[12:16], raws[16:], []), strict=True):
        result = subprocess.run(command, cwd=ROOT, env={**env, "INBOX_FAULT_AT": fault}, timeout=120, check=False)
        assert result.returncode == 137, fault  # it really died there
        if arriving:
            client.multiappend("INBOX", arriving)
    assert subprocess.run(command, cwd=ROOT, env=env, timeout=120, check=False).returncode == 0
    _check(mailbox, client, raws, _expected_tickets(raws))


def _wait_for_stored(mailbox, target: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the running process has stored `target` raw messages of the mailbox (or has ended)."""
    limit = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < limit:
        if RawMessage.objects.filter(mailbox=mailbox).count() >= target:
            return
        time.sleep(0.005)


@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_killed_at_random_moments_and_restarted_every_message_lands_once(dovecot, monkeypatch, pipeline):
    mailbox, client = make_mailbox(dovecot, Queue.objects.get(slug="centralna"), monkeypatch)
    raws = _messages(200)
    client.multiappend("INBOX", raws[:120])
    delivered = 120
    arriving = iter(range(120, 200, 20))  # more mail keeps coming while the watcher is killed and restarted
    command, env = _command(mailbox, pipeline)
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    kills = 0
    for _attempt in range(15):
        stored = RawMessage.objects.filter(mailbox=mailbox).count()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        if delivered - stored > 1:
            # the moment is random in the run's progress (some messages stored, the rest not yet) and within a
            # message's path (fetch, store, parse, ticket, flag), whatever the speed of the machine
            _wait_for_stored(mailbox, stored + chance.randint(1, delivered - stored - 1), process)
            time.sleep(chance.uniform(0, 0.05))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        start = next(arriving, None)
        if start is not None:
            client.multiappend("INBOX", raws[start : start + 20])
            delivered += 20
        elif kills >= 3:
            break
    assert subprocess.run(command, cwd=ROOT, env=env, timeout=120, check=False).returncode == 0
    assert kills >= 3, f"seed {seed}: the process was killed mid-run only {kills} times"
    _check(mailbox, client, raws, _expected_tickets(raws))
