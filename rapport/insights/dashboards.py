"""Chart data for the dashboard pages: small JSON specs that dashboards.js turns into charts.

Each spec is embedded in the page with `json_script` (no inline script, so the
content security policy holds) and every chart has a table beside or below it
with the same figures, for keyboards, screen readers and printing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.insights.metrics import ServiceSummary
from rapport.insights.social import SocialSummary, TimeSlot

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Colours of the series, in order (the accent first); readable on white.
PALETTE = ("#4f46e5", "#0e9f6e", "#e3a008", "#e02424", "#1c64f2", "#9061f9", "#ff5a1f", "#6b7280")


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def buckets(start: dt.datetime, end: dt.datetime, unit: str) -> list[dt.date]:
    """Every day (or week, from its Monday) of the period, so quiet days show as zero."""
    first, last = start.date(), (end - dt.timedelta(microseconds=1)).date()
    step = dt.timedelta(days=1 if unit == "day" else 7)
    if unit != "day":
        first -= dt.timedelta(days=first.weekday())
    days = []
    while first <= last:
        days.append(first)
        first += step
    return days


def service_charts(summary: ServiceSummary) -> dict[str, Any]:
    channels = sorted({name for point in summary.volume_by_day for name in point.by_channel})
    by_day = {point.day: point.by_channel for point in summary.volume_by_day}
    days = buckets(summary.start, summary.end, summary.trend_unit)
    volume = {
        "type": "bar",
        "stacked": True,
        "integer": True,
        "unit": "conversations",
        "labels": [day.isoformat() for day in days],
        "datasets": [
            {"label": channel, "data": [by_day.get(day, {}).get(channel, 0) for day in days]}
            for channel in channels
        ],
    }
    times = {
        "type": "bar",
        "unit": "business hours",
        "labels": ["First response", "Next response", "Resolution"],
        "datasets": [
            {
                "label": "Median",
                "data": [
                    _hours(q.median)
                    for q in (summary.first_response, summary.next_response, summary.resolution)
                ],
            },
            {
                "label": "90th percentile",
                "data": [
                    _hours(q.p90)
                    for q in (summary.first_response, summary.next_response, summary.resolution)
                ],
            },
        ],
    }
    sla = {
        "type": "bar",
        "horizontal": True,
        "unit": "% within target",
        "max": 100,
        "labels": [row.label for row in summary.sla],
        "datasets": [
            {
                "label": "Within target",
                "data": [
                    round(100 * row.rate, 1) if row.rate is not None else None
                    for row in summary.sla
                ],
            }
        ],
    }
    backlog = {
        "type": "bar",
        "integer": True,
        "unit": "open conversations",
        "labels": [bucket.label for bucket in summary.backlog_ageing],
        "datasets": [{"label": "Open", "data": [b.count for b in summary.backlog_ageing]}],
    }
    trend = {
        "type": "line",
        "unit": "score",
        "labels": [point.day.isoformat() for point in summary.survey_trend],
        "datasets": [
            {
                "label": "CSAT (% satisfied)",
                "data": [_round(point.scores.csat) for point in summary.survey_trend],
            },
            {
                "label": "NPS",
                "data": [_round(point.scores.nps) for point in summary.survey_trend],
            },
        ],
    }
    complaints = {
        "type": "bar",
        "horizontal": True,
        "integer": True,
        "unit": "complaints",
        "labels": [row.label for row in summary.complaints_by_category[:12]],
        "datasets": [
            {"label": "Complaints", "data": [r.count for r in summary.complaints_by_category[:12]]}
        ],
    }
    return {
        "volume": volume,
        "times": times,
        "sla": sla,
        "backlog": backlog,
        "trend": trend,
        "complaints": complaints,
        "palette": PALETTE,
    }


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def social_charts(summary: SocialSummary) -> dict[str, Any]:
    days = sorted({day for account in summary.accounts for day, _ in account.followers_series})
    followers = {
        "type": "line",
        "integer": True,
        "unit": "followers",
        "labels": [day.isoformat() for day in days],
        "datasets": [
            {
                "label": account.name,
                "data": [dict(account.followers_series).get(day) for day in days],
            }
            for account in summary.accounts
            if account.followers_series
        ],
    }
    engagement = {
        "type": "bar",
        "integer": True,
        "unit": "engagements",
        "labels": [day.isoformat() for day, _ in summary.engagement_series],
        "datasets": [
            {"label": "Engagement", "data": [value for _, value in summary.engagement_series]}
        ],
    }
    sentiment = {
        "type": "bar",
        "horizontal": True,
        "stacked": True,
        "unit": "% of mentions",
        "max": 100,
        "labels": [account.name for account in summary.accounts],
        "datasets": [
            {
                "label": label,
                "data": [_round(account.mentions.share(part)) for account in summary.accounts],
            }
            for part, label in (
                ("positive", "Positive"),
                ("neutral", "Neutral"),
                ("negative", "Negative"),
            )
        ],
        "colours": ["#0e9f6e", "#9ca3af", "#e02424"],
    }
    return {
        "followers": followers,
        "engagement": engagement,
        "sentiment": sentiment,
        "palette": PALETTE,
    }


def best_times_grid(slots: list[TimeSlot]) -> dict[str, Any]:
    """A weekday x hour grid of mean engagement, with a shading level 0-4 per cell."""
    by_slot = {(slot.weekday, slot.hour): slot for slot in slots}
    hours = sorted({slot.hour for slot in slots})
    top = max((slot.mean_engagement for slot in slots), default=0.0)
    rows = []
    for weekday in range(1, 8):
        cells: list[dict[str, Any]] = []
        for hour in hours:
            slot = by_slot.get((weekday, hour))
            if slot is None:
                cells.append({"level": 0, "mean": None, "posts": 0})
                continue
            level = 1 + int(3.999 * slot.mean_engagement / top) if top else 1
            cells.append({"level": level, "mean": slot.mean_engagement, "posts": slot.posts})
        rows.append({"day": WEEKDAYS[weekday - 1], "cells": cells})
    best = sorted(slots, key=lambda slot: (-slot.mean_engagement, -slot.posts))[:3]
    return {
        "hours": hours,
        "rows": rows,
        "best": [
            {"day": WEEKDAYS[slot.weekday - 1], "hour": slot.hour, "mean": slot.mean_engagement}
            for slot in best
        ],
    }
