"""Group rows by local day or week in the database, fast on SQLite too.

Django truncates dates in a time zone on SQLite with a Python function called
once per row (about 20 microseconds), which for a year of conversations is
seconds. Where the zone's offset is a whole number of hours throughout the
period (nearly every zone, DST included), SQLite groups by the UTC hour with
its own string functions instead, and the few thousand hour groups are then
folded into local days here. PostgreSQL truncates natively in the zone.
Only additive aggregates (Count, Sum) and Max can be folded this way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Aggregate, CharField, F, Func, IntegerField, Max, QuerySet
from django.db.models.functions import Cast, ExtractIsoWeekDay, TruncDay, TruncWeek


def by_local_day(
    queryset: QuerySet[Any],
    field: str,
    zone: dt.tzinfo,
    unit: str,
    period: tuple[dt.datetime, dt.datetime],
    keys: Sequence[str],
    aggregates: Mapping[str, Aggregate],
) -> list[dict[str, Any]]:
    """Return one row per (local day or week, *keys) with `bucket` (a date) and the aggregates.

    Rows come back ordered by bucket.
    """
    if connection.vendor == "sqlite":
        return _folded(queryset, field, zone, unit, period, keys, aggregates)
    trunc = TruncDay if unit == "day" else TruncWeek
    rows = (
        queryset.annotate(bucket=trunc(field, tzinfo=zone))
        .values("bucket", *keys)
        .annotate(**aggregates)
        .order_by("bucket")
    )
    return [{**row, "bucket": _as_date(row["bucket"])} for row in rows]


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _folded(
    queryset: QuerySet[Any],
    field: str,
    zone: dt.tzinfo,
    unit: str,
    period: tuple[dt.datetime, dt.datetime],
    keys: Sequence[str],
    aggregates: Mapping[str, Aggregate],
) -> list[dict[str, Any]]:
    rows = (
        queryset.annotate(local_day=LocalDate(field, zone, period, unit))
        .values("local_day", *keys)
        .annotate(**aggregates)
    )
    folded: dict[tuple[Any, ...], dict[str, Any]] = {}
    days: dict[str, dt.date] = {}
    for row in rows.order_by():
        text = str(row["local_day"])
        day = days.get(text)
        if day is None:
            # "YYYY-MM-DD" (or Django's "YYYY-MM-DD 00:00:00" from the fallback branch).
            day = dt.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
            days[text] = day
        group = (day, *(row[key] for key in keys))
        current = folded.get(group)
        if current is None:
            folded[group] = {
                "bucket": day,
                **{key: row[key] for key in keys},
                **{name: row[name] for name in aggregates},
            }
            continue
        # The same day from two branches (only around the fallback's edge): add up.
        for name, aggregate in aggregates.items():
            value = row[name]
            if value is None:
                continue
            if current[name] is None:
                current[name] = value
            elif isinstance(aggregate, Max):
                current[name] = max(current[name], value)
            else:
                current[name] += value
    return sorted(folded.values(), key=lambda row: row["bucket"])


# --- Local weekday without a Python call per row -------------------------------------------------

# Rows this long before the period are rare (a wait that began months earlier); they fall
# back to Django's per-row function, so the answer stays exact for any date.
_OFFSETS_LOOKBACK = dt.timedelta(days=400)


def offset_spans(
    zone: dt.tzinfo, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.timedelta]]:
    """Return (from, UTC offset) for each stretch of constant offset in start-end, in order."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def offset(moment: dt.datetime) -> dt.timedelta:
        return moment.astimezone(zone).utcoffset() or dt.timedelta(0)

    spans = [(start, offset(start))]
    moment = start
    while moment < end:
        following = min(moment + dt.timedelta(days=1), end)
        if offset(following) != spans[-1][1]:
            # The change lies in this day: find its second by bisection.
            low, high = moment, following
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == spans[-1][1]:
                    low = middle
                else:
                    high = middle
            spans.append((high.replace(microsecond=0), offset(following)))
        moment = following
    return spans


class LocalIsoWeekday(Func):
    """The ISO weekday (1 Monday .. 7 Sunday) of a datetime column in a time zone.

    PostgreSQL converts natively. On SQLite, Django calls a Python function per row
    (about 20 microseconds); here each stretch of constant UTC offset around the period
    becomes one branch of a CASE over SQLite's own strftime, which is exact because the
    offset is constant within a branch. Rows older than the branches use Django's function.
    """

    output_field = IntegerField()

    def __init__(
        self, field: str, zone: dt.tzinfo, period: tuple[dt.datetime, dt.datetime]
    ) -> None:
        # The column, and Django's own conversion of it (PostgreSQL, and the fallback).
        super().__init__(F(field), ExtractIsoWeekDay(field, tzinfo=zone))
        self.zone = zone
        self.period = period

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        return compiler.compile(self.source_expressions[1])

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, column_params = compiler.compile(self.source_expressions[0])
        fallback, fallback_params = compiler.compile(self.source_expressions[1])
        start, end = self.period
        spans = offset_spans(self.zone, start - _OFFSETS_LOOKBACK, end)
        adapt = connection.ops.adapt_datetimefield_value
        sql = [f"CASE WHEN {column} < %s THEN {fallback}"]
        params: list[Any] = [*column_params, adapt(spans[0][0]), *fallback_params]

        def weekday(seconds: int) -> str:
            local = f"strftime('%%w', {column}, '{seconds:+d} seconds')"
            return f"((CAST({local} AS INTEGER) + 6) %% 7 + 1)"

        return _case_by_offset(sql, params, column, column_params, spans, adapt, weekday)


class LocalDate(Func):
    """The local day (or the Monday of its week) of a datetime column, as "YYYY-MM-DD" text.

    SQLite only, like LocalIsoWeekday: one CASE branch per stretch of constant UTC
    offset, each SQLite's own date() with that offset, so any zone (half-hour offsets
    and DST included) groups by its local day exactly, without a Python call per row.
    Rows outside the stretches use Django's truncation.
    """

    output_field = CharField()

    def __init__(
        self, field: str, zone: dt.tzinfo, period: tuple[dt.datetime, dt.datetime], unit: str
    ) -> None:
        trunc = TruncDay if unit == "day" else TruncWeek
        super().__init__(F(field), Cast(trunc(field, tzinfo=zone), output_field=CharField()))
        self.zone = zone
        self.period = period
        self.unit = unit

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, column_params = compiler.compile(self.source_expressions[0])
        fallback, fallback_params = compiler.compile(self.source_expressions[1])
        start, end = self.period
        spans = offset_spans(self.zone, start - dt.timedelta(days=1), end + dt.timedelta(days=1))
        adapt = connection.ops.adapt_datetimefield_value
        week = ", '-6 days', 'weekday 1'" if self.unit != "day" else ""
        sql = [f"CASE WHEN {column} < %s OR {column} >= %s THEN {fallback}"]
        params: list[Any] = [
            *column_params,
            adapt(spans[0][0]),
            *column_params,
            adapt(end + dt.timedelta(days=1)),
            *fallback_params,
        ]

        def local_date(seconds: int) -> str:
            return f"date({column}, '{seconds:+d} seconds'{week})"

        return _case_by_offset(sql, params, column, column_params, spans, adapt, local_date)


def _case_by_offset(
    sql: list[str],
    params: list[Any],
    column: str,
    column_params: list[Any],
    spans: list[tuple[dt.datetime, dt.timedelta]],
    adapt: Callable[[dt.datetime], Any],
    local: Callable[[int], str],
) -> tuple[str, list[Any]]:
    """Close a CASE begun in `sql`: one branch per stretch of constant UTC offset.

    Each branch applies `local` (SQL for the column at that offset, in seconds) to the
    rows before the next stretch starts; the last stretch is the ELSE.
    """
    for index, (_, offset) in enumerate(spans):
        expression = local(int(offset.total_seconds()))
        if index + 1 < len(spans):
            sql.append(f"WHEN {column} < %s THEN {expression}")
            params += [*column_params, adapt(spans[index + 1][0]), *column_params]
        else:
            sql.append(f"ELSE {expression} END")
            params += column_params
    return "(" + " ".join(sql) + ")", params
