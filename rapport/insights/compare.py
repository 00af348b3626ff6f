"""Compare a metric between two periods and say whether the change is more than noise.

The tests, each chosen for what the metric is:

- shares (SLA attainment, CSAT, easy CES): the two-proportion z-test with a
  pooled standard error; Fisher's exact test instead when any expected cell
  count is under 5, where the normal approximation is poor;
- durations (first/next response, resolution): Mood's median test. It needs
  only how many values of each period lie above the pooled median, which the
  database counts, so no sample leaves the database (the chi-squared test with
  Yates' correction on that 2x2 table, as scipy.stats.median_test does, or
  Fisher's exact test for small counts). `mann_whitney` is there for samples
  already in memory;
- counts (conversations, complaints): an exact conditional test of two Poisson
  rates: given both counts, the current one is binomial with the share of the
  total time that the current period covers;
- NPS: a z-test on the difference of two NPS values, each with the variance of
  a difference of two shares from one multinomial sample.

Every result carries both sample sizes, so a reader sees what the p-value rests on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.utils import timezone
from scipy import stats

from rapport.accounts.models import Organisation, Team
from rapport.channels.models import Channel
from rapport.inbox.models import Kind
from rapport.insights import facts
from rapport.insights.daily import mood_counts
from rapport.insights.metrics import ServiceSummary
from rapport.insights.models import ConversationFact, ResponseFact
from rapport.insights.quantiles import Quantiles, pooled_median_and_above, quantiles
from rapport.surveys.models import SurveyResponse

SIGNIFICANCE = 0.05
Period = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class TestResult:
    """The outcome of one statistical test between a current and a baseline sample."""

    test: str
    p_value: float | None
    n_current: int
    n_baseline: int
    statistic: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


@dataclass(frozen=True)
class Comparison:
    metric: str
    label: str
    unit: str  # "count", "seconds", "percent" or "score"
    current: float | None
    baseline: float | None
    result: TestResult
    # Which way is better: 1 when higher is better, -1 when lower is, 0 when neither.
    better: int = 0

    @property
    def change(self) -> float | None:
        if self.current is None or self.baseline is None:
            return None
        return self.current - self.baseline

    @property
    def relative_change(self) -> float | None:
        """The change as a percentage of the baseline (None from a zero baseline)."""
        if self.change is None or not self.baseline:
            return None
        return 100 * self.change / abs(self.baseline)

    @property
    def verdict(self) -> str:
        if self.change is None:
            return "not enough data"
        if not self.result.significant:
            return "no meaningful change"
        improved = self.better * self.change > 0
        if self.better == 0:
            return "changed"
        return "better" if improved else "worse"


# --- the tests on numbers -------------------------------------------------------------


def two_proportions(
    successes_current: int, n_current: int, successes_baseline: int, n_baseline: int
) -> TestResult:
    """Test whether two shares differ (two-sided)."""
    if n_current == 0 or n_baseline == 0:
        return TestResult("two-proportion z-test", None, n_current, n_baseline)
    table = [
        [successes_current, n_current - successes_current],
        [successes_baseline, n_baseline - successes_baseline],
    ]
    if _smallest_expected(table) < 5:
        _, p_value = stats.fisher_exact(table)
        return TestResult("Fisher's exact test", float(p_value), n_current, n_baseline)
    pooled = (successes_current + successes_baseline) / (n_current + n_baseline)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_current + 1 / n_baseline))
    if se == 0:
        return TestResult("two-proportion z-test", 1.0, n_current, n_baseline, 0.0)
    z = (successes_current / n_current - successes_baseline / n_baseline) / se
    p_value = 2 * stats.norm.sf(abs(z))
    return TestResult("two-proportion z-test", float(p_value), n_current, n_baseline, z)


def median_counts(
    above_current: int, n_current: int, above_baseline: int, n_baseline: int
) -> TestResult:
    """Mood's median test from the counts of each sample above the pooled median."""
    if n_current == 0 or n_baseline == 0:
        return TestResult("Mood's median test", None, n_current, n_baseline)
    table = [
        [above_current, above_baseline],
        [n_current - above_current, n_baseline - above_baseline],
    ]
    if min(sum(row) for row in table) == 0:
        # Every value on one side of the median: the samples cannot be told apart.
        return TestResult("Mood's median test", 1.0, n_current, n_baseline, 0.0)
    if _smallest_expected(table) < 5:
        _, p_value = stats.fisher_exact(table)
        return TestResult(
            "Mood's median test (Fisher's exact)", float(p_value), n_current, n_baseline
        )
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=True)
    return TestResult("Mood's median test", float(p_value), n_current, n_baseline, float(chi2))


def mann_whitney(current: Sequence[float], baseline: Sequence[float]) -> TestResult:
    """Mann-Whitney U test (two-sided) on two samples in memory."""
    if not current or not baseline:
        return TestResult("Mann-Whitney U test", None, len(current), len(baseline))
    statistic, p_value = stats.mannwhitneyu(current, baseline, alternative="two-sided")
    return TestResult(
        "Mann-Whitney U test", float(p_value), len(current), len(baseline), float(statistic)
    )


def poisson_rates(
    count_current: int, time_current: float, count_baseline: int, time_baseline: float
) -> TestResult:
    """Exact conditional test that two event counts come from the same rate."""
    total = count_current + count_baseline
    if total == 0 or time_current <= 0 or time_baseline <= 0:
        return TestResult("exact Poisson rate test", None, count_current, count_baseline)
    share = time_current / (time_current + time_baseline)
    p_value = stats.binomtest(count_current, total, share).pvalue
    return TestResult("exact Poisson rate test", float(p_value), count_current, count_baseline)


def nps_difference(
    current: tuple[int, int, int], baseline: tuple[int, int, int]
) -> tuple[float | None, float | None, TestResult]:
    """Return both NPS and the z-test of their difference.

    Each argument is (promoters, detractors, respondents).
    """

    def score_and_variance(promoters: int, detractors: int, n: int) -> tuple[float, float]:
        p, d = promoters / n, detractors / n
        return 100 * (p - d), (p + d - (p - d) ** 2) / n

    if current[2] == 0 or baseline[2] == 0:
        empty = TestResult("NPS z-test", None, current[2], baseline[2])
        return (
            score_and_variance(*current)[0] if current[2] else None,
            score_and_variance(*baseline)[0] if baseline[2] else None,
            empty,
        )
    score_c, var_c = score_and_variance(*current)
    score_b, var_b = score_and_variance(*baseline)
    se = math.sqrt(var_c + var_b)
    if se == 0:
        p_value = 1.0 if score_c == score_b else 0.0
        return score_c, score_b, TestResult("NPS z-test", p_value, current[2], baseline[2])
    z = (score_c - score_b) / 100 / se
    p_value = float(2 * stats.norm.sf(abs(z)))
    return score_c, score_b, TestResult("NPS z-test", p_value, current[2], baseline[2], z)


def _smallest_expected(table: list[list[int]]) -> float:
    total = sum(map(sum, table))
    rows = [sum(row) for row in table]
    columns = [sum(column) for column in zip(*table, strict=True)]
    return min(r * c / total for r in rows for c in columns) if total else 0.0


# --- comparing metrics of the organisation -------------------------------------------------


def previous_period(current: Period) -> Period:
    """The period of the same length just before `current`."""
    start, end = current
    return start - (end - start), start


@dataclass(frozen=True)
class _Metric:
    label: str
    unit: str
    better: int
    compute: Callable[..., Comparison]


def _scope(
    queryset: QuerySet[Any], organisation: Organisation, team: Team | None, channel: Channel | None
) -> QuerySet[Any]:
    queryset = queryset.filter(organisation=organisation)
    if team is not None:
        queryset = queryset.filter(team=team)
    if channel is not None:
        queryset = queryset.filter(channel=channel)
    return queryset


def _period_case(field: str, current: Period, baseline: Period) -> Case:
    return Case(
        When(Q(**{f"{field}__gte": current[0], f"{field}__lt": current[1]}), then=Value("c")),
        When(Q(**{f"{field}__gte": baseline[0], f"{field}__lt": baseline[1]}), then=Value("b")),
        default=Value(""),
        output_field=CharField(),
    )


def _in_either(field: str, current: Period, baseline: Period) -> Q:
    either = Q(**{f"{field}__gte": current[0], f"{field}__lt": current[1]}) | Q(
        **{f"{field}__gte": baseline[0], f"{field}__lt": baseline[1]}
    )
    # The span around both as well: SQLite reads an OR of two ranges as a scan of the
    # whole organisation, but one range it reads from the index.
    span = Q(
        **{
            f"{field}__gte": min(current[0], baseline[0]),
            f"{field}__lt": max(current[1], baseline[1]),
        }
    )
    return span & either


def _durations(queryset: QuerySet[Any], value: str, at: str) -> Callable[..., Comparison]:
    def compute(key: str, spec: _Metric, scope: dict[str, Any], current: Period, baseline: Period):
        rows = _scope(queryset, **scope).filter(_in_either(at, current, baseline))
        by_period = quantiles(
            rows.filter(**{f"{value}__isnull": False}).annotate(
                period=_period_case(at, current, baseline)
            ),
            value,
            "period",
        )
        now = by_period.get("c", Quantiles.empty())
        before = by_period.get("b", Quantiles.empty())
        result = _median_test(rows, value, at, current, baseline, now, before)
        return Comparison(
            key, spec.label, spec.unit, now.median, before.median, result, spec.better
        )

    return compute


def _median_test(
    rows: QuerySet[Any],
    value: str,
    at: str,
    current: Period,
    baseline: Period,
    now: Quantiles,
    before: Quantiles,
) -> TestResult:
    """Mood's median test of two periods' values: the pooled median, then the counts above it."""
    above = {"c": 0, "b": 0}
    if now.count and before.count:
        _, above = pooled_median_and_above(
            rows.annotate(period=_period_case(at, current, baseline)), value, "period"
        )
    return median_counts(above["c"], now.count, above["b"], before.count)


def _counts(queryset: QuerySet[Any], at: str) -> Callable[..., Comparison]:
    def compute(key: str, spec: _Metric, scope: dict[str, Any], current: Period, baseline: Period):
        counted = (
            _scope(queryset, **scope)
            .filter(_in_either(at, current, baseline))
            .aggregate(
                c=Count("pk", filter=Q(**{f"{at}__gte": current[0], f"{at}__lt": current[1]})),
                b=Count("pk", filter=Q(**{f"{at}__gte": baseline[0], f"{at}__lt": baseline[1]})),
            )
        )
        return _count_comparison(key, spec, counted["c"], counted["b"], current, baseline)

    return compute


def _count_comparison(
    key: str, spec: _Metric, count_c: int, count_b: int, current: Period, baseline: Period
) -> Comparison:
    length_c = (current[1] - current[0]).total_seconds()
    length_b = (baseline[1] - baseline[0]).total_seconds()
    result = poisson_rates(count_c, length_c, count_b, length_b)
    # Counts over periods of different lengths are compared per day.
    scale = 1.0 if length_c == length_b else 86400
    now = count_c / (length_c / scale) if scale != 1.0 else count_c
    before = count_b / (length_b / scale) if scale != 1.0 else count_b
    return Comparison(key, spec.label, spec.unit, now, before, result, spec.better)


def _shares(
    queryset: QuerySet[Any], at: str, success: Q, done: str = ""
) -> Callable[..., Comparison]:
    """Shares of `success`; with `done`, only targets decided (done, or `at` has passed)."""

    def compute(key: str, spec: _Metric, scope: dict[str, Any], current: Period, baseline: Period):
        in_c = Q(**{f"{at}__gte": current[0], f"{at}__lt": current[1]})
        in_b = Q(**{f"{at}__gte": baseline[0], f"{at}__lt": baseline[1]})
        decided = Q()
        if done:
            decided = Q(**{f"{done}__isnull": False}) | Q(**{f"{at}__lte": timezone.now()})
        counted = (
            _scope(queryset, **scope)
            .filter(decided)
            .filter(_in_either(at, current, baseline))
            .aggregate(
                nc=Count("pk", filter=in_c),
                sc=Count("pk", filter=in_c & success),
                nb=Count("pk", filter=in_b),
                sb=Count("pk", filter=in_b & success),
            )
        )
        return _share_comparison(
            key, spec, (counted["sc"], counted["nc"]), (counted["sb"], counted["nb"])
        )

    return compute


def _share_comparison(
    key: str, spec: _Metric, current: tuple[int, int], baseline: tuple[int, int]
) -> Comparison:
    """Compare (successes, total) of two periods."""
    (sc, nc), (sb, nb) = current, baseline
    result = two_proportions(sc, nc, sb, nb)
    now = 100 * sc / nc if nc else None
    before = 100 * sb / nb if nb else None
    return Comparison(key, spec.label, spec.unit, now, before, result, spec.better)


def _nps(key: str, spec: _Metric, scope: dict[str, Any], current: Period, baseline: Period):
    in_c = Q(submitted_at__gte=current[0], submitted_at__lt=current[1])
    in_b = Q(submitted_at__gte=baseline[0], submitted_at__lt=baseline[1])
    counted = (
        _scope(SurveyResponse.objects.all(), **scope)
        .filter(nps__isnull=False)
        .filter(_in_either("submitted_at", current, baseline))
        .aggregate(
            pc=Count("pk", filter=in_c & Q(nps__gte=9)),
            dc=Count("pk", filter=in_c & Q(nps__lte=6)),
            nc=Count("pk", filter=in_c),
            pb=Count("pk", filter=in_b & Q(nps__gte=9)),
            db=Count("pk", filter=in_b & Q(nps__lte=6)),
            nb=Count("pk", filter=in_b),
        )
    )
    return _nps_comparison(
        key,
        spec,
        (counted["pc"], counted["dc"], counted["nc"]),
        (counted["pb"], counted["db"], counted["nb"]),
    )


def _nps_comparison(
    key: str, spec: _Metric, current: tuple[int, int, int], baseline: tuple[int, int, int]
) -> Comparison:
    now, before, result = nps_difference(current, baseline)
    return Comparison(key, spec.label, spec.unit, now, before, result, spec.better)


# Where each duration metric's values live: (rows, value, the time that places a row in a period).
DURATION_SOURCES: dict[str, tuple[QuerySet[Any], str, str]] = {
    "first_response": (
        ResponseFact.objects.filter(is_first=True),
        "business_seconds",
        "responded_at",
    ),
    "next_response": (
        ResponseFact.objects.filter(is_first=False),
        "business_seconds",
        "responded_at",
    ),
    "resolution": (ConversationFact.objects.all(), "resolution_seconds", "resolved_at"),
}


METRICS: dict[str, _Metric] = {}


def _register() -> None:
    met_response = Q(responded_at__lte=F("due_at"))
    METRICS.update(
        {
            "volume": _Metric(
                "Conversations", "count", 0, _counts(ConversationFact.objects.all(), "opened_at")
            ),
            "complaints": _Metric(
                "Complaints",
                "count",
                -1,
                _counts(ConversationFact.objects.filter(kind=Kind.COMPLAINT), "opened_at"),
            ),
            "first_response": _Metric(
                "First response time",
                "seconds",
                -1,
                _durations(*DURATION_SOURCES["first_response"]),
            ),
            "next_response": _Metric(
                "Next response time", "seconds", -1, _durations(*DURATION_SOURCES["next_response"])
            ),
            "resolution": _Metric(
                "Resolution time", "seconds", -1, _durations(*DURATION_SOURCES["resolution"])
            ),
            "sla_first_response": _Metric(
                "First responses within target",
                "percent",
                1,
                _shares(
                    ResponseFact.objects.filter(is_first=True, due_at__isnull=False),
                    "due_at",
                    met_response,
                    "responded_at",
                ),
            ),
            "sla_next_response": _Metric(
                "Next responses within target",
                "percent",
                1,
                _shares(
                    ResponseFact.objects.filter(is_first=False, due_at__isnull=False),
                    "due_at",
                    met_response,
                    "responded_at",
                ),
            ),
            "sla_resolution": _Metric(
                "Resolutions within target",
                "percent",
                1,
                _shares(
                    ConversationFact.objects.filter(resolution_due_at__isnull=False),
                    "resolution_due_at",
                    Q(resolved_at__lte=F("resolution_due_at")),
                    "resolved_at",
                ),
            ),
            "csat": _Metric(
                "Satisfied customers (CSAT 4-5)",
                "percent",
                1,
                _shares(
                    SurveyResponse.objects.filter(csat__isnull=False),
                    "submitted_at",
                    Q(csat__gte=4),
                ),
            ),
            "ces": _Metric(
                "Found it easy (CES 5-7)",
                "percent",
                1,
                _shares(
                    SurveyResponse.objects.filter(ces__isnull=False),
                    "submitted_at",
                    Q(ces__gte=5),
                ),
            ),
            "nps": _Metric("Net promoter score", "score", 1, _nps),
        }
    )


_register()


def compare(
    organisation: Organisation,
    metric: str,
    current: Period,
    baseline: Period | None = None,
    *,
    team: Team | None = None,
    channel: Channel | None = None,
    refresh: bool = True,
) -> Comparison:
    """Compare `metric` over `current` with `baseline` (default: the period just before)."""
    if metric not in METRICS:
        raise KeyError(metric)
    if refresh:
        facts.refresh_if_stale(organisation)
    spec = METRICS[metric]
    scope = {"organisation": organisation, "team": team, "channel": channel}
    return spec.compute(metric, spec, scope, current, baseline or previous_period(current))


def compare_all(
    organisation: Organisation,
    current: Period,
    baseline: Period | None = None,
    *,
    team: Team | None = None,
    channel: Channel | None = None,
) -> list[Comparison]:
    """Compare every metric (the rollups refreshed once)."""
    facts.refresh_if_stale(organisation)
    return [
        compare(organisation, key, current, baseline, team=team, channel=channel, refresh=False)
        for key in METRICS
    ]


def from_summaries(
    organisation: Organisation,
    keys: Sequence[str],
    current: ServiceSummary,
    baseline: ServiceSummary,
) -> list[Comparison]:
    """Compare metrics of two organisation-wide service summaries, reusing what they measured.

    The same figures and tests as `compare`, for a caller that already holds both
    summaries (the monthly report): counts, shares and NPS need no query, and each
    duration only the two of Mood's test (the pooled median, then the counts above it).
    The rollups are read as they are (the summaries refreshed them). Summaries read from
    the daily rollups hold their durations, and then Mood's test needs no query at all.
    """
    if current.team or current.channel or baseline.team or baseline.channel:
        raise ValueError("from_summaries compares organisation-wide summaries only")
    periods = (current.start, current.end), (baseline.start, baseline.end)
    results = []
    for key in keys:
        spec = METRICS[key]
        if key in DURATION_SOURCES:
            queryset, value, at = DURATION_SOURCES[key]
            now, before = _quantiles_of(current, key), _quantiles_of(baseline, key)
            if key in current.samples and key in baseline.samples:
                # Both read from the daily rollups: the values are in hand, sorted.
                above_c, above_b = (
                    mood_counts(current.samples[key], baseline.samples[key])
                    if now.count and before.count
                    else (0, 0)
                )
                result = median_counts(above_c, now.count, above_b, before.count)
            else:
                rows = queryset.filter(organisation=organisation).filter(_in_either(at, *periods))
                result = _median_test(rows, value, at, *periods, now, before)
            results.append(
                Comparison(
                    key, spec.label, spec.unit, now.median, before.median, result, spec.better
                )
            )
        elif key == "volume":
            results.append(
                _count_comparison(key, spec, current.volume_total, baseline.volume_total, *periods)
            )
        elif key == "complaints":
            results.append(
                _count_comparison(
                    key, spec, current.complaints_total, baseline.complaints_total, *periods
                )
            )
        elif key == "nps":
            results.append(_nps_comparison(key, spec, _nps_counts(current), _nps_counts(baseline)))
        else:
            results.append(
                _share_comparison(key, spec, _share_of(current, key), _share_of(baseline, key))
            )
    return results


def _quantiles_of(summary: ServiceSummary, key: str) -> Quantiles:
    found: Quantiles = getattr(summary, key)
    return found


_SLA_TARGETS = {
    "sla_first_response": "first_response",
    "sla_next_response": "next_response",
    "sla_resolution": "resolution",
}


def _share_of(summary: ServiceSummary, key: str) -> tuple[int, int]:
    if key in _SLA_TARGETS:
        row = next(a for a in summary.sla if a.target == _SLA_TARGETS[key])
        return row.met, row.total
    if key == "csat":
        return summary.surveys.csat_satisfied, summary.surveys.csat_count
    if key == "ces":
        return summary.surveys.ces_easy, summary.surveys.ces_count
    raise KeyError(key)


def _nps_counts(summary: ServiceSummary) -> tuple[int, int, int]:
    surveys = summary.surveys
    return surveys.promoters, surveys.detractors, surveys.nps_count
