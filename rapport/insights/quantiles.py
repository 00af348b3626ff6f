"""Medians and percentiles computed by the database, on SQLite and PostgreSQL alike.

PostgreSQL ranks the values with window functions and only the (at most four)
rows around each wanted rank come back. SQLite has no percentile aggregate and
its window functions cost about four microseconds a row, so there the values are
grouped by an aggregate that Rapport registers on each SQLite connection (as
Django does for STDDEV): it collects a group's values inside SQLite's GROUP BY,
sorts them once and returns the count and the two quantiles, three times faster
on a month of a million-message inbox. Either way the linear interpolation between
two neighbours is PostgreSQL's `percentile_cont` and numpy's default, and one
query answers every group at once.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet


@dataclass(frozen=True)
class Quantiles:
    """The median and 90th percentile of a set of durations (seconds), with its size."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def empty(cls) -> Quantiles:
        return cls(0, None, None)


# Each quantile as a fraction num/den: the lower neighbour's 0-based rank is
# floor((n - 1) * num / den), done in integer arithmetic in SQL so that both
# databases agree on the rounding.
_WANTED = {"median": (1, 2), "p90": (9, 10)}


def quantiles(
    queryset: QuerySet, value: str, group: str | None = None
) -> dict[Hashable, Quantiles]:
    """Return the quantiles of `value` over the queryset, per `group` (key None without one)."""
    base = queryset.order_by().filter(**{f"{value}__isnull": False})
    base = base.annotate(qv=F(value), qg=F(group) if group else F("pk"))
    sql, params = base.values_list("qv", "qg").query.sql_with_params()
    if connection.vendor == "sqlite":
        return _aggregated(sql, params, grouped=group is not None)
    partition = "PARTITION BY qg" if group else ""
    ranks = " OR ".join(
        f"rn = ((n - 1) * {num}) / {den} + 1 OR rn = ((n - 1) * {num}) / {den} + 2"
        for num, den in _WANTED.values()
    )
    wrapped = (
        "SELECT qg, qv, rn, n FROM ("
        f" SELECT qg, qv, ROW_NUMBER() OVER ({partition} ORDER BY qv) AS rn,"
        f" COUNT(*) OVER ({partition}) AS n FROM ({sql}) base"
        f") ranked WHERE {ranks}"
    )
    rows: dict[Hashable, dict[int, float]] = {}
    sizes: dict[Hashable, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        for key, val, rank, size in cursor.fetchall():
            key = key if group else None
            rows.setdefault(key, {})[int(rank)] = float(val)
            sizes[key] = int(size)
    result: dict[Hashable, Quantiles] = {}
    for key, ranked in rows.items():
        n = sizes[key]
        values = {name: _interpolate(ranked, n, num, den) for name, (num, den) in _WANTED.items()}
        result[key] = Quantiles(n, values["median"], values["p90"])
    return result


def _interpolate(ranked: dict[int, float], n: int, num: int, den: int) -> float:
    lower = ((n - 1) * num) // den  # 0-based
    fraction = (n - 1) * num / den - lower
    low = ranked[lower + 1]
    if fraction == 0 or lower + 2 not in ranked:
        return low
    return low + fraction * (ranked[lower + 2] - low)


def _aggregated(sql: str, params: Any, *, grouped: bool) -> dict[Hashable, Quantiles]:
    by = " GROUP BY qg" if grouped else ""
    key = "qg" if grouped else "NULL"
    result: dict[Hashable, Quantiles] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, {AGGREGATE}(qv) FROM ({sql}) base{by}", params)
        for group, found in cursor.fetchall():
            if not found:
                continue  # no rows: an empty result, as from the window query
            n, *values = found.split(" ")
            named = dict(zip(_WANTED, values, strict=True))
            result[group] = Quantiles(int(n), float(named["median"]), float(named["p90"]))
    return result


AGGREGATE = "rapport_quantiles"


class QuantileAggregate:
    """SQLite aggregate: "count median p90" of a group's values (the wanted quantiles)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float) -> None:
        self.values.append(value)

    def finalize(self) -> str | None:
        values = self.values
        if not values:
            return None
        values.sort()
        found = [repr(_of_sorted(values, num, den)) for num, den in _WANTED.values()]
        return " ".join([str(len(values)), *found])


def _of_sorted(values: list[float], num: int, den: int) -> float:
    """The num/den quantile of sorted values, interpolated as `_interpolate` does."""
    n = len(values)
    lower = ((n - 1) * num) // den
    ranked = {lower + 1: float(values[lower])}
    if lower + 1 < n:
        ranked[lower + 2] = float(values[lower + 1])
    return _interpolate(ranked, n, num, den)


MOOD_AGGREGATE = "rapport_mood"


class MoodAggregate:
    """SQLite aggregate over (value, period "c" or "b"): what Mood's median test needs.

    Returns "pooled_median above_c above_b": the median of both periods' values
    together, and how many values of each period lie above it, from one pass.
    """

    def __init__(self) -> None:
        self.by_period: dict[str, list[float]] = {"c": [], "b": [], "": []}

    def step(self, value: float, period: str) -> None:
        self.by_period.setdefault(period, []).append(value)

    def finalize(self) -> str | None:
        values = sorted(v for part in self.by_period.values() for v in part)
        if not values:
            return None
        median = _of_sorted(values, *_WANTED["median"])
        above_c = sum(1 for value in self.by_period["c"] if value > median)
        above_b = sum(1 for value in self.by_period["b"] if value > median)
        return f"{median!r} {above_c} {above_b}"


def register_sqlite_aggregate(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register the aggregates on each new SQLite connection (connection_created)."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(AGGREGATE, 1, QuantileAggregate)
        connection.connection.create_aggregate(MOOD_AGGREGATE, 2, MoodAggregate)


def pooled_median_and_above(
    queryset: QuerySet, value: str, period: str
) -> tuple[float | None, dict[str, int]]:
    """Return the median of `value` over the queryset, and per `period` ("c", "b") the
    count of values above it (SQLite: one query; elsewhere two)."""
    rows = queryset.order_by().filter(**{f"{value}__isnull": False})
    if connection.vendor == "sqlite":
        sql, params = (
            rows.annotate(qv=F(value), qp=F(period)).values_list("qv", "qp").query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {MOOD_AGGREGATE}(qv, qp) FROM ({sql}) base", params)
            (found,) = cursor.fetchone()
        if not found:
            return None, {"c": 0, "b": 0}
        median, above_c, above_b = found.split(" ")
        return float(median), {"c": int(above_c), "b": int(above_b)}
    pooled = one(rows, value).median
    above = {"c": 0, "b": 0}
    if pooled is not None:
        counted = rows.values(period).annotate(
            above=Count("pk", filter=Q(**{f"{value}__gt": pooled}))
        )
        above.update({row[period]: row["above"] for row in counted if row[period] in above})
    return pooled, above


def one(queryset: QuerySet, value: str) -> Quantiles:
    """Return the quantiles of `value` over the whole queryset."""
    return quantiles(queryset, value).get(None, Quantiles.empty())
