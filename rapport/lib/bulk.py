"""Fast batched INSERT and UPDATE for the ingest hot path.

Django's `bulk_create` and `bulk_update` resolve an expression per value and,
on SQLite, split a batch into many statements by the parameter limit; for
thousands of rows per second that is most of the cost. These helpers prepare
each value once with the field's own `get_db_prep_save` (so types are stored
exactly as the ORM would store them) and send one `executemany`.

To learn the new rows' ids, a model needs a unique `public_id`: they are read
back with one query per 900 rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def _columns(
    model: type[models.Model], fields: Sequence[str] | None
) -> list[models.Field[Any, Any]]:
    concrete = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    if fields is None:
        return concrete
    by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
    return [by_name[name] for name in fields]


def _value(field: models.Field[Any, Any], obj: models.Model, add: bool) -> Any:
    return field.get_db_prep_save(field.pre_save(obj, add), connection)


def insert(objs: Sequence[M], *, read_ids: bool = True) -> list[M]:
    """INSERT the objects with one executemany; set their primary keys unless told not to."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    columns = _columns(model, None)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows = [[_value(f, obj, True) for f in columns] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    if read_ids:
        _read_back_ids(model, objs)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def _read_back_ids(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    public_ids = [obj.public_id for obj in objs]  # type: ignore[attr-defined]
    ids: dict[Any, int] = {}
    # Chunked to stay under SQLite's parameter limit.
    for start in range(0, len(public_ids), 900):
        chunk = public_ids[start : start + 900]
        ids.update(
            model._default_manager.filter(public_id__in=chunk).values_list("public_id", "pk")
        )
    for obj in objs:
        obj.pk = ids[obj.public_id]  # type: ignore[attr-defined]


def update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """UPDATE the given fields of each object by primary key, in one executemany."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model, fields)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    rows = [[*(_value(f, obj, False) for f in columns), obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# Fields whose Python value the database drivers take as it is.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.ForeignKey,
)


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT plain rows (attname -> value) with the fields' defaults, and return their ids.

    Cheaper than `insert` when there are thousands of rows: no model instance is
    built, and only values that need it (dates, UUIDs, JSON) are converted. The
    model needs a unique `public_id`; one is made for rows that have none.
    """
    if not rows:
        return []
    columns = _columns(model, None)
    defaults: dict[str, Any] = {}
    for f in columns:
        if f.attname in rows[0]:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = timezone.now
        elif f.has_default():
            defaults[f.attname] = f.get_default
    converters = [
        None if isinstance(f, _PLAIN) and not isinstance(f, models.JSONField) else f
        for f in columns
    ]
    values = []
    for row in rows:
        for name, make in defaults.items():
            row[name] = make()
        values.append(
            [
                row.get(f.attname)
                if convert is None
                else convert.get_db_prep_save(row.get(f.attname), connection)
                for f, convert in zip(columns, converters, strict=True)
            ]
        )
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
    public_ids = [row["public_id"] for row in rows]
    ids: dict[Any, int] = {}
    for start in range(0, len(public_ids), 900):
        chunk = public_ids[start : start + 900]
        ids.update(
            model._default_manager.filter(public_id__in=chunk).values_list("public_id", "pk")
        )
    return [ids[public_id] for public_id in public_ids]
