"""The sidebar: one entry per area that exists, shown to roles that may use it.

Each domain adds its entries here when it lands, so areas that do not exist
yet never appear as placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from rapport.accounts.roles import Cap


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url_name: str
    capability: str
    icon: str = ""


NAV: list[NavItem] = [
    NavItem("Work", "Inbox", "inbox:inbox", Cap.INBOX_VIEW, "inbox"),
    NavItem("Work", "Customers", "customers:list", Cap.CUSTOMERS_VIEW),
    NavItem("Publishing", "Calendar", "publishing:calendar", Cap.PUBLISHING_VIEW),
    NavItem("Publishing", "Posts", "publishing:post_list", Cap.PUBLISHING_VIEW),
    NavItem("Publishing", "Review queue", "publishing:review_queue", Cap.PUBLISHING_VIEW),
    NavItem("Publishing", "Assets", "publishing:asset_list", Cap.PUBLISHING_VIEW),
    NavItem("Publishing", "Campaigns", "publishing:campaign_list", Cap.PUBLISHING_VIEW),
    NavItem("Publishing", "Platform research", "publishing:research", Cap.PUBLISHING_VIEW),
    NavItem("Publishing", "Settings", "publishing:settings", Cap.PUBLISHING_WORK),
    NavItem("Insights", "Dashboards", "insights:service", Cap.INSIGHTS_VIEW),
    NavItem("Insights", "Brand-risk alerts", "insights:alerts", Cap.INSIGHTS_VIEW),
    NavItem("Insights", "Monthly reports", "insights:reports", Cap.INSIGHTS_VIEW),
    NavItem("Insights", "Surveys", "surveys:list", Cap.SURVEYS_VIEW),
    NavItem("Admin", "Users", "accounts:user_list", Cap.USERS_VIEW, "users"),
    NavItem("Admin", "Teams", "accounts:team_list", Cap.TEAMS_VIEW, "team"),
    NavItem("Admin", "Channels", "channels:list", Cap.CHANNELS_VIEW),
    NavItem("Admin", "Audit log", "accounts:audit_log", Cap.AUDIT_VIEW, "log"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the sections and entries the current user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    current = request.path
    sections: dict[str, list[dict[str, Any]]] = {}
    entries: list[dict[str, Any]] = []
    for item in NAV:
        if not user.can(item.capability):
            continue
        entry: dict[str, Any] = {
            "label": item.label,
            "url": reverse(item.url_name),
            "icon": item.icon,
            "active": False,
        }
        sections.setdefault(item.section, []).append(entry)
        entries.append(entry)
    # Only the most specific entry is current: /insights/alerts/ is Alerts, not Dashboards.
    matches = [e for e in entries if current.startswith(e["url"])]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return {"nav_sections": list(sections.items())}
