"""Choose a team and an agent for a new conversation.

Rules are tried in order; the first whose every set condition matches routes
the conversation to its team. Inside the team the agent is picked round robin
(the eligible agent assigned longest ago) or least loaded (fewest active
conversations), among those available, under capacity, holding the required
skill at the required proficiency and, when asked, speaking the language.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone

from rapport.accounts.models import Organisation, Team, TeamMembership, User
from rapport.accounts.roles import Role
from rapport.inbox.models import ACTIVE_STATUSES, AssignmentMode, Conversation, RoutingRule
from rapport.team.models import Availability, StaffProfile, StaffSkill

# Roles that take conversations from the queue.
_WORKING_ROLES = {Role.AGENT, Role.SUPERVISOR}


@dataclass(frozen=True)
class Facts:
    """What routing may look at for one conversation."""

    channel_id: int
    kind: str
    language: str
    intent: str
    text: str
    customer_attributes: Mapping[str, Any]


@dataclass
class Decision:
    team: Team | None = None
    assignee: User | None = None
    priority: int | None = None
    rule: RoutingRule | None = None


def rule_matches(rule: RoutingRule, facts: Facts) -> bool:
    if rule.channel_ids and facts.channel_id not in rule.channel_ids:
        return False
    if rule.kinds and facts.kind not in rule.kinds:
        return False
    if rule.languages and facts.language not in rule.languages:
        return False
    if rule.intents and facts.intent not in rule.intents:
        return False
    if rule.keywords:
        lowered = facts.text.lower()
        if not any(keyword.lower() in lowered for keyword in rule.keywords):
            return False
    for key, value in rule.customer_attributes.items():
        if facts.customer_attributes.get(key) != value:
            return False
    return True


class Router:
    """Route many conversations with a fixed number of queries (built once per batch)."""

    def __init__(self, organisation: Organisation, now: dt.datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.rules = list(
            RoutingRule.objects.filter(organisation=organisation, is_active=True).select_related(
                "team"
            )
        )
        self._members: dict[int, list[User]] = {}
        self._profiles: dict[int, StaffProfile] = {}
        self._skills: dict[tuple[int, int], int] = {}
        self._load: Counter[int] = Counter()
        self._touched: set[int] = set()
        self._candidates_of: dict[int, list[tuple[User, StaffProfile]]] = {}
        if self.rules:
            self._load_people({rule.team_id for rule in self.rules})

    def _load_people(self, team_ids: Iterable[int]) -> None:
        memberships = TeamMembership.objects.filter(
            team_id__in=list(team_ids), user__is_active=True, user__role__in=_WORKING_ROLES
        ).select_related("user")
        user_ids: set[int] = set()
        for membership in memberships:
            self._members.setdefault(membership.team_id, []).append(membership.user)
            user_ids.add(membership.user_id)
        existing = {p.user_id: p for p in StaffProfile.objects.filter(user_id__in=user_ids)}
        missing = [StaffProfile(user_id=uid) for uid in user_ids if uid not in existing]
        if missing:
            StaffProfile.objects.bulk_create(missing, ignore_conflicts=True)
            existing = {p.user_id: p for p in StaffProfile.objects.filter(user_id__in=user_ids)}
        self._profiles = existing
        for skill in StaffSkill.objects.filter(user_id__in=user_ids):
            self._skills[(skill.user_id, skill.skill_id)] = skill.proficiency
        loads = (
            Conversation.objects.filter(assignee_id__in=user_ids, status__in=ACTIVE_STATUSES)
            .values("assignee_id")
            .annotate(n=Count("id"))
        )
        self._load.update({row["assignee_id"]: row["n"] for row in loads})

    def route(self, facts: Facts) -> Decision:
        for rule in self.rules:
            if rule_matches(rule, facts):
                decision = Decision(team=rule.team, priority=rule.set_priority, rule=rule)
                if rule.assignment != AssignmentMode.NONE:
                    decision.assignee = self._pick(rule, facts)
                return decision
        return Decision()

    def _candidates(self, rule: RoutingRule) -> list[tuple[User, StaffProfile]]:
        """Return the rule's team members who could take work at all: available and skilled.

        These do not change while a batch is routed, so they are found once per rule;
        load and language are checked per conversation.
        """
        found = self._candidates_of.get(rule.pk)
        if found is None:
            found = []
            for user in self._members.get(rule.team_id, []):
                profile = self._profiles.get(user.pk)
                if profile is None or profile.availability != Availability.AVAILABLE:
                    continue
                if rule.required_skill_id is not None:
                    level = self._skills.get((user.pk, rule.required_skill_id), 0)
                    if level < rule.min_proficiency:
                        continue
                found.append((user, profile))
            self._candidates_of[rule.pk] = found
        return found

    def _eligible(self, rule: RoutingRule, facts: Facts) -> list[User]:
        load = self._load
        if rule.require_language:
            return [
                user
                for user, profile in self._candidates(rule)
                if load[user.pk] < profile.capacity and facts.language in (profile.languages or [])
            ]
        return [
            user for user, profile in self._candidates(rule) if load[user.pk] < profile.capacity
        ]

    def _pick(self, rule: RoutingRule, facts: Facts) -> User | None:
        eligible = self._eligible(rule, facts)
        if not eligible:
            return None
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)

        def last(user: User) -> dt.datetime:
            return self._profiles[user.pk].last_assigned_at or oldest

        if rule.assignment == AssignmentMode.LEAST_LOADED:
            chosen = min(eligible, key=lambda u: (self._load[u.pk], last(u), u.pk))
        else:
            chosen = min(eligible, key=lambda u: (last(u), u.pk))
        self._load[chosen.pk] += 1
        # Strictly increasing stamps keep round robin fair inside one batch.
        self.now += dt.timedelta(microseconds=1)
        self._profiles[chosen.pk].last_assigned_at = self.now
        self._touched.add(chosen.pk)
        return chosen

    def save(self) -> None:
        """Persist who was assigned last, for the next batch's round robin."""
        if self._touched:
            StaffProfile.objects.bulk_update(
                [self._profiles[uid] for uid in self._touched], ["last_assigned_at"]
            )
