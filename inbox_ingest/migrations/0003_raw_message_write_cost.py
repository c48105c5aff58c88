"""What storing and processing a raw message costs PostgreSQL.

- rawmessage.mailbox loses its own index: raw_server_pending (mailbox, uidvalidity, server_done_at) begins with
  it and serves `mailbox = …` (the foreign key stays). Every index on this table is written twice per message:
  when it is stored, and when processing updates the row (status, dedupe key, ticket: never a HOT update).
- The `varchar_pattern_ops` copies beside the indexes of rawmessage.dedupe_key, rawmessage.sha256 and
  sentmessage.message_id go: they only serve `LIKE 'prefix%'`, which nothing runs on them. Django does not track
  them in the migration state; tests/test_ingestion_indexes.py makes sure they stay gone.
- rawmessage.raw is compressed with lz4 where the server has it (PostgreSQL 14+ built with lz4): pglz spent ~140 µs
  on each message over ~2 kB trying to compress it, mostly in vain (attachments are compressed already); lz4
  tries ~4× faster (psql, 5,000 generated messages, 512 of them over 2 kB: 92 ms → 22 ms). Existing rows keep
  their compression until rewritten.
"""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEXES = [
    ("inbox_ingest_rawmessage_dedupe_key_e4eeddbc_like", "inbox_ingest_rawmessage", "dedupe_key"),
    ("inbox_ingest_rawmessage_sha256_18c48224_like", "inbox_ingest_rawmessage", "sha256"),
    ("inbox_ingest_sentmessage_message_id_cc57f8a7_like", "inbox_ingest_sentmessage", "message_id"),
]
MAILBOX_INDEX = "inbox_ingest_rawmessage_mailbox_id_1754fb29"


def _lz4_available(cursor) -> bool:
    cursor.execute(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def forward(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{MAILBOX_INDEX}"')
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in LIKE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    with schema_editor.connection.cursor() as cursor:
        if _lz4_available(cursor):
            schema_editor.execute('ALTER TABLE "inbox_ingest_rawmessage" ALTER COLUMN "raw" SET COMPRESSION lz4')


def backward(apps, schema_editor):
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{MAILBOX_INDEX}" ON "inbox_ingest_rawmessage" ("mailbox_id")')
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in LIKE_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)')
    schema_editor.execute('ALTER TABLE "inbox_ingest_rawmessage" ALTER COLUMN "raw" SET COMPRESSION DEFAULT')


class Migration(migrations.Migration):

    dependencies = [
        ('inbox_ingest', '0002_mailbox_password'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AlterField(
                    model_name='rawmessage',
                    name='mailbox',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='inbox_ingest.mailbox'),
                ),
            ],
        ),
    ]
