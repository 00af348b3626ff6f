"""Schemas of the /api/v1/insights/ endpoints."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

# --- Dashboards, comparisons and exports (helper I1) ----------------------------------------


class DashboardQuery(Schema):
    """The period (local days, inclusive) and filters; the default is the last 30 days."""

    start: dt.date | None = None
    end: dt.date | None = None
    team: uuid.UUID | None = None
    channel: uuid.UUID | None = None
    baseline_start: dt.date | None = None
    baseline_end: dt.date | None = None


class QuantilesOut(Schema):
    count: int
    median: float | None = Field(None, description="Seconds of business time")
    p90: float | None = Field(None, description="Seconds of business time")


class TallyOut(Schema):
    key: str
    label: str
    count: int


class AttainmentOut(Schema):
    target: str
    label: str
    met: int
    total: int
    rate: float | None


class AgeBucketOut(Schema):
    label: str
    count: int


class ResolutionRowOut(Schema):
    action: str
    label: str
    count: int
    total_cost: Decimal
    accepted: int
    rejected: int


class SurveyScoresOut(Schema):
    csat_count: int
    csat_average: float | None
    csat_satisfied: int
    csat: float | None = Field(None, description="Share of 4 and 5 answers, per cent")
    nps_count: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ces_count: int
    ces_average: float | None
    ces_easy: int
    ces_easy_share: float | None


class TrendPointOut(Schema):
    day: dt.date
    scores: SurveyScoresOut


class VolumePointOut(Schema):
    day: dt.date
    by_channel: dict[str, int]
    total: int


class ServiceSummaryOut(Schema):
    start: dt.datetime
    end: dt.datetime
    team: str | None
    channel: str | None
    volume_total: int
    inbound_messages: int
    outbound_messages: int
    volume_by_channel: list[TallyOut]
    volume_by_kind: list[TallyOut]
    volume_by_team: list[TallyOut]
    volume_by_day: list[VolumePointOut]
    trend_unit: str
    first_response: QuantilesOut
    next_response: QuantilesOut
    resolution: QuantilesOut
    sla: list[AttainmentOut]
    backlog_at: dt.datetime
    backlog_total: int
    backlog_ageing: list[AgeBucketOut]
    complaints_total: int
    complaints_by_category: list[TallyOut]
    resolutions: list[ResolutionRowOut]
    resolutions_cost: Decimal
    surveys: SurveyScoresOut
    survey_trend: list[TrendPointOut]


class PersonOut(Schema):
    key: str = Field(description="The agent's or team's public id; empty for no team")
    name: str
    conversations: int
    resolved: int
    responses: int
    first_response: QuantilesOut
    response: QuantilesOut
    resolution: QuantilesOut
    responses_due: int
    responses_met: int
    sla_rate: float | None
    csat_count: int
    csat_average: float | None


class PostOut(Schema):
    key: str
    channel: str
    title: str
    text: str
    url: str
    published_at: dt.datetime
    campaign: str
    has_media: bool
    favourites: int
    boosts: int
    replies: int
    impressions: int | None
    reach: int | None
    engagement: int


class MentionsOut(Schema):
    total: int
    positive: int
    neutral: int
    negative: int
    ugc: int


class MediaSplitOut(Schema):
    with_media_posts: int
    with_media_mean: float | None
    text_only_posts: int
    text_only_mean: float | None
    ratio: float | None


class TimeSlotOut(Schema):
    weekday: int = Field(description="1 is Monday")
    hour: int
    posts: int
    mean_engagement: float


class AccountOut(Schema):
    key: str
    name: str
    platform: str
    followers_start: int | None
    followers_end: int | None
    follower_change: int | None
    followers_series: list[tuple[dt.date, int]]
    posts: int
    favourites: int
    boosts: int
    replies: int
    engagement: int
    impressions: int | None
    reach: int | None
    engagement_rate: float | None = Field(None, description="Per post, % of followers")
    engagement_rate_impressions: float | None
    top_posts: list[PostOut]
    bottom_posts: list[PostOut]
    mentions: MentionsOut
    media: MediaSplitOut


class CampaignOut(Schema):
    key: str
    name: str
    kind: str
    goal_metric: str
    goal_target: float | None
    achieved: float | None
    posts: int
    engagement: int
    impressions: int | None
    ugc_items: int


class SocialSummaryOut(Schema):
    start: dt.datetime
    end: dt.datetime
    posts: int
    engagement: int
    accounts: list[AccountOut]
    campaigns: list[CampaignOut]
    best_times: list[TimeSlotOut]
    media: MediaSplitOut
    mentions: MentionsOut
    trend_unit: str
    engagement_series: list[tuple[dt.date, int]]


class TestResultOut(Schema):
    test: str
    p_value: float | None
    significant: bool
    n_current: int
    n_baseline: int
    statistic: float | None


class ComparisonOut(Schema):
    metric: str
    label: str
    unit: str
    current: float | None
    baseline: float | None
    change: float | None
    relative_change: float | None
    verdict: str
    result: TestResultOut


# --- end of dashboards, comparisons and exports (helper I1) ---------------------------------


# --- Alerts, the monthly report and recommendations (helper I2) -----------------------------


class PersonRefOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    email: str
    full_name: str


class AlertMessageOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    conversation: uuid.UUID
    sent_at: dt.datetime
    text: str
    kind: str
    sentiment: float | None
    brand_risk: float | None

    @staticmethod
    def resolve_conversation(obj: Any) -> uuid.UUID:
        return obj.conversation.public_id


class AlertOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    title: str
    scopes: list[str]
    terms: list[str]
    started_at: dt.datetime
    triggered_at: dt.datetime
    ended_at: dt.datetime | None
    observed: int
    expected: float
    p_value: float
    window_minutes: int
    peak_observed: int
    message_count: int
    messages: list[AlertMessageOut] = Field(
        default_factory=list, description="The first messages that raised it (up to 8)"
    )
    acknowledged_by: PersonRefOut | None
    acknowledged_at: dt.datetime | None
    action_taken: str

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(getattr(obj, "sample", []))


class AcknowledgeIn(Schema):
    action_taken: str = Field(..., min_length=1, max_length=2000, description="What was done")


class RecommendationOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    month: dt.date
    rule: str
    key: str
    title: str
    action: str
    owner: str
    evidence: dict[str, Any]
    status: str
    decided_by: PersonRefOut | None
    decided_at: dt.datetime | None
    decision_note: str


class DecisionIn(Schema):
    status: Literal["accepted", "dismissed", "proposed"]
    note: str = Field("", max_length=2000)


class KeyFigureOut(Schema):
    label: str
    value: str
    previous: str
    change: str
    verdict: str
    standard: str
    note: str


class NotableRowOut(Schema):
    conversation: uuid.UUID = Field(..., alias="public_id")
    title: str
    channel: str
    opened_at: dt.datetime
    figure: str


class NotableGroupOut(Schema):
    key: str
    title: str
    why: str
    rows: list[NotableRowOut]


class ReportOut(Schema):
    month: str
    start: dt.datetime
    end: dt.datetime
    is_partial: bool
    key_figures: list[KeyFigureOut]
    standards: dict[str, int | None]
    recommendations: list[RecommendationOut]
    notable: list[NotableGroupOut]
    alerts: int
    html_url: str
    pdf_url: str


class RecipientIn(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field("", max_length=100)


class RecipientOut(Schema):
    id: int
    email: str
    name: str
    created_at: dt.datetime


# --- end of alerts, the monthly report and recommendations (helper I2) ----------------------
