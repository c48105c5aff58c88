"""manage.py ingest_mail PATH… | --imap [--once]: thin adapter over inbox_ingest.actions / watcher."""

from __future__ import annotations

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
        for name in options["paths"]:
            for source, raw in sources.messages(Path(name)):
                result = ingest_file_message(raw, source=source, mailbox=mailbox)
                counts[result.outcome] = counts.get(result.outcome, 0) + 1
                report(result)
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


def ingest_file_message(raw: bytes, *, source: str, mailbox: Mailbox | None) -> actions.Result:
    """A file has no UID: the same file twice is recognised by its bytes and reported as a duplicate."""
    import hashlib

    earlier = RawMessage.objects.filter(sha256=hashlib.sha256(raw).hexdigest(), uid__isnull=True).first()
    if earlier is not None and earlier.status != RawMessage.Status.PENDING:
        ticket = earlier.ticket.reference if earlier.ticket_id else None
        return actions.Result(earlier.pk, earlier.message_id, RawMessage.Outcome.DUPLICATE, ticket, "")
    row = earlier or actions.store(raw=raw, mailbox=mailbox, source=source)[0]
    return actions.process(row.pk)
