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
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Aggregate, CharField, Max, QuerySet
from django.db.models.functions import Cast, Substr, TruncDay, TruncWeek


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
    if connection.vendor == "sqlite" and _whole_hours(zone, period):
        return _folded(queryset, field, zone, unit, keys, aggregates)
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


def _whole_hours(zone: dt.tzinfo, period: tuple[dt.datetime, dt.datetime]) -> bool:
    start, end = period
    moments = [start + (end - start) * step / 8 for step in range(9)]
    for moment in moments:
        offset = moment.astimezone(zone).utcoffset()
        if offset is None or offset.total_seconds() % 3600:
            return False
    return True


def _folded(
    queryset: QuerySet[Any],
    field: str,
    zone: dt.tzinfo,
    unit: str,
    keys: Sequence[str],
    aggregates: Mapping[str, Aggregate],
) -> list[dict[str, Any]]:
    # SQLite keeps datetimes as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]".
    hour = Substr(Cast(field, output_field=CharField()), 1, 13)
    rows = queryset.annotate(utc_hour=hour).values("utc_hour", *keys).annotate(**aggregates)
    folded: dict[tuple[Any, ...], dict[str, Any]] = {}
    days: dict[str, dt.date] = {}
    for row in rows.order_by():
        text = row["utc_hour"]
        day = days.get(text)
        if day is None:
            moment = dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
            day = moment.astimezone(zone).date()
            if unit != "day":
                day -= dt.timedelta(days=day.weekday())
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
