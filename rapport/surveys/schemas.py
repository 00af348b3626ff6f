"""API schemas for surveys: explicit fields in, explicit fields out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from rapport.lib.schema_types import UtcDatetime

TriggerName = Literal["on_resolve", "scheduled", "public_link"]
QuestionKindName = Literal["csat", "nps", "ces", "text", "choice", "scale"]
ChannelKindName = Literal[
    "mastodon", "sandbox", "bluesky", "email", "reviews", "webhook", "webform", "phone"
]
ConversationKindName = Literal["question", "complaint", "review", "ugc", "praise", "other"]
LanguageCode = Annotated[str, StringConstraints(min_length=2, max_length=12)]
Wording = dict[LanguageCode, Annotated[str, StringConstraints(max_length=500)]]


class QuestionIn(Schema):
    id: uuid.UUID | None = Field(None, description="Keep this existing question (changing it)")
    kind: QuestionKindName
    text: Wording = Field(..., examples=[{"en": "How did we do?", "fr": "Comment était-ce ?"}])
    required: bool = True
    options: dict[str, Any] = Field(
        default_factory=dict,
        description='choice: {"choices": ["Yes", "No"]}; scale: {"min": 1, "max": 10}',
    )


class QuestionOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    kind: str
    text: dict[str, str]
    required: bool
    options: dict[str, Any]
    position: int


class _SurveyFields(Schema):
    active: bool = False
    channel_kinds: list[ChannelKindName] = Field(default_factory=list, max_length=10)
    conversation_kinds: list[ConversationKindName] = Field(default_factory=list, max_length=10)
    cooldown_days: int = Field(30, ge=0, le=3650)
    expires_after_days: int = Field(14, ge=1, le=365)
    require_consent: bool = False
    default_language: LanguageCode = "en"
    intro: Wording = Field(default_factory=dict)
    thank_you: Wording = Field(default_factory=dict)
    segment_days: int = Field(30, ge=1, le=3650)
    segment_tags: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list, max_length=50
    )
    schedule_every_days: int = Field(30, ge=1, le=365)


class SurveyIn(_SurveyFields):
    name: str = Field(..., min_length=1, max_length=120)
    trigger: TriggerName = "on_resolve"
    questions: list[QuestionIn] = Field(default_factory=list, max_length=20)


class SurveyPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    active: bool | None = None
    trigger: TriggerName | None = None
    channel_kinds: list[ChannelKindName] | None = Field(None, max_length=10)
    conversation_kinds: list[ConversationKindName] | None = Field(None, max_length=10)
    cooldown_days: int | None = Field(None, ge=0, le=3650)
    expires_after_days: int | None = Field(None, ge=1, le=365)
    require_consent: bool | None = None
    default_language: LanguageCode | None = None
    intro: Wording | None = None
    thank_you: Wording | None = None
    segment_days: int | None = Field(None, ge=1, le=3650)
    segment_tags: list[Annotated[str, StringConstraints(max_length=60)]] | None = Field(
        None, max_length=50
    )
    schedule_every_days: int | None = Field(None, ge=1, le=365)
    questions: list[QuestionIn] | None = Field(None, max_length=20)


class SurveyOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    active: bool
    trigger: str
    channel_kinds: list[str]
    conversation_kinds: list[str]
    cooldown_days: int
    expires_after_days: int
    require_consent: bool
    default_language: str
    intro: dict[str, str]
    thank_you: dict[str, str]
    segment_days: int
    segment_tags: list[str]
    schedule_every_days: int
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    invitation_count: int = 0
    response_count: int = 0
    public_url: str | None = None
    questions: list[QuestionOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_questions(obj: Any) -> list[Any]:
        return list(obj.questions.all())


class Ref(Schema):
    id: uuid.UUID = Field(..., alias="public_id")


class NamedRef(Ref):
    name: str


class ResponseOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    survey: NamedRef
    submitted_at: dt.datetime
    language: str
    csat: int | None
    nps: int | None
    ces: int | None
    comment: str
    sentiment: str
    sentiment_score: float | None
    themes: list[str]
    answers: dict[str, Any]
    conversation: Ref | None
    agent: Ref | None
    team: NamedRef | None
    customer: Ref | None
    channel: NamedRef | None


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class ResponseQuery(Schema):
    survey: uuid.UUID | None = None
    agent: uuid.UUID | None = None
    team: uuid.UUID | None = None
    channel: uuid.UUID | None = None
    sentiment: Literal["negative", "neutral", "positive", ""] = ""
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    band: Literal["detractor", "passive", "promoter", "unsatisfied", "satisfied", ""] = ""
    with_comment: bool = False
    theme: str = Field("", max_length=60)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


class SummaryOut(Schema):
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
    invitations_sent: int | None = None
    invitations_answered: int | None = None
