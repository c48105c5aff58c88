"""The full-text index over knowledge_base_searchentry, per database (see knowledge_base.index_sql):
GIN-indexed tsvectors on PostgreSQL, an FTS5 table on SQLite, both filled by triggers.

Note for later migrations: on SQLite, Django rebuilds a table to alter it, which drops its triggers; a migration
that alters knowledge_base_searchentry must run `knowledge_base.index_sql.install` again.
"""

from django.db import migrations

from knowledge_base.index_sql import install, uninstall


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0001_articles_versions_feedback")]
    operations = [migrations.RunPython(install, uninstall)]
