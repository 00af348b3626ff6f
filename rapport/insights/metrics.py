"""Service metrics for a period, aggregated by the database from the service rollups.

Every figure is one grouped query over `ConversationFact`, `ResponseFact`,
`ComplaintResolution` or `SurveyResponse` (see facts.py for what the rollups
hold). Periods are half-open, `start <= t < end`. What each figure counts:

- volume: conversations opened in the period, by channel, kind and team;
- first and next response, resolution: business-hours durations of the waits
  answered (and conversations resolved) in the period; median and p90 in seconds;
- SLA attainment: targets whose deadline fell in the period and is decided
  (answered, or the deadline has passed); met when answered by the deadline;
- backlog: conversations open at the end of the period (or now, if earlier),
  by age since they were opened;
- complaints: complaint conversations opened in the period by category
  (their intent), and resolutions recorded in the period by action, with cost;
- surveys: responses submitted in the period. CSAT is the share of 4 and 5
  answers on 1-5; NPS is % promoters (9-10) minus % detractors (0-6); CES is
  the mean on 1-7 and the share of 5-7 ("easy") answers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils import timezone

from rapport.accounts.models import Organisation, Team, User
from rapport.channels.models import Channel
from rapport.inbox.models import (
    ACTIVE_STATUSES,
    ComplaintResolution,
    CustomerAcceptance,
    Kind,
    ResolutionAction,
)
from rapport.insights import buckets, daily, facts
from rapport.insights.models import ConversationFact, ResponseFact
from rapport.insights.quantiles import Quantiles, one, quantiles
from rapport.surveys.models import SurveyResponse

__all__ = [
    "AgeBucket",
    "Attainment",
    "ComplaintResolutionRow",
    "Tally",
    "PersonRow",
    "Quantiles",
    "ServiceSummary",
    "SurveyScores",
    "TrendPoint",
    "agent_rows",
    "service_summary",
    "team_rows",
]

# Age buckets of the backlog: (label, lower bound inclusive, upper bound exclusive).
AGE_BUCKETS: tuple[tuple[str, dt.timedelta, dt.timedelta | None], ...] = (
    ("under 1 day", dt.timedelta(0), dt.timedelta(days=1)),
    ("1-3 days", dt.timedelta(days=1), dt.timedelta(days=3)),
    ("3-7 days", dt.timedelta(days=3), dt.timedelta(days=7)),
    ("1-4 weeks", dt.timedelta(days=7), dt.timedelta(days=28)),
    ("over 4 weeks", dt.timedelta(days=28), None),
)
# Trend lines switch from daily to weekly points beyond this many days.
DAILY_TREND_MAX_DAYS = 62


@dataclass(frozen=True)
class Tally:
    """A count under one key (a channel, kind, team or category)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Attainment:
    """How many service-standard targets of one kind were met."""

    target: str
    label: str
    met: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.met / self.total if self.total else None


@dataclass(frozen=True)
class AgeBucket:
    label: str
    count: int


@dataclass(frozen=True)
class ComplaintResolutionRow:
    action: str
    label: str
    count: int
    total_cost: Decimal
    accepted: int
    rejected: int


@dataclass(frozen=True)
class SurveyScores:
    csat_count: int = 0
    csat_average: float | None = None
    csat_satisfied: int = 0
    nps_count: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    ces_count: int = 0
    ces_average: float | None = None
    ces_easy: int = 0

    @property
    def csat(self) -> float | None:
        """Share of satisfied answers (4 or 5), 0-100."""
        return 100 * self.csat_satisfied / self.csat_count if self.csat_count else None

    @property
    def nps(self) -> float | None:
        """Net promoter score, -100 to 100."""
        if not self.nps_count:
            return None
        return 100 * (self.promoters - self.detractors) / self.nps_count

    @property
    def ces_easy_share(self) -> float | None:
        return 100 * self.ces_easy / self.ces_count if self.ces_count else None


@dataclass(frozen=True)
class TrendPoint:
    """Survey scores of one day (or week, for long periods) starting at `day`."""

    day: dt.date
    scores: SurveyScores


@dataclass(frozen=True)
class VolumePoint:
    day: dt.date
    by_channel: dict[str, int]
    total: int


@dataclass(frozen=True)
class ServiceSummary:
    organisation_id: int
    start: dt.datetime
    end: dt.datetime
    team: str | None
    channel: str | None
    volume_total: int
    inbound_messages: int
    outbound_messages: int
    volume_by_channel: list[Tally]
    volume_by_kind: list[Tally]
    volume_by_team: list[Tally]
    volume_by_day: list[VolumePoint]
    trend_unit: str
    first_response: Quantiles
    next_response: Quantiles
    resolution: Quantiles
    sla: list[Attainment]
    backlog_at: dt.datetime
    backlog_total: int
    backlog_ageing: list[AgeBucket]
    complaints_total: int
    complaints_by_category: list[Tally]
    resolutions: list[ComplaintResolutionRow]
    resolutions_cost: Decimal
    surveys: SurveyScores
    survey_trend: list[TrendPoint] = field(default_factory=list)
    # The sorted durations behind the three quantiles, when read from the daily rollups
    # (compare.from_summaries runs Mood's test on them instead of asking the database).
    samples: dict[str, list[float]] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class PersonRow:
    """One agent's or team's figures over the period (key: its public id)."""

    key: str
    name: str
    conversations: int
    resolved: int
    responses: int
    first_response: Quantiles
    response: Quantiles
    resolution: Quantiles
    responses_due: int
    responses_met: int
    csat_count: int
    csat_average: float | None

    @property
    def sla_rate(self) -> float | None:
        return self.responses_met / self.responses_due if self.responses_due else None


# --- the summary -----------------------------------------------------------------------


def service_summary(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    *,
    team: Team | None = None,
    channel: Channel | None = None,
    refresh: bool = True,
    baseline_only: bool = False,
    use_daily: bool = True,
) -> ServiceSummary:
    """Return the service figures of the organisation for `start <= t < end`.

    With `refresh` the rollups are brought up to date first, unless they were
    checked in the last minute (facts.refresh_if_stale); the worker refreshes
    them every minute anyway. With `baseline_only`, what only a period of its own
    shows is left out (empty or zero): the day-by-day volume and survey trend, the
    backlog and the complaint resolutions; a baseline for comparisons needs none.
    Organisation-wide figures of whole local days that have ended are read from the
    daily rollups (the same figures; `use_daily=False` measures them as for any period),
    and then the summary keeps the sorted durations for Mood's test (`samples`).
    """
    if refresh:
        facts.refresh_if_stale(organisation)
    now = timezone.now()
    zone = organisation.zone
    scope = _Scope(organisation, team, channel)
    conversations = scope.conversations()
    opened = conversations.filter(opened_at__gte=start, opened_at__lt=end)
    rollups = (
        daily.reader(organisation, start, end, now)
        if use_daily and team is None and channel is None
        else None
    )

    channel_names = _channel_names(organisation)
    unit = "day" if (end - start) <= dt.timedelta(days=DAILY_TREND_MAX_DAYS) else "week"
    samples: dict[str, list[float]] = {}
    if rollups is not None:
        groups = rollups.volume()
        volume = _volume(_volume_groups(groups), channel_names)
        complaints = _complaint_counts(groups)
        for key in ("first_response", "next_response", "resolution"):
            samples[key] = rollups.values(key)
        times = {key: daily.quantiles_of(values) for key, values in samples.items()}
        sla = _attainment_of(rollups.targets())
        by_day = (
            _volume_by_day_of(rollups.volume_by_day(), unit, channel_names)
            if not baseline_only
            else []
        )
    else:
        volume = _volume(_volume_query(opened), channel_names)
        complaints = _counts(
            opened.filter(kind=Kind.COMPLAINT), "category", lambda key: key or "uncategorised"
        )
        responses = scope.responses().filter(responded_at__gte=start, responded_at__lt=end)
        by_first = quantiles(responses, "business_seconds", "is_first")
        resolved = conversations.filter(resolved_at__gte=start, resolved_at__lt=end)
        times = {
            "first_response": by_first.get(True, Quantiles.empty()),
            "next_response": by_first.get(False, Quantiles.empty()),
            "resolution": one(resolved, "resolution_seconds"),
        }
        sla = _attainment(scope, start, end, now)
        by_day = (
            _volume_by_day(opened, zone, unit, (start, end), channel_names)
            if not baseline_only
            else []
        )

    backlog_at = min(end, now)
    backlog_total, ageing = _backlog(conversations, backlog_at) if not baseline_only else (0, [])
    resolutions = _resolutions(scope, start, end) if not baseline_only else []
    surveys = scope.surveys().filter(submitted_at__gte=start, submitted_at__lt=end)
    return ServiceSummary(
        organisation_id=organisation.pk,
        start=start,
        end=end,
        team=str(team.public_id) if team else None,
        channel=str(channel.public_id) if channel else None,
        volume_total=volume["total"],
        inbound_messages=volume["inbound"],
        outbound_messages=volume["outbound"],
        volume_by_channel=volume["channel"],
        volume_by_kind=volume["kind"],
        volume_by_team=volume["team"],
        volume_by_day=by_day,
        trend_unit=unit,
        first_response=times["first_response"],
        next_response=times["next_response"],
        resolution=times["resolution"],
        sla=sla,
        backlog_at=backlog_at,
        backlog_total=backlog_total,
        backlog_ageing=ageing,
        complaints_total=sum(row.count for row in complaints),
        complaints_by_category=complaints,
        resolutions=resolutions,
        resolutions_cost=sum((row.total_cost for row in resolutions), Decimal(0)),
        surveys=_scores(surveys.aggregate(**_SCORE_AGGREGATES)),
        survey_trend=_survey_trend(surveys, zone, unit, (start, end)) if not baseline_only else [],
        samples=samples,
    )


class _Scope:
    """The organisation, optionally narrowed to one team and one channel."""

    def __init__(self, organisation: Organisation, team: Team | None, channel: Channel | None):
        self.filters: dict[str, Any] = {"organisation": organisation}
        if team is not None:
            self.filters["team"] = team
        if channel is not None:
            self.filters["channel"] = channel

    def conversations(self) -> QuerySet[ConversationFact]:
        return ConversationFact.objects.filter(**self.filters)

    def responses(self) -> QuerySet[ResponseFact]:
        return ResponseFact.objects.filter(**self.filters)

    def surveys(self) -> QuerySet[SurveyResponse]:
        return SurveyResponse.objects.filter(**self.filters)

    def resolutions(self) -> QuerySet[ComplaintResolution]:
        narrowed = {
            ("conversation__" + key if key != "organisation" else key): value
            for key, value in self.filters.items()
        }
        return ComplaintResolution.objects.filter(**narrowed)


def _volume_query(opened: QuerySet[ConversationFact]) -> list[dict[str, Any]]:
    # One grouped query; the (channel, kind, team) groups are few, so they are
    # rolled up into the three breakdowns by _volume. Grouped by ids, read from the
    # covering index alone; the few channels and teams are named afterwards.
    return list(
        opened.values("channel_id", "kind", "team_id").annotate(
            n=Count("pk"), inbound=Sum("inbound_count"), outbound=Sum("outbound_count")
        )
    )


def _volume_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The (channel, kind, team) groups of _volume_query, from the daily rollups' sums."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = (row["channel_id"], row["kind"], row["team_id"])
        group = groups.setdefault(
            key,
            {
                "channel_id": key[0],
                "kind": key[1],
                "team_id": key[2],
                "n": 0,
                "inbound": 0,
                "outbound": 0,
            },
        )
        group["n"] += row["conversations"]
        group["inbound"] += row["inbound"]
        group["outbound"] += row["outbound"]
    return list(groups.values())


def _complaint_counts(rows: list[dict[str, Any]]) -> list[Tally]:
    """Complaints by category from the daily rollups, ordered as _counts orders them."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["kind"] == Kind.COMPLAINT:
            counts[row["category"]] += row["conversations"]
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Tally(key, key or "uncategorised", n) for key, n in ranked]


def _volume_by_day_of(
    rows: list[tuple[dt.date, int, int]], unit: str, names: dict[int, tuple[str, str]]
) -> list[VolumePoint]:
    """_volume_by_day from the daily rollups (weeks start on Monday, as there)."""
    points: dict[dt.date, dict[str, int]] = {}
    for day, channel_id, conversations in rows:
        if unit != "day":
            day -= dt.timedelta(days=day.weekday())
        counts = points.setdefault(day, {})
        name = names[channel_id][1]
        counts[name] = counts.get(name, 0) + conversations
    return [VolumePoint(day, counts, sum(counts.values())) for day, counts in points.items()]


def _volume(
    groups: list[dict[str, Any]], channel_names: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    team_names = {
        pk: (str(public_id), name)
        for pk, public_id, name in Team.objects.filter(
            pk__in={row["team_id"] for row in groups if row["team_id"]}
        ).values_list("pk", "public_id", "name")
    }
    channels: dict[str, list[Any]] = {}
    kinds: dict[str, int] = defaultdict(int)
    teams: dict[str, list[Any]] = {}
    total = inbound = outbound = 0
    for row in groups:
        n = row["n"]
        total += n
        inbound += row["inbound"] or 0
        outbound += row["outbound"] or 0
        channel_key, channel_name = channel_names[row["channel_id"]]
        channels.setdefault(channel_key, [channel_name, 0])[1] += n
        kinds[row["kind"]] += n
        team_key, team_name = team_names.get(row["team_id"], ("", "No team"))
        teams.setdefault(team_key, [team_name, 0])[1] += n
    kind_labels = dict(Kind.choices)

    def ranked(items: dict[str, list[Any]]) -> list[Tally]:
        rows = [Tally(key, label, n) for key, (label, n) in items.items()]
        return sorted(rows, key=lambda row: (-row.count, row.label))

    return {
        "total": total,
        "inbound": inbound,
        "outbound": outbound,
        "channel": ranked(channels),
        "kind": ranked({key: [kind_labels.get(key, key), n] for key, n in kinds.items()}),
        "team": ranked(teams),
    }


def _volume_by_day(
    opened: QuerySet[ConversationFact],
    zone: zoneinfo.ZoneInfo,
    unit: str,
    period: tuple[dt.datetime, dt.datetime],
    names: dict[int, tuple[str, str]],
) -> list[VolumePoint]:
    rows = buckets.by_local_day(
        opened, "opened_at", zone, unit, period, ["channel_id"], {"n": Count("pk")}
    )
    points: dict[dt.date, dict[str, int]] = {}
    for row in rows:
        day = points.setdefault(row["bucket"], {})
        name = names[row["channel_id"]][1]
        # Two channels may share a name; the chart shows names, so they add up.
        day[name] = day.get(name, 0) + row["n"]
    return [VolumePoint(day, counts, sum(counts.values())) for day, counts in points.items()]


def _channel_names(organisation: Organisation) -> dict[int, tuple[str, str]]:
    """Return the public id and name of each of the organisation's channels (a few rows)."""
    rows = Channel.objects.filter(organisation=organisation).values_list("pk", "public_id", "name")
    return {pk: (str(public_id), name) for pk, public_id, name in rows}


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _counts(queryset: QuerySet, key: str, label: Any) -> list[Tally]:
    rows = queryset.values(key).annotate(n=Count("pk")).order_by("-n", key)
    return [Tally(row[key] or "", label(row[key]), row["n"]) for row in rows]


def _attainment(scope: _Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list:
    decided = Q(responded_at__isnull=False) | Q(due_at__lte=now)
    responses = (
        scope.responses()
        .filter(decided, due_at__gte=start, due_at__lt=end)
        .values("is_first")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(responded_at__lte=F("due_at"))))
    )
    by_first = {row["is_first"]: row for row in responses}
    resolution = (
        scope.conversations()
        .filter(
            Q(resolved_at__isnull=False) | Q(resolution_due_at__lte=now),
            resolution_due_at__gte=start,
            resolution_due_at__lt=end,
        )
        .aggregate(
            total=Count("pk"), met=Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at")))
        )
    )
    first = by_first.get(True, {})
    following = by_first.get(False, {})
    return [
        Attainment("first_response", "First response", first.get("met", 0), first.get("total", 0)),
        Attainment(
            "next_response", "Next response", following.get("met", 0), following.get("total", 0)
        ),
        Attainment("resolution", "Resolution", resolution["met"] or 0, resolution["total"] or 0),
    ]


def _attainment_of(targets: dict[str, tuple[int, int]]) -> list[Attainment]:
    """_attainment from the daily rollups' (met, total) per target."""
    labels = (
        ("first_response", "First response"),
        ("next_response", "Next response"),
        ("resolution", "Resolution"),
    )
    return [Attainment(key, label, *targets.get(key, (0, 0))) for key, label in labels]


def _backlog(
    conversations: QuerySet[ConversationFact], at: dt.datetime
) -> tuple[int, list[AgeBucket]]:
    # Two index-friendly halves instead of one OR that would scan all history:
    # still unresolved (a partial index), and resolved only after `at`.
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for index, (_label, low, high) in enumerate(AGE_BUCKETS):
        window = Q(opened_at__lte=at - low)
        if high is not None:
            window &= Q(opened_at__gt=at - high)
        aggregates[f"b{index}"] = Count("pk", filter=window)
    before = conversations.filter(opened_at__lt=at)
    halves = [
        before.filter(resolved_at__isnull=True, status__in=ACTIVE_STATUSES).aggregate(**aggregates),
        before.filter(resolved_at__gte=at).aggregate(**aggregates),
    ]
    counts = {key: sum(half[key] for half in halves) for key in aggregates}
    buckets_ = [
        AgeBucket(label, counts[f"b{index}"]) for index, (label, _, _) in enumerate(AGE_BUCKETS)
    ]
    return counts["total"], buckets_


def _resolutions(
    scope: _Scope, start: dt.datetime, end: dt.datetime
) -> list[ComplaintResolutionRow]:
    rows = (
        scope.resolutions()
        .filter(created_at__gte=start, created_at__lt=end)
        .values("action")
        .annotate(
            n=Count("pk"),
            cost=Sum("cost"),
            accepted=Count("pk", filter=Q(customer_acceptance=CustomerAcceptance.ACCEPTED)),
            rejected=Count("pk", filter=Q(customer_acceptance=CustomerAcceptance.REJECTED)),
        )
        .order_by("-n", "action")
    )
    labels = dict(ResolutionAction.choices)
    return [
        ComplaintResolutionRow(
            row["action"],
            labels.get(row["action"], row["action"]),
            row["n"],
            Decimal(row["cost"] or 0).quantize(Decimal("0.01")),
            row["accepted"],
            row["rejected"],
        )
        for row in rows
    ]


_SCORE_AGGREGATES: dict[str, Any] = {
    "csat_count": Count("pk", filter=Q(csat__isnull=False)),
    "csat_average": Avg("csat"),
    "csat_satisfied": Count("pk", filter=Q(csat__gte=4)),
    "nps_count": Count("pk", filter=Q(nps__isnull=False)),
    "promoters": Count("pk", filter=Q(nps__gte=9)),
    "passives": Count("pk", filter=Q(nps__in=(7, 8))),
    "detractors": Count("pk", filter=Q(nps__lte=6)),
    "ces_count": Count("pk", filter=Q(ces__isnull=False)),
    "ces_average": Avg("ces"),
    "ces_easy": Count("pk", filter=Q(ces__gte=5)),
}


def _scores(row: dict[str, Any]) -> SurveyScores:
    values: dict[str, Any] = {}
    for key in _SCORE_AGGREGATES:
        value = row.get(key)
        if key.endswith("_average"):
            values[key] = float(value) if value is not None else None
        else:
            values[key] = value or 0
    return SurveyScores(**values)


def _survey_trend(
    surveys: QuerySet[SurveyResponse],
    zone: zoneinfo.ZoneInfo,
    unit: str,
    period: tuple[dt.datetime, dt.datetime],
) -> list[TrendPoint]:
    # Sums rather than averages, so that hour groups can be folded into days.
    additive: dict[str, Any] = {
        key: value for key, value in _SCORE_AGGREGATES.items() if not key.endswith("_average")
    }
    additive.update(csat_sum=Sum("csat"), ces_sum=Sum("ces"))
    rows = buckets.by_local_day(surveys, "submitted_at", zone, unit, period, [], additive)
    points = []
    for row in rows:
        row["csat_average"] = row["csat_sum"] / row["csat_count"] if row["csat_count"] else None
        row["ces_average"] = row["ces_sum"] / row["ces_count"] if row["ces_count"] else None
        points.append(TrendPoint(row["bucket"], _scores(row)))
    return points


# --- per agent and per team --------------------------------------------------------------


def agent_rows(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    *,
    team: Team | None = None,
    channel: Channel | None = None,
    refresh: bool = True,
) -> list[PersonRow]:
    """Return one row per agent who handled, answered or was rated in the period."""
    return _people(organisation, start, end, team, channel, refresh, by_team=False)


def team_rows(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    *,
    channel: Channel | None = None,
    refresh: bool = True,
) -> list[PersonRow]:
    """Return one row per team with work in the period ("No team" for unrouted work)."""
    return _people(organisation, start, end, None, channel, refresh, by_team=True)


def _people(
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    team: Team | None,
    channel: Channel | None,
    refresh: bool,
    *,
    by_team: bool,
) -> list[PersonRow]:
    if refresh:
        facts.refresh_if_stale(organisation)
    now = timezone.now()
    scope = _Scope(organisation, team, channel)
    owner = "team_id" if by_team else "assignee_id"
    responder = "team_id" if by_team else "agent_id"
    rater = "team_id" if by_team else "agent_id"

    conversations = scope.conversations()
    handled = {
        row[owner]: row["n"]
        for row in conversations.filter(opened_at__gte=start, opened_at__lt=end)
        .values(owner)
        .annotate(n=Count("pk"))
    }
    resolved_qs = conversations.filter(resolved_at__gte=start, resolved_at__lt=end)
    # Quantiles carry their sample size: a resolved conversation always has a
    # resolution time and an answered wait a duration, so no separate counts.
    resolution = quantiles(resolved_qs, "resolution_seconds", owner)
    resolved = {key: value.count for key, value in resolution.items()}

    responses = scope.responses().filter(responded_at__gte=start, responded_at__lt=end)
    all_times = quantiles(responses, "business_seconds", responder)
    answered = {key: value.count for key, value in all_times.items()}
    first_times = quantiles(responses.filter(is_first=True), "business_seconds", responder)
    due = {
        row[responder]: row
        for row in scope.responses()
        .filter(Q(responded_at__isnull=False) | Q(due_at__lte=now))
        .filter(due_at__gte=start, due_at__lt=end)
        .values(responder)
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(responded_at__lte=F("due_at"))))
    }
    ratings = {
        row[rater]: row
        for row in scope.surveys()
        .filter(submitted_at__gte=start, submitted_at__lt=end, csat__isnull=False)
        .values(rater)
        .annotate(n=Count("pk"), average=Avg("csat"))
    }
    keys = set(handled) | set(resolved) | set(answered) | set(ratings)
    if not by_team:
        # Waits still unanswered have no agent; they belong to no one's row.
        keys.discard(None)
    names = _names(keys - {None}, by_team)
    rows = []
    for key in keys:
        public_id, name = names.get(key, ("", "No team" if by_team else "Unassigned"))
        rating = ratings.get(key, {})
        rows.append(
            PersonRow(
                key=public_id,
                name=name,
                conversations=handled.get(key, 0),
                resolved=resolved.get(key, 0),
                responses=answered.get(key, 0),
                first_response=first_times.get(key, Quantiles.empty()),
                response=all_times.get(key, Quantiles.empty()),
                resolution=resolution.get(key, Quantiles.empty()),
                responses_due=due.get(key, {}).get("total", 0),
                responses_met=due.get(key, {}).get("met", 0),
                csat_count=rating.get("n", 0),
                csat_average=float(rating["average"]) if rating.get("average") else None,
            )
        )
    return sorted(rows, key=lambda row: (row.key == "", row.name.lower()))


def _names(ids: set[Any], by_team: bool) -> dict[Any, tuple[str, str]]:
    if by_team:
        teams = Team.objects.filter(pk__in=ids).values_list("pk", "public_id", "name")
        return {pk: (str(public_id), name) for pk, public_id, name in teams}
    users = User.objects.filter(pk__in=ids).values_list("pk", "public_id", "full_name", "email")
    return {pk: (str(public_id), name or email) for pk, public_id, name, email in users}
