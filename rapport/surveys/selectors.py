"""Reads of surveys and responses that depend on who is asking.

Every role of an organisation may read its surveys, responses and scores
(Cap.SURVEYS_VIEW); nobody reads another organisation's. Summaries are one
aggregate query each, computed by the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Avg,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.inbox.models import Conversation
from rapport.lib.cursors import decode_cursor, encode_cursor
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.lib.ids import parse_public_id
from rapport.surveys.models import Question, Survey, SurveyInvitation, SurveyResponse


def _require_view(viewer: User) -> None:
    if not viewer.can(Cap.SURVEYS_VIEW):
        raise NotAllowed("Your role does not allow reading surveys.")


def _count(model: Any, **filters: Any) -> Subquery:
    return Subquery(
        model.objects.filter(**filters)
        .order_by()
        .values("survey_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def surveys_visible_to(viewer: User) -> QuerySet[Survey]:
    """Return the organisation's surveys with their questions and invitation/response counts."""
    _require_view(viewer)
    return (
        Survey.objects.filter(organisation_id=viewer.organisation_id)
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("position")))
        .annotate(
            invitation_count=Coalesce(_count(SurveyInvitation, survey_id=OuterRef("pk")), 0),
            response_count=Coalesce(_count(SurveyResponse, survey_id=OuterRef("pk")), 0),
        )
        .order_by("name", "id")
    )


def get_survey_for_user(viewer: User, public_id: str | uuid.UUID) -> Survey:
    try:
        return surveys_visible_to(viewer).get(public_id=parse_public_id(public_id, "survey"))
    except Survey.DoesNotExist:
        raise NotFound("No such survey.") from None


@dataclass(frozen=True)
class ResponseFilter:
    survey: uuid.UUID | None = None
    agent: uuid.UUID | None = None
    team: uuid.UUID | None = None
    channel: uuid.UUID | None = None
    sentiment: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    # "detractor", "passive", "promoter" (NPS) or "unsatisfied", "satisfied" (CSAT).
    band: str = ""
    with_comment: bool = False
    theme: str = ""


BANDS = {
    "detractor": Q(nps__lte=6),
    "passive": Q(nps__in=(7, 8)),
    "promoter": Q(nps__gte=9),
    "unsatisfied": Q(csat__lte=2),
    "satisfied": Q(csat__gte=4),
}


def responses_visible_to(viewer: User, filters: ResponseFilter | None = None) -> QuerySet:
    """Return the organisation's responses matching the filters, newest first."""
    _require_view(viewer)
    f = filters or ResponseFilter()
    responses = SurveyResponse.objects.filter(organisation_id=viewer.organisation_id)
    if f.survey:
        responses = responses.filter(survey__public_id=f.survey)
    if f.agent:
        responses = responses.filter(agent__public_id=f.agent)
    if f.team:
        responses = responses.filter(team__public_id=f.team)
    if f.channel:
        responses = responses.filter(channel__public_id=f.channel)
    if f.sentiment:
        responses = responses.filter(sentiment=f.sentiment)
    if f.since:
        responses = responses.filter(submitted_at__gte=f.since)
    if f.until:
        responses = responses.filter(submitted_at__lt=f.until)
    if f.band:
        if f.band not in BANDS:
            raise DomainError("Unknown score band.", code="bad_band")
        responses = responses.filter(BANDS[f.band])
    if f.with_comment:
        responses = responses.exclude(comment="")
    if f.theme:
        # A JSON list contains this string: portable across SQLite and PostgreSQL.
        responses = responses.filter(themes__icontains=f'"{f.theme[:60]}"')
    return responses.order_by("-submitted_at", "-id")


def with_links(responses: QuerySet) -> QuerySet:
    """Return the responses with what a list shows about each joined in (no N+1)."""
    return responses.select_related(
        "survey", "agent", "team", "customer", "channel", "conversation"
    )


def response_page(
    viewer: User, filters: ResponseFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[SurveyResponse], str | None]:
    """Return one page of responses, newest first, and the cursor of the next page."""
    responses = with_links(responses_visible_to(viewer, filters))
    if cursor:
        at, pk = decode_cursor(cursor)
        responses = responses.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lt=pk))
    page = list(responses[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(page[-1].submitted_at, page[-1].pk)
    return page, next_cursor


def get_response_for_user(viewer: User, public_id: str | uuid.UUID) -> SurveyResponse:
    try:
        return with_links(responses_visible_to(viewer)).get(
            public_id=parse_public_id(public_id, "response")
        )
    except SurveyResponse.DoesNotExist:
        raise NotFound("No such response.") from None


def responses_for_conversation(viewer: User, conversation: Conversation) -> list[SurveyResponse]:
    """Return the survey responses about one conversation (for the conversation page)."""
    if conversation.organisation_id != viewer.organisation_id:
        raise NotAllowed("This conversation is not in your organisation.")
    return list(
        responses_visible_to(viewer)
        .filter(conversation_id=conversation.pk)
        .select_related("survey")
        .order_by("-submitted_at")[:10]
    )


@dataclass(frozen=True)
class Summary:
    responses: int
    csat_count: int
    csat_satisfied_pct: float | None
    csat_average: float | None
    nps_count: int
    nps_promoters: int
    nps_passives: int
    nps_detractors: int
    nps: float | None
    ces_count: int
    ces_average: float | None
    negative: int
    neutral: int
    positive: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def summarise(responses: QuerySet) -> Summary:
    """Return the scores of a set of responses, in one aggregate query.

    CSAT % satisfied: share of CSAT answers of 4 or 5. NPS: % promoters (9–10)
    minus % detractors (0–6), from -100 to 100. CES: the mean on 1–7.
    """
    row = responses.order_by().aggregate(
        responses=Count("pk"),
        csat_count=Count("csat"),
        csat_satisfied=Count("pk", filter=Q(csat__gte=4)),
        csat_average=Avg("csat"),
        nps_count=Count("nps"),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        passives=Count("pk", filter=Q(nps__in=(7, 8))),
        detractors=Count("pk", filter=Q(nps__lte=6)),
        ces_count=Count("ces"),
        ces_average=Avg("ces"),
        negative=Count("pk", filter=Q(sentiment="negative")),
        neutral=Count("pk", filter=Q(sentiment="neutral")),
        positive=Count("pk", filter=Q(sentiment="positive")),
    )

    def pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    def avg(value: float | None) -> float | None:
        return round(float(value), 2) if value is not None else None

    nps_count = row["nps_count"]
    nps = round(100 * (row["promoters"] - row["detractors"]) / nps_count, 1) if nps_count else None
    return Summary(
        responses=row["responses"],
        csat_count=row["csat_count"],
        csat_satisfied_pct=pct(row["csat_satisfied"], row["csat_count"]),
        csat_average=avg(row["csat_average"]),
        nps_count=nps_count,
        nps_promoters=row["promoters"],
        nps_passives=row["passives"],
        nps_detractors=row["detractors"],
        nps=nps,
        ces_count=row["ces_count"],
        ces_average=avg(row["ces_average"]),
        negative=row["negative"],
        neutral=row["neutral"],
        positive=row["positive"],
    )


def response_rate(viewer: User, survey: Survey) -> tuple[int, int]:
    """Return (invitations sent, invitations answered) for one survey."""
    _require_view(viewer)
    row = SurveyInvitation.objects.filter(
        survey_id=survey.pk, organisation_id=viewer.organisation_id
    ).aggregate(sent=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False)))
    return row["sent"], row["answered"]
