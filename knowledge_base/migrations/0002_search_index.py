"""The full-text index over the normalised search columns, per database:

- PostgreSQL: a `search_vector` tsvector column (title weight A, headings B, body C, dictionary `simple`,
  because the text is already lemmatised in Python) filled by a trigger, with a GIN index; pg_trgm with a GIN
  index on the vocabulary for typo correction.
- SQLite: an FTS5 table `kb_fts` over the same three columns (external content = the article table), kept in
  step by triggers.

Note for later migrations: on SQLite, Django rebuilds a table to alter it, which drops its triggers; a migration
that alters knowledge_base_article must call `install_sqlite` again (see knowledge_base.index_sql).
"""

from django.db import migrations

from knowledge_base.index_sql import install, uninstall


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0001_articles_versions_feedback")]
    operations = [migrations.RunPython(install, uninstall)]
