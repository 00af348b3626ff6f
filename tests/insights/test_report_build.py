"""How the monthly report measures: the same figures as the dashboards, with fewer queries."""

from __future__ import annotations

import base64
import datetime as dt
import xml.etree.ElementTree as ET
import zoneinfo

import pytest
from django.db.models.functions import ExtractIsoWeekDay

from rapport.insights import charts, compare, metrics, report
from rapport.insights.buckets import LocalIsoWeekday, offset_spans
from rapport.insights.models import ResponseFact
from tests.insights import service_data
from tests.insights.service_data import OCTOBER, at

LONDON = zoneinfo.ZoneInfo("Europe/London")
SEPTEMBER = (at(9, 1, 0), at(10, 1, 0))


@pytest.fixture
def data(org, alice, bob):
    return service_data.build(org, alice, bob)


# --- Comparisons read from the summaries ----------------------------------------------------


def test_comparisons_from_the_summaries_match_comparing_each_metric(data):
    # Given the summaries of October and September
    organisation = data.organisation
    october = metrics.service_summary(organisation, *OCTOBER)
    september = metrics.service_summary(organisation, *SEPTEMBER, refresh=False)

    # When every metric is compared from them, and then one by one in the database
    from_summaries = compare.from_summaries(organisation, list(compare.METRICS), october, september)
    one_by_one = [
        compare.compare(organisation, key, OCTOBER, SEPTEMBER, refresh=False)
        for key in compare.METRICS
    ]

    # Then both give the same figures, tests and sample sizes
    assert [c.metric for c in from_summaries] == list(compare.METRICS)
    for quick, slow in zip(from_summaries, one_by_one, strict=True):
        assert (quick.current, quick.baseline) == (slow.current, slow.baseline), quick.metric
        assert quick.result == slow.result, quick.metric
        assert quick.verdict == slow.verdict


def test_median_comparison_from_summaries_runs_moods_test(data):
    # Given first responses of scipy's example groups in October and September
    c1 = data.conversations["c1"]
    ResponseFact.objects.all().delete()
    october_waits = [10, 14, 14, 18, 20, 22, 24, 25, 31, 31, 32, 39, 43, 43, 48, 49]
    september_waits = [28, 30, 31, 33, 34, 35, 36, 40, 44, 55, 57, 61, 91, 92, 99]
    for month, values in ((10, october_waits), (9, september_waits)):
        for index, seconds in enumerate(values):
            when = at(month, 2 + index, 12)
            ResponseFact.objects.create(
                organisation=data.organisation,
                conversation=c1,
                channel=c1.channel,
                is_first=True,
                customer_at=when,
                responded_at=when + dt.timedelta(seconds=seconds),
                business_seconds=seconds,
            )
    october = metrics.service_summary(data.organisation, *OCTOBER, refresh=False)
    september = metrics.service_summary(data.organisation, *SEPTEMBER, refresh=False)

    [result] = compare.from_summaries(data.organisation, ["first_response"], october, september)

    assert (result.current, result.baseline) == (28.0, 40.0)
    assert result.result.p_value == pytest.approx(0.10689, abs=1e-5)


def test_a_team_summary_is_refused(data):
    october = metrics.service_summary(data.organisation, *OCTOBER, team=data.support)

    with pytest.raises(ValueError):
        compare.from_summaries(data.organisation, ["volume"], october, october)


# --- Weekdays in the organisation's time zone ------------------------------------------------


def test_local_weekday_agrees_with_the_time_zone_across_clock_changes(data):
    # Given waits that began every 5 hours over a year (both clock changes), a few
    # minutes either side of each change, and one from years before (the slow fallback)
    c1 = data.conversations["c1"]
    moments = [at(1, 1, 0) + dt.timedelta(hours=5 * n) for n in range(365 * 24 // 5)]
    for change in (dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC), at(10, 25, 1)):
        moments += [change + dt.timedelta(minutes=m) for m in (-61, -1, 0, 1, 59, 61)]
    moments.append(dt.datetime(2021, 6, 5, 23, 30, tzinfo=dt.UTC))  # Sunday 00:30 in London
    ResponseFact.objects.bulk_create(
        ResponseFact(
            organisation=data.organisation,
            conversation=c1,
            channel=c1.channel,
            is_first=True,
            customer_at=moment,
        )
        for moment in moments
    )

    # When each is read as a London weekday in SQL
    rows = ResponseFact.objects.filter(customer_at__in=moments).annotate(
        quick=LocalIsoWeekday("customer_at", LONDON, OCTOBER),
        django=ExtractIsoWeekDay("customer_at", tzinfo=LONDON),
    )

    # Then it is the weekday a London clock showed
    found = {row.customer_at: (row.quick, row.django) for row in rows}
    assert len(found) == len(set(moments))
    for moment, (quick, django) in found.items():
        assert quick == moment.astimezone(LONDON).isoweekday() == django, moment


def test_offset_spans_split_a_year_at_the_clock_changes():
    spans = offset_spans(LONDON, at(1, 1, 0), at(12, 31, 0))

    assert [(start.isoformat(), offset.total_seconds()) for start, offset in spans] == [
        ("2026-01-01T00:00:00+00:00", 0.0),
        ("2026-03-29T01:00:00+00:00", 3600.0),
        ("2026-10-25T01:00:00+00:00", 0.0),
    ]


def test_first_waits_count_a_saturday_night_message_on_the_local_day(data):
    # Given a London organisation whose customer wrote at 23:30 UTC on Friday 23 October
    # (00:30 on Saturday in London) and on Sunday 25 October after the clocks went back
    organisation = data.organisation
    organisation.time_zone = "Europe/London"
    organisation.save()
    c1 = data.conversations["c1"]
    ResponseFact.objects.all().delete()
    for wrote, waited in ((at(10, 23, 23, 30), 3600), (at(10, 25, 23, 30), 7200)):
        ResponseFact.objects.create(
            organisation=organisation,
            conversation=c1,
            channel=c1.channel,
            is_first=True,
            customer_at=wrote,
            responded_at=wrote + dt.timedelta(seconds=waited),
            business_seconds=0,
        )

    by_weekday = report.first_waits(organisation, *OCTOBER, group="weekday")
    by_weekend = report.first_waits(organisation, *OCTOBER, group="weekend")

    medians = {day: q.median for day, q in by_weekday.items()}
    assert medians == {6: pytest.approx(3600), 7: pytest.approx(7200)}  # julianday: floats
    assert by_weekend[1].count == 2 and 0 not in by_weekend


# --- Building the report ---------------------------------------------------------------------


def test_a_report_is_built_with_a_bounded_number_of_queries(data, django_assert_max_num_queries):
    report.build(data.organisation, dt.date(2026, 10, 1), record=False)  # rollups refreshed

    with django_assert_max_num_queries(47):
        built = report.build(data.organisation, dt.date(2026, 10, 1), record=False)

    assert built.service.volume_total == 4
    assert [f.label for f in built.key_figures][:2] == ["Conversations", "First response time"]


# --- Charts ----------------------------------------------------------------------------------


def _svg(uri: str) -> ET.Element:
    assert uri.startswith("data:image/svg+xml;base64,")
    return ET.fromstring(base64.b64decode(uri.split(",", 1)[1]))


def _texts(root: ET.Element) -> list[str]:
    return [node.text or "" for node in root.iter("{http://www.w3.org/2000/svg}text")]


def test_every_chart_is_well_formed_svg_with_its_labels():
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=n) for n in range(31)]
    drawn = {
        "volume": charts.volume_by_day(days, {"Email": [3] * 31, "Web <form> & co": [1] * 31}),
        "waits": charts.waits_by_weekday({1: 1800, 6: 4 * 3600, 7: None}, 60),
        "attainment": charts.attainment([("First response", 0.87, 0.9), ("Resolution", 1, None)]),
        "complaints": charts.complaints({"late_delivery": 12, "billing": 3}, {"billing": 5}),
        "satisfaction": charts.satisfaction(days[:3], [80.0, None, 60.0]),
        "followers": charts.followers({"Mastodon": [(days[0], 100), (days[9], 140)]}),
        "media": charts.media_engagement(23.0, 10.0),
    }

    roots = {name: _svg(uri) for name, uri in drawn.items()}

    assert "Web <form> & co" in _texts(roots["volume"])  # escaped in the file, text when read
    assert "1 Oct" in _texts(roots["volume"]) and "29 Oct" in _texts(roots["volume"])
    assert {"30 min", "4 h", "standard 1 h"} <= set(_texts(roots["waits"]))
    assert {"87%", "90%", "100%", "% of targets met"} <= set(_texts(roots["attainment"]))
    assert {"late delivery", "12", "5"} <= set(_texts(roots["complaints"]))
    assert {"23.0", "10.0", "photo/video", "text only"} <= set(_texts(roots["media"]))
    # A slow weekend day is drawn in the warning colour.
    assert charts.WARNING in base64.b64decode(drawn["waits"].split(",", 1)[1]).decode()


def test_charts_with_nothing_to_show_are_left_out():
    assert charts.volume_by_day([], {}) == ""
    assert charts.waits_by_weekday({1: None}, 60) == ""
    assert charts.attainment([("First response", None, None)]) == ""
    assert charts.complaints({}, {"billing": 3}) == ""
    assert charts.satisfaction([dt.date(2026, 10, 1)], [50.0]) == ""
    assert charts.followers({"Mastodon": [(dt.date(2026, 10, 1), 5)]}) == ""
    assert charts.media_engagement(None, 0) == ""


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 113, [0, 25, 50, 75, 100, 125]),
        (0, 1.25, [0, 0.25, 0.5, 0.75, 1, 1.25]),
        (0, 100, [0, 20, 40, 60, 80, 100]),
        (7300, 10950, [7000, 8000, 9000, 10000, 11000]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    ],
)
def test_axis_ticks_are_round_numbers_covering_the_values(low, high, ticks):
    assert charts.nice_ticks(low, high) == ticks


def test_text_is_measured_with_the_fonts_widths():
    # DejaVu Sans: "i" is 0.28 em, "W" 0.99 em.
    assert charts.text_width("i", 10) == pytest.approx(2.8)
    assert charts.text_width("W", 10) == pytest.approx(9.9)
    assert charts.text_width("Mon", 11, bold=True) > charts.text_width("Mon", 11)


# --- Quantiles inside SQLite -----------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 10, 11, 1001])
def test_the_sqlite_quantile_aggregate_interpolates_like_numpy(size):
    import random

    import numpy

    from rapport.insights.quantiles import QuantileAggregate

    values = [random.Random(size).randint(0, 5000) for _ in range(size)]
    aggregate = QuantileAggregate()
    for value in values:
        aggregate.step(value)

    n, median, p90 = aggregate.finalize().split(" ")  # type: ignore[union-attr]

    assert int(n) == size
    assert float(median) == pytest.approx(numpy.percentile(values, 50))
    assert float(p90) == pytest.approx(numpy.percentile(values, 90))


def test_the_mood_aggregate_counts_each_period_above_the_pooled_median():
    from rapport.insights.quantiles import MoodAggregate

    # scipy's example groups: pooled median 34; 5 of 16 and 10 of 15 above it.
    october = [10, 14, 14, 18, 20, 22, 24, 25, 31, 31, 32, 39, 43, 43, 48, 49]
    september = [28, 30, 31, 33, 34, 35, 36, 40, 44, 55, 57, 61, 91, 92, 99]
    aggregate = MoodAggregate()
    for value in october:
        aggregate.step(value, "c")
    for value in september:
        aggregate.step(value, "b")

    assert aggregate.finalize() == "34.0 5 10"
    assert MoodAggregate().finalize() is None
