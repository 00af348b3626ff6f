"""Reads of insights that depend on who is asking: dashboard scopes, alerts, reports."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from rapport.accounts.models import Organisation, Team, User
from rapport.accounts.roles import Cap
from rapport.channels.models import Channel
from rapport.inbox.models import Message
from rapport.insights import exports
from rapport.insights.models import Alert, Recommendation, ReportRecipient
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.lib.ids import parse_public_id

# --- Dashboards, comparisons and exports (helper I1) ----------------------------------------


@dataclass(frozen=True)
class DashboardScope:
    """The period and filters a dashboard shows, checked against who is asking.

    `start` and `end` are local midnights in the organisation's time zone; the
    period is `start <= t < end`, so `last_day` is the day before `end`.
    """

    organisation: Organisation
    start: dt.datetime
    end: dt.datetime
    team: Team | None
    channel: Channel | None
    baseline: tuple[dt.datetime, dt.datetime]
    people: bool

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()

    @property
    def baseline_first_day(self) -> dt.date:
        return self.baseline[0].date()

    @property
    def baseline_last_day(self) -> dt.date:
        return (self.baseline[1] - dt.timedelta(days=1)).date()

    def export_scope(self) -> exports.Scope:
        return exports.Scope(
            self.organisation, self.start, self.end, self.team, self.channel, self.people
        )


MAX_PERIOD_DAYS = 731
DEFAULT_PERIOD_DAYS = 30


def require_insights(viewer: User) -> None:
    if not viewer.can(Cap.INSIGHTS_VIEW):
        raise NotAllowed("Your role does not allow reading the dashboards.")


def require_people(viewer: User) -> None:
    require_insights(viewer)
    if not viewer.can(Cap.INSIGHTS_PEOPLE):
        raise NotAllowed("Your role does not allow per-agent and per-team figures.")


def dashboard_scope(
    viewer: User,
    *,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    team: str | uuid.UUID | None = None,
    channel: str | uuid.UUID | None = None,
    baseline_first_day: dt.date | None = None,
    baseline_last_day: dt.date | None = None,
) -> DashboardScope:
    """Return the dashboard scope for these days (inclusive), or raise a domain error."""
    require_insights(viewer)
    organisation = viewer.organisation
    zone = organisation.zone
    today = timezone.now().astimezone(zone).date()
    last_day = last_day or today
    first_day = first_day or last_day - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    start, end = _period(zone, first_day, last_day, "period")
    if (baseline_first_day is None) != (baseline_last_day is None):
        raise DomainError(
            "Give both the first and the last day of the baseline, or neither.",
            code="invalid_period",
        )
    if baseline_first_day and baseline_last_day:
        baseline = _period(zone, baseline_first_day, baseline_last_day, "baseline")
    else:
        baseline = (start - (end - start), start)
    team_row = None
    if team:
        team_id = parse_public_id(team, "team")
        team_row = Team.objects.filter(organisation=organisation, public_id=team_id).first()
        if team_row is None:
            raise NotFound("No such team.")
    channel_row = None
    if channel:
        channel_id = parse_public_id(channel, "channel")
        channel_row = Channel.objects.filter(
            organisation=organisation, public_id=channel_id
        ).first()
        if channel_row is None:
            raise NotFound("No such channel.")
    return DashboardScope(
        organisation=organisation,
        start=start,
        end=end,
        team=team_row,
        channel=channel_row,
        baseline=baseline,
        people=viewer.can(Cap.INSIGHTS_PEOPLE),
    )


def _period(
    zone: dt.tzinfo, first_day: dt.date, last_day: dt.date, what: str
) -> tuple[dt.datetime, dt.datetime]:
    if last_day < first_day:
        raise DomainError(
            f"The {what} ends before it starts ({first_day} to {last_day}).",
            code="invalid_period",
        )
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise DomainError(
            f"A {what} can cover at most {MAX_PERIOD_DAYS} days.", code="invalid_period"
        )
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end


def scope_options(viewer: User) -> dict[str, list[tuple[str, str]]]:
    """The teams and channels a viewer can filter by, as (public id, name)."""
    require_insights(viewer)
    teams = Team.objects.filter(organisation=viewer.organisation).order_by("name")
    channels = Channel.objects.filter(organisation=viewer.organisation).order_by("name")
    return {
        "teams": [(str(t.public_id), t.name) for t in teams.only("public_id", "name")],
        "channels": [(str(c.public_id), c.name) for c in channels.only("public_id", "name")],
    }


# --- end of dashboards, comparisons and exports (helper I1) ---------------------------------


# --- Alerts, reports and recommendations (helper I2) ----------------------------------------


def alerts_visible_to(viewer: User, *, only_unacknowledged: bool = False) -> QuerySet[Alert]:
    """Return the organisation's brand-risk alerts, newest first, with a sample of messages."""
    require_insights(viewer)
    alerts = Alert.objects.filter(organisation=viewer.organisation).select_related(
        "acknowledged_by"
    )
    if only_unacknowledged:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    sample = Message.objects.select_related("conversation").order_by("sent_at")[:ALERT_SAMPLE]
    return alerts.prefetch_related(Prefetch("messages", queryset=sample, to_attr="sample"))


ALERT_SAMPLE = 8


def get_alert_for_user(viewer: User, public_id: str | uuid.UUID) -> Alert:
    require_insights(viewer)
    alert = Alert.objects.filter(
        organisation=viewer.organisation, public_id=parse_public_id(public_id, "alert")
    ).first()
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def get_recommendation_for_user(viewer: User, public_id: str | uuid.UUID) -> Recommendation:
    require_insights(viewer)
    found = Recommendation.objects.filter(
        organisation=viewer.organisation,
        public_id=parse_public_id(public_id, "recommendation"),
    ).first()
    if found is None:
        raise NotFound("No such recommendation.")
    return found


def report_month_for_user(viewer: User, month: str) -> dt.date:
    """Return the first day of the month a viewer asked for (YYYY-MM), checked."""
    from rapport.insights.report import parse_month

    require_insights(viewer)
    return parse_month(month, today=timezone.now().astimezone(viewer.organisation.zone).date())


def report_recipients(viewer: User) -> QuerySet[ReportRecipient]:
    if not viewer.can(Cap.REPORTS_MANAGE):
        raise NotAllowed("Your role does not allow managing the report's recipients.")
    return ReportRecipient.objects.filter(organisation=viewer.organisation)


def get_report_recipient(viewer: User, recipient_id: int) -> ReportRecipient:
    found = report_recipients(viewer).filter(pk=recipient_id).first()
    if found is None:
        raise NotFound("No such recipient.")
    return found


# --- end of alerts, reports and recommendations (helper I2) ---------------------------------
