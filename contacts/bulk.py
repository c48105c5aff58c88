"""Many-row INSERT statements for the imports, fast on PostgreSQL and correct on SQLite.

On PostgreSQL the rows travel as one array per column (`INSERT … SELECT * FROM unnest(%s::type[], …)`): a
handful of parameters, whatever the number of rows, which keeps psycopg's client-side query building out of the
profile. Elsewhere (SQLite) it is a plain multi-row VALUES list, chunked under the bound-parameter limit.
The ORM's bulk_create did the same job several times slower: its per-object work dominated a 200,000-unit import.
"""

from __future__ import annotations

from django.db import connection

PG_CHUNK = 20000
OTHER_PARAMS = 30000  # SQLite allows 32,766 bound parameters


def _pg_type(model, column: str) -> str:
    field = model._meta.get_field(column.removesuffix("_id") if column.endswith("_id") else column)
    if field.is_relation:
        field = field.target_field
    return field.rel_db_type(connection) if field.primary_key else field.db_type(connection)


def insert(model, columns: list[str], rows: list[list], *, tail: str = "", returning: str = "") -> list[tuple]:
    """INSERT `rows` into `model`'s table; `tail` is an ON CONFLICT clause, `returning` a column list.

    Returns the RETURNING rows (in input order for new rows, as PostgreSQL and SQLite produce them).
    """
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    suffix = (f" {tail}" if tail else "") + (f" RETURNING {returning}" if returning else "")
    found: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_pg_type(model, column)}[]" for column in columns)
            for start in range(0, len(rows), PG_CHUNK):
                part = rows[start : start + PG_CHUNK]
                params = [[row[index] for row in part] for index in range(len(columns))]
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){suffix}", params)  # noqa: S608
                if returning:
                    found += cursor.fetchall()
            return found
        chunk = max(1, OTHER_PARAMS // len(columns))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values}{suffix}",  # noqa: S608
                [value for row in part for value in row],
            )
            if returning:
                found += cursor.fetchall()
    return found


def select_in(model, expression: str, values: list, columns: list[str], extra: str = "") -> list[tuple]:
    """`SELECT columns FROM model WHERE expression IN values [AND extra]`, with the values as one array parameter
    on PostgreSQL (`= ANY(%s)`): thousands of values cost one parameter, not thousands."""
    if not values:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    condition = f" AND {extra}" if extra else ""
    found: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {names} FROM {table} WHERE {expression} = ANY(%s){condition}", [list(values)])  # noqa: S608
            return cursor.fetchall()
        for start in range(0, len(values), OTHER_PARAMS):
            part = list(values)[start : start + OTHER_PARAMS]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f"SELECT {names} FROM {table} WHERE {expression} IN ({marks}){condition}", part)  # noqa: S608
            found += cursor.fetchall()
    return found
