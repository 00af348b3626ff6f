"""API schemas for accounts: explicit fields in, explicit fields out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import field_validator

from rapport.accounts.roles import capabilities_of
from rapport.lib.schema_types import UtcDatetime

RoleName = Literal["admin", "manager", "supervisor", "agent", "marketer", "analyst", "assessor"]


class Ref(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str


class OrganisationOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    slug: str
    time_zone: str


class UserOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    email: str
    full_name: str
    role: str
    is_active: bool
    teams: list[Ref]
    last_login: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_teams(obj: Any) -> list[Any]:
        return list(obj.teams.all())


class MeOut(UserOut):
    organisation: OrganisationOut
    capabilities: list[str]

    @staticmethod
    def resolve_capabilities(obj: Any) -> list[str]:
        return capabilities_of(obj.role) if obj.is_active else []


class UserCreateIn(Schema):
    email: str = Field(..., max_length=254)
    role: RoleName
    full_name: str = Field("", max_length=150)
    password: str | None = Field(None, max_length=200)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        try:
            validate_email(value.strip())
        except DjangoValidationError:
            raise ValueError("not a valid email address") from None
        return value.strip().lower()


class UserPatchIn(Schema):
    full_name: str | None = Field(None, max_length=150)
    role: RoleName | None = None
    is_active: bool | None = None


class MemberOut(Schema):
    id: uuid.UUID
    email: str
    full_name: str
    is_lead: bool


class TeamOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    description: str
    members: list[MemberOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_members(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "id": m.user.public_id,
                "email": m.user.email,
                "full_name": m.user.full_name,
                "is_lead": m.is_lead,
            }
            for m in obj.memberships.all()
        ]


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=2000)


class TeamPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)


class TeamMembersIn(Schema):
    members: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    leads: list[uuid.UUID] = Field(default_factory=list, max_length=1000)


class TokenOut(Schema):
    id: uuid.UUID = Field(..., alias="public_id")
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The token itself. Shown this once; store it now.")


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: UtcDatetime | None = Field(None, description="ISO 8601; UTC when no offset given")


class AuditOut(Schema):
    id: int
    created_at: dt.datetime
    actor: str = Field(..., alias="actor_label")
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict[str, Any]
    request_id: str
    ip: str | None
