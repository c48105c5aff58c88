"""Indexes nobody needs on tables that batched e-mail ingestion writes: every index is written for every row, on
the ingestion's critical path (the ingesting process waits for PostgreSQL).

- A foreign key's own index where a composite index begins with the same column and serves `column = …` as well
  (the foreign keys themselves stay): entry.ticket (entry_ticket_time), ticketevent.ticket (event_ticket_time),
  slatimer.ticket (the unique one_sla_timer_per_kind), ticket.queue (ticket_queue_status), ticket.assignee
  (ticket_assignee_status).
- The second index PostgreSQL's schema editor adds beside an index on a CharField, `varchar_pattern_ops`, which
  only serves `LIKE 'prefix%'` (startswith): nothing runs one on ticket.reference, entry.message_id, entry.call_id
  or storedfile.sha256 (equality and IN use the plain index; the admin's searches use UPPER(…) LIKE '%…%', which no
  btree serves). Django does not track these in the migration state; tests/test_ingestion_indexes.py makes sure
  they stay gone.

Only the indexes are dropped (an AlterField of a foreign key would also drop and re-validate the constraint);
the state learns db_index=False.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (index, table, column, PostgreSQL only: a varchar_pattern_ops copy)
DROPPED = [
    ("tickets_entry_ticket_id_ee19e15a", "tickets_entry", "ticket_id", False),
    ("tickets_ticketevent_ticket_id_b572d14b", "tickets_ticketevent", "ticket_id", False),
    ("tickets_slatimer_ticket_id_ce494a7a", "tickets_slatimer", "ticket_id", False),
    ("tickets_ticket_queue_id_0d3cb9ef", "tickets_ticket", "queue_id", False),
    ("tickets_ticket_assignee_id_3a5aa407", "tickets_ticket", "assignee_id", False),
    ("tickets_ticket_reference_69015271_like", "tickets_ticket", "reference", True),
    ("tickets_entry_message_id_7e33f27e_like", "tickets_entry", "message_id", True),
    ("tickets_entry_call_id_6f58108d_like", "tickets_entry", "call_id", True),
    ("tickets_storedfile_sha256_77810a01_like", "tickets_storedfile", "sha256", True),
]


def drop(apps, schema_editor):
    for name, _table, _column, _pattern in DROPPED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table, column, pattern in DROPPED:
        if pattern and not postgresql:
            continue
        opclass = " varchar_pattern_ops" if pattern else ""
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}"{opclass})')


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0012_overdue_from_nearest_due'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name='entry',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='tickets.ticket'),
                ),
                migrations.AlterField(
                    model_name='slatimer',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='sla_timers', to='tickets.ticket'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='przydzielone do'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='queue',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='tickets.queue', verbose_name='kolejka'),
                ),
                migrations.AlterField(
                    model_name='ticketevent',
                    name='ticket',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='tickets.ticket'),
                ),
            ],
        ),
    ]
