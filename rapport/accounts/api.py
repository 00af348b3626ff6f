"""/api/v1/ endpoints for the current user, users, teams, API tokens and the audit log."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from rapport.accounts import selectors, services
from rapport.accounts.models import User
from rapport.accounts.roles import Role
from rapport.accounts.schemas import (
    AuditOut,
    MeOut,
    TeamIn,
    TeamMembersIn,
    TeamOut,
    TeamPatchIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserCreateIn,
    UserOut,
    UserPatchIn,
)
from rapport.lib.errors import DomainError
from rapport.lib.schema_types import UtcDatetime

router = Router(tags=["accounts"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


@router.get("/me", response=MeOut, summary="The caller, their organisation and capabilities")
def me(request: HttpRequest) -> Any:
    return selectors.get_user_for_user(_actor(request), _actor(request).public_id)


@router.get("/users", response=list[UserOut], summary="List the organisation's users")
@paginate(LimitOffsetPagination)
def list_users(request: HttpRequest) -> Any:
    return selectors.users_visible_to(_actor(request))


@router.post("/users", response={201: UserOut}, summary="Create a user (admins)")
def create_user(request: HttpRequest, payload: UserCreateIn) -> Any:
    user = services.create_user(_actor(request), **payload.dict())
    return Status(201, selectors.get_user_for_user(_actor(request), user.public_id))


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: HttpRequest, user_id: uuid.UUID) -> Any:
    return selectors.get_user_for_user(_actor(request), user_id)


@router.patch("/users/{user_id}", response=UserOut, summary="Change a user (admins)")
def update_user(request: HttpRequest, user_id: uuid.UUID, payload: UserPatchIn) -> Any:
    user = selectors.get_user_for_user(_actor(request), user_id)
    services.update_user(_actor(request), user, **payload.dict(exclude_unset=True))
    return selectors.get_user_for_user(_actor(request), user_id)


@router.get("/teams", response=list[TeamOut])
@paginate(LimitOffsetPagination)
def list_teams(request: HttpRequest) -> Any:
    return selectors.teams_visible_to(_actor(request))


@router.post("/teams", response={201: TeamOut}, summary="Create a team")
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    team = services.create_team(_actor(request), **payload.dict())
    return Status(201, selectors.get_team_for_user(_actor(request), team.public_id))


@router.patch("/teams/{team_id}", response=TeamOut)
def update_team(request: HttpRequest, team_id: uuid.UUID, payload: TeamPatchIn) -> Any:
    team = selectors.get_team_for_user(_actor(request), team_id)
    services.update_team(_actor(request), team, **payload.dict(exclude_unset=True))
    return selectors.get_team_for_user(_actor(request), team_id)


@router.put("/teams/{team_id}/members", response=TeamOut, summary="Set a team's members")
def set_team_members(request: HttpRequest, team_id: uuid.UUID, payload: TeamMembersIn) -> Any:
    actor = _actor(request)
    team = selectors.get_team_for_user(actor, team_id)
    wanted = set(payload.members) | set(payload.leads)
    users = {u.public_id: u for u in User.objects.filter(public_id__in=wanted)}
    missing = wanted - users.keys()
    if missing:
        raise DomainError(
            "Unknown users.", code="unknown_user", details=sorted(str(m) for m in missing)
        )
    services.set_team_members(
        actor,
        team,
        members=[users[m] for m in payload.members],
        leads=[users[m] for m in payload.leads],
    )
    return selectors.get_team_for_user(actor, team_id)


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
def list_tokens(request: HttpRequest) -> Any:
    return selectors.tokens_of(_actor(request))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    token, raw = services.create_api_token(_actor(request), **payload.dict())
    token.token = raw  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke an API token")
def revoke_token(request: HttpRequest, token_id: uuid.UUID) -> Any:
    token = selectors.get_token_for_user(_actor(request), token_id)
    return services.revoke_api_token(_actor(request), token)


class AuditQuery(Schema):
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None


@router.get("/audit", response=list[AuditOut], summary="Browse the audit log (admins, managers)")
@paginate(LimitOffsetPagination)
def list_audit(request: HttpRequest, filters: Query[AuditQuery]) -> Any:
    return selectors.audit_entries_visible_to(
        _actor(request), selectors.AuditFilter(**filters.dict())
    )


@router.get("/roles", summary="The roles and what each may do")
def list_roles(request: HttpRequest) -> list[dict[str, str]]:
    return [{"name": r.value, "label": r.label, "description": r.description} for r in Role]
