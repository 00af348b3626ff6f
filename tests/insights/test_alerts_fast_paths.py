"""The detector's cheap paths give what the plain formulas give."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from scipy.stats import poisson

from rapport.insights import alerts


def test_a_quarter_hour_starts_where_the_calendar_says_in_any_zone() -> None:
    rng = random.Random(3)
    zones = [dt.UTC, zoneinfo.ZoneInfo("Europe/Dublin"), zoneinfo.ZoneInfo("Asia/Kolkata")]
    start = dt.datetime(2026, 3, 28, tzinfo=dt.UTC)  # a daylight-saving weekend in Dublin
    for _ in range(2000):
        moment = (start + dt.timedelta(seconds=rng.randrange(3 * 86400))).astimezone(
            rng.choice(zones)
        )
        utc = moment.astimezone(dt.UTC)
        expected = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)
        got = alerts.bucket_of(moment.replace(microsecond=rng.randrange(10**6)))
        assert got == expected
        assert got.utcoffset() == dt.timedelta(0)


def test_the_poisson_tail_is_scipys() -> None:
    for count in range(1, 60):
        for expected in (0.05, 0.8, 3.2, 12.0, 40.0):
            ours = float(alerts.pdtrc(count - 1, expected))
            assert abs(ours - float(poisson.sf(count - 1, expected))) < 1e-12


def test_a_title_says_how_much_above_the_usual_without_rounding_it_away() -> None:
    assert alerts._title_text(159, 112.0, ["stock"]).endswith("159 in 30 min, 1.4× the usual")
    assert alerts._title_text(90, 6.0, []).endswith("90 in 30 min, 15× the usual")
