"""The bulk writer of the batched write paths: many new rows of one model, stored as bulk_create() stores them.

On PostgreSQL a batch of COPY_FROM rows or more goes in with `COPY … FROM STDIN` (`copy`): the primary keys are
taken from the table's sequence first (one statement), then psycopg streams the rows in COPY's text format,
formatted in C. Django's bulk_create builds a multi-row `INSERT … VALUES (%s, …), …` instead, and with psycopg's
client-side binding (Django's default) every value is then quoted into the SQL text in Python: that, not the
database, was the largest cost of writing a batch of tickets (profile of bench/ingest_mail.py). A smaller batch
(a single row: one `INSERT … RETURNING` is one round trip instead of two), SQLite, and a
model COPY does not handle (`_copyable`: a primary key without a sequence, database defaults, multi-table
inheritance) go through bulk_create itself.

Values. PLAIN lists the field classes (exactly these classes, not their subclasses) whose value COPY is given as
it is when it is of the Python type listed there, or None in a nullable column. For such a value the field's
get_db_prep_save() returns the value itself (bytes: wrapped in psycopg's Binary, which writes the same bytes),
so skipping that chain of calls changes nothing but the time: it took a third of the cost of writing a batch.
Every other value — JSON, a Decimal, a naive datetime, a choices enum member, a field class not listed (a
subclass of a listed one included), a field with its own pre_save() such as auto_now_add — goes through the
field's own pre_save() and get_db_prep_save(value, connection), as in an INSERT. An SQL expression as a value
(F(), Now(), …) is refused with an error naming the field: COPY takes values only. tests/test_speed_bulk.py
writes rows of every model written here both ways (COPY and bulk_create) and reads them back equal.

Of the model it uses the documented parts only (Options.get_fields(), get_field(), label, db_table; the fields'
attributes; Model._base_manager, Model._state). Django APIs it uses that its documentation does not describe,
and why:
- Model._prepare_related_fields_for_save(): the check bulk_create() and save() make before writing (the key of
  a related object saved meanwhile is copied into the foreign key, an unsaved one is refused). Calling it keeps
  the check Django's own; a copy of it would need other undocumented field methods (is_cached, get_cached_value).
- CursorWrapper.cursor (the driver's cursor), for psycopg's COPY: Django has no COPY of its own.
- connection.wrap_database_errors: psycopg's errors raised as Django's (IntegrityError, …) as for any query.
- connection.ops.quote_name(): the backend's quoting of table and column names.
- Field.has_db_default(): whether the database supplies a value (then bulk_create, which reads it back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import NotSupportedError, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model

# Rows from which COPY is used. Entry rows into PostgreSQL 15 on the same machine, best of 15 (ms), INSERT / COPY:
# 1 row 0.57 / 0.45, 2 rows 2.0 / 0.8, 10 rows 9.9 / 0.9, 100 rows 59 / 17. A single row stays one INSERT: as
# fast here, and one round trip instead of two where the database is across a network.
COPY_FROM = 2

_INT, _BOOL, _STR, _BYTES, _DATETIME = int, bool, str, bytes, dt.datetime
# The field classes COPY takes values of as they are, with the Python type of such a value (see the top).
PLAIN: dict[type[Field], type] = {
    models.AutoField: _INT,
    models.BigAutoField: _INT,
    models.SmallAutoField: _INT,
    models.IntegerField: _INT,
    models.BigIntegerField: _INT,
    models.SmallIntegerField: _INT,
    models.PositiveIntegerField: _INT,
    models.PositiveBigIntegerField: _INT,
    models.PositiveSmallIntegerField: _INT,
    models.BooleanField: _BOOL,
    models.CharField: _STR,
    models.TextField: _STR,
    models.EmailField: _STR,
    models.SlugField: _STR,
    models.URLField: _STR,
    models.BinaryField: _BYTES,
    models.DateTimeField: _DATETIME,  # aware only; a naive one goes through the field (Django's warning, made aware)
}
# A foreign key's get_db_prep_save() is its target field's: its value is plain by the target's rule.
_KEYS = (models.ForeignKey, models.OneToOneField)


def create(objs: Sequence[Model], *, ids: bool = True, using: str | None = None) -> Sequence[Model]:
    """Insert `objs` (new instances of one model) as bulk_create() does; they come back saved, with their keys.

    `ids=False`: the caller will not use the objects' primary keys (e.g. the events of a batch), so COPY lets the
    database number the rows and leaves the objects unnumbered (one statement fewer); bulk_create's keys, when
    it is used, are there but not to be relied on."""
    if not objs:
        return objs
    model = type(objs[0])
    alias = using or router.db_for_write(model)
    if len(objs) >= COPY_FROM and connections[alias].vendor == "postgresql" and _copyable(model):
        return copy(objs, ids=ids, using=alias)
    return model._base_manager.using(alias).bulk_create(objs)


def copy(objs: Sequence[Model], *, ids: bool = True, using: str | None = None) -> Sequence[Model]:
    """create() with COPY whatever the number of rows: PostgreSQL only, for a model _copyable() accepts."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or not _copyable(model):
        raise NotSupportedError(f"COPY of {meta.label} rows into {connection.vendor}: use create()")
    pk = _primary_key(model)
    ids = ids or any(getattr(obj, pk.attname) is not None for obj in objs)  # keys given are written as given
    columns = [_Column.of(field) for field in _columns(model) if field is not pk]
    rows = []
    for obj in objs:
        if type(obj) is not model:
            raise TypeError(f"One model per call: {meta.label} and {type(obj)._meta.label}")
        _prepare_related(obj, operation_name="bulk_create")
        rows.append([column.value(obj, connection) for column in columns])
    quote = connection.ops.quote_name
    names = [quote(_column_name(column.field)) for column in columns]
    with connection.cursor() as cursor, connection.wrap_database_errors:  # IntegrityError as Django's
        if ids:
            _number(cursor, objs, model)
            names.insert(0, quote(_column_name(pk)))
            for row, obj in zip(rows, objs, strict=True):
                row.insert(0, getattr(obj, pk.attname))
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({', '.join(names)}) FROM STDIN") as stream:
            for row in rows:
                stream.write_row(row)
    if ids:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = alias
    return objs


def _columns(model: type[Model]) -> list[Field]:
    """The fields with a column of the model's table that an INSERT writes (not a generated one)."""
    return [
        field
        for field in model._meta.get_fields()
        if field.concrete and not field.many_to_many and not getattr(field, "generated", False)
    ]


def _primary_key(model: type[Model]) -> Field:
    return next(field for field in _columns(model) if field.primary_key)


_AUTO = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _copyable(model: type[Model]) -> bool:
    """Whether COPY can write the model's rows as bulk_create would: keys from a sequence (an auto field), no value
    the database itself supplies (db_default), one table (no field defined on a parent model: multi-table
    inheritance or a proxy)."""
    fields = _columns(model)
    return (
        isinstance(_primary_key(model), _AUTO)
        and all(field.model is model for field in fields)
        and not any(field.has_db_default() for field in fields)
    )


def _number(cursor: CursorWrapper, objs: Sequence[Model], model: type[Model]) -> None:
    """Give the objects without a primary key the next values of the table's sequence, in one statement."""
    pk = _primary_key(model)
    missing = [obj for obj in objs if getattr(obj, pk.attname) is None]
    if not missing:
        return
    cursor.execute(  # the sequence looked up once (an InitPlan), not once per row: 5 µs → 0.5 µs a key
        "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s)::regclass)) FROM generate_series(1, %s)",
        [model._meta.db_table, _column_name(pk), len(missing)],
    )
    for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
        setattr(obj, pk.attname, value)


@dataclass(frozen=True)
class _Column:
    """One column of the COPY: which values go as they are (`plain`: their exact types), the rest converted."""

    field: Field
    attname: str
    plain: frozenset[type]
    aware: bool  # a datetime column: a plain value must also be aware

    @classmethod
    def of(cls, field: Field) -> _Column:
        rule = _target(field) if type(field) in _KEYS else field
        kind = PLAIN.get(type(rule))
        if kind is None or getattr(rule, "auto_now", False) or getattr(rule, "auto_now_add", False):
            plain: frozenset[type] = frozenset()  # pre_save() or get_db_prep_save() may change the value
        else:
            plain = frozenset({kind, type(None)} if field.null else {kind})
        return cls(field, field.attname, plain, kind is _DATETIME)

    def value(self, obj: Model, connection: BaseDatabaseWrapper) -> Any:
        value = getattr(obj, self.attname)
        if type(value) in self.plain and not (self.aware and value is not None and value.utcoffset() is None):
            return value
        value = self.field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            raise TypeError(
                f"{self.field.model._meta.label}.{self.field.name} holds an SQL expression ({value!r}): COPY writes"
                " values only; give the value itself, or write such rows with bulk_create()"
            )
        return self.field.get_db_prep_save(value, connection)


def update(objs: Sequence[Model], field_names: Sequence[str], *, using: str | None = None) -> None:
    """obj.save(update_fields=field_names) for many saved instances of one model, in one statement on PostgreSQL:
    `UPDATE … FROM unnest(<one array per column>)`. Sent as one UPDATE per row (executemany), the per-statement
    work in the server cost as much as the rows' own (batched ingestion's outcomes, 500 rows a batch). Elsewhere
    (SQLite) it is that executemany; QuerySet.bulk_update's CASE expressions are slower than either."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    pk = _primary_key(model)
    connection = connections[using or router.db_for_write(model)]
    fields = [_field(model, name) for name in field_names]
    for obj in objs:
        _prepare_related(obj, operation_name="save", fields=fields)
    columns = [[field.get_db_prep_save(field.pre_save(obj, False), connection) for obj in objs] for field in fields]
    keys = [obj.pk for obj in objs]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{quote(_column_name(field))} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {quote(_column_name(pk))} = %s",  # noqa: S608 (names from the model)
                [[*values, key] for *values, key in zip(*columns, keys, strict=True)],
            )
            return
        arrays = ", ".join(f"%s::{_column_type(field, connection)}[]" for field in [*fields, pk])
        names = ", ".join(f"c{n}" for n in range(len(fields)))
        sets = ", ".join(f"{quote(_column_name(field))} = d.c{n}" for n, field in enumerate(fields))
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS d ({names}, k)"  # noqa: S608 (names from the model)
            f" WHERE {table}.{quote(_column_name(pk))} = d.k",
            [*columns, keys],
        )


def _column_type(field: Field, connection: BaseDatabaseWrapper) -> str:
    """The column's SQL type, for casting an array parameter (a foreign key: the type of the key it refers to)."""
    if field.is_relation:
        return str(_target(field).rel_db_type(connection))
    return str(field.db_type(connection))


def _field(model: type[Model], name: str) -> Field:
    """A concrete field of `model` (get_field() may also give a reverse relation, which has no column)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model._meta.label}.{name} is not a concrete field")
    return field


def _column_name(field: Field) -> str:
    if field.column is None:
        raise TypeError(f"{field} has no column")
    return field.column


def _target(field: Field) -> Field:
    """The field a foreign key refers to."""
    return field.target_field  # type: ignore[attr-defined]  # ForeignKey's, not on Field in the stubs


def _prepare_related(obj: Model, **kwargs: Any) -> None:
    """Model._prepare_related_fields_for_save(): what save() and bulk_create() check before writing (module
    docstring); private in Django, so called in this one place."""
    obj._prepare_related_fields_for_save(**kwargs)  # type: ignore[attr-defined]


# --- rows as database values: the imports' upserts (contacts.units_import, contacts.submissions) ----------------

ROWS_CHUNK = 20000  # rows per PostgreSQL statement
SQLITE_PARAMETERS = 30000  # SQLite allows 32,766 bound parameters


def insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    tail: str = "",
    returning: str = "",
    using: str | None = None,
) -> list[tuple]:
    """INSERT `rows` (database values, in the order of `columns`, attnames of `model`) into `model`'s table, with
    `tail` (an ON CONFLICT clause) and `returning` (a column list) as SQL; returns the RETURNING rows (in input
    order for new rows, as PostgreSQL and SQLite produce them). For the imports: an upsert, which neither COPY
    nor create() can say, and rows read from a file, not model instances, so the caller converts the values
    (connection.ops.adapt_datetimefield_value, …).

    On PostgreSQL, plain new rows (no `tail`, no `returning`: an import's history rows, a person's e-mail
    addresses and phone numbers) go in with COPY, the values as given, from COPY_FROM rows on; an upsert or a
    RETURNING travels as one array per column (`INSERT … SELECT * FROM unnest(%s::type[], …)`): a handful of
    parameters whatever the number of rows, which keeps psycopg's client-side query building out of the profile
    (bulk_create was several times slower on a 200,000-unit import: its per-object work). Elsewhere (SQLite) a
    multi-row VALUES list, chunked under the bound-parameter limit."""
    if not rows:
        return []
    connection = connections[using or router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    suffix = (f" {tail}" if tail else "") + (f" RETURNING {returning}" if returning else "")
    found: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not tail and not returning and len(rows) >= COPY_FROM:
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
            return found
        if connection.vendor == "postgresql":
            fields = [_field(model, column) for column in columns]
            arrays = ", ".join(f"%s::{_column_type(field, connection)}[]" for field in fields)
            for start in range(0, len(rows), ROWS_CHUNK):
                part = rows[start : start + ROWS_CHUNK]
                params = [[row[index] for row in part] for index in range(len(columns))]
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){suffix}", params)  # noqa: S608
                if returning:
                    found += cursor.fetchall()
            return found
        chunk = max(1, SQLITE_PARAMETERS // len(columns))
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


def select_in(
    model: type[Model],
    expression: str,
    values: Sequence[Any],
    columns: Sequence[str],
    extra: str = "",
    *,
    using: str | None = None,
) -> list[tuple]:
    """`SELECT columns FROM model WHERE expression IN values [AND extra]`, with the values as one array parameter
    on PostgreSQL (`= ANY(%s)`): thousands of values cost one parameter, not thousands (the imports' look-ups)."""
    if not values:
        return []
    connection = connections[using or router.db_for_read(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    condition = f" AND {extra}" if extra else ""
    found: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {names} FROM {table} WHERE {expression} = ANY(%s){condition}", [list(values)])  # noqa: S608
            return cursor.fetchall()
        for start in range(0, len(values), SQLITE_PARAMETERS):
            part = list(values)[start : start + SQLITE_PARAMETERS]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f"SELECT {names} FROM {table} WHERE {expression} IN ({marks}){condition}", part)  # noqa: S608
            found += cursor.fetchall()
    return found
