"""Roles and the capabilities each one grants.

A capability is a short dotted string checked by selectors and services
(`user.can(Cap.USERS_MANAGE)`). Later domains add theirs here, so the whole
permission model can be read in one place.
"""

from __future__ import annotations

from django.db import models


class Cap:
    """Capability names."""

    USERS_VIEW = "users.view"
    USERS_MANAGE = "users.manage"
    TEAMS_VIEW = "teams.view"
    TEAMS_MANAGE = "teams.manage"
    AUDIT_VIEW = "audit.view"
    TOKENS_OWN = "tokens.own"
    # Any write at all: analysts and assessors read but never change anything.
    WRITE = "write"
    EVIDENCE_EXPORT = "evidence.export"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_MANAGE = "customers.manage"
    # Export and erasure of everything held about a customer.
    CUSTOMERS_PRIVACY = "customers.privacy"
    INBOX_VIEW = "inbox.view"
    # Reply, note, assign, change status: the agent's daily work.
    INBOX_WORK = "inbox.work"
    # Service standards, calendars and routing rules.
    INBOX_CONFIGURE = "inbox.configure"
    CHANNELS_VIEW = "channels.view"
    # Add, reconfigure, pause and remove channels, and use their credentials to test them.
    CHANNELS_MANAGE = "channels.manage"


_READ = {
    Cap.USERS_VIEW,
    Cap.TEAMS_VIEW,
    Cap.TOKENS_OWN,
    Cap.INBOX_VIEW,
    Cap.CUSTOMERS_VIEW,
    Cap.CHANNELS_VIEW,
}
_WRITE = _READ | {Cap.WRITE, Cap.INBOX_WORK}
# Marketers write, but not to customer records; export and erasure are for admins and managers.
_CUSTOMER_WORK = {Cap.CUSTOMERS_MANAGE}
_CUSTOMER_PRIVACY = _CUSTOMER_WORK | {Cap.CUSTOMERS_PRIVACY}

_GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        _WRITE
        | _CUSTOMER_PRIVACY
        | {
            Cap.USERS_MANAGE,
            Cap.TEAMS_MANAGE,
            Cap.AUDIT_VIEW,
            Cap.EVIDENCE_EXPORT,
            Cap.INBOX_CONFIGURE,
            Cap.CHANNELS_MANAGE,
        }
    ),
    "manager": frozenset(
        _WRITE
        | _CUSTOMER_PRIVACY
        | {Cap.TEAMS_MANAGE, Cap.AUDIT_VIEW, Cap.EVIDENCE_EXPORT, Cap.INBOX_CONFIGURE}
    ),
    "supervisor": frozenset(_WRITE | _CUSTOMER_WORK | {Cap.TEAMS_MANAGE, Cap.INBOX_CONFIGURE}),
    "agent": frozenset(_WRITE | _CUSTOMER_WORK),
    "marketer": frozenset(_WRITE),
    "analyst": frozenset(_READ),
    "assessor": frozenset(_READ | {Cap.EVIDENCE_EXPORT}),
}


def capabilities_of(role: str) -> list[str]:
    """Return the capabilities a role grants, sorted."""
    return sorted(_GRANTS.get(role, ()))


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    MANAGER = "manager", "Manager"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"
    MARKETER = "marketer", "Marketer"
    ANALYST = "analyst", "Analyst (read-only)"
    ASSESSOR = "assessor", "Assessor (read-only, evidence)"

    def grants(self, capability: str) -> bool:
        return capability in _GRANTS[self.value]

    @property
    def description(self) -> str:
        return ROLE_DESCRIPTIONS[self.value]


ROLE_DESCRIPTIONS = {
    "admin": "Manages users, teams, settings and everything else.",
    "manager": "Sets standards and policies, reads reports, browses the audit log.",
    "supervisor": "Assigns work, watches timers, handles escalations and quality.",
    "agent": "Works the inbox: replies, tags, resolves and escalates conversations.",
    "marketer": "Plans, drafts and publishes social content and campaigns.",
    "analyst": "Reads everything the organisation shares, changes nothing.",
    "assessor": "Reads and exports evidence of trainees' work, changes nothing.",
}
