"""State changes for organisations, users, teams and API tokens.

Each service takes the acting user first, checks the actor's rights, runs in a
transaction and writes the audit log. Views, the API and commands call these;
none of them saves an account model itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from rapport.accounts import audit
from rapport.accounts.models import ApiToken, Organisation, Team, TeamMembership, User
from rapport.accounts.roles import Cap, Role
from rapport.lib.errors import Conflict, DomainError, NotAllowed

TOKEN_PREFIX = "rpt_"
_USER_FIELDS = ("email", "full_name", "role", "is_active")
_TEAM_FIELDS = ("name", "description")


def require(actor: User, capability: str) -> None:
    """Raise NotAllowed unless the actor's role grants the capability."""
    if not actor.can(capability):
        raise NotAllowed("Your role does not allow this.")


# --- Organisations -------------------------------------------------------------


@transaction.atomic
def create_organisation(*, name: str, slug: str = "", time_zone: str = "UTC") -> Organisation:
    """Create an organisation (used by setup commands; there is no actor yet)."""
    slug = slug or slugify(name)[:60] or "organisation"
    if Organisation.objects.filter(slug=slug).exists():
        raise Conflict(f"An organisation with the slug {slug!r} exists.", code="slug_taken")
    organisation = Organisation.objects.create(name=name, slug=slug, time_zone=time_zone)
    audit.record(None, "organisation.create", organisation, changes={"name": [None, name]})
    return organisation


# --- Users -----------------------------------------------------------------------


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="weak_password") from None


@transaction.atomic
def create_user(
    actor: User | None,
    *,
    email: str,
    role: str,
    full_name: str = "",
    password: str | None = None,
    organisation: Organisation | None = None,
    is_staff: bool = False,
) -> User:
    """Create a user in the actor's organisation.

    `actor=None` is for setup commands (createadmin, the demo seed), which must
    name the organisation. Without a password the user cannot log in until one
    is set.
    """
    if actor is not None:
        require(actor, Cap.USERS_MANAGE)
        organisation = actor.organisation
    if organisation is None:
        raise DomainError("A user belongs to an organisation.", code="organisation_required")
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.", code="unknown_role")
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("A user with this email address exists.", code="email_taken")
    user = User(
        email=email, full_name=full_name, role=role, organisation=organisation, is_staff=is_staff
    )
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict("A user with this email address exists.", code="email_taken") from None
    audit.record(
        actor,
        "user.create",
        user,
        changes=audit.diff({}, audit.snapshot(user, _USER_FIELDS)),
        organisation=organisation,
    )
    return user


@transaction.atomic
def update_user(
    actor: User,
    user: User,
    *,
    full_name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's name, role or active flag (admins only).

    An organisation must keep one active admin, so the last one cannot be
    demoted or deactivated.
    """
    require(actor, Cap.USERS_MANAGE)
    if user.organisation_id != actor.organisation_id:
        raise NotAllowed("This user is not in your organisation.")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = audit.snapshot(user, _USER_FIELDS)
    if full_name is not None:
        user.full_name = full_name
    if role is not None:
        if role not in Role.values:
            raise DomainError(f"Unknown role {role!r}.", code="unknown_role")
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    losing_admin = before["role"] == Role.ADMIN and before["is_active"]
    losing_admin = losing_admin and (user.role != Role.ADMIN or not user.is_active)
    if losing_admin and not _other_active_admins(user).exists():
        raise Conflict("This is the organisation's last active administrator.", code="last_admin")
    changes = audit.diff(before, audit.snapshot(user, _USER_FIELDS))
    if changes:
        user.save()
        audit.record(actor, "user.update", user, changes=changes)
    return user


def _other_active_admins(user: User) -> Any:
    return User.objects.filter(
        organisation_id=user.organisation_id, role=Role.ADMIN, is_active=True
    ).exclude(pk=user.pk)


@transaction.atomic
def set_password(actor: User | None, user: User, *, password: str) -> User:
    """Set a user's password: their own, or anyone's for an admin (or a setup command)."""
    if actor is not None and actor.pk != user.pk:
        require(actor, Cap.USERS_MANAGE)
        if user.organisation_id != actor.organisation_id:
            raise NotAllowed("This user is not in your organisation.")
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    audit.record(actor, "user.password_set", user, changes={"password": ["***", "***"]})
    return user


# --- Teams -------------------------------------------------------------------------


@transaction.atomic
def create_team(actor: User, *, name: str, description: str = "") -> Team:
    require(actor, Cap.TEAMS_MANAGE)
    name = name.strip()
    if not name:
        raise DomainError("A team needs a name.", code="name_required")
    if Team.objects.filter(organisation=actor.organisation, name__iexact=name).exists():
        raise Conflict("A team with this name exists.", code="team_name_taken")
    team = Team.objects.create(organisation=actor.organisation, name=name, description=description)
    audit.record(
        actor, "team.create", team, changes=audit.diff({}, audit.snapshot(team, _TEAM_FIELDS))
    )
    return team


@transaction.atomic
def update_team(
    actor: User, team: Team, *, name: str | None = None, description: str | None = None
) -> Team:
    require(actor, Cap.TEAMS_MANAGE)
    before = audit.snapshot(team, _TEAM_FIELDS)
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError("A team needs a name.", code="name_required")
        clash = Team.objects.filter(organisation=team.organisation, name__iexact=name)
        if clash.exclude(pk=team.pk).exists():
            raise Conflict("A team with this name exists.", code="team_name_taken")
        team.name = name
    if description is not None:
        team.description = description
    changes = audit.diff(before, audit.snapshot(team, _TEAM_FIELDS))
    if changes:
        team.save()
        audit.record(actor, "team.update", team, changes=changes)
    return team


@transaction.atomic
def set_team_members(
    actor: User, team: Team, *, members: Iterable[User], leads: Iterable[User] = ()
) -> Team:
    """Make `members` the team's members exactly, `leads` among them its leads."""
    require(actor, Cap.TEAMS_MANAGE)
    member_ids = {user.pk for user in members}
    lead_ids = {user.pk for user in leads}
    if not lead_ids <= member_ids:
        raise DomainError("A team lead must be a member.", code="lead_not_member")
    in_org = set(
        User.objects.filter(pk__in=member_ids, organisation_id=team.organisation_id).values_list(
            "pk", flat=True
        )
    )
    if in_org != member_ids:
        raise NotAllowed("Only people in your organisation can join its teams.")
    current = {m.user_id: m for m in team.memberships.select_related("user")}
    before = _roster(current.values())
    team.memberships.exclude(user_id__in=member_ids).delete()
    for user_id in member_ids:
        membership = current.get(user_id)
        is_lead = user_id in lead_ids
        if membership is None:
            TeamMembership.objects.create(team=team, user_id=user_id, is_lead=is_lead)
        elif membership.is_lead != is_lead:
            membership.is_lead = is_lead
            membership.save(update_fields=["is_lead", "updated_at"])
    after = _roster(team.memberships.select_related("user"))
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor, "team.members_set", team, changes=changes)
    return team


def _roster(memberships: Iterable[TeamMembership]) -> dict[str, list[str]]:
    """Return the members and leads by email, for a readable audit entry."""
    memberships = list(memberships)
    return {
        "members": sorted(m.user.email for m in memberships),
        "leads": sorted(m.user.email for m in memberships if m.is_lead),
    }


# --- API tokens ----------------------------------------------------------------------


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is safe here and
    # keeps the per-request check cheap; argon2 is for guessable passwords.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    actor: User, *, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the actor; return it with its plaintext, which is never stored."""
    require(actor, Cap.TOKENS_OWN)
    name = name.strip()
    if not name:
        raise DomainError("A token needs a name.", code="name_required")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry date is in the past.", code="expiry_in_past")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    audit.record(actor, "api_token.create", token, changes={"name": [None, name]})
    return token, raw


@transaction.atomic
def revoke_api_token(actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: the owner can, and so can an admin of the same organisation."""
    if token.user_id != actor.pk:
        require(actor, Cap.USERS_MANAGE)
        if token.user.organisation_id != actor.organisation_id:
            raise NotAllowed("This token is not in your organisation.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            actor,
            "api_token.revoke",
            token,
            changes={"revoked_at": [None, token.revoked_at]},
            organisation=token.user.organisation,
        )
    return token


def authenticate_token(raw: str) -> User | None:
    """Return the active user a raw bearer token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user__organisation")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    touch_every = dt.timedelta(seconds=settings.API_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is None or now - token.last_used_at > touch_every:
        # A plain update: the last-used time is bookkeeping, not an audited change.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
