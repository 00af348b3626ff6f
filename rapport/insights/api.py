"""/api/v1/insights/ endpoints."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Query, Router

from rapport.accounts.models import User
from rapport.insights import compare, exports, metrics, selectors, social
from rapport.insights.schemas import (
    ComparisonOut,
    DashboardQuery,
    PersonOut,
    ServiceSummaryOut,
    SocialSummaryOut,
)
from rapport.lib.errors import NotFound

router = Router(tags=["insights"])

# --- Dashboards, comparisons and exports (helper I1) ----------------------------------------


def _viewer(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _scope(request: HttpRequest, query: DashboardQuery) -> selectors.DashboardScope:
    return selectors.dashboard_scope(
        _viewer(request),
        first_day=query.start,
        last_day=query.end,
        team=query.team,
        channel=query.channel,
        baseline_first_day=query.baseline_start,
        baseline_last_day=query.baseline_end,
    )


@router.get("/service", response=ServiceSummaryOut)
def service_summary(request: HttpRequest, query: Query[DashboardQuery]) -> Any:
    """The service figures of a period: volume, times in business hours, SLA, backlog, surveys."""
    scope = _scope(request, query)
    return metrics.service_summary(
        scope.organisation, scope.start, scope.end, team=scope.team, channel=scope.channel
    )


@router.get("/service/agents", response=list[PersonOut])
def agent_rows(request: HttpRequest, query: Query[DashboardQuery]) -> Any:
    """One row per agent (needs the per-agent capability: supervisors, managers, analysts)."""
    selectors.require_people(_viewer(request))
    scope = _scope(request, query)
    return metrics.agent_rows(
        scope.organisation, scope.start, scope.end, team=scope.team, channel=scope.channel
    )


@router.get("/service/teams", response=list[PersonOut])
def team_rows(request: HttpRequest, query: Query[DashboardQuery]) -> Any:
    """One row per team (needs the per-agent capability)."""
    selectors.require_people(_viewer(request))
    scope = _scope(request, query)
    return metrics.team_rows(scope.organisation, scope.start, scope.end, channel=scope.channel)


@router.get("/social", response=SocialSummaryOut)
def social_summary(request: HttpRequest, query: Query[DashboardQuery]) -> Any:
    """The social figures of a period, per account."""
    scope = _scope(request, query)
    return social.social_summary(scope.organisation, scope.start, scope.end)


@router.get("/compare", response=list[ComparisonOut])
def comparisons(request: HttpRequest, query: Query[DashboardQuery], metric: str = "") -> Any:
    """Each metric (or one) in the period against the baseline, with its test and sample sizes."""
    scope = _scope(request, query)
    period = (scope.start, scope.end)
    if metric:
        if metric not in compare.METRICS:
            raise NotFound(
                f"No metric {metric!r}; one of: {', '.join(compare.METRICS)}.",
                code="unknown_metric",
            )
        return [
            compare.compare(
                scope.organisation,
                metric,
                period,
                scope.baseline,
                team=scope.team,
                channel=scope.channel,
            )
        ]
    return compare.compare_all(
        scope.organisation, period, scope.baseline, team=scope.team, channel=scope.channel
    )


@router.get("/exports/{table}.{fmt}")
def export(request: HttpRequest, table: str, fmt: str, query: Query[DashboardQuery]) -> Any:
    """A table as CSV or XLSX, every row, streamed."""
    spec = exports.TABLES.get(table)
    if spec is None or fmt not in ("csv", "xlsx"):
        raise NotFound(
            f"No export {table}.{fmt}; tables: {', '.join(exports.TABLES)}; formats: csv, xlsx."
        )
    scope = _scope(request, query)
    if spec.people:
        selectors.require_people(_viewer(request))
    response: HttpResponseBase = exports.respond(table, fmt, scope.export_scope())
    return response


# --- end of dashboards, comparisons and exports (helper I1) ---------------------------------
