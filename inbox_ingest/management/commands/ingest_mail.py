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


BATCH = 500  # messages stored and processed per transaction


def ingest_file_messages(messages: list[tuple[str, bytes]], *, mailbox: Mailbox | None) -> list[actions.Result]:
    """Store, then process, a batch of (source, raw) messages; one result per message, in order.

    Files have no UID: the same bytes again (in an earlier run or twice in this batch) are recognised by their
    hash and reported as a duplicate without being stored again."""
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
            ticket = row.ticket.reference if row.ticket_id else None
            results[index] = actions.Result(row.pk, row.message_id, RawMessage.Outcome.DUPLICATE, ticket, "")
    groups = list(fresh.values())
    items = [{"source": messages[group[0]][0], "raw": messages[group[0]][1], "mailbox": mailbox} for group in groups]
    for row, group in zip(actions.store_batch(items) if items else [], groups, strict=True):
        to_process.setdefault(row.pk, []).extend(group)
    for result in actions.process_batch(sorted(to_process)):
        first, *copies = to_process[result.raw_id]
        results[first] = result
        for index in copies:
            results[index] = actions.Result(
                result.raw_id, result.message_id, RawMessage.Outcome.DUPLICATE, result.ticket, ""
            )
    return results


def ingest_file_message(raw: bytes, *, source: str, mailbox: Mailbox | None) -> actions.Result:
    return ingest_file_messages([(source, raw)], mailbox=mailbox)[0]
