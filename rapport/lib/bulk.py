"""Fast batched INSERT and UPDATE for the ingest hot path.

Django's `bulk_create` and `bulk_update` resolve an expression per value and,
on SQLite, split a batch into many statements by the parameter limit; for
thousands of rows per second that is most of the cost. These helpers send one
`executemany` per batch. Each field gets a converter chosen once per call:
values the drivers take as they are pass straight through, dates and UUIDs
get the same adaptation the ORM applies, anything else goes through the
field's own `get_db_prep_save`, so rows are stored exactly as the ORM would.

The new rows' ids come back without a query per row: PostgreSQL returns them
from the `executemany` itself (`RETURNING`); on SQLite, which holds one writer
at a time, the ids of rows inserted after the table's highest id are that id
plus one onwards, and `last_insert_rowid()` proves it (any gap means another
writer slipped in, and then the rows are looked up by their unique `public_id`,
one query per 900 rows).

`load` is the way back: a queryset's rows as model instances, for the few
hundred conversations an ingest batch threads into, at a fifth of the cost of
`Model.__init__` per row. `Columns` reads the rows of a hand-written SELECT
through the ORM's own converters, for the few hot reads (an inbox page, a
token check) where compiling the ORM's query costs more than running it.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any], Any]

# Fields whose Python value the database drivers take as it is.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.ForeignKey,
)


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    # What Django's SQLite backend stores: naive UTC, in str() form.
    if value is None:
        return None
    return _sqlite_datetime_text(value)


@functools.lru_cache(maxsize=4096)
def _sqlite_datetime_text(value: dt.datetime) -> str:
    # A batch repeats the same instants (its "now", a message's time on its
    # conversation): converting each one once is a tenth of the insert's cost.
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def _sqlite_uuid(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _converter(field: Any) -> Converter | None:
    """Return how to prepare a field's value, or None when it passes through."""
    if isinstance(field, _PLAIN) and not isinstance(field, models.JSONField):
        return None
    if connection.vendor == "sqlite":
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(field, models.UUIDField):
            return _sqlite_uuid
    elif connection.vendor == "postgresql" and isinstance(
        field, models.DateTimeField | models.UUIDField
    ):
        return None
    prepare = field.get_db_prep_save
    if isinstance(field, models.JSONField):
        # Nearly every JSON value ingest writes is an empty {} or []: adapt those once.
        empty = {"{}": prepare({}, connection), "[]": prepare([], connection)}

        def prepare_json(value: Any) -> Any:
            if type(value) is dict and not value:
                return empty["{}"]
            if type(value) is list and not value:
                return empty["[]"]
            return prepare(value, connection)

        return prepare_json
    return lambda value: prepare(value, connection)


def _columns(model: type[models.Model], fields: Sequence[str] | None) -> list[Any]:
    concrete = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    if fields is None:
        return concrete
    by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
    return [by_name[name] for name in fields]


def _prepare(values: list[Any], converters: list[Converter | None]) -> list[Any]:
    return [
        value if convert is None else convert(value)
        for value, convert in zip(values, converters, strict=True)
    ]


def _insert_sql(model: type[models.Model], columns: list[Any]) -> str:
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


def insert(objs: Sequence[M], *, read_ids: bool = True) -> list[M]:
    """INSERT model instances with one executemany; set their primary keys unless told not to."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    columns = _columns(model, None)
    converters = [_converter(f) for f in columns]
    now = timezone.now()
    auto_now = [f.attname for f in columns if getattr(f, "auto_now", False)]
    rows = []
    for obj in objs:
        for name in auto_now:
            setattr(obj, name, now)
        rows.append(_prepare([getattr(obj, f.attname) for f in columns], converters))
    if read_ids:
        pks = _insert_returning_ids(
            model,
            columns,
            rows,
            lambda: [obj.public_id for obj in objs],  # type: ignore[attr-defined]
        )
        for obj, pk in zip(objs, pks, strict=True):
            obj.pk = pk
    else:
        with connection.cursor() as cursor:
            cursor.executemany(_insert_sql(model, columns), rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def insert_values(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, read_ids: bool = True
) -> list[int]:
    """INSERT plain rows (attname -> value) with the fields' defaults; return their ids.

    Cheaper than `insert` when there are thousands of rows: no model instance
    is built. Every row must carry the same keys; to read ids back, a `public_id`.
    """
    if not rows:
        return []
    columns = _columns(model, None)
    now = timezone.now()
    # Defaults the same for every row (a constant, "now") are computed once per batch;
    # a callable default (a new UUID, a fresh dict) once per row.
    same: dict[str, Any] = {}
    per_row: dict[str, Callable[[], Any]] = {}
    for f in columns:
        if f.attname in rows[0]:
            continue
        if (
            getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
            or f.default is timezone.now
        ):
            same[f.attname] = now
        elif f.has_default() and callable(f.default):
            per_row[f.attname] = f.get_default
        else:
            # A constant default, or what the model would set without one ("" or None).
            same[f.attname] = f.get_default()
    converters = [_converter(f) for f in columns]
    values = []
    for row in rows:
        row.update(same)
        for name, make in per_row.items():
            row[name] = make()
        values.append(_prepare([row.get(f.attname) for f in columns], converters))
    if not read_ids:
        with connection.cursor() as cursor:
            cursor.executemany(_insert_sql(model, columns), values)
        return []
    return _insert_returning_ids(model, columns, values, lambda: [row["public_id"] for row in rows])


def _insert_returning_ids(
    model: type[models.Model],
    columns: list[Any],
    values: list[list[Any]],
    public_ids: Callable[[], list[Any]],
) -> list[int]:
    """Run the INSERT and return the new rows' ids, in the order of `values`."""
    sql = _insert_sql(model, columns)
    pk = connection.ops.quote_name(model._meta.pk.column)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            raw.executemany(f"{sql} RETURNING {pk}", values, returning=True)
            ids = []
            while True:
                ids.append(raw.fetchone()[0])
                if not raw.nextset():
                    break
            return ids
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")
            high = cursor.fetchone()[0]
            cursor.executemany(sql, values)
            cursor.execute("SELECT last_insert_rowid()")
            last = cursor.fetchone()[0]
            # Each new rowid is above every earlier one, so n rows ending at high + n
            # are exactly high + 1 .. high + n.
            if last - high == len(values):
                return list(range(high + 1, last + 1))
        else:  # pragma: no cover - other databases
            cursor.executemany(sql, values)
    found = _ids_of(model, public_ids())
    return [found[public_id] for public_id in public_ids()]


def _ids_of(model: type[models.Model], public_ids: list[Any]) -> dict[Any, int]:
    ids: dict[Any, int] = {}
    # Chunked to stay under SQLite's parameter limit.
    for start in range(0, len(public_ids), 900):
        chunk = public_ids[start : start + 900]
        ids.update(
            model._default_manager.filter(public_id__in=chunk).values_list("public_id", "pk")
        )
    return ids


def update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """UPDATE the given fields of each object by primary key, in one executemany."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model, fields)
    converters = [_converter(f) for f in columns]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    pk_column = model._meta.pk.column
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk_column)} = %s"
    now = timezone.now()
    rows = []
    for obj in objs:
        for f in columns:
            if getattr(f, "auto_now", False):
                setattr(obj, f.attname, now)
        values = _prepare([getattr(obj, f.attname) for f in columns], converters)
        rows.append([*values, obj.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def load(queryset: models.QuerySet[M]) -> list[M]:
    """Return the queryset's rows as full model instances, built without `Model.__init__`.

    The values are the ORM's own (`values_list` of every concrete field, through the
    fields' converters), placed in each instance's `__dict__` as `Model.from_db`
    would leave them, with the instance marked as loaded from the queryset's
    database, so it saves, refreshes and follows relations as usual. What is
    skipped is `__init__`'s per-field descriptor calls and the pre/post-init
    signals: nothing in Rapport listens to those for the models loaded this way.
    """
    model = queryset.model
    names = [field.attname for field in model._meta.concrete_fields]
    db = queryset.db
    make = model.__new__
    objs = []
    for row in queryset.values_list(*names):
        obj = make(model)
        obj.__dict__.update(zip(names, row, strict=True))
        state = ModelState()
        state.adding = False
        state.db = db
        obj._state = state
        objs.append(obj)
    return objs


class Columns:
    """The columns of a hand-written SELECT, read back as the ORM would read them.

    Given (table alias, model field) pairs, `sql` is the select list and `read`
    turns the driver's rows into the values `values_list()` would give: each
    column goes through the backend's and the field's converters (aware
    datetimes, UUIDs, booleans on SQLite), chosen once per database connection.
    A NULL stays None without a call: every converter Django has keeps it so. A
    value repeated down a column (the channel, the team) is converted once per
    `read` when the result is immutable (a UUID, a datetime, a number or text).
    Pass the connection itself (a cursor's `.db`), not the `django.db.connection`
    proxy, whose every attribute read is a lookup the converters repeat per value.
    """

    def __init__(self, columns: Sequence[tuple[str, Any]]) -> None:
        self.columns = list(columns)
        self._sql: dict[str, str] = {}
        self._converters: dict[str, list[tuple[int, list[Any], Any]]] = {}

    def sql(self, conn: BaseDatabaseWrapper) -> str:
        """Return the select list, `alias.column, ...`, quoted for the connection."""
        if conn.alias not in self._sql:
            quote = conn.ops.quote_name
            self._sql[conn.alias] = ", ".join(
                f"{alias}.{quote(field.column)}" for alias, field in self.columns
            )
        return self._sql[conn.alias]

    def read(self, conn: BaseDatabaseWrapper, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """Return the rows with every value converted as the ORM converts it."""
        converters = self._converters.get(conn.alias)
        if converters is None:
            converters = []
            for i, (alias, field) in enumerate(self.columns):
                col = field.get_col(alias)
                found = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
                if found:
                    converters.append((i, found, col))
            self._converters[conn.alias] = converters
        out = []
        seen: list[dict[Any, Any]] = [{} for _ in converters]
        for raw in rows:
            row = list(raw)
            for (i, found, col), done in zip(converters, seen, strict=True):
                value = row[i]
                if value is None:
                    continue
                plain = type(value) in _PLAIN_RAW
                if plain and value in done:
                    row[i] = done[value]
                    continue
                converted = value
                for convert in found:
                    converted = convert(converted, col, conn)
                if plain and type(converted) in _IMMUTABLE:
                    done[value] = converted
                row[i] = converted
            out.append(row)
        return out


# What a driver hands over that can key a dict (not a parsed JSON value, not a buffer),
# and converted values that rows may share.
_PLAIN_RAW = frozenset({str, int, float, bytes})
_IMMUTABLE = frozenset({uuid.UUID, dt.datetime, dt.date, dt.time, bool, int, float, str})
