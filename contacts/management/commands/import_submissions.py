"""`manage.py import_submissions PATH`: submission statuses from the statistics system (CSV, XLSX, JSON, JSONL)."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from contacts import imports
from contacts.models import ImportRun


class Command(BaseCommand):
    help = (
        "Wczytuje statusy sprawozdań z pliku CSV/XLSX/JSON/JSONL (kolumny: regon, form, year, status, changed_at). "
        "Idempotentny; błędne wiersze są pomijane i wypisywane, plik nieczytelny w całości nie zmienia niczego. "
        "Kod wyjścia: 0 wszystko zaimportowane, 1 nic nie zapisano, 3 część wierszy odrzucona."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--report", help="Zapisz wszystkie odrzucone wiersze z powodami do tego pliku CSV.")
        parser.add_argument("--quiet", action="store_true", help="Bez paska postępu.")

    def handle(self, *args, path: str, report: str | None = None, quiet: bool = False, **options):
        started = time.monotonic()
        show = not quiet and sys.stderr.isatty()

        def on_progress(fraction: float, rows: int) -> None:
            if show:
                bar = "#" * int(fraction * 30)
                self.stderr.write(f"\r[{bar:<30}] {fraction:6.1%}  {rows:,} wierszy", ending="")

        try:
            run = imports.import_submissions(path, report_path=report, on_progress=on_progress)
        except FileNotFoundError:
            raise CommandError(f"Nie ma pliku {path}.") from None
        if show:
            self.stderr.write("")
        report_rows(self, run, time.monotonic() - started)


REJECTED_ROWS_EXIT = 3  # the file was imported but some rows were not: scripts must notice (1 = nothing written)


def report_rows(command: BaseCommand, run: ImportRun, seconds: float) -> None:
    """Print the outcome of an import run; a failed run is a CommandError (exit status 1), and so, after the
    summary, is a run with rejected rows (exit status 3: the other rows were imported)."""
    if run.state == ImportRun.State.FAILED:
        raise CommandError(f"Import przerwany, nic nie zapisano: {run.error}")
    counts = run.counts
    summary = ", ".join(f"{name}: {value:,}" for name, value in counts.items())
    rate = counts.get("rows", 0) / seconds if seconds else 0
    command.stdout.write(f"Import #{run.pk} ({run.filename}): {summary}. Czas {seconds:.1f} s ({rate:,.0f} wierszy/s).")
    for item in run.rejected[:50]:
        command.stdout.write(f"  wiersz {item['line']}: {item['errors']}")
    if counts.get("rejected", 0) > 50:
        more = counts["rejected"] - 50
        others = ngettext(
            "… i %(n)s inny odrzucony wiersz (pełna lista: --report).",
            "… i %(n)s innych odrzuconych wierszy (pełna lista: --report).",
            more,
        )
        command.stdout.write("  " + others % {"n": f"{more:,}"})
    if counts.get("rejected", 0):
        raise CommandError(
            f"Odrzucono wierszy: {counts['rejected']:,} z {counts.get('rows', 0):,} (powody powyżej); "
            "pozostałe zaimportowano.",
            returncode=REJECTED_ROWS_EXIT,
        )
