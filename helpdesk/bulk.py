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
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
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
