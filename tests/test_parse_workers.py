"""Parsing the next batch in a worker process while the current one is written (inbox_ingest.pipeline):
the same outcomes and threading as parsing in the process, across batch boundaries."""

from __future__ import annotations

import io
import json
import mailbox as stdlib_mailbox

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from inbox_ingest import actions, pipeline, watcher
from inbox_ingest.management.commands import ingest_mail
from inbox_ingest.models import RawMessage
from tests.imaptools import flags, make_mailbox
from tests.mailtools import message
from tickets.models import Entry, Ticket


def _conversation() -> list[bytes]:
    """Ten messages; with batches of 4: replies in batch 2 and 3 to messages of batch 1 and 2, a copy of a
    batch-2 message in batch 3, a message without a Message-ID, an out-of-office answer."""
    new = [message(message_id=f"<w{n}@x>", subject=f"Sprawa {n}", sender=f"u{n}@example.pl") for n in range(10)]
    new[5] = message(
        message_id="<w5@x>", subject="Re: Sprawa 1", sender="u1@example.pl", headers={"In-Reply-To": "<w1@x>"}
    )
    new[8] = new[4]  # the same message again
    new[9] = message(
        message_id="<w9@x>", subject="Re: Sprawa 5", sender="u1@example.pl", headers={"References": "<w1@x> <w5@x>"}
    )
    new[6] = message(message_id="", subject="Bez identyfikatora", sender="u6@example.pl")
    new[7] = message(
        message_id="<w7@x>", subject="Nieobecność", sender="u7@example.pl", headers={"Auto-Submitted": "auto-replied"}
    )
    return new


@pytest.fixture
def prepared_batches(monkeypatch):
    """How many messages of each processed batch came parsed ahead (pipeline.Preparer: by a worker, or here
    before the batch was stored)."""
    counts: list[int] = []
    real = actions.process_batch

    def process_batch(raw_ids, prepared=None):
        counts.append(len(prepared or {}))
        return real(raw_ids, prepared)

    monkeypatch.setattr(actions, "process_batch", process_batch)
    return counts


def _shape(results: list[actions.Result]) -> list[tuple[str, int | None]]:
    """Outcomes with tickets named by the position of the first message that got them (ids differ)."""
    first: dict[str, int] = {}
    return [
        (result.outcome, first.setdefault(result.ticket, n) if result.ticket else None)
        for n, result in enumerate(results)
    ]


def test_a_parsing_worker_gives_the_same_outcomes_and_threads_replies_across_batches(
    db, central, monkeypatch, prepared_batches
):
    monkeypatch.setattr(ingest_mail, "BATCH", 4)
    raws = [(f"plik{n}", raw) for n, raw in enumerate(_conversation())]
    with transaction.atomic():
        in_process = _shape(list(ingest_mail.ingest_stream(iter(raws), mailbox=None, workers=0)))
        transaction.set_rollback(True)
    assert prepared_batches == [4, 4, 1]  # each message parsed once, here, before it is stored
    prepared_batches.clear()
    with_worker = list(ingest_mail.ingest_stream(iter(raws), mailbox=None, workers=1))
    # the first batch is parsed here, the next ones in the worker meanwhile, or here while it starts (the copy in
    # batch 3 is known by its hash)
    assert prepared_batches == [4, 4, 1]
    assert _shape(with_worker) == in_process
    assert [outcome for outcome, _ticket in in_process] == [
        "created", "created", "created", "created", "created", "appended", "created", "autoreply", "duplicate",
        "appended",
    ]  # fmt: skip
    assert in_process[5][1] == in_process[9][1] == 1  # both replies in the ticket of message 1 (batch 1)
    assert Entry.objects.filter(message_id__in=["<w1@x>", "<w5@x>", "<w9@x>"]).values("ticket").distinct().count() == 1
    assert RawMessage.objects.filter(status="done").count() == 9  # the copy is recognised by its bytes


def test_ingest_mail_takes_the_number_of_workers_and_refuses_a_negative_one(db, central, monkeypatch, tmp_path):
    monkeypatch.setattr(ingest_mail, "BATCH", 4)
    maildir = stdlib_mailbox.Maildir(tmp_path / "Maildir")
    for raw in _conversation():
        maildir.add(raw)
    out = io.StringIO()
    call_command("ingest_mail", str(tmp_path / "Maildir"), "--workers", "1", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 10 and {line["outcome"] for line in lines} <= {"created", "appended", "autoreply", "duplicate"}
    assert Entry.objects.filter(message_id__startswith="<w").count() == 7  # w0–w5, w9: each once
    with pytest.raises(CommandError, match="--workers"):
        call_command("ingest_mail", str(tmp_path / "Maildir"), "--workers", "-1")


def test_the_watcher_parses_the_next_fetch_batch_in_a_worker(db, dovecot, queue_14, monkeypatch, settings):
    settings.INBOX_FETCH_BATCH = 3
    mailbox, client = make_mailbox(dovecot, queue_14, monkeypatch)
    raws = _conversation()
    client.multiappend("INBOX", raws)
    batches: list[int] = []
    real = actions.process_batch
    monkeypatch.setattr(
        actions, "process_batch", lambda ids, prepared=None: batches.append(len(prepared or {})) or real(ids, prepared)
    )
    assert watcher.Watcher(mailbox, workers=1).run_once() == 10
    assert batches == [3, 3, 3, 1]  # the first batch parsed here before it is stored, the others ahead
    tickets = Entry.objects.filter(message_id__in=["<w1@x>", "<w5@x>", "<w9@x>"]).values_list("ticket", flat=True)
    assert len(set(tickets)) == 1 and len(tickets) == 3  # replies in batches 2 and 4 joined the batch-1 ticket
    assert Ticket.objects.filter(queue=queue_14).count() == 6
    assert RawMessage.objects.filter(mailbox=mailbox, status="done").count() == 10
    assert all(b"\\Seen" in message_flags for message_flags in flags(client))


def test_prepared_parse_is_what_the_process_would_parse():
    """In a worker process: the parse, the headers, and the facts of the text of the ticket each message would
    open (tickets.text_facts, with the planner's own function), equal to what this process computes."""
    raws = [_conversation()[5], message(subject="MZ-88 REGON 123456785", body="Nie działa hasło.\n")]
    automatic = _conversation()[7]
    with pipeline.Preparer(1) as preparer:  # the worker's task itself: submit()'s results may be parsed here
        task = preparer._executor().submit(pipeline.prepare_many, [*raws, automatic, b"\xff\xfe nie jest wiadomoscia"])
        prepared = task.result()
    assert prepared is not None and len(prepared) == 4
    from inbox_ingest import messages, parsing

    for raw, item in zip(raws, prepared, strict=False):
        assert item.parsed == parsing.parse(raw)
        assert item.headers == parsing.parse_headers_only(raw)
        assert item.facts is not None and item.facts == messages.text_facts(parsing.parse(raw))
    assert prepared[1].facts.numbers.regons == ("123456785",) and prepared[1].facts.form_codes == {"MZ-88"}
    assert prepared[2].facts is None  # an automatic answer opens no ticket that way
    assert prepared[3].facts == messages.text_facts(parsing.parse(b"\xff\xfe nie jest wiadomoscia"))


def test_the_prefetcher_gives_the_batches_in_order_at_most_one_ahead_and_reraises_a_failed_fetch():
    import time

    fetched: list[int] = []

    def fetch(batch: list[int]) -> list[dict]:
        fetched.append(batch[0])
        if batch[0] == 4:
            raise ConnectionError("serwer zerwał połączenie")
        return [{"uid": uid} for uid in batch]

    with watcher.Prefetcher(fetch, [[1], [2], [3], [4], [5]]) as fetches:
        batches = iter(fetches)
        assert next(batches) == [{"uid": 1}]
        time.sleep(0.5)  # the thread runs ahead meanwhile: one batch waiting, one fetched and waiting to be put
        assert fetched[:3] == [1, 2, 3] and len(fetched) <= 3
        assert [next(batches), next(batches)] == [[{"uid": 2}], [{"uid": 3}]]
        with pytest.raises(ConnectionError, match="zerwał"):
            next(batches)
    assert fetched == [1, 2, 3, 4]  # nothing after the failure


def test_a_prefetcher_left_early_stops_its_thread():
    with watcher.Prefetcher(lambda batch: [{"uid": batch[0]}], [[n] for n in range(100)]) as fetches:
        assert next(iter(fetches)) == [{"uid": 0}]
    assert not fetches._thread.is_alive()
    with watcher.Prefetcher(lambda batch: [], []) as nothing:
        assert list(nothing) == []


def test_the_calling_process_parses_the_chunks_no_worker_has_started_from_the_last_one_back():
    """Results wanted before the workers are through: the chunks still queued are parsed here, from the last one
    back, down to the first one a worker has; that one and the ones before it are the workers'. While the workers
    are still starting (their first task not done), a chunk handed to one is parsed here too."""
    from concurrent.futures import Future

    raws = [message(message_id=f"<c{n}@x>", subject=f"Sprawa {n}") for n in range(4)]
    chunks = [[raw] for raw in raws]

    def futures(running: int) -> list[Future]:
        made = [Future() for _chunk in chunks]
        for future in made[:running]:  # handed to a worker: no longer cancellable
            assert future.set_running_or_notify_cancel()
        return made

    started = Future()
    started.set_result(0)
    here = pipeline._take_over(chunks, futures(running=2), started)
    assert sorted(here) == [2, 3]
    assert [item.parsed.message_id for index in (2, 3) for item in here[index]] == ["<c2@x>", "<c3@x>"]
    assert here[2][0] == pipeline.prepare(raws[2])  # the function the workers run (without the facts here)
    assert pipeline._take_over(chunks, futures(running=4), started) == {}
    booting = Future()
    assert booting.set_running_or_notify_cancel()
    assert sorted(pipeline._take_over(chunks, futures(running=2), booting)) == [0, 1, 2, 3]
    done = futures(running=2)
    done[1].set_result([])  # a worker gave it: kept even while another is starting
    assert sorted(pipeline._take_over(chunks, done, booting)) == [2, 3]
