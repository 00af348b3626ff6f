"""/api/v1/insights/ endpoints."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import Query, Router

from rapport.accounts.models import User
from rapport.insights import compare, exports, metrics, report, selectors, social
from rapport.insights import services as i2_services
from rapport.insights.schemas import (
    AcknowledgeIn,
    AlertOut,
    ComparisonOut,
    DashboardQuery,
    DecisionIn,
    PersonOut,
    RecipientIn,
    RecipientOut,
    RecommendationOut,
    ReportOut,
    ServiceSummaryOut,
    SocialSummaryOut,
)
from rapport.lib.errors import DomainError, NotFound

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


# --- Alerts, the monthly report and recommendations (helper I2) -----------------------------


@router.get("/alerts", response=list[AlertOut])
def list_alerts(request: HttpRequest, unacknowledged: bool = False, limit: int = 50) -> Any:
    """Brand-risk alerts, newest first, each with the first messages that raised it."""
    limit = max(1, min(limit, 200))
    alerts = selectors.alerts_visible_to(_viewer(request), only_unacknowledged=unacknowledged)
    return list(alerts[:limit])


@router.get("/alerts/{alert_id}", response=AlertOut)
def get_alert(request: HttpRequest, alert_id: str) -> Any:
    alert = selectors.get_alert_for_user(_viewer(request), alert_id)
    return selectors.alerts_visible_to(_viewer(request)).get(pk=alert.pk)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut)
def acknowledge_alert(request: HttpRequest, alert_id: str, body: AcknowledgeIn) -> Any:
    """Acknowledge an alert with what was done (supervisors, managers, marketers, admins)."""
    viewer = _viewer(request)
    alert = selectors.get_alert_for_user(viewer, alert_id)
    i2_services.acknowledge_alert(viewer, alert, action_taken=body.action_taken)
    return selectors.alerts_visible_to(viewer).get(pk=alert.pk)


@router.get("/reports/{month}", response=ReportOut)
def get_report(request: HttpRequest, month: str) -> Any:
    """The monthly report's figures and recommendations (YYYY-MM); HTML and PDF by link."""
    viewer = _viewer(request)
    first_day = selectors.report_month_for_user(viewer, month)
    built = report.build(viewer.organisation, first_day)
    key = f"{first_day:%Y-%m}"
    return {
        "month": key,
        "start": built.start,
        "end": built.end,
        "is_partial": built.is_partial,
        "key_figures": built.key_figures,
        "standards": built.standards,
        "recommendations": built.recommendations,
        "notable": built.notable,
        "alerts": len(built.alerts),
        "html_url": reverse("insights:report", args=[key]),
        "pdf_url": reverse("insights:report_pdf", args=[key]),
    }


@router.post("/recommendations/{recommendation_id}/decision", response=RecommendationOut)
def decide_recommendation(request: HttpRequest, recommendation_id: str, body: DecisionIn) -> Any:
    """Accept or dismiss a recommendation, or reopen it (managers and admins)."""
    viewer = _viewer(request)
    found = selectors.get_recommendation_for_user(viewer, recommendation_id)
    return i2_services.decide_recommendation(viewer, found, status=body.status, note=body.note)


@router.get("/report-recipients", response=list[RecipientOut])
def list_recipients(request: HttpRequest) -> Any:
    return list(selectors.report_recipients(_viewer(request)))


@router.post("/report-recipients", response={201: RecipientOut})
def add_recipient(request: HttpRequest, body: RecipientIn) -> Any:
    """Add someone who gets the monthly report by email (managers and admins)."""
    viewer = _viewer(request)
    selectors.report_recipients(viewer)
    try:
        email = validate_email_address(body.email)
    except ValidationError:
        raise DomainError("Enter a valid email address.", code="bad_email") from None
    return 201, i2_services.add_report_recipient(viewer, email=email, name=body.name)


@router.delete("/report-recipients/{recipient_id}", response={204: None})
def remove_recipient(request: HttpRequest, recipient_id: int) -> Any:
    viewer = _viewer(request)
    i2_services.remove_report_recipient(
        viewer, selectors.get_report_recipient(viewer, recipient_id)
    )
    return 204, None


def validate_email_address(value: str) -> str:
    value = value.strip()
    validate_email(value)
    return value


# --- end of alerts, the monthly report and recommendations (helper I2) ----------------------
