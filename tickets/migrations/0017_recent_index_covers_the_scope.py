"""PostgreSQL: `ticket_recent` (updated_at DESC, id DESC) carries the two columns a regional administrator's scope
tests, the queue and the reporting unit, as non-key columns (INCLUDE), so a count over their scope in recency
order is an index-only scan: the workspace's "recently updated" count (tickets.selectors._counts_in_one_pass)
read the ticket row of each of ~7,000 recent tickets of the country at a million tickets to keep the 1,000 in a
voivodeship (5.7 ms, ~5,900 buffers), and now reads the index alone (1.3 ms); the list's capped count (2,001)
likewise. The index keeps its name and its key: every plan that used it still does.

Only on PostgreSQL (SQLite has no INCLUDE, and Django warns, models.W040, about an Index(include=…) there), so the
model's Meta keeps the plain definition and the state does not change; tests/test_ticket_indexes.py checks the
columns on PostgreSQL.
"""

from django.db import migrations

COVERED = 'CREATE INDEX "{name}" ON "tickets_ticket" ("updated_at" DESC, "id" DESC) INCLUDE ("queue_id", "reporting_unit_id")'
PLAIN = 'CREATE INDEX "{name}" ON "tickets_ticket" ("updated_at" DESC, "id" DESC)'


def _rebuild(schema_editor, definition: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # built beside the old one, then swapped: plans keep an index in recency order throughout
    schema_editor.execute(definition.format(name="ticket_recent_rebuilt"))
    schema_editor.execute('DROP INDEX IF EXISTS "ticket_recent"')
    schema_editor.execute('ALTER INDEX "ticket_recent_rebuilt" RENAME TO "ticket_recent"')


def cover(apps, schema_editor):
    _rebuild(schema_editor, COVERED)


def uncover(apps, schema_editor):
    _rebuild(schema_editor, PLAIN)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0016_open_tickets_by_queue_and_unit'),
    ]

    operations = [migrations.RunPython(cover, uncover)]
