"""The search table's storage on PostgreSQL: its long token columns go to TOAST, so the heap stays narrow for the
columns every search reads whole (knowledge_base.postings: whether an article is live and visible); measured at
20,000 articles, heap 26 MB → 4 MB.

Until issue 15 this migration also created a database full-text index over the table (GIN-indexed tsvector
columns filled by a trigger on PostgreSQL, with pg_trgm on the vocabulary; an FTS5 table kept by triggers on
SQLite), which search stopped reading when it moved to its own postings (migration 0003). Migration 0006 drops it
from the databases where it was created; a new database never gets it.
"""

from django.db import migrations


def narrow_heap(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE knowledge_base_searchentry SET (toast_tuple_target = 128)")


def default_heap(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE knowledge_base_searchentry RESET (toast_tuple_target)")


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0001_articles_versions_feedback")]
    operations = [migrations.RunPython(narrow_heap, default_heap)]
