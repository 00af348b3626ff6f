"""Period comparison: the tests on textbook cases, then on the database."""

from __future__ import annotations

import datetime as dt

import pytest

from rapport.insights import compare
from rapport.insights.models import ResponseFact
from tests.insights import service_data
from tests.insights.service_data import OCTOBER, at

# scipy's documentation example for Mood's median test, first two groups.
G1 = [10, 14, 14, 18, 20, 22, 24, 25, 31, 31, 32, 39, 43, 43, 48, 49]
G2 = [28, 30, 31, 33, 34, 35, 36, 40, 44, 55, 57, 61, 91, 92, 99]


def test_two_proportion_z_test_by_hand():
    # 45 of 100 against 56 of 100: pooled p = 101/200 = 0.505,
    # SE = sqrt(0.505 * 0.495 * (1/100 + 1/100)) = 0.070707, z = -0.11 / SE = -1.5557.
    result = compare.two_proportions(45, 100, 56, 100)

    assert result.test == "two-proportion z-test"
    assert result.statistic == pytest.approx(-1.5557, abs=1e-4)
    assert result.p_value == pytest.approx(0.1198, abs=1e-4)
    assert (result.n_current, result.n_baseline) == (100, 100)
    assert not result.significant


def test_small_samples_use_fishers_exact_test():
    # The lady tasting tea: 3 of 4 right against 1 of 4; two-sided p = 34/70.
    result = compare.two_proportions(3, 4, 1, 4)

    assert result.test == "Fisher's exact test"
    assert result.p_value == pytest.approx(34 / 70)


def test_a_large_difference_is_significant():
    result = compare.two_proportions(180, 200, 120, 200)

    assert result.p_value is not None and result.p_value < 0.001
    assert result.significant


def test_moods_median_test_from_counts_matches_the_textbook_table():
    # Pooled median 34: 5 of G1's 16 values and 10 of G2's 15 lie above it.
    result = compare.median_counts(5, 16, 10, 15)

    assert result.test == "Mood's median test"
    assert result.statistic == pytest.approx(2.5996, abs=1e-4)
    assert result.p_value == pytest.approx(0.10689, abs=1e-5)


def test_mann_whitney_on_samples_in_memory():
    result = compare.mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])

    # Complete separation of two samples of 5: exact two-sided p = 2 / C(10, 5) = 2/252.
    assert result.statistic == 0
    assert result.p_value == pytest.approx(2 / 252)


def test_poisson_rate_test():
    # 30 events against 15 in periods of the same length: P(X >= 30 | n=45, p=1/2) twice.
    result = compare.poisson_rates(30, 7.0, 15, 7.0)

    assert result.p_value == pytest.approx(0.0357, abs=1e-4)
    assert result.significant


def test_nps_difference():
    # 50 promoters, 20 detractors of 100 (NPS 30) against 30 and 30 of 100 (NPS 0).
    now, before, result = compare.nps_difference((50, 20, 100), (30, 30, 100))

    assert (now, before) == (30.0, 0.0)
    # var = (0.5 + 0.2 - 0.09) / 100 + (0.3 + 0.3 - 0) / 100 = 0.0121; z = 0.3 / 0.11.
    assert result.statistic == pytest.approx(0.3 / 0.11)
    assert result.p_value == pytest.approx(0.00639, abs=1e-5)


@pytest.fixture
def data(org, alice, bob):
    return service_data.build(org, alice, bob)


def test_compare_medians_in_the_database(data):
    # Given first responses of G1 seconds in October and G2 in September
    c1 = data.conversations["c1"]
    ResponseFact.objects.all().delete()

    def waits(values, month):
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

    waits(G1, 10)
    waits(G2, 9)

    # When October is compared with September
    september = (at(9, 1, 0), at(10, 1, 0))
    result = compare.compare(data.organisation, "first_response", OCTOBER, september, refresh=False)

    # Then the medians are each month's and the test is scipy's median_test
    # G1: (25 + 31) / 2; G2: its 8th of 15 values.
    assert (result.current, result.baseline) == (28.0, 40.0)
    assert (result.result.n_current, result.result.n_baseline) == (16, 15)
    assert result.result.p_value == pytest.approx(0.10689, abs=1e-5)
    assert result.verdict == "no meaningful change"


def test_compare_volume_and_sla_with_the_previous_period(data):
    volume = compare.compare(data.organisation, "volume", OCTOBER)

    # 4 conversations opened in October, 1 (C5) in the 31 days before.
    assert (volume.current, volume.baseline) == (4, 1)
    assert volume.result.p_value == pytest.approx(0.375)
    assert volume.relative_change == 300.0

    sla = compare.compare(data.organisation, "sla_first_response", OCTOBER)
    # October 3 of 4 first responses in time; September: C5 missed its deadline.
    assert (sla.current, sla.baseline) == (75.0, 0.0)
    assert (sla.result.n_current, sla.result.n_baseline) == (4, 1)
    assert sla.result.test == "Fisher's exact test"


def test_compare_all_lists_every_metric(data):
    results = compare.compare_all(data.organisation, OCTOBER)

    assert [r.metric for r in results] == list(compare.METRICS)
    csat = next(r for r in results if r.metric == "csat")
    assert csat.current == pytest.approx(200 / 3)
    assert csat.baseline is None
    assert csat.verdict == "not enough data"
