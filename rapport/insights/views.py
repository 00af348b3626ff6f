"""Insights pages: the service and social dashboards, comparisons, exports, alerts, reports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts.models import User
from rapport.accounts.roles import Cap
from rapport.insights import compare, dashboards, exports, metrics, report, selectors, social
from rapport.insights import services as i2_services
from rapport.lib.errors import DomainError, NotAllowed, NotFound

# --- Dashboards, comparisons and exports (helper I1) ----------------------------------------


class DashboardFilterForm(forms.Form):
    """The period and filters of every dashboard, read from the query string."""

    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")
    team = forms.CharField(required=False, max_length=64)
    channel = forms.CharField(required=False, max_length=64)
    baseline_start = forms.DateField(required=False, label="Baseline from")
    baseline_end = forms.DateField(required=False, label="Baseline to")


def _dashboard_scope(request: HttpRequest) -> tuple[Any, DashboardFilterForm]:
    """Return (scope or None, form); None when the query string is not a valid period."""
    form = DashboardFilterForm(request.GET)
    if not form.is_valid():
        selectors.require_insights(_i1_user(request))
        return None, form
    data = form.cleaned_data
    try:
        scope = selectors.dashboard_scope(
            _i1_user(request),
            first_day=data["start"],
            last_day=data["end"],
            team=data["team"] or None,
            channel=data["channel"] or None,
            baseline_first_day=data["baseline_start"],
            baseline_last_day=data["baseline_end"],
        )
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:
        form.add_error(None, error.message)
        return None, form
    return scope, form


def _i1_user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _presets(scope: Any) -> list[dict[str, str]]:
    """Quick periods: last 7, 30 and 90 days, this month and last month."""
    today = timezone.now().astimezone(scope.organisation.zone).date()
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    options = [
        ("Last 7 days", today - dt.timedelta(days=6), today),
        ("Last 30 days", today - dt.timedelta(days=29), today),
        ("Last 90 days", today - dt.timedelta(days=89), today),
        ("This month", first_of_month, today),
        ("Last month", last_month_end.replace(day=1), last_month_end),
    ]
    keep = {
        key: str(value.public_id)
        for key, value in (("team", scope.team), ("channel", scope.channel))
        if value is not None
    }
    return [
        {
            "label": label,
            "query": urlencode({"start": first.isoformat(), "end": last.isoformat(), **keep}),
            "current": first == scope.first_day and last == scope.last_day,
        }
        for label, first, last in options
    ]


def _filter_query(scope: Any) -> str:
    params = {"start": scope.first_day.isoformat(), "end": scope.last_day.isoformat()}
    if scope.team is not None:
        params["team"] = str(scope.team.public_id)
    if scope.channel is not None:
        params["channel"] = str(scope.channel.public_id)
    return urlencode(params)


def _invalid(request: HttpRequest, form: DashboardFilterForm, title: str) -> HttpResponse:
    return render(
        request,
        "insights/invalid_period.html",
        {"form": form, "title": title, **selectors.scope_options(_i1_user(request))},
        status=400,
    )


def _common(request: HttpRequest, scope: Any, form: DashboardFilterForm) -> dict[str, Any]:
    return {
        "scope": scope,
        "form": form,
        "presets": _presets(scope),
        "filter_query": _filter_query(scope),
        **selectors.scope_options(_i1_user(request)),
    }


@login_required
def service_dashboard(request: HttpRequest) -> HttpResponse:
    scope, form = _dashboard_scope(request)
    if scope is None:
        return _invalid(request, form, "Service")
    summary = metrics.service_summary(
        scope.organisation, scope.start, scope.end, team=scope.team, channel=scope.channel
    )
    context = _common(request, scope, form)
    context.update(summary=summary, charts=dashboards.service_charts(summary))
    return render(request, "insights/service.html", context)


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """The per-agent and per-team tables; loaded into the service page after it shows."""
    selectors.require_people(_i1_user(request))
    scope, form = _dashboard_scope(request)
    if scope is None:
        return _invalid(request, form, "Agents and teams")
    context = _common(request, scope, form)
    context.update(
        agent_rows=metrics.agent_rows(
            scope.organisation, scope.start, scope.end, team=scope.team, channel=scope.channel
        ),
        team_rows=metrics.team_rows(
            scope.organisation, scope.start, scope.end, channel=scope.channel, refresh=False
        )
        if scope.team is None
        else None,
    )
    partial = getattr(request, "htmx", False)
    return render(
        request, "insights/_people_section.html" if partial else "insights/people.html", context
    )


@login_required
def social_dashboard(request: HttpRequest) -> HttpResponse:
    scope, form = _dashboard_scope(request)
    if scope is None:
        return _invalid(request, form, "Social")
    summary = social.social_summary(scope.organisation, scope.start, scope.end)
    context = _common(request, scope, form)
    context.update(
        summary=summary,
        charts=dashboards.social_charts(summary),
        heatmap=dashboards.best_times_grid(summary.best_times),
    )
    return render(request, "insights/social.html", context)


@login_required
def comparison(request: HttpRequest) -> HttpResponse:
    scope, form = _dashboard_scope(request)
    if scope is None:
        return _invalid(request, form, "Compare periods")
    results = compare.compare_all(
        scope.organisation,
        (scope.start, scope.end),
        scope.baseline,
        team=scope.team,
        channel=scope.channel,
    )
    context = _common(request, scope, form)
    context.update(results=results, significance=compare.SIGNIFICANCE)
    return render(request, "insights/compare.html", context)


@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponseBase:
    spec = exports.TABLES.get(table)
    if spec is None or fmt not in ("csv", "xlsx"):
        raise Http404("No such table.")
    scope, form = _dashboard_scope(request)
    if scope is None:
        return _invalid(request, form, "Export")
    if spec.people:
        selectors.require_people(_i1_user(request))
    return exports.respond(table, fmt, scope.export_scope())


# --- end of dashboards, comparisons and exports (helper I1) ---------------------------------


# --- Alerts, the monthly report and recommendations (helper I2) -----------------------------


@login_required
def alerts_page(request: HttpRequest) -> HttpResponse:
    viewer = _i1_user(request)
    show = "open" if request.GET.get("show") == "open" else "all"
    alerts = selectors.alerts_visible_to(viewer, only_unacknowledged=show == "open")[:100]
    return render(
        request,
        "insights/alerts.html",
        {
            "alerts": alerts,
            "show": show,
            "can_handle": viewer.can(Cap.ALERTS_HANDLE),
            "zone": viewer.organisation.time_zone or "UTC",
        },
    )


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    viewer = _i1_user(request)
    alert = selectors.get_alert_for_user(viewer, alert_id)
    try:
        i2_services.acknowledge_alert(
            viewer, alert, action_taken=request.POST.get("action_taken", "")
        )
        messages.success(request, "Alert acknowledged.")
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('insights:alerts')}#alert-{alert.public_id}")


def _last_month(viewer: User) -> dt.date:
    today = timezone.now().astimezone(viewer.organisation.zone).date()
    return report.previous_month(today.replace(day=1))


@login_required
def reports_index(request: HttpRequest) -> HttpResponse:
    viewer = _i1_user(request)
    selectors.require_insights(viewer)
    return redirect("insights:report", month=f"{_last_month(viewer):%Y-%m}")


@login_required
def report_page(request: HttpRequest, month: str) -> HttpResponse:
    viewer = _i1_user(request)
    first_day = selectors.report_month_for_user(viewer, month)
    built = report.build(viewer.organisation, first_day)
    can_decide = viewer.can(Cap.REPORTS_MANAGE)
    today = timezone.now().astimezone(viewer.organisation.zone).date()
    following = report.next_month(first_day)
    return render(
        request,
        "insights/report.html",
        {
            "report": built,
            "month_key": f"{first_day:%Y-%m}",
            "previous_month": f"{report.previous_month(first_day):%Y-%m}",
            "previous_label": f"{report.previous_month(first_day):%B %Y}",
            "next_month": f"{following:%Y-%m}" if following <= today else "",
            "next_label": f"{following:%B %Y}",
            "can_decide": can_decide,
            "recipients": selectors.report_recipients(viewer) if can_decide else [],
        },
    )


@login_required
def report_pdf(request: HttpRequest, month: str) -> HttpResponse:
    viewer = _i1_user(request)
    first_day = selectors.report_month_for_user(viewer, month)
    built = report.build(viewer.organisation, first_day)
    response = HttpResponse(report.render_pdf(built), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename(built, "pdf")}"'
    return response


@login_required
@require_POST
def recommendation_decide(request: HttpRequest, recommendation_id: uuid.UUID) -> HttpResponse:
    viewer = _i1_user(request)
    found = selectors.get_recommendation_for_user(viewer, recommendation_id)
    try:
        i2_services.decide_recommendation(
            viewer,
            found,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('insights:report', args=[f'{found.month:%Y-%m}'])}#recommendations")


class RecipientForm(forms.Form):
    email = forms.EmailField(max_length=254)
    name = forms.CharField(max_length=100, required=False)


@login_required
@require_POST
def recipients(request: HttpRequest) -> HttpResponse:
    viewer = _i1_user(request)
    selectors.report_recipients(viewer)  # refuses roles that cannot manage them
    form = RecipientForm(request.POST)
    if form.is_valid():
        try:
            i2_services.add_report_recipient(
                viewer, email=form.cleaned_data["email"], name=form.cleaned_data["name"]
            )
            messages.success(request, f"{form.cleaned_data['email']} will get the report.")
        except (NotAllowed, NotFound):
            raise
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Enter a valid email address.")
    return redirect(_back_to_report(request, viewer))


@login_required
@require_POST
def recipient_remove(request: HttpRequest, recipient_id: int) -> HttpResponse:
    viewer = _i1_user(request)
    i2_services.remove_report_recipient(
        viewer, selectors.get_report_recipient(viewer, recipient_id)
    )
    messages.success(request, "Recipient removed.")
    return redirect(_back_to_report(request, viewer))


def _back_to_report(request: HttpRequest, viewer: User) -> str:
    month = request.POST.get("next", "")
    if not report.MONTH.match(month):
        month = f"{_last_month(viewer):%Y-%m}"
    return f"{reverse('insights:report', args=[month])}#recipients"


# --- end of alerts, the monthly report and recommendations (helper I2) ----------------------
