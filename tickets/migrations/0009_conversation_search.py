"""Full-text search over tickets and their conversations (tickets.search): one document row per ticket, a
GIN-indexed tsvector on PostgreSQL or an FTS5 table on SQLite, filled here for the tickets that exist.

Also the indexes the workspace needs at a million tickets (see bench/RESULTS.md).

Note for later migrations: on SQLite, Django rebuilds a table to alter it, which drops its triggers; a migration
that alters tickets_ticketsearch must run `tickets.search.install` again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tickets import search


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")
    for ticket in Ticket.objects.order_by("pk").iterator(chunk_size=500):
        entries = Entry.objects.filter(ticket_id=ticket.pk).order_by("pk")
        search.add(ticket.pk, search.document_tokens(search.ticket_text(ticket), *map(search.entry_text, entries)))


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_person_consent"),
        ("tickets", "0008_canned_responses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # the workspace at a million tickets (bench/workspace_scale.py): counts from the open tickets only,
        # and the "overdue" view from the live SLA clocks only
        migrations.AddIndex(
            model_name="slatimer",
            index=models.Index(
                condition=models.Q(("state", "done"), _negated=True),
                fields=["due_at", "breached_at", "ticket"],
                name="sla_timer_live",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "waiting_customer", "waiting_region"])),
                fields=["status", "assignee", "queue", "reporting_unit", "id"],
                name="ticket_open_counts",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "waiting_customer", "waiting_region"])),
                fields=["-priority", "-updated_at", "-id"],
                name="ticket_open_priority",
            ),
        ),
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
