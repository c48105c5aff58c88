"""Full-text search over tickets and their conversations (tickets.search): one document row per ticket, a
GIN-indexed tsvector on PostgreSQL or an FTS5 table on SQLite, filled here for the tickets that exist.

Note for later migrations: on SQLite, Django rebuilds a table to alter it, which drops its triggers; a migration
that alters tickets_ticketsearch must run `tickets.search.install` again.
"""

import django.db.models.deletion
from django.db import migrations, models

from tickets import search


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")
    for ticket in Ticket.objects.order_by("pk").iterator(chunk_size=500):
        entries = Entry.objects.filter(ticket_id=ticket.pk).order_by("pk")
        search.add(ticket.pk, search.document_tokens(search.ticket_text(ticket), *map(search.entry_text, entries)))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_canned_responses")]

    operations = [
        migrations.CreateModel(
            name="TicketSearch",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="tickets.ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "indeks wyszukiwania zgłoszenia",
                "verbose_name_plural": "indeks wyszukiwania zgłoszeń",
            },
        ),
        migrations.RunPython(search.install, search.uninstall),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
