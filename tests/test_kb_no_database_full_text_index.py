"""The knowledge base keeps no database full-text index (migration 0006): search reads its own postings
(knowledge_base.postings), and a write of an article's search entry pays for nothing else. Checked on every
database of the run (the second one, KB_COMPARE_DATABASE_URL, included)."""

import pytest
from django.conf import settings
from django.db import connections

ALIASES = [alias for alias in ("default", "kb_compare") if alias in settings.DATABASES]
pytestmark = pytest.mark.django_db(databases=ALIASES)


def _leftovers(alias: str) -> list[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'knowledge_base_searchentry'::regclass"
                " AND NOT tgisinternal"
                " UNION ALL SELECT attname FROM pg_attribute WHERE attrelid = 'knowledge_base_searchentry'::regclass"
                " AND atttypid = 'tsvector'::regtype AND NOT attisdropped"
                " UNION ALL SELECT indexname FROM pg_indexes WHERE tablename LIKE 'knowledge_base_%'"
                " AND indexdef ~ '(gin|trgm)'"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'kb_fts%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("alias", ALIASES)
def test_the_search_entry_table_has_no_full_text_index_or_trigger(alias):
    assert _leftovers(alias) == []
