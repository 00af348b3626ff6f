"""The monthly report: social media effectiveness and customer service over one month.

`build(organisation, month)` measures everything once (the service and social
summaries, the period comparisons, first-reply waits by weekday, notable
conversations, alerts), runs the recommendation rules over the numbers and, with
`record=True`, records the recommendations so they can be accepted or dismissed.
`render_html(report)` and `render_pdf(report)` turn it into a standalone document
(the PDF through WeasyPrint) with the charts embedded as SVG (charts.py).

Nothing is cached: every build reads the rollups (refreshed unless checked in the
last minute, as for the dashboards). The previous month's figures come from its own
service summary, and the period comparisons reuse both summaries (compare.from_summaries)
instead of measuring each metric again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.template.loader import render_to_string
from django.utils import timezone

from rapport.accounts.models import Organisation
from rapport.inbox.models import Direction, Message, Priority, SlaPolicy, SlaTarget
from rapport.insights import charts, compare, daily, facts, metrics, social
from rapport.insights.alerts import terms as alert_terms
from rapport.insights.buckets import LocalIsoWeekday
from rapport.insights.models import (
    Alert,
    ConversationFact,
    Recommendation,
    ResponseFact,
)
from rapport.insights.quantiles import Quantiles, quantiles
from rapport.insights.recommendations import (
    Finding,
    Measures,
    Wait,
    describe_evidence,
    duration,
    evaluate,
)
from rapport.lib.errors import DomainError
from rapport.surveys.models import SurveyResponse

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
NOTABLE = 5
COMMENTS = 3


def parse_month(text: str, *, today: dt.date | None = None) -> dt.date:
    """Return the first day of a "YYYY-MM" month; refuse other shapes and future months."""
    match = MONTH.match((text or "").strip())
    if not match:
        raise DomainError("A month is written YYYY-MM, for example 2026-10.", code="bad_month")
    month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    today = today or timezone.now().date()
    if month > today.replace(day=1):
        raise DomainError(f"{text} has not started yet.", code="future_month")
    if month.year < 2000:
        raise DomainError("That month is before any data Rapport can hold.", code="bad_month")
    return month


def previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def month_bounds(organisation: Organisation, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the month as local midnights in the organisation's time zone."""
    zone = organisation.zone
    start = dt.datetime.combine(month, dt.time(), zone)
    end = dt.datetime.combine(next_month(month), dt.time(), zone)
    return start, end


@dataclass(frozen=True)
class NotableRow:
    public_id: str
    title: str
    channel: str
    opened_at: dt.datetime
    figure: str


@dataclass(frozen=True)
class NotableGroup:
    key: str
    title: str
    why: str
    rows: list[NotableRow]


@dataclass(frozen=True)
class Comment:
    score: int
    text: str
    channel: str
    submitted_at: dt.datetime
    conversation_id: str | None


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    previous: str
    change: str
    verdict: str  # better, worse, no meaningful change, not enough data
    standard: str = ""
    note: str = ""


@dataclass
class MonthlyReport:
    organisation: Organisation
    month: dt.date
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    service: metrics.ServiceSummary
    previous: metrics.ServiceSummary
    social: social.SocialSummary
    comparisons: list[compare.Comparison]
    key_figures: list[KeyFigure]
    standards: dict[str, int | None]
    waits_by_weekday: dict[int, Quantiles]
    measures: Measures
    findings: list[Finding]
    notable: list[NotableGroup]
    best_comments: list[Comment]
    worst_comments: list[Comment]
    alerts: list[Alert]
    charts: dict[str, str] = field(default_factory=dict)
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def is_partial(self) -> bool:
        return self.end > self.generated_at

    @property
    def title(self) -> str:
        return f"{self.organisation.name}: monthly report, {self.month:%B %Y}"

    @property
    def first_day(self) -> dt.date:
        return self.month

    @property
    def last_day(self) -> dt.date:
        return next_month(self.month) - dt.timedelta(days=1)

    @property
    def first_response_standard_seconds(self) -> int | None:
        minutes = self.standards.get("first_response")
        return minutes * 60 if minutes else None

    @property
    def has_data(self) -> bool:
        return bool(self.service.volume_total or self.social.posts)


# --- Measuring ------------------------------------------------------------------------------


def build(organisation: Organisation, month: dt.date, *, record: bool = True) -> MonthlyReport:
    """Measure one month of an organisation and return the report (recording recommendations)."""
    start, end = month_bounds(organisation, month)
    previous_start, previous_end = month_bounds(organisation, previous_month(month))
    # The rollups as the dashboards read them: refreshed unless checked in the last minute
    # (the worker refreshes them every minute as well).
    facts.refresh_if_stale(organisation)
    service = metrics.service_summary(organisation, start, end, refresh=False)
    previous = metrics.service_summary(
        organisation, previous_start, previous_end, refresh=False, baseline_only=True
    )
    social_now = social.social_summary(organisation, start, end)
    comparisons = compare.from_summaries(organisation, KEY_METRICS, service, previous)
    standards = service_standards(organisation)
    rollups = daily.reader(organisation, start, end, timezone.now())
    by_weekday = first_waits(organisation, start, end, group="weekday", rollups=rollups)
    by_weekend = first_waits(organisation, start, end, group="weekend", rollups=rollups)
    measures = _measures(
        service, previous, social_now, standards, by_weekend, start, end, previous_start
    )
    measures = dataclasses.replace(
        measures, complaint_words=complaint_words(organisation, start, end, measures.complaints)
    )
    report = MonthlyReport(
        organisation=organisation,
        month=month,
        start=start,
        end=end,
        generated_at=timezone.now(),
        service=service,
        previous=previous,
        social=social_now,
        comparisons=comparisons,
        key_figures=_key_figures(comparisons, standards, service),
        standards=standards,
        waits_by_weekday={int(k): v for k, v in by_weekday.items() if k is not None},
        measures=measures,
        findings=evaluate(measures),
        notable=notable_conversations(organisation, start, end),
        best_comments=_comments(organisation, start, end, best=True),
        worst_comments=_comments(organisation, start, end, best=False),
        alerts=list(
            Alert.objects.filter(
                organisation=organisation, triggered_at__gte=start, triggered_at__lt=end
            ).select_related("acknowledged_by")[:20]
        ),
    )
    report.charts = _charts(report)
    if record:
        from rapport.insights import services

        report.recommendations = services.record_recommendations(
            organisation, month, report.findings
        )
    else:
        report.recommendations = list(
            Recommendation.objects.filter(organisation=organisation, month=month)
        )
    for recommendation in report.recommendations:
        recommendation.evidence_lines = describe_evidence(  # type: ignore[attr-defined]
            recommendation.evidence
        )
    return report


KEY_METRICS = (
    "volume",
    "first_response",
    "resolution",
    "sla_first_response",
    "csat",
    "nps",
    "complaints",
)


def service_standards(organisation: Organisation) -> dict[str, int | None]:
    """Return the default service standard's general targets (business minutes)."""
    policy = SlaPolicy.objects.filter(organisation=organisation, is_default=True).first()
    empty: dict[str, int | None] = {
        "first_response": None,
        "next_response": None,
        "resolution": None,
    }
    if policy is None:
        return empty
    targets = list(
        SlaTarget.objects.filter(policy=policy, kind="").filter(
            Q(priority__isnull=True) | Q(priority=Priority.NORMAL)
        )
    )
    target = next((t for t in targets if t.priority == Priority.NORMAL), None) or next(
        iter(targets), None
    )
    if target is None:
        return empty
    return {
        "first_response": target.first_response_minutes,
        "next_response": target.next_response_minutes,
        "resolution": target.resolution_minutes,
    }


def first_waits(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    *,
    group: str,
    rollups: daily.Reader | None = None,
) -> dict[Any, Quantiles]:
    """Return wall-clock waits for a first reply by the weekday the customer wrote (one query).

    `group="weekday"` keys by ISO weekday (1 Monday .. 7 Sunday); `group="weekend"` by
    1 for Saturday and Sunday, 0 for the rest. Wall-clock, not business time: this is
    what a customer who writes on a Saturday actually waits. With `rollups` (the daily
    rollups of the period) the waits are read from there, with the same result.
    """
    if rollups is not None:
        weekdays = sorted(rollups.groups("first_wait"))
        if group == "weekday":
            return {
                day: daily.quantiles_of(rollups.values("first_wait", [day])) for day in weekdays
            }
        parts = {0: [day for day in weekdays if day < 6], 1: [day for day in weekdays if day >= 6]}
        return {
            flag: daily.quantiles_of(rollups.values("first_wait", days))
            for flag, days in parts.items()
            if days
        }
    waits: QuerySet[ResponseFact] = ResponseFact.objects.filter(
        # Replies given in the month (the indexed column), by the day the customer wrote.
        organisation=organisation,
        is_first=True,
        responded_at__gte=start,
        responded_at__lt=end,
    ).annotate(
        wait_seconds=daily.wait_seconds(),
        weekday=LocalIsoWeekday("customer_at", organisation.zone, (start, end)),
    )
    if group == "weekend":
        waits = waits.annotate(
            weekend=Case(
                When(weekday__gte=6, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
    return quantiles(waits, "wait_seconds", group)


def _measures(
    service: metrics.ServiceSummary,
    previous: metrics.ServiceSummary,
    social_now: social.SocialSummary,
    standards: dict[str, int | None],
    by_weekend: dict[Any, Quantiles],
    start: dt.datetime,
    end: dt.datetime,
    previous_start: dt.datetime,
) -> Measures:
    def met(summary: metrics.ServiceSummary, target: str) -> tuple[int, int]:
        row = next((a for a in summary.sla if a.target == target), None)
        return (row.met, row.total) if row else (0, 0)

    def wait(key: int) -> Wait:
        found = by_weekend.get(key)
        return Wait(found.count, found.median) if found else Wait()

    media = social_now.media
    mean_engagement = social_now.engagement / social_now.posts if social_now.posts else None
    over_week = sum(bucket.count for bucket in service.backlog_ageing[3:])
    return Measures(
        days=(end - start) / dt.timedelta(days=1),
        previous_days=(start - previous_start) / dt.timedelta(days=1),
        first_response_standard_minutes=standards.get("first_response"),
        weekend_first_wait=wait(1),
        weekday_first_wait=wait(0),
        first_response_met=met(service, "first_response"),
        previous_first_response_met=met(previous, "first_response"),
        complaints={row.key: row.count for row in service.complaints_by_category},
        previous_complaints={row.key: row.count for row in previous.complaints_by_category},
        csat=(service.surveys.csat_satisfied, service.surveys.csat_count),
        previous_csat=(previous.surveys.csat_satisfied, previous.surveys.csat_count),
        media_engagement=tuple(float(value) for value in media.with_media_values),
        text_engagement=tuple(float(value) for value in media.text_only_values),
        posting_slots=[
            (slot.weekday, slot.hour, slot.posts, slot.mean_engagement)
            for slot in social_now.best_times
        ],
        mean_engagement=mean_engagement,
        backlog_over_week=over_week,
        backlog_total=service.backlog_total,
    )


COMPLAINT_SAMPLE = 300


def complaint_words(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    counts: dict[str, int],
    *,
    categories: int = 3,
) -> dict[str, list[str]]:
    """Return, for the biggest complaint categories, the words that set them apart.

    A word counts when at least a fifth of the category's first messages use it and
    it is at least three times as common there as in the month's other complaints ("order"
    is in every complaint; "courier" only in the late deliveries). One query per
    category plus one, each over at most COMPLAINT_SAMPLE messages.
    """
    top = sorted((c for c in counts if c and c != "uncategorised"), key=counts.__getitem__)
    chosen = top[-categories:]
    if not chosen:
        return {}
    complaints = ConversationFact.objects.filter(
        organisation=organisation, opened_at__gte=start, opened_at__lt=end, kind="complaint"
    )

    # The overall sample and a category's share many messages: split each text once.
    words_of = functools.lru_cache(maxsize=4 * COMPLAINT_SAMPLE)(alert_terms)

    def shares(facts: QuerySet[ConversationFact]) -> tuple[Counter[str], int]:
        texts = Message.objects.filter(
            conversation_id__in=facts.values("conversation_id"), direction=Direction.INBOUND
        ).values_list("text", flat=True)[:COMPLAINT_SAMPLE]
        tally: Counter[str] = Counter()
        n = 0
        for text in texts:
            tally.update(words_of(text))
            n += 1
        return tally, n

    everywhere, total = shares(complaints)
    found: dict[str, list[str]] = {}
    for category in chosen:
        own, n = shares(complaints.filter(category=category))
        if not n:
            continue
        words = []
        for word, count in own.most_common(15):
            share = count / n
            elsewhere = (everywhere[word] - count) / max(1, total - n)
            if share >= 0.2 and count >= 3 and share >= 3 * elsewhere:
                words.append(word)
        found[category] = words[:5]
    return found


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{value:.0f}%"
    if unit == "score":
        return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
    return f"{value:,.0f}"


# Compared as daily rates, so that months of different lengths compare fairly.
PER_DAY = ("volume", "complaints")


def _key_figures(
    comparisons: list[compare.Comparison],
    standards: dict[str, int | None],
    service: metrics.ServiceSummary,
) -> list[KeyFigure]:
    figures = []
    standard_of = {
        "first_response": standards.get("first_response"),
        "resolution": standards.get("resolution"),
    }
    for item in comparisons:
        change = item.relative_change
        standard = standard_of.get(item.metric)
        counted = item.metric in PER_DAY
        figures.append(
            KeyFigure(
                label=item.label,
                # Counts show the month's totals; the change and the test compare daily rates.
                value=f"{item.result.n_current:,}" if counted else _format(item.current, item.unit),
                previous=(
                    f"{item.result.n_baseline:,}" if counted else _format(item.baseline, item.unit)
                ),
                change="–"
                if change is None
                else _percent_change(change) + (" per day" if counted else ""),
                verdict=item.verdict,
                standard=f"standard {duration(standard * 60)}" if standard else "",
                note=(
                    f"{item.result.test}, n = {item.result.n_current} / {item.result.n_baseline}"
                    + (
                        f", p = {item.result.p_value:.3f}"
                        if item.result.p_value is not None
                        else ""
                    )
                ),
            )
        )
    return figures


def notable_conversations(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> list[NotableGroup]:
    """Return the conversations a manager should read: riskiest, slowest, breached."""
    opened = ConversationFact.objects.filter(
        organisation=organisation, opened_at__gte=start, opened_at__lt=end
    ).select_related("conversation", "channel")
    risky = opened.filter(conversation__brand_risk__gte=0.3).order_by("-conversation__brand_risk")
    slowest = (
        ConversationFact.objects.filter(
            organisation=organisation,
            resolved_at__gte=start,
            resolved_at__lt=end,
            resolution_seconds__isnull=False,
        )
        .select_related("conversation", "channel")
        .order_by("-resolution_seconds")
    )
    breached = opened.filter(conversation__sla_breached_at__isnull=False).order_by(
        "-priority", "-conversation__brand_risk"
    )
    return [
        NotableGroup(
            "brand_risk",
            "Highest brand risk",
            "Public complaints or threats that could hurt the brand: check the answers.",
            [_row(f, f"risk {f.conversation.brand_risk:.2f}") for f in risky[:NOTABLE]],
        ),
        NotableGroup(
            "slowest",
            "Longest to resolve",
            "Business time from the first message to resolution.",
            [_row(f, duration(f.resolution_seconds)) for f in slowest[:NOTABLE]],
        ),
        NotableGroup(
            "breached",
            "Service standard breached",
            "Conversations that missed a target, most urgent first.",
            [_row(f, Priority(f.priority).label) for f in breached[:NOTABLE]],
        ),
    ]


def _row(fact: ConversationFact, figure: str) -> NotableRow:
    conversation = fact.conversation
    title = conversation.subject or conversation.last_message_preview or f"#{conversation.pk}"
    return NotableRow(
        public_id=str(conversation.public_id),
        title=title[:140],
        channel=fact.channel.name,
        opened_at=fact.opened_at,
        figure=figure,
    )


def _comments(
    organisation: Organisation, start: dt.datetime, end: dt.datetime, *, best: bool
) -> list[Comment]:
    responses = (
        SurveyResponse.objects.filter(
            organisation=organisation, submitted_at__gte=start, submitted_at__lt=end
        )
        .exclude(comment="")
        .filter(Q(csat=5) if best else Q(csat__lte=2))
        .select_related("channel", "conversation")
        .order_by("-submitted_at")[: COMMENTS * 10]
    )
    # Several customers often say the same thing: show different ones.
    seen: set[str] = set()
    comments = []
    for r in responses:
        key = " ".join(r.comment.lower().split())
        if key in seen:
            continue
        seen.add(key)
        comments.append(
            Comment(
                score=r.csat or 0,
                text=r.comment[:400],
                channel=r.channel.name if r.channel else "",
                submitted_at=r.submitted_at,
                conversation_id=str(r.conversation.public_id) if r.conversation else None,
            )
        )
        if len(comments) == COMMENTS:
            break
    return comments


def _charts(report: MonthlyReport) -> dict[str, str]:
    service, previous = report.service, report.previous
    channels = [tally.label for tally in service.volume_by_channel]
    days = [point.day for point in service.volume_by_day]
    series = {
        name: [point.by_channel.get(name, 0) for point in service.volume_by_day]
        for name in channels
    }

    def share(summary: metrics.ServiceSummary, target: str) -> float | None:
        row = next((a for a in summary.sla if a.target == target), None)
        return row.rate if row else None

    trend = service.survey_trend
    return {
        "volume": charts.volume_by_day(days, series),
        "waits": charts.waits_by_weekday(
            {day: q.median for day, q in report.waits_by_weekday.items()},
            report.standards.get("first_response"),
        ),
        "attainment": charts.attainment(
            [(a.label, a.rate, share(previous, a.target)) for a in service.sla]
        ),
        "complaints": charts.complaints(
            report.measures.complaints, report.measures.previous_complaints
        ),
        "satisfaction": charts.satisfaction(
            [point.day for point in trend], [point.scores.csat for point in trend]
        ),
        "followers": charts.followers(
            {account.name: account.followers_series for account in report.social.accounts}
        ),
        "media": charts.media_engagement(
            report.social.media.with_media_mean, report.social.media.text_only_mean
        ),
    }


# --- Rendering ------------------------------------------------------------------------------


@functools.cache
def _css() -> str:
    # The page links this file (the app's CSP allows no inline styles); the
    # standalone document (PDF, email) carries it inline.
    path = finders.find("insights/report.css")
    return Path(str(path)).read_text(encoding="utf-8") if path else ""


def render_html(report: MonthlyReport, *, for_pdf: bool = False) -> str:
    """Return the report as one standalone HTML document (charts and styles embedded)."""
    context = {"report": report, "for_pdf": for_pdf, "css": _css()}
    return render_to_string("insights/report_document.html", context)


def render_pdf(report: MonthlyReport) -> bytes:
    """Return the report as a PDF (WeasyPrint)."""
    from weasyprint import HTML

    pdf = HTML(string=render_html(report, for_pdf=True)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def filename(report: MonthlyReport, extension: str) -> str:
    slug = report.organisation.slug or "report"
    return f"{slug}-report-{report.month:%Y-%m}.{extension}"


def _percent_change(change: float) -> str:
    """ "+12%", or "-0.3%" for a change under one percent (never "-0%")."""
    return f"{change:+.1f}%" if abs(change) < 1 else f"{change:+.0f}%"
