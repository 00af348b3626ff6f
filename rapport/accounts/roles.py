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
    # Publishing: read the calendar, posts, assets and platform research.
    PUBLISHING_VIEW = "publishing.view"
    # Draft posts, keep the asset library and calendar, research platforms, run campaigns.
    PUBLISHING_WORK = "publishing.work"
    # Approve or send back posts where an account's approval rule names a role.
    PUBLISHING_APPROVE = "publishing.approve"
    # Override a blocking compliance finding, with a reason (audited).
    COMPLIANCE_OVERRIDE = "compliance.override"
    # Read survey responses and satisfaction scores.
    SURVEYS_VIEW = "surveys.view"
    # Create and change surveys and their send rules.
    SURVEYS_MANAGE = "surveys.manage"
    # Service and social dashboards, period comparisons, the monthly report.
    INSIGHTS_VIEW = "insights.view"
    # Per-agent and per-team figures.
    INSIGHTS_PEOPLE = "insights.people"
    # Acknowledge brand-risk alerts and record what was done.
    ALERTS_HANDLE = "alerts.handle"
    # Accept or dismiss recommendations, choose who receives the monthly report.
    REPORTS_MANAGE = "reports.manage"


_READ = {
    Cap.USERS_VIEW,
    Cap.TEAMS_VIEW,
    Cap.TOKENS_OWN,
    Cap.INBOX_VIEW,
    Cap.CUSTOMERS_VIEW,
    Cap.CHANNELS_VIEW,
    Cap.PUBLISHING_VIEW,
    Cap.SURVEYS_VIEW,
    Cap.INSIGHTS_VIEW,
}
_WRITE = _READ | {Cap.WRITE, Cap.INBOX_WORK}
# Marketers write, but not to customer records; export and erasure are for admins and managers.
_CUSTOMER_WORK = {Cap.CUSTOMERS_MANAGE}
_CUSTOMER_PRIVACY = _CUSTOMER_WORK | {Cap.CUSTOMERS_PRIVACY}
_PUBLISHING = {Cap.PUBLISHING_WORK}
_PUBLISHING_LEAD = _PUBLISHING | {Cap.PUBLISHING_APPROVE, Cap.COMPLIANCE_OVERRIDE}
_MANAGEMENT = {
    Cap.SURVEYS_MANAGE,
    Cap.INSIGHTS_PEOPLE,
    Cap.ALERTS_HANDLE,
    Cap.REPORTS_MANAGE,
}

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
        | _PUBLISHING_LEAD
        | _MANAGEMENT
    ),
    "manager": frozenset(
        _WRITE
        | _CUSTOMER_PRIVACY
        | {Cap.TEAMS_MANAGE, Cap.AUDIT_VIEW, Cap.EVIDENCE_EXPORT, Cap.INBOX_CONFIGURE}
        | _PUBLISHING_LEAD
        | _MANAGEMENT
    ),
    "supervisor": frozenset(
        _WRITE
        | _CUSTOMER_WORK
        | {
            Cap.TEAMS_MANAGE,
            Cap.INBOX_CONFIGURE,
            Cap.SURVEYS_MANAGE,
            Cap.INSIGHTS_PEOPLE,
            Cap.ALERTS_HANDLE,
        }
    ),
    "agent": frozenset(_WRITE | _CUSTOMER_WORK),
    "marketer": frozenset(_WRITE | _PUBLISHING | {Cap.ALERTS_HANDLE}),
    "analyst": frozenset(_READ | {Cap.INSIGHTS_PEOPLE}),
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
