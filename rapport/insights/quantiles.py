"""Medians and percentiles computed by the database, on SQLite and PostgreSQL alike.

SQLite has no percentile aggregate, so the values are ranked with window
functions and only the (at most four) rows around each wanted rank come back;
the linear interpolation between two neighbours is the same as PostgreSQL's
`percentile_cont` and numpy's default. One query per call, for every group at once.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet


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


def one(queryset: QuerySet, value: str) -> Quantiles:
    """Return the quantiles of `value` over the whole queryset."""
    return quantiles(queryset, value).get(None, Quantiles.empty())
