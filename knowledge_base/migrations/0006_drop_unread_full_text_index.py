"""Drop the database full-text index over knowledge_base_searchentry that migration 0002 created before issue 15:
search reads its own postings (knowledge_base.postings, migration 0003), and nothing read these any more, while
every write of an article's search entry still paid for them (to_tsvector of its text in a trigger, three GIN
indexes, an FTS5 table). Everything is dropped only if present (a database created since has none of it).

The pg_trgm extension it installed stays: dropping an extension needs its owner, which the application's
database user may not be, and an unused extension costs nothing.
"""

from django.db import migrations

POSTGRESQL = [
    "DROP TRIGGER IF EXISTS kb_searchentry_vectors ON knowledge_base_searchentry",
    "DROP FUNCTION IF EXISTS kb_searchentry_vectors()",
    "DROP INDEX IF EXISTS kb_entry_title_gin",
    "DROP INDEX IF EXISTS kb_entry_headings_gin",
    "DROP INDEX IF EXISTS kb_entry_body_gin",
    "DROP INDEX IF EXISTS kb_termform_trgm",  # on lower(form): the typo look-up's `form LIKE` never used it
    "ALTER TABLE knowledge_base_searchentry DROP COLUMN IF EXISTS title_v, DROP COLUMN IF EXISTS headings_v,"
    " DROP COLUMN IF EXISTS body_v",
]
SQLITE = [
    "DROP TRIGGER IF EXISTS kb_fts_insert",
    "DROP TRIGGER IF EXISTS kb_fts_delete",
    "DROP TRIGGER IF EXISTS kb_fts_update",
    "DROP TABLE IF EXISTS kb_fts",
]


def drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0005_kb_attachment_names_without_bidi_controls")]
    # Backwards nothing comes back: nothing reads it.
    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
