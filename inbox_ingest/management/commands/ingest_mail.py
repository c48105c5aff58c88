"""manage.py ingest_mail PATH… | --imap [--once]: thin adapter over inbox_ingest.actions / watcher."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from helpdesk import speed
from inbox_ingest import actions, pipeline, sources, watcher
from inbox_ingest.models import Mailbox, RawMessage


class Command(BaseCommand):
    help = "Przyjmuje pocztę: pliki .eml/.box, katalogi, pliki mbox i katalogi Maildir, albo skrzynki IMAP (--imap)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="pliki i katalogi z wiadomościami")
        parser.add_argument("--imap", action="store_true", help="obserwuj skrzynki IMAP skonfigurowane w panelu")
        parser.add_argument("--once", action="store_true", help="z --imap: jedno przejście i koniec (cron)")
        parser.add_argument("--mailbox", help="nazwa skrzynki: tylko ta (z --imap) albo jej kolejka (dla plików)")
        parser.add_argument("--json", action="store_true", help="jeden obiekt JSON na wiadomość")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="procesy rozbierające następną porcję wiadomości w tle (0: w tym procesie; "
            "domyślnie ustawienie INBOX_PARSE_WORKERS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["imap"] == bool(options["paths"]):
            raise CommandError("Podaj ścieżki do plików albo --imap (nie jedno i drugie).")
        mailbox = None
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"Nie ma skrzynki o nazwie {options['mailbox']!r}.")
        workers = options["workers"]
        if workers is not None and workers < 0:
            raise CommandError("--workers: podaj liczbę procesów (0 lub więcej).")
        if workers is None:
            workers = settings.INBOX_PARSE_WORKERS
        report = self._report(options["json"])
        if options["imap"]:
            watcher.run(mailbox=mailbox, once=options["once"], report=report, workers=workers)
            return
        for name in options["paths"]:
            path = Path(name)
            if not path.exists():
                raise CommandError(f"Nie ma takiego pliku ani katalogu: {name}")
        counts: dict[str, int] = {}
        stream = (item for name in options["paths"] for item in sources.messages(Path(name)))
        for result in ingest_stream(stream, mailbox=mailbox, workers=workers):
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
            report(result)
        if not options["json"]:
            summary = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(counts.items()))
            total = sum(counts.values())
            received = ngettext("Przyjęto %(n)s wiadomość", "Przyjęto %(n)s wiadomości", total) % {"n": total}
            self.stdout.write(f"{received} ({summary or 'brak'}).")

    def _report(self, as_json: bool) -> Callable[[actions.Result], None]:
        def report(result: actions.Result) -> None:
            if as_json:
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            elif result.outcome == RawMessage.Outcome.QUARANTINED:
                self.stderr.write(f"kwarantanna: {result.message_id or result.raw_id}: {result.reason}")

        return report


BATCH = 500  # messages stored and processed per transaction


def ingest_stream(
    messages: Iterable[tuple[str, bytes]], *, mailbox: Mailbox | None, workers: int = 0
) -> Iterator[actions.Result]:
    """Ingest (source, raw) messages in batches of BATCH, in order; one result per message.

    With `workers` > 0 the next batch is parsed in that many worker processes while this one is written
    (pipeline.Preparer); the writes and their order are the same as without."""
    with pipeline.Preparer(workers) as preparer:
        current: tuple[list, Callable] | None = None
        for batch in _batches(messages):
            raws = [raw for _source, raw in batch]
            if current is None:  # the first batch is parsed here: a single batch never starts a worker
                current = (batch, preparer.here(raws))
                continue
            ahead = (batch, preparer.submit(raws))
            yield from _ingested(current[0], mailbox, current[1])
            current = ahead
        if current is not None:
            yield from _ingested(current[0], mailbox, current[1])


def _ingested(
    batch: list[tuple[str, bytes]], mailbox: Mailbox | None, prepared: Callable[[], list[pipeline.Prepared] | None]
) -> list[actions.Result]:
    """One batch: its parse taken (from the workers, or made here) and the batch written, in one
    helpdesk.speed.batch()."""
    with speed.batch():
        return ingest_file_messages(batch, mailbox=mailbox, prepared=prepared())


def _batches(messages: Iterable[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    for item in messages:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_file_messages(
    messages: list[tuple[str, bytes]],
    *,
    mailbox: Mailbox | None,
    prepared: list[pipeline.Prepared] | None = None,
) -> list[actions.Result]:
    """Store, then process, a batch of (source, raw) messages; one result per message, in order.

    Files have no UID: the same bytes again (in an earlier run or twice in this batch) are recognised by their
    hash and reported as a duplicate without being stored again. `prepared`: the messages parsed ahead
    (pipeline.Preparer), one per message, or None."""
    if prepared is not None and len(prepared) != len(messages):
        prepared = None
    if prepared is not None:
        digests = [item.sha256 for item in prepared]
    else:
        digests = [hashlib.sha256(raw).hexdigest() for _source, raw in messages]
    known = {
        row.sha256: row
        for row in RawMessage.objects.filter(sha256__in=digests, uid__isnull=True).select_related("ticket").defer("raw")
    }
    results: list[actions.Result | None] = [None] * len(messages)
    to_process: dict[int, list[int]] = {}  # raw row id → the messages (indexes) it stands for
    fresh: dict[str, list[int]] = {}  # digest → the messages with these bytes, not stored yet
    for index, digest in enumerate(digests):
        row = known.get(digest)
        if row is None:
            fresh.setdefault(digest, []).append(index)
        elif row.status == RawMessage.Status.PENDING:  # stored by a run that stopped before processing it
            to_process.setdefault(row.pk, []).append(index)
        else:
            ticket = row.ticket.reference if row.ticket else None
            results[index] = actions.Result(row.pk, row.message_id, RawMessage.Outcome.DUPLICATE, ticket, "")
    groups = list(fresh.values())
    items: list[dict[str, object]] = [
        {"source": messages[group[0]][0], "raw": messages[group[0]][1], "mailbox": mailbox} for group in groups
    ]
    if prepared is not None:
        for item, group in zip(items, groups, strict=True):
            item["prepared"] = prepared[group[0]]
    for row, group in zip(actions.store_batch(items) if items else [], groups, strict=True):
        to_process.setdefault(row.pk, []).extend(group)
    ahead = {pk: prepared[indexes[0]] for pk, indexes in to_process.items()} if prepared is not None else None
    for result in actions.process_batch(sorted(to_process), ahead):
        first, *copies = to_process[result.raw_id]
        results[first] = result
        for index in copies:
            results[index] = actions.Result(
                result.raw_id, result.message_id, RawMessage.Outcome.DUPLICATE, result.ticket, ""
            )
    done = [result for result in results if result is not None]
    assert len(done) == len(results)  # each message is a duplicate of a done row or stands for a processed one
    return done


def ingest_file_message(raw: bytes, *, source: str, mailbox: Mailbox | None) -> actions.Result:
    return ingest_file_messages([(source, raw)], mailbox=mailbox)[0]
