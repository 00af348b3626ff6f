"""Reads of accounts data that depend on who is asking."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from rapport.accounts.models import ApiToken, AuditEntry, Team, TeamMembership, User
from rapport.accounts.roles import Cap
from rapport.lib.errors import NotAllowed, NotFound
from rapport.lib.ids import parse_public_id


def users_visible_to(viewer: User) -> QuerySet[User]:
    """Return the users of the viewer's organisation, if the viewer may list users."""
    if not viewer.can(Cap.USERS_VIEW):
        raise NotAllowed("Your role does not allow listing users.")
    return User.objects.filter(organisation_id=viewer.organisation_id).prefetch_related(
        Prefetch("teams", queryset=Team.objects.only("id", "public_id", "name"))
    )


def get_user_for_user(viewer: User, public_id: str | uuid.UUID) -> User:
    try:
        return users_visible_to(viewer).get(public_id=parse_public_id(public_id, "user"))
    except User.DoesNotExist:
        raise NotFound("No such user.") from None


def teams_visible_to(viewer: User) -> QuerySet[Team]:
    if not viewer.can(Cap.TEAMS_VIEW):
        raise NotAllowed("Your role does not allow listing teams.")
    return (
        Team.objects.filter(organisation_id=viewer.organisation_id)
        .annotate(member_count=Count("memberships"))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=TeamMembership.objects.select_related("user").order_by("user__email"),
            )
        )
    )


def get_team_for_user(viewer: User, public_id: str | uuid.UUID) -> Team:
    try:
        return teams_visible_to(viewer).get(public_id=parse_public_id(public_id, "team"))
    except Team.DoesNotExist:
        raise NotFound("No such team.") from None


def tokens_of(viewer: User) -> QuerySet[ApiToken]:
    """Return the viewer's own API tokens, newest first."""
    return ApiToken.objects.filter(user=viewer)


def get_token_for_user(viewer: User, public_id: str | uuid.UUID) -> ApiToken:
    """Return one of the viewer's tokens, or, for an admin, any token of the organisation."""
    tokens = ApiToken.objects.select_related("user")
    if viewer.can(Cap.USERS_MANAGE):
        tokens = tokens.filter(user__organisation_id=viewer.organisation_id)
    else:
        tokens = tokens.filter(user=viewer)
    try:
        return tokens.get(public_id=parse_public_id(public_id, "token"))
    except ApiToken.DoesNotExist:
        raise NotFound("No such token.") from None


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def audit_entries_visible_to(
    viewer: User, filters: AuditFilter | None = None
) -> QuerySet[AuditEntry]:
    """Return the organisation's audit entries for admins and managers, filtered."""
    if not viewer.can(Cap.AUDIT_VIEW):
        raise NotAllowed("Your role does not allow reading the audit log.")
    entries = AuditEntry.objects.filter(organisation_id=viewer.organisation_id)
    f = filters or AuditFilter()
    if f.actor:
        entries = entries.filter(actor_label__icontains=f.actor)
    if f.action:
        entries = entries.filter(action__startswith=f.action)
    if f.object_type:
        entries = entries.filter(object_type=f.object_type)
    if f.object_id:
        entries = entries.filter(object_id=f.object_id)
    if f.since:
        entries = entries.filter(created_at__gte=f.since)
    if f.until:
        entries = entries.filter(created_at__lt=f.until)
    return entries
