"""Local-day grouping: the SQLite fast path agrees with Django's truncation, across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Max

from rapport.insights import buckets
from rapport.insights import facts as rollups
from rapport.insights.models import ConversationFact
from tests.insights import service_data
from tests.insights.service_data import at


@pytest.fixture
def facts(org, alice, bob):
    data = service_data.build(org, alice, bob)
    # Around the end of British Summer Time (25 Oct 2026, 01:00 UTC).
    for conversation, opened in zip(
        data.conversations.values(),
        [
            at(10, 24, 22, 30),  # 23:30 BST on the 24th
            at(10, 24, 23, 30),  # 00:30 BST on the 25th
            at(10, 25, 23, 30),  # 23:30 GMT on the 25th
            at(10, 26, 0, 30),  # 00:30 GMT on the 26th
            at(10, 31, 23, 59),  # 23:59 GMT on the 31st
        ],
        strict=True,
    ):
        conversation.created_at = opened
        conversation.save()
    rollups.refresh(data.organisation, full=True)
    return ConversationFact.objects.filter(organisation=data.organisation)


@pytest.mark.parametrize("unit", ["day", "week"])
@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"])
def test_fast_path_matches_truncation(facts, monkeypatch, unit, zone):
    period = (at(10, 1, 0), at(11, 1, 0))
    args = (facts, "opened_at", ZoneInfo(zone), unit, period, ["channel_id"])
    aggregates = {"n": Count("pk"), "latest": Max("inbound_count")}

    fast = buckets.by_local_day(*args, aggregates)
    # Every row outside the offset stretches: Django's own truncation throughout.
    monkeypatch.setattr(buckets, "offset_spans", lambda zone, start, end: [(end, dt.timedelta())])
    slow = buckets.by_local_day(*args, aggregates)

    key = lambda row: (row["bucket"], row["channel_id"])  # noqa: E731
    assert sorted(fast, key=key) == sorted(slow, key=key)


def test_days_follow_the_local_clock(facts):
    rows = buckets.by_local_day(
        facts,
        "opened_at",
        ZoneInfo("Europe/London"),
        "day",
        (at(10, 1, 0), at(11, 1, 0)),
        [],
        {"n": Count("pk")},
    )

    assert [(row["bucket"].day, row["n"]) for row in rows] == [(24, 1), (25, 2), (26, 1), (31, 1)]


def test_half_hour_zones_group_by_their_own_midnight(facts):
    # Kolkata is UTC+5:30: 22:30 and 23:30 UTC on the 24th are the 25th there, 23:30 on
    # the 25th and 00:30 on the 26th are the 26th, and 23:59 on the 31st is 1 November.
    rows = buckets.by_local_day(
        facts,
        "opened_at",
        ZoneInfo("Asia/Kolkata"),
        "day",
        (at(10, 1, 0), at(11, 1, 0)),
        [],
        {"n": Count("pk")},
    )

    assert [(row["bucket"].isoformat(), row["n"]) for row in rows] == [
        ("2026-10-25", 2),
        ("2026-10-26", 2),
        ("2026-11-01", 1),
    ]
