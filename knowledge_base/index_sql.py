"""SQL of the database-specific full-text index (used by migration 0002 and by later ones that must re-create
the SQLite triggers after a table rebuild)."""

POSTGRES_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE knowledge_base_article ADD COLUMN search_vector tsvector",
    """
    CREATE OR REPLACE FUNCTION kb_article_search_vector() RETURNS trigger AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('simple', coalesce(NEW.search_title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(NEW.search_headings, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(NEW.search_body, '')), 'C');
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER kb_article_search_vector BEFORE INSERT OR UPDATE OF search_title, search_headings, search_body
    ON knowledge_base_article FOR EACH ROW EXECUTE FUNCTION kb_article_search_vector()
    """,
    "CREATE INDEX kb_article_search_gin ON knowledge_base_article USING gin (search_vector)",
    "CREATE INDEX kb_termform_trgm ON knowledge_base_termform USING gin (form gin_trgm_ops)",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS kb_termform_trgm",
    "DROP TRIGGER IF EXISTS kb_article_search_vector ON knowledge_base_article",
    "DROP FUNCTION IF EXISTS kb_article_search_vector()",
    "ALTER TABLE knowledge_base_article DROP COLUMN IF EXISTS search_vector",
]

_COLUMNS = "search_title, search_headings, search_body"
SQLITE_INSTALL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5("
    f"{_COLUMNS}, content='knowledge_base_article', content_rowid='id', prefix='3 4 5')",
    "DROP TRIGGER IF EXISTS kb_fts_insert",
    "DROP TRIGGER IF EXISTS kb_fts_delete",
    "DROP TRIGGER IF EXISTS kb_fts_update",
    f"""CREATE TRIGGER kb_fts_insert AFTER INSERT ON knowledge_base_article BEGIN
      INSERT INTO kb_fts(rowid, {_COLUMNS}) VALUES (new.id, new.search_title, new.search_headings, new.search_body);
    END""",
    f"""CREATE TRIGGER kb_fts_delete AFTER DELETE ON knowledge_base_article BEGIN
      INSERT INTO kb_fts(kb_fts, rowid, {_COLUMNS})
        VALUES ('delete', old.id, old.search_title, old.search_headings, old.search_body);
    END""",
    f"""CREATE TRIGGER kb_fts_update AFTER UPDATE OF {_COLUMNS} ON knowledge_base_article BEGIN
      INSERT INTO kb_fts(kb_fts, rowid, {_COLUMNS})
        VALUES ('delete', old.id, old.search_title, old.search_headings, old.search_body);
      INSERT INTO kb_fts(rowid, {_COLUMNS}) VALUES (new.id, new.search_title, new.search_headings, new.search_body);
    END""",
    "INSERT INTO kb_fts(kb_fts) VALUES ('rebuild')",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS kb_fts_insert",
    "DROP TRIGGER IF EXISTS kb_fts_delete",
    "DROP TRIGGER IF EXISTS kb_fts_update",
    "DROP TABLE IF EXISTS kb_fts",
]


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_INSTALL)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_INSTALL)
    else:
        raise RuntimeError(f"The knowledge-base search supports PostgreSQL and SQLite, not {vendor}")


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRES_UNINSTALL if vendor == "postgresql" else SQLITE_UNINSTALL)
