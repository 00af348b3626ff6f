"""Insights pages: the service and social dashboards, comparisons, exports, alerts, reports."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from rapport.accounts.models import User
from rapport.insights import compare, dashboards, exports, metrics, selectors, social
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
    today = timezone.now().astimezone(metrics.org_zone(scope.organisation)).date()
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
    context.update(
        summary=summary,
        charts=dashboards.service_charts(summary),
        agent_rows=metrics.agent_rows(
            scope.organisation,
            scope.start,
            scope.end,
            team=scope.team,
            channel=scope.channel,
            refresh=False,
        )
        if scope.people
        else None,
        team_rows=metrics.team_rows(
            scope.organisation, scope.start, scope.end, channel=scope.channel, refresh=False
        )
        if scope.people and scope.team is None
        else None,
    )
    return render(request, "insights/service.html", context)


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
