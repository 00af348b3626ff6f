"""/api/v1/ endpoints for staff routing profiles and skills."""

import uuid
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.lib.errors import NotAllowed, NotFound
from rapport.team import services
from rapport.team.models import Skill, StaffSkill

router = Router(tags=["team"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class SkillLevel(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    proficiency: int = Field(..., ge=1, le=5)


class StaffOut(Schema):
    id: uuid.UUID
    email: str
    full_name: str
    availability: str
    capacity: int
    languages: list[str]
    skills: list[SkillLevel]


class StaffPatchIn(Schema):
    availability: Literal["available", "busy", "away", "offline"] | None = None
    capacity: int | None = Field(None, ge=0, le=1000)
    languages: list[str] | None = Field(None, max_length=50)
    skills: list[SkillLevel] | None = Field(None, max_length=100)


def _out(user: User) -> dict[str, Any]:
    # Skills come prefetched by _people().

    profile = services.profile_of(user)
    return {
        "id": user.public_id,
        "email": user.email,
        "full_name": user.full_name,
        "availability": profile.availability,
        "capacity": profile.capacity,
        "languages": profile.languages,
        "skills": [{"name": s.skill.name, "proficiency": s.proficiency} for s in user.skills.all()],
    }


def _people(actor: User) -> Any:
    if not actor.can(Cap.USERS_VIEW):
        raise NotAllowed("Your role does not allow listing staff.")
    return (
        User.objects.filter(organisation_id=actor.organisation_id, is_active=True)
        .prefetch_related(Prefetch("skills", queryset=StaffSkill.objects.select_related("skill")))
        .select_related("staff_profile")
    )


@router.get("/staff", response=list[StaffOut], summary="Staff availability, capacity and skills")
def list_staff(request: HttpRequest) -> Any:
    return [_out(user) for user in _people(_actor(request))]


@router.patch("/staff/{user_id}", response=StaffOut, summary="Change a routing profile")
def update_staff(request: HttpRequest, user_id: str, payload: StaffPatchIn) -> Any:
    actor = _actor(request)
    target = actor.public_id if user_id == "me" else user_id
    try:
        user = _people(actor).get(public_id=uuid.UUID(str(target)))
    except (ValueError, User.DoesNotExist):
        raise NotFound("No such person.") from None
    data = payload.dict(exclude_unset=True)
    if "skills" in data and data["skills"] is not None:
        data["skills"] = [(s["name"], s["proficiency"]) for s in data["skills"]]
    services.update_staff_profile(actor, user, **data)
    return _out(_people(actor).get(pk=user.pk))


class SkillIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    description: str = Field("", max_length=2000)


class SkillOut(Schema):
    name: str
    description: str


@router.get("/skills", response=list[SkillOut])
def list_skills(request: HttpRequest) -> Any:
    return Skill.objects.filter(organisation_id=_actor(request).organisation_id)


@router.post("/skills", response={201: SkillOut})
def create_skill(request: HttpRequest, payload: SkillIn) -> Any:
    return Status(201, services.create_skill(_actor(request), **payload.dict()))
