"""State changes for staff availability, capacity, languages and skills."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from rapport.accounts import audit
from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.lib.errors import DomainError, NotAllowed
from rapport.team.models import Availability, Skill, StaffProfile, StaffSkill

_FIELDS = ("availability", "capacity", "languages")


def profile_of(user: User) -> StaffProfile:
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def update_staff_profile(
    actor: User,
    user: User,
    *,
    availability: str | None = None,
    capacity: int | None = None,
    languages: Sequence[str] | None = None,
    skills: Sequence[tuple[str, int]] | None = None,
) -> StaffProfile:
    """Change a person's routing profile.

    Anyone who works the inbox sets their own availability; capacity,
    languages and skills are set by supervisors, managers and admins.
    """
    if user.organisation_id != actor.organisation_id:
        raise NotAllowed("That person is not in your organisation.")
    own_availability_only = (
        user.pk == actor.pk and capacity is None and languages is None and skills is None
    )
    allowed = actor.can(Cap.INBOX_WORK) if own_availability_only else False
    if not (allowed or actor.can(Cap.INBOX_CONFIGURE)):
        raise NotAllowed("Only supervisors, managers and admins change staff profiles.")
    profile = StaffProfile.objects.select_for_update().get(pk=profile_of(user).pk)
    before = audit.snapshot(profile, _FIELDS)
    if availability is not None:
        if availability not in Availability.values:
            raise DomainError("Unknown availability.", code="unknown_availability")
        profile.availability = availability
    if capacity is not None:
        if not 0 <= capacity <= 1000:
            raise DomainError("Capacity must be between 0 and 1000.", code="bad_capacity")
        profile.capacity = capacity
    if languages is not None:
        profile.languages = sorted(
            {code.strip().lower()[:12] for code in languages if code.strip()}
        )
    profile.save()
    changes = audit.diff(before, audit.snapshot(profile, _FIELDS))
    if skills is not None:
        changes["skills"] = [None, _set_skills(actor, user, skills)]
    if changes:
        audit.record(actor, "staff_profile.update", user, changes=changes)
    return profile


def _set_skills(actor: User, user: User, skills: Sequence[tuple[str, int]]) -> list[str]:
    wanted: dict[str, int] = {}
    for name, proficiency in skills:
        if not 1 <= proficiency <= 5:
            raise DomainError("Proficiency runs from 1 to 5.", code="bad_proficiency")
        wanted[name.strip()] = proficiency
    known = {s.name.lower(): s for s in Skill.objects.filter(organisation_id=actor.organisation_id)}
    missing = [name for name in wanted if name.lower() not in known]
    if missing:
        raise DomainError("Unknown skills.", code="unknown_skill", details=missing)
    StaffSkill.objects.filter(user=user).delete()
    StaffSkill.objects.bulk_create(
        [
            StaffSkill(user=user, skill=known[name.lower()], proficiency=level)
            for name, level in wanted.items()
        ]
    )
    return sorted(f"{name}:{level}" for name, level in wanted.items())


@transaction.atomic
def create_skill(actor: User, *, name: str, description: str = "") -> Skill:
    if not actor.can(Cap.INBOX_CONFIGURE):
        raise NotAllowed("Only supervisors, managers and admins define skills.")
    name = name.strip()
    if Skill.objects.filter(organisation_id=actor.organisation_id, name__iexact=name).exists():
        raise DomainError("A skill with this name exists.", code="skill_exists")
    skill = Skill.objects.create(
        organisation_id=actor.organisation_id, name=name, description=description
    )
    audit.record(actor, "skill.create", skill, changes={"name": [None, name]})
    return skill
