"""`manage.py import_units PATH`: reporting units from a register extract (CSV, XLSX, JSON, JSONL)."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from contacts import imports
from contacts.management.commands.import_submissions import report_rows


class Command(BaseCommand):
    help = (
        "Wczytuje jednostki sprawozdawcze z pliku CSV/XLSX/JSON (kolumny rozpoznawane po nazwie: regon, nip, rpwdl, "
        "name, kind, teryt lub voivodeship, address, email, email_domain, phone, person). Aktualizuje po REGON albo "
        "numerze księgi RPWDL; błędne wiersze są wypisywane z powodem; przy błędzie całego pliku nic nie jest "
        "zapisywane. Kod wyjścia: 0 wszystko zaimportowane, 1 nic nie zapisano, 3 część wierszy odrzucona."
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
                done = ngettext("%(n)s wiersz", "%(n)s wierszy", rows) % {"n": f"{rows:,}"}
                self.stderr.write(f"\r[{'#' * int(fraction * 30):<30}] {fraction:6.1%}  {done}", ending="")

        try:
            run = imports.import_units(path, report_path=report, on_progress=on_progress)
        except FileNotFoundError:
            raise CommandError(f"Nie ma pliku {path}.") from None
        if show:
            self.stderr.write("")
        report_rows(self, run, time.monotonic() - started)
