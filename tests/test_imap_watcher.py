"""The IMAP watcher against a real Dovecot: fetch, store raw, process, then mark/move/delete on the server."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command

from inbox_ingest import watcher
from inbox_ingest.models import Mailbox, RawMessage, WatcherState
from tests.imaptools import flags, make_mailbox
from tests.mailtools import POLISH, message
from tickets.models import Ticket


def _messages(count: int, prefix: str = "m") -> list[bytes]:
    return [message(message_id=f"<{prefix}{n}@x>", subject=f"Zgłoszenie {prefix}{n}") for n in range(count)]


def test_one_pass_ingests_every_message_once_and_then_marks_it_seen(db, dovecot, queue_14, monkeypatch):
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    client.multiappend("INBOX", [*_messages(5), (POLISH / "outlook_pl_wiadomosc_oryginalna.eml").read_bytes()])
    assert watcher.Watcher(mailbox).run_once() == 6
    assert Ticket.objects.filter(queue=queue_14).count() == 6
    assert all(b"\\Seen" in message_flags for message_flags in flags(client))
    assert watcher.Watcher(mailbox).run_once() == 0 and Ticket.objects.count() == 6
    state = WatcherState.objects.get(mailbox=mailbox)
    assert state.last_fetch_at and state.backlog == 0 and not state.last_error and state.uidvalidity
    row = RawMessage.objects.filter(mailbox=mailbox).latest("uid")
    assert bytes(row.raw) == (POLISH / "outlook_pl_wiadomosc_oryginalna.eml").read_bytes()


def test_messages_can_be_moved_to_a_folder_or_deleted_after_ingestion(db, dovecot, queue_14, monkeypatch):
    moving, client = make_mailbox(dovecot, queue_14, monkeypatch, after_ingest=Mailbox.AfterIngest.MOVE, move_to="Ok")
    client.multiappend("INBOX", _messages(3, "mv"))
    watcher.Watcher(moving).run_once()
    assert client.select_folder("INBOX")[b"EXISTS"] == 0 and client.select_folder("Ok")[b"EXISTS"] == 3
    deleting, client = make_mailbox(dovecot, queue_14, monkeypatch, after_ingest=Mailbox.AfterIngest.DELETE)
    client.multiappend("INBOX", _messages(2, "del"))
    watcher.Watcher(deleting).run_once()
    assert client.select_folder("INBOX")[b"EXISTS"] == 0 and Ticket.objects.count() == 5


def test_starttls_on_the_plain_port_works(db, dovecot, queue_14, monkeypatch):
    mailbox, client = make_mailbox(
        dovecot, queue_14, monkeypatch, port=dovecot.port, security=Mailbox.Security.STARTTLS
    )
    client.multiappend("INBOX", _messages(1, "tls"))
    assert watcher.Watcher(mailbox).run_once() == 1


def test_a_wrong_password_is_reported_in_the_watcher_state(db, dovecot, queue_14, monkeypatch):
    mailbox, _client = make_mailbox(dovecot, queue_14, monkeypatch)
    monkeypatch.setenv(mailbox.secret_env, "zle-haslo")
    with pytest.raises(Exception, match=r"(?i)auth"):
        watcher.Watcher(mailbox).run_once()
    state = WatcherState.objects.get(mailbox=mailbox)
    assert not state.connected and "LoginError" in state.last_error


def test_a_second_watcher_waits_while_the_first_holds_the_lease(db, dovecot, queue_14, monkeypatch):
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    client.multiappend("INBOX", _messages(2, "lease"))
    first = watcher.Watcher(mailbox, owner="maszyna-a")
    assert first.claim()
    assert watcher.Watcher(mailbox, owner="maszyna-b").run_once() == 0 and not Ticket.objects.exists()
    first.release()
    assert watcher.Watcher(mailbox, owner="maszyna-b").run_once() == 2


def test_a_new_uidvalidity_refetches_but_never_makes_a_second_ticket(db, dovecot, queue_14, monkeypatch):
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch, folder="Zgloszenia")
    client.create_folder("Zgloszenia")
    client.multiappend("Zgloszenia", _messages(3, "uv"))
    watcher.Watcher(mailbox).run_once()
    before = WatcherState.objects.get(mailbox=mailbox).uidvalidity
    client.select_folder("INBOX")
    client.delete_folder("Zgloszenia")
    time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
    client.create_folder("Zgloszenia")  # a new folder: a new UIDVALIDITY, UIDs from 1 again
    assert int(client.select_folder("Zgloszenia")[b"UIDVALIDITY"]) != before
    client.multiappend("Zgloszenia", _messages(3, "uv"))
    assert watcher.Watcher(mailbox).run_once() == 3
    assert Ticket.objects.count() == 3
    assert RawMessage.objects.filter(outcome="duplicate").count() == 3


def test_ingest_mail_imap_once_prints_json_per_message(db, dovecot, queue_14, monkeypatch):
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    client.multiappend("INBOX", _messages(2, "cmd"))
    out = io.StringIO()
    call_command("ingest_mail", "--imap", "--once", "--json", "--mailbox", mailbox.name, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["outcome"] for line in lines] == ["created", "created"]


def test_healthz_reports_each_mailbox(client, db, dovecot, queue_14, monkeypatch, alice):
    client.force_login(alice)  # details are for staff (anonymous callers get {"ok": …} only)
    mailbox, _imap = make_mailbox(dovecot, queue_14, monkeypatch)
    watcher.Watcher(mailbox).run_once()
    report = client.get("/healthz").json()
    (state,) = [box for box in report["mailboxes"]["mailboxes"] if box["name"] == mailbox.name]
    assert state["last_fetch_at"] and state["last_error"] == "" and state["backlog"] == 0


def _ticket_within(subject: str, *, seconds: float) -> bool:
    """Whether a ticket with `subject` exists within `seconds` (looked for every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while not Ticket.objects.filter(subject=subject).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return Ticket.objects.filter(subject=subject).exists()


@contextmanager
def _watching(running: watcher.Watcher) -> Iterator[threading.Thread]:
    """`running.watch()` in a thread for the block; stopped and joined after it."""
    thread = threading.Thread(target=running.watch, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        running.stop.set()
        thread.join(timeout=40)


def _delivering_once_after(step: Callable, client, message_id: str, subject: str) -> Callable:
    """`step`, which delivers one message through `client` right after its first call returns."""
    delivered = []

    def step_then_deliver(*args):
        answer = step(*args)
        if not delivered:
            client.append("INBOX", message(message_id=message_id, subject=subject))
            delivered.append(True)
        return answer

    return step_then_deliver


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_delivered_between_a_pass_and_idle_is_fetched_at_once(dovecot, monkeypatch):
    """IDLE announces only what arrives after it starts: a message delivered after the pass's search and before
    IDLE is reported by the NOOP before it, not left for the next poll (30 s here)."""
    from tickets.models import Queue

    mailbox, client = make_mailbox(dovecot, Queue.objects.get(slug="centralna"), monkeypatch, poll_seconds=30)
    running = watcher.Watcher(mailbox)
    # right after the first pass's search, before the watcher waits
    subject = "Między przebiegiem a IDLE"
    monkeypatch.setattr(running, "_pass", _delivering_once_after(running._pass, client, "<between@x>", subject))
    with _watching(running):
        assert _ticket_within(subject, seconds=15)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_delivered_between_the_noop_and_idle_is_fetched_at_once(dovecot, monkeypatch):
    """Dovecot announces mail that came after the NOOP in the same packet as IDLE's "+", and imaplib's buffer takes
    it along where polling the socket cannot see it (the CI failure of the IDLE test): the watcher looks there and
    fetches at once instead of waiting for the next poll (30 s here)."""
    from imapclient import IMAPClient

    from tickets.models import Queue

    mailbox, client = make_mailbox(dovecot, Queue.objects.get(slug="centralna"), monkeypatch, poll_seconds=30)
    # the NOOP reported nothing new; the message arrives before IDLE starts
    subject = "Po NOOP, przed IDLE"
    monkeypatch.setattr(IMAPClient, "noop", _delivering_once_after(IMAPClient.noop, client, "<after-noop@x>", subject))
    with _watching(watcher.Watcher(mailbox)):
        assert _ticket_within(subject, seconds=15)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_watcher_uses_idle_and_picks_up_new_mail_within_seconds(dovecot, monkeypatch):
    from tickets.models import Queue

    mailbox, client = make_mailbox(dovecot, Queue.objects.get(slug="centralna"), monkeypatch, poll_seconds=30)
    with _watching(watcher.Watcher(mailbox)) as thread:
        deadline = time.monotonic() + 10
        while not WatcherState.objects.get(mailbox=mailbox).connected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert WatcherState.objects.get(mailbox=mailbox).idle
        client.append("INBOX", message(message_id="<idle@x>", subject="Przez IDLE"))
        assert _ticket_within("Przez IDLE", seconds=15)
    assert not thread.is_alive()


def test_the_watcher_logs_its_connection_its_batches_and_their_outcomes(db, dovecot, queue_14, monkeypatch, caplog):
    """The operator's only view of the watcher: each start, connection, batch and outcome at INFO."""
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    client.multiappend("INBOX", _messages(3, prefix="log"))
    with caplog.at_level("INFO", logger="inbox_ingest.watcher"):
        watcher.Watcher(mailbox).run_once()
    lines = [record.getMessage() for record in caplog.records if record.name == "inbox_ingest.watcher"]
    assert any(f"mailbox {mailbox.name}: connected to {mailbox.host}:{mailbox.port}" in line for line in lines), lines
    assert any(f"mailbox {mailbox.name}: 3 new message(s) in INBOX" in line for line in lines), lines
    assert f"mailbox {mailbox.name}: batch of 3 stored and processed: created 3" in lines


def test_batches_are_bounded_by_bytes_as_well_as_by_count(db, dovecot, queue_14, monkeypatch, settings, caplog):
    """INBOX_FETCH_BATCH_BYTES cuts the fetch batches by the sizes the server gives (memory bounded whatever
    the messages weigh); a message larger than the limit is a batch of its own; every message lands once and
    the watermark of the server action ends past the last one."""
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    small = _messages(4, prefix="small")
    large = message(message_id="<large@x>", subject="Duża", body="x" * 5000)
    client.multiappend("INBOX", [*small[:2], large, *small[2:]])
    # two small ones fit (the server counts CRLF line ends: a few bytes more), a third or the large one does not
    settings.INBOX_FETCH_BATCH, settings.INBOX_FETCH_BATCH_BYTES = 3, 2 * (max(len(raw) for raw in small) + 40)
    monkeypatch.setattr(watcher, "UIDS_PER_COMMAND", 2)  # sizes fetched, and the server action done, 2 UIDs a command
    with caplog.at_level("INFO", logger="inbox_ingest.watcher"):
        assert watcher.Watcher(mailbox).run_once() == 5
    batches = [record.getMessage() for record in caplog.records if "stored and processed" in record.getMessage()]
    assert [line.split("batch of ")[1].split(" ")[0] for line in batches] == ["2", "1", "2"]
    assert Ticket.objects.filter(queue=queue_14).count() == 5
    assert all(b"\\Seen" in message_flags for message_flags in flags(client))
    top = RawMessage.objects.filter(mailbox=mailbox).order_by("uid").last()
    assert WatcherState.objects.get(mailbox=mailbox).server_done_uid == top.uid


def test_fetch_batches_keep_the_order_and_both_bounds():
    sizes = {1: 10, 2: 10, 3: 100, 4: 10, 5: 10, 6: 10, 7: 10}
    assert watcher.fetch_batches(sorted(sizes), sizes, 3, 25) == [[1, 2], [3], [4, 5], [6, 7]]
    assert watcher.fetch_batches(sorted(sizes), sizes, 2, 10_000) == [[1, 2], [3, 4], [5, 6], [7]]
    assert watcher.fetch_batches([8, 9], {}, 5, 1) == [[8, 9]]  # no sizes known: by count
    assert watcher.fetch_batches([], sizes, 3, 25) == []


def test_the_server_action_moves_one_watermark_and_stops_below_a_message_not_processed(
    db, dovecot, queue_14, monkeypatch
):
    """The server action is recorded per mailbox (WatcherState.server_done_uid), not by a second UPDATE of every
    message; a message still pending keeps the watermark (and the action) below it until it is processed."""
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    client.multiappend("INBOX", _messages(3, prefix="wm"))
    running = watcher.Watcher(mailbox)
    running.run_once()
    state = WatcherState.objects.get(mailbox=mailbox)
    uids = sorted(RawMessage.objects.filter(mailbox=mailbox).values_list("uid", flat=True))
    assert (state.server_done_uidvalidity, state.server_done_uid) == (state.uidvalidity, uids[-1])
    client.multiappend("INBOX", _messages(2, prefix="wm2"))
    client.select_folder("INBOX")
    new = sorted(client.search(["UNSEEN"]))
    # the first new one stored by a run that died before processing it, the second processed already
    from inbox_ingest import actions

    _pending, second = actions.store_batch(
        [{"raw": bytes(client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]), "mailbox": mailbox,
          "uidvalidity": state.uidvalidity, "uid": uid} for uid in new]
    )  # fmt: skip
    actions.process_batch([second.pk])
    running._finish_on_server(client, state.uidvalidity)
    assert WatcherState.objects.get(mailbox=mailbox).server_done_uid == uids[-1]  # stopped below the pending one
    client.noop()
    assert sorted(client.search(["UNSEEN"])) == new
    running.run_once()  # processes the pending one first, then acts on both
    assert WatcherState.objects.get(mailbox=mailbox).server_done_uid == new[-1]
    assert all(b"\\Seen" in message_flags for message_flags in flags(client))
    assert Ticket.objects.filter(queue=queue_14).count() == 5
