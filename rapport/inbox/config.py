"""Services that configure the inbox: calendars, service standards, routing rules.

Supervisors, managers and admins change these; every change is validated,
transactional and audited like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from rapport.accounts import audit
from rapport.accounts.models import Team, User
from rapport.accounts.roles import Cap
from rapport.inbox.models import (
    BusinessCalendar,
    EscalationRule,
    RoutingRule,
    SlaPolicy,
    SlaTarget,
)
from rapport.lib.business_hours import Calendar
from rapport.lib.errors import DomainError, NotAllowed
from rapport.team.models import Skill


def _require_configure(actor: User) -> None:
    if not actor.can(Cap.INBOX_CONFIGURE):
        raise NotAllowed("Only supervisors, managers and admins configure the inbox.")


def validate_calendar(
    time_zone: str, weekly_hours: dict[str, Any], holidays: Sequence[str]
) -> None:
    """Raise DomainError unless the calendar builds (zone, times, no overlaps, some hours)."""
    try:
        weekly = {
            int(day): tuple(
                (dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in spans
            )
            for day, spans in weekly_hours.items()
        }
        Calendar(
            time_zone=time_zone,
            weekly=weekly,
            holidays=frozenset(dt.date.fromisoformat(day) for day in holidays),
        )
    except (ValueError, TypeError) as exc:
        raise DomainError(f"The calendar is not valid: {exc}", code="bad_calendar") from None


@transaction.atomic
def save_calendar(
    actor: User,
    calendar: BusinessCalendar | None = None,
    *,
    name: str,
    time_zone: str,
    weekly_hours: dict[str, Any],
    holidays: Sequence[str] = (),
) -> BusinessCalendar:
    _require_configure(actor)
    validate_calendar(time_zone, weekly_hours, holidays)
    fields = ("name", "time_zone", "weekly_hours", "holidays")
    before = audit.snapshot(calendar, fields) if calendar else {}
    calendar = calendar or BusinessCalendar(organisation_id=actor.organisation_id)
    calendar.name, calendar.time_zone = name, time_zone
    calendar.weekly_hours, calendar.holidays = weekly_hours, sorted(holidays)
    calendar.save()
    audit.record(
        actor,
        "calendar.update" if before else "calendar.create",
        calendar,
        changes=audit.diff(before, audit.snapshot(calendar, fields)),
    )
    return calendar


@transaction.atomic
def save_sla_policy(
    actor: User,
    policy: SlaPolicy | None = None,
    *,
    name: str,
    calendar: BusinessCalendar | None,
    is_default: bool,
    warn_before_minutes: int,
    targets: Sequence[dict[str, Any]],
    escalations: Sequence[dict[str, Any]] = (),
) -> SlaPolicy:
    """Create or replace a policy with its targets and escalation rules.

    At most one policy is the organisation's default: making this one the
    default clears the flag on the others.
    """
    _require_configure(actor)
    if calendar is not None and calendar.organisation_id != actor.organisation_id:
        raise NotAllowed("That calendar is not in your organisation.")
    if not targets:
        raise DomainError("A service standard needs at least one target.", code="no_targets")
    creating = policy is None
    policy = policy or SlaPolicy(organisation_id=actor.organisation_id)
    policy.name, policy.calendar = name, calendar
    policy.is_default, policy.warn_before_minutes = is_default, warn_before_minutes
    policy.save()
    if is_default:
        SlaPolicy.objects.filter(organisation_id=actor.organisation_id).exclude(
            pk=policy.pk
        ).update(is_default=False)
    policy.targets.all().delete()
    SlaTarget.objects.bulk_create([SlaTarget(policy=policy, **target) for target in targets])
    policy.escalations.all().delete()
    for rule in escalations:
        team = rule.get("team")
        if team is not None and team.organisation_id != actor.organisation_id:
            raise NotAllowed("That team is not in your organisation.")
        EscalationRule.objects.create(policy=policy, **rule)
    audit.record(
        actor,
        "sla_policy.create" if creating else "sla_policy.update",
        policy,
        changes={
            "name": [None, name],
            "targets": [None, len(targets)],
            "default": [None, is_default],
        },
    )
    return policy


@transaction.atomic
def save_routing_rule(
    actor: User, rule: RoutingRule | None = None, *, team: Team, **fields: Any
) -> RoutingRule:
    _require_configure(actor)
    if team.organisation_id != actor.organisation_id:
        raise NotAllowed("That team is not in your organisation.")
    skill = fields.get("required_skill")
    if isinstance(skill, Skill) and skill.organisation_id != actor.organisation_id:
        raise NotAllowed("That skill is not in your organisation.")
    creating = rule is None
    rule = rule or RoutingRule(organisation_id=actor.organisation_id)
    rule.team = team
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    audit.record(
        actor,
        "routing_rule.create" if creating else "routing_rule.update",
        rule,
        changes={key: [None, value] for key, value in {"team": team.name, **fields}.items()},
    )
    return rule


@transaction.atomic
def delete_routing_rule(actor: User, rule: RoutingRule) -> None:
    _require_configure(actor)
    audit.record(actor, "routing_rule.delete", rule, changes={"name": [rule.name, None]})
    rule.delete()
