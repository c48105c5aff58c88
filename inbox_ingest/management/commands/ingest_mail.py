"""manage.py ingest_mail PATH… | --imap [--once]: thin adapter over inbox_ingest.actions / watcher."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inbox_ingest import actions, sources
from inbox_ingest.models import Mailbox, RawMessage


class Command(BaseCommand):
    help = "Przyjmuje pocztę: pliki .eml/.box, katalogi, pliki mbox i katalogi Maildir, albo skrzynki IMAP (--imap)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="pliki i katalogi z wiadomościami")
        parser.add_argument("--imap", action="store_true", help="obserwuj skrzynki IMAP skonfigurowane w panelu")
        parser.add_argument("--once", action="store_true", help="z --imap: jedno przejście i koniec (cron)")
        parser.add_argument("--mailbox", help="nazwa skrzynki: tylko ta (z --imap) albo jej kolejka (dla plików)")
        parser.add_argument("--json", action="store_true", help="jeden obiekt JSON na wiadomość")

    def handle(self, *args, **options):
        if options["imap"] == bool(options["paths"]):
            raise CommandError("Podaj ścieżki do plików albo --imap (nie jedno i drugie).")
        mailbox = None
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"Nie ma skrzynki o nazwie {options['mailbox']!r}.")
        report = self._report(options["json"])
        if options["imap"]:
            from inbox_ingest import watcher

            watcher.run(mailbox=mailbox, once=options["once"], report=report)
            return
        for name in options["paths"]:
            path = Path(name)
            if not path.exists():
                raise CommandError(f"Nie ma takiego pliku ani katalogu: {name}")
        counts: dict[str, int] = {}
        batch: list[tuple[str, bytes]] = []

        def flush():
            for result in ingest_file_messages(batch, mailbox=mailbox):
                counts[result.outcome] = counts.get(result.outcome, 0) + 1
                report(result)
            batch.clear()

        for name in options["paths"]:
            for source, raw in sources.messages(Path(name)):
                batch.append((source, raw))
                if len(batch) >= BATCH:
                    flush()
        flush()
        if not options["json"]:
            summary = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(counts.items()))
            self.stdout.write(f"Przyjęto {sum(counts.values())} wiadomości ({summary or 'brak'}).")

    def _report(self, as_json: bool):
        def report(result: actions.Result) -> None:
            if as_json:
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            elif result.outcome == RawMessage.Outcome.QUARANTINED:
                self.stderr.write(f"kwarantanna: {result.message_id or result.raw_id}: {result.reason}")

        return report


BATCH = 100


def ingest_file_messages(messages: list[tuple[str, bytes]], *, mailbox: Mailbox | None) -> list[actions.Result]:
    """Files have no UID: the same file twice is recognised by its bytes and reported as a duplicate.
    Messages are stored, then processed, a batch per transaction; results come back in the given order."""
    digests = [hashlib.sha256(raw).hexdigest() for _source, raw in messages]
    earlier = {
        row.sha256: row
        for row in RawMessage.objects.filter(sha256__in=digests, uid__isnull=True).select_related("ticket").defer("raw")
    }
    results: dict[int, actions.Result] = {}
    to_store, positions = [], []
    for index, ((source, raw), digest) in enumerate(zip(messages, digests, strict=True)):
        row = earlier.get(digest)
        if row is not None and row.status != RawMessage.Status.PENDING:
            ticket = row.ticket.reference if row.ticket_id else None
            results[index] = actions.Result(row.pk, row.message_id, RawMessage.Outcome.DUPLICATE, ticket, "")
        elif row is not None:
            positions.append((index, row.pk))
        else:
            earlier[digest] = row = RawMessage(pk=None)  # the same bytes twice in one batch: store once
            to_store.append({"raw": raw, "mailbox": mailbox, "source": source})
            positions.append((index, digest))
    stored = iter(actions.store_batch(to_store)) if to_store else iter(())
    ids = {}
    for index, key in positions:
        if isinstance(key, str):
            if key not in ids:
                ids[key] = next(stored).pk
            positions[positions.index((index, key))] = (index, ids[key])
    processed = {result.raw_id: result for result in actions.process_batch(sorted({pk for _i, pk in positions}))}
    seen: set[int] = set()
    for index, pk in positions:
        result = processed[pk]
        if pk in seen:  # a second copy of the same bytes in this batch
            result = actions.Result(pk, result.message_id, RawMessage.Outcome.DUPLICATE, result.ticket, "")
        seen.add(pk)
        results[index] = result
    return [results[index] for index in range(len(messages))]


def ingest_file_message(raw: bytes, *, source: str, mailbox: Mailbox | None) -> actions.Result:
    return ingest_file_messages([(source, raw)], mailbox=mailbox)[0]
