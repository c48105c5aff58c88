"""bulk_create() for the hot write paths (batched e-mail ingestion), fast on PostgreSQL.

On PostgreSQL the rows go in with `COPY … FROM STDIN`: their primary keys are taken from the table's sequence
first (one statement), then psycopg streams the rows in the COPY text format, formatted in C. Django's
bulk_create builds a multi-row `INSERT … VALUES (%s, …), …` instead, and with psycopg's client-side binding
(Django's default) every value is then quoted into the SQL text in Python: that, not the database, was the largest
cost of writing a batch of tickets (profile of bench/ingest_mail.py). Elsewhere (SQLite) it is bulk_create.

The objects come back as bulk_create leaves them: primary keys set, saved state. Field defaults and `pre_save`
(auto_now_add) apply as in bulk_create; foreign keys are checked by the database at COMMIT as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def create(objs: Sequence[Model], *, ids: bool = True) -> Sequence[Model]:
    """Insert `objs` (instances of one model, unsaved) and set their primary keys; with `ids=False` the
    database numbers the rows and the objects keep no primary key (one statement fewer: for rows nobody
    refers to afterwards, e.g. the events of a batch)."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if ids or field is not pk]
    quote = connection.ops.quote_name
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    with connection.cursor() as cursor, connection.wrap_database_errors:  # IntegrityError as Django's
        missing = [obj for obj in objs if obj.pk is None] if ids else []
        if missing:
            cursor.execute(  # the sequence looked up once (an InitPlan), not once per row: 5 µs → 0.5 µs a key
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s)::regclass)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
        columns = ", ".join(quote(field.column) for field in fields)
        plain = [_plain(field) for field in fields]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for obj in objs:
                write([_value(obj, field, is_plain) for field, is_plain in zip(fields, plain, strict=True)])
    if ids:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = connection.alias
    return objs


_AS_IS = (int, str, bool, float, type(None), bytes)


def _plain(field) -> bool:
    """A field whose value psycopg can take as it is when it is of a basic type (see _value): not one with
    its own conversion (JSON, decimals…) or with a pre_save() that sets the value (auto_now…)."""
    return not (
        getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        or field.get_internal_type() in ("JSONField", "DecimalField", "DurationField", "GenericIPAddressField")
    )


def _value(obj, field, plain: bool):
    """field.get_db_prep_save(field.pre_save(obj, True)), without its chain of calls for basic values: a
    third of the cost of writing a batch went into that chain for strings, integers and aware datetimes."""
    value = getattr(obj, field.attname)
    if plain and (type(value) in _AS_IS or (type(value) is dt.datetime and value.tzinfo is not None)):
        return value
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def update(objs: Sequence[Model], field_names: Sequence[str]) -> None:
    """obj.save(update_fields=field_names) for many saved instances of one model, in one statement on PostgreSQL:
    `UPDATE … FROM unnest(<one array per column>)`. Sent as one UPDATE per row (executemany), the per-statement
    work in the server cost as much as the rows' own (batched ingestion's outcomes, 500 rows a batch). Elsewhere
    (SQLite) it is that executemany; QuerySet.bulk_update's CASE expressions are slower than either."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [meta.get_field(name) for name in field_names]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="save", fields=fields)
    columns = [[field.get_db_prep_save(field.pre_save(obj, False), connection) for obj in objs] for field in fields]
    keys = [obj.pk for obj in objs]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608 (names from the model)
                [[*values, key] for *values, key in zip(*columns, keys, strict=True)],
            )
            return
        arrays = ", ".join(f"%s::{_column_type(field)}[]" for field in [*fields, meta.pk])
        names = ", ".join(f"c{n}" for n in range(len(fields)))
        sets = ", ".join(f"{quote(field.column)} = d.c{n}" for n, field in enumerate(fields))
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS d ({names}, k)"  # noqa: S608 (names from the model)
            f" WHERE {table}.{quote(meta.pk.column)} = d.k",
            [*columns, keys],
        )


def _column_type(field) -> str:
    """The column's SQL type, for casting an array parameter (a foreign key: the type of the key it refers to)."""
    if field.is_relation:
        return field.target_field.rel_db_type(connection)
    return field.db_type(connection)
