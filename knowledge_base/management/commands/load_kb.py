"""`manage.py load_kb`: the knowledge base's starter content (Polish FAQ, manuals, form instructions)."""

from django.core.management.base import BaseCommand

from knowledge_base.loading import load_starter_content


class Command(BaseCommand):
    help = "Wczytuje startowe artykuły bazy wiedzy (bezpieczne do wielokrotnego uruchomienia)."

    def handle(self, *args, **options):
        total, created = load_starter_content()
        self.stdout.write(f"Baza wiedzy: artykuły startowe {total} (nowe: {created}).")
