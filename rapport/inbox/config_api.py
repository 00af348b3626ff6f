"""/api/v1/ endpoints that configure the inbox: calendars, service standards, routing rules."""

import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from rapport.accounts.models import Team, User
from rapport.accounts.roles import Cap
from rapport.inbox import config
from rapport.inbox.models import BusinessCalendar, RoutingRule, SlaPolicy
from rapport.lib.errors import DomainError, NotAllowed, NotFound
from rapport.team.models import Skill

router = Router(tags=["inbox configuration"])

Minutes = int | None


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _mine(actor: User, model: Any, public_id: uuid.UUID | None, what: str) -> Any:
    if public_id is None:
        return None
    found = model.objects.filter(organisation_id=actor.organisation_id, public_id=public_id).first()
    if found is None:
        raise NotFound(f"No such {what}.")
    return found


def _read(actor: User) -> None:
    if not actor.can(Cap.INBOX_VIEW):
        raise NotAllowed("Your role does not allow reading the inbox configuration.")


class CalendarIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    time_zone: str = Field("UTC", max_length=64)
    weekly_hours: dict[Literal["0", "1", "2", "3", "4", "5", "6"], list[tuple[str, str]]]
    holidays: list[str] = Field(default_factory=list, max_length=400)


class CalendarOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    time_zone: str
    weekly_hours: dict[str, Any]
    holidays: list[str]


@router.get("/calendars", response=list[CalendarOut])
def list_calendars(request: HttpRequest) -> Any:
    _read(_actor(request))
    return BusinessCalendar.objects.filter(organisation_id=_actor(request).organisation_id)


@router.post("/calendars", response={201: CalendarOut})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Any:
    return Status(201, config.save_calendar(_actor(request), **payload.dict()))


@router.put("/calendars/{calendar_id}", response=CalendarOut)
def replace_calendar(request: HttpRequest, calendar_id: uuid.UUID, payload: CalendarIn) -> Any:
    calendar = _mine(_actor(request), BusinessCalendar, calendar_id, "calendar")
    return config.save_calendar(_actor(request), calendar, **payload.dict())


class TargetIO(Schema):
    priority: int | None = Field(None, ge=1, le=4)
    kind: str = Field("", max_length=20)
    first_response_minutes: Minutes = Field(None, ge=1, le=525_600)
    next_response_minutes: Minutes = Field(None, ge=1, le=525_600)
    resolution_minutes: Minutes = Field(None, ge=1, le=525_600)


class EscalationIn(Schema):
    on_warning: bool = False
    action: Literal["bump_priority", "assign_team", "notify_supervisors"]
    team: uuid.UUID | None = None


class EscalationOut(Schema):
    on_warning: bool
    action: str
    team: uuid.UUID | None

    @staticmethod
    def resolve_team(obj: Any) -> uuid.UUID | None:
        return obj.team.public_id if obj.team_id else None


class PolicyIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    calendar: uuid.UUID | None = None
    is_default: bool = False
    warn_before_minutes: int = Field(30, ge=0, le=10_080)
    targets: list[TargetIO] = Field(..., min_length=1, max_length=50)
    escalations: list[EscalationIn] = Field(default_factory=list, max_length=20)


class PolicyOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    calendar: uuid.UUID | None
    is_default: bool
    warn_before_minutes: int
    targets: list[TargetIO]
    escalations: list[EscalationOut]

    @staticmethod
    def resolve_calendar(obj: Any) -> uuid.UUID | None:
        return obj.calendar.public_id if obj.calendar_id else None

    @staticmethod
    def resolve_targets(obj: Any) -> list[Any]:
        return list(obj.targets.all())

    @staticmethod
    def resolve_escalations(obj: Any) -> list[Any]:
        return list(obj.escalations.all())


def _policy_args(actor: User, payload: PolicyIn) -> dict[str, Any]:
    data = payload.dict()
    kinds = {"", "question", "complaint", "review", "ugc", "praise", "abuse", "spam", "other"}
    if any(t["kind"] not in kinds for t in data["targets"]):
        raise DomainError("Unknown kind in a target.", code="unknown_kind")
    data["calendar"] = _mine(actor, BusinessCalendar, payload.calendar, "calendar")
    data["escalations"] = [
        {**rule, "team": _mine(actor, Team, rule["team"], "team")} for rule in data["escalations"]
    ]
    return data


def _policies(actor: User) -> Any:
    return (
        SlaPolicy.objects.filter(organisation_id=actor.organisation_id)
        .select_related("calendar")
        .prefetch_related("targets", "escalations__team")
    )


@router.get("/sla-policies", response=list[PolicyOut])
def list_policies(request: HttpRequest) -> Any:
    _read(_actor(request))
    return _policies(_actor(request))


@router.post("/sla-policies", response={201: PolicyOut})
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    actor = _actor(request)
    policy = config.save_sla_policy(actor, **_policy_args(actor, payload))
    return Status(201, _policies(actor).get(pk=policy.pk))


@router.put("/sla-policies/{policy_id}", response=PolicyOut)
def replace_policy(request: HttpRequest, policy_id: uuid.UUID, payload: PolicyIn) -> Any:
    actor = _actor(request)
    policy = _mine(actor, SlaPolicy, policy_id, "service standard")
    config.save_sla_policy(actor, policy, **_policy_args(actor, payload))
    return _policies(actor).get(pk=policy.pk)


class RuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    position: int = Field(100, ge=0, le=100_000)
    is_active: bool = True
    channel_ids: list[int] = Field(default_factory=list, max_length=100)
    kinds: list[str] = Field(default_factory=list, max_length=10)
    languages: list[str] = Field(default_factory=list, max_length=50)
    intents: list[str] = Field(default_factory=list, max_length=100)
    keywords: list[str] = Field(default_factory=list, max_length=100)
    customer_attributes: dict[str, Any] = Field(default_factory=dict)
    team: uuid.UUID
    assignment: Literal["none", "round_robin", "least_loaded"] = "round_robin"
    set_priority: int | None = Field(None, ge=1, le=4)
    required_skill: str = Field("", max_length=80, description="A skill's name")
    min_proficiency: int = Field(1, ge=1, le=5)
    require_language: bool = False


class RuleOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    position: int
    is_active: bool
    kinds: list[str]
    languages: list[str]
    intents: list[str]
    keywords: list[str]
    team: uuid.UUID
    assignment: str
    set_priority: int | None
    min_proficiency: int
    require_language: bool

    @staticmethod
    def resolve_team(obj: Any) -> uuid.UUID:
        return obj.team.public_id


def _rule_args(actor: User, payload: RuleIn) -> dict[str, Any]:
    data = payload.dict()
    data["team"] = _mine(actor, Team, payload.team, "team")
    skill_name = data.pop("required_skill")
    data["required_skill"] = None
    if skill_name:
        data["required_skill"] = Skill.objects.filter(
            organisation_id=actor.organisation_id, name__iexact=skill_name
        ).first()
        if data["required_skill"] is None:
            raise DomainError("No such skill.", code="unknown_skill")
    return data


@router.get("/routing-rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> Any:
    _read(_actor(request))
    return RoutingRule.objects.filter(
        organisation_id=_actor(request).organisation_id
    ).select_related("team")


@router.post("/routing-rules", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    actor = _actor(request)
    return Status(201, config.save_routing_rule(actor, **_rule_args(actor, payload)))


@router.put("/routing-rules/{rule_id}", response=RuleOut)
def replace_rule(request: HttpRequest, rule_id: uuid.UUID, payload: RuleIn) -> Any:
    actor = _actor(request)
    rule = _mine(actor, RoutingRule, rule_id, "routing rule")
    return config.save_routing_rule(actor, rule, **_rule_args(actor, payload))


@router.delete("/routing-rules/{rule_id}", response={204: None})
def delete_rule(request: HttpRequest, rule_id: uuid.UUID) -> Any:
    actor = _actor(request)
    config.delete_routing_rule(actor, _mine(actor, RoutingRule, rule_id, "routing rule"))
    return Status(204, None)
