"""Full-text search over tickets and their conversations (tickets.search): one document row per ticket, a
GIN-indexed tsvector on PostgreSQL or an FTS5 table on SQLite, filled here for the tickets that exist.

Also what the workspace needs at a million tickets (see bench/RESULTS.md): partial indexes, and the nearest SLA
due time kept on the ticket row (`sla_due_at`, written by tickets.sla.sync) so that sorting by it uses an index.

Note for later migrations: on SQLite, Django rebuilds a table to alter it, which drops its triggers; a migration
that alters tickets_ticketsearch must run `tickets.search.install` again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tickets import search


# the earliest due time of each ticket's running SLA clocks (kept up to date by tickets.sla.sync from now on)
NEAREST_DUE = """
UPDATE tickets_ticket SET sla_due_at = (
    SELECT MIN(t.due_at) FROM tickets_slatimer t
    WHERE t.ticket_id = tickets_ticket.id AND t.state <> 'done' AND t.due_at IS NOT NULL
) WHERE id IN (SELECT ticket_id FROM tickets_slatimer WHERE state <> 'done' AND due_at IS NOT NULL)
"""


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")
    db = schema_editor.connection.alias  # the database being migrated (its tickets; a new one has none)
    for ticket in Ticket.objects.using(db).order_by("pk").iterator(chunk_size=500):
        entries = Entry.objects.using(db).filter(ticket_id=ticket.pk).order_by("pk")
        search.add(ticket.pk, search.document_tokens(search.ticket_text(ticket), *map(search.entry_text, entries)))


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_person_consent"),
        ("tickets", "0008_canned_responses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="sla_due_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Najwcześniejszy termin biegnących zegarów SLA; ustawia tickets.sla (sortowanie listy).",
                null=True,
                verbose_name="najbliższy termin SLA",
            ),
        ),
        migrations.RunSQL(NEAREST_DUE, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["sla_due_at", "-updated_at", "-id"],
                condition=models.Q(("status__in", ["new", "open", "waiting_customer", "waiting_region"])),
                name="ticket_open_sla_due",
            ),
        ),
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
